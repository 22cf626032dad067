// Package answer holds what the scanner and its listing package share to
// refuse AWS answers that are not the document their operation returns: the
// error that says so (naming the operation and showing how the answer
// began), and body readers that stop at a size limit.
//
// A captive portal, a proxy's error page, a load balancer's empty 200 or a
// truncated body all arrive with status 200. The SDK's deserializers read
// an empty body as an empty result and an unknown document as one with
// every field absent: a bucket ACL with no grants, an account with no
// buckets. Such an answer must fail the call instead, so that the account
// or bucket is reported failed, never clean.
package answer

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is an answer that is not the document its operation returns. It is
// retried like a 5xx answer (RetryableError, read by the SDK's retryer),
// unless Final says that retrying cannot help.
type Error struct {
	Operation string // the SDK operation name, e.g. "ListBuckets"
	Problem   string // what is wrong, e.g. "an empty answer"
	Excerpt   string // how the answer began (Excerpt), "" when empty or withheld
	Final     bool   // not worth retrying (a redirect)
}

// Error names the operation, the problem and how the answer began.
func (e *Error) Error() string { return e.Operation + ": " + e.Text() }

// Text is Error without the operation, for messages that name it already.
func (e *Error) Text() string {
	if e.Excerpt == "" {
		return e.Problem
	}
	return e.Problem + "; it began: " + e.Excerpt
}

// RetryableError tells the SDK's retryer whether to try again.
func (e *Error) RetryableError() bool { return !e.Final }

// excerptRunes is how much of an answer an error shows: enough to recognise
// a login page or a proxy's message, short enough for a report cell.
const excerptRunes = 120

// Excerpt renders the start of an answer for an error message: at most
// excerptRunes characters, control characters and runs of white space
// turned into one space, invalid UTF-8 into U+FFFD, "…" when cut.
func Excerpt(b []byte) string {
	var sb strings.Builder
	n, space := 0, false
	for len(b) > 0 && n < excerptRunes {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		if r < 0x20 || r == 0x7f || r == ' ' || r >= 0x80 && r < 0xa0 {
			space = sb.Len() > 0
			continue
		}
		if space {
			sb.WriteByte(' ')
			n++
			space = false
		}
		sb.WriteRune(r)
		n++
	}
	if len(b) > 0 {
		sb.WriteString("…")
	}
	return sb.String()
}

// SizeText renders a byte count as the limits are written: "8 MiB", "64 KiB".
func SizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// TooLarge is the error of an answer longer than limit bytes. It is not
// retried: limits are at least twice the largest real answer, so this is
// no glitch of a real one, and each attempt would read the limit again.
func TooLarge(op string, limit int64, head []byte) *Error {
	return &Error{Operation: op, Final: true, Excerpt: Excerpt(head),
		Problem: "answer larger than " + SizeText(limit) + ", far more than this operation ever returns"}
}

// Limit returns body reading at most limit bytes: a read past them fails
// with TooLarge (once the caller has read limit bytes, the next read finds
// out whether more would come). Closing it closes body.
func Limit(body io.ReadCloser, limit int64, op string) io.ReadCloser {
	return &limitedBody{body: body, left: limit, limit: limit, op: op}
}

type limitedBody struct {
	body  io.ReadCloser
	left  int64 // bytes that may still be read
	limit int64
	op    string
	err   error // sticky TooLarge
	// The first bytes read, for the error's excerpt: in place, as most
	// bodies are read once and never too large.
	head  [excerptRunes]byte
	headN int
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if l.left <= 0 {
		// One byte more decides: end of the answer, or too large.
		var one [1]byte
		n, err := l.body.Read(one[:])
		if n == 0 {
			return 0, err
		}
		l.err = TooLarge(l.op, l.limit, l.head[:l.headN])
		return 0, l.err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.body.Read(p)
	l.left -= int64(n)
	l.headN += copy(l.head[l.headN:], p[:n])
	return n, err
}

func (l *limitedBody) Close() error { return l.body.Close() }

// AppendAll appends what r holds to dst, up to limit bytes, and returns the
// extended slice. More than limit bytes is TooLarge: the slice then holds
// every byte read so far (limit and at most one read more), so that a
// caller may go on reading with a larger limit. Unlike io.ReadAll and
// bytes.Buffer, dst grows at most to one byte past the limit, never to
// twice an answer that was cut off.
func AppendAll(dst []byte, r io.Reader, limit int, op string) ([]byte, error) {
	start := len(dst)
	for {
		if len(dst) == cap(dst) {
			// Double, but never past one byte more than the limit: that
			// byte is how a body too large shows.
			size := min(max(2*cap(dst), 512), start+limit+1)
			grown := make([]byte, len(dst), max(size, len(dst)+1))
			copy(grown, dst)
			dst = grown
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if len(dst)-start > limit {
			return dst, TooLarge(op, int64(limit), dst[start:])
		}
		if errors.Is(err, io.EOF) {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}

// XMLRoot finds the local name of an XML document's root element after a
// byte order mark, white space, the XML declaration, comments and
// processing instructions: "!DOCTYPE" for a document type declaration
// (AWS never sends one: an HTML page does), "" when head does not start
// like XML. known is false while head is too short to say.
func XMLRoot(head []byte) (root string, known bool) {
	b := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	for {
		b = bytes.TrimLeft(b, " \t\r\n")
		switch {
		case len(b) == 0:
			return "", false
		case b[0] != '<':
			return "", true
		case bytes.HasPrefix(b, []byte("<?")):
			end := bytes.Index(b, []byte("?>"))
			if end < 0 {
				return "", false
			}
			b = b[end+2:]
			continue
		case bytes.HasPrefix(b, []byte("<!--")):
			end := bytes.Index(b[4:], []byte("-->"))
			if end < 0 {
				return "", false
			}
			b = b[4+end+3:]
			continue
		case len(b) < 4 && bytes.HasPrefix([]byte("<!--"), b):
			return "", false
		}
		end := bytes.IndexAny(b[1:], " \t\r\n/>")
		if end < 0 {
			return "", false
		}
		name := string(b[1 : 1+end])
		if strings.HasPrefix(name, "!") {
			return strings.ToUpper(name), true
		}
		if i := strings.IndexByte(name, ':'); i >= 0 {
			name = name[i+1:]
		}
		return name, true
	}
}

// XMLProblem says how head, the start of an answer, fails to start a <want>
// document ("" when it does not fail): empty, not XML, an HTML page, or
// another root element.
func XMLProblem(head []byte, want string) string {
	root, known := XMLRoot(head)
	return RootProblem(head, root, known, want)
}

// RootProblem is XMLProblem for a head whose root XMLRoot already found
// (root, known): a caller that needs the root itself finds it once.
func RootProblem(head []byte, root string, known bool, want string) string {
	doc := "a <" + want + "> document"
	if len(bytes.TrimSpace(head)) == 0 {
		return "an empty answer where " + doc + " was expected"
	}
	switch {
	case root == want:
		return ""
	case !known:
		return "no complete XML root element in the first " + SizeText(int64(len(head))) + " where " + doc + " was expected"
	case root == "":
		return "not an XML document where " + doc + " was expected"
	case strings.EqualFold(root, "html") || root == "!DOCTYPE":
		return "an HTML page where " + doc + " was expected"
	}
	return "root element <" + root + "> where " + doc + " was expected"
}
