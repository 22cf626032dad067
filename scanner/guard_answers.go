package scanner

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net"
	"strconv"
	"strings"

	awsmiddle "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ownerscan/ownerscan/internal/answer"
)

// Every answer is checked before it is believed. Two middlewares, installed
// in every SDK client of a scan (addAnswerGuards), see each attempt's
// response:
//
//   - answerGuard, innermost in the Deserialize step (right above the HTTP
//     round trip, below S3's own peek for <Error> in 200 answers), limits
//     every body to its operation's size (guard_specs.go), refuses
//     redirects, and before anything parses a 2xx body checks its
//     Content-Type and that it starts with the document the operation
//     returns: the right XML root element, or a JSON object. An empty body
//     fails here.
//   - answerCheck, right above the SDK's deserializer, requires what every
//     valid answer holds (an Owner, an IsTruncated, an Accounts list...) in
//     the parsed output, and turns a 2xx body that does not parse into the
//     same error.
//
// The error (answer.Error) names the operation and shows how the answer
// began. It is retried like a 5xx answer, then fails the account or bucket
// (SCAN_ERROR): nothing that failed reads as empty. A redirect is refused
// without retrying: none of these calls is ever redirected by AWS, and
// following one would send signed requests elsewhere (a 307 to itself
// made the SDK's client loop at thousands of requests a second).

// answerGuard: see above. large is the scan's largeAnswers.
type answerGuard struct{ large chan struct{} }

func (answerGuard) ID() string { return "ownerscan.AnswerGuard" }

// answerHeadKey carries, in the response metadata, the first bytes of a
// 2xx body as answerGuard read them, for answerCheck's excerpts.
type answerHeadKey struct{}

// headBytes is how much of an answer answerGuard reads before handing it
// on: enough to find the root element and for an excerpt.
const (
	headBytes    = 256
	maxHeadBytes = 4 << 10 // the root element must start within this much
)

func (g answerGuard) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
	middleware.DeserializeOutput, middleware.Metadata, error,
) {
	out, md, err := next.HandleDeserialize(ctx, in)
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if err != nil || !ok || resp.Body == nil {
		return out, md, err
	}
	service, op := awsmiddle.GetServiceID(ctx), awsmiddle.GetOperationName(ctx)
	spec, known := specFor(service, op)
	switch status := resp.StatusCode; {
	case status >= 300 && status < 400 && op != "HeadBucket":
		// HeadBucket's 301 is S3's answer for a bucket in another region,
		// read by bucketRegion from its x-amz-bucket-region header.
		return out, md, &answer.Error{Operation: op, Final: true, Problem: "HTTP " + strconv.Itoa(status) +
			" redirect to " + strconv.Quote(resp.Header.Get("Location")) + " not followed: AWS answers these calls where they are sent"}
	case status < 200 || status >= 300:
		resp.Body = answer.Limit(resp.Body, errorAnswerLimit, op)
		return out, md, nil
	}
	limit := int64(otherAnswerLimit)
	if known {
		limit = spec.limit
	}
	body := answer.Limit(resp.Body, limit, op)
	if known && spec.largeAt > 0 {
		body = &gatedBody{ReadCloser: body, ctx: ctx, slots: g.large, before: spec.largeAt}
	}
	resp.Body = body
	if !known || spec.format == formatNone {
		return out, md, nil
	}
	head, readErr := readHead(body, spec.format)
	resp.Body = &replayBody{head: head, rest: body}
	if readErr != nil {
		return out, md, readErr
	}
	md.Set(answerHeadKey{}, head)
	if problem := headProblem(spec, service, resp.Header.Get("Content-Type"), head); problem != "" {
		e := &answer.Error{Operation: op, Problem: problem, Excerpt: answer.Excerpt(head)}
		if root, _ := rootOf(head, spec.format); spec.secret && root == spec.root {
			e.Excerpt = "" // the right document in the wrong wrapping may hold credentials
		}
		return out, md, e
	}
	return out, md, nil
}

// largeAnswers is how many answers of a scan may be read past their
// operation's largeAt at once (answerSpec): one. The SDK parses an answer
// as it reads it, so a ListBuckets page of 8 MiB is about 10 MiB of parsed
// buckets; with every account's ListBuckets answered by a page that never
// ends, 64 of them at once would be most of a GiB. Real answers that large
// (thousands of buckets in one account) are rare and wait their turn.
const largeAnswers = 1

// gatedBody holds one of the scan's large-answer slots from the moment
// more than before bytes were read until the body ends or is closed. A
// wait for the slot ends with ctx (the call's).
type gatedBody struct {
	io.ReadCloser
	ctx     context.Context
	slots   chan struct{}
	before  int64 // bytes that may be read without a slot
	holding bool
}

func (b *gatedBody) Read(p []byte) (int, error) {
	if b.before <= 0 && !b.holding {
		select {
		case b.slots <- struct{}{}:
			b.holding = true
		case <-b.ctx.Done():
			return 0, b.ctx.Err()
		}
	}
	if !b.holding && int64(len(p)) > b.before {
		p = p[:b.before]
	}
	n, err := b.ReadCloser.Read(p)
	b.before -= int64(n)
	if err != nil {
		b.release()
	}
	return n, err
}

func (b *gatedBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}

func (b *gatedBody) release() {
	if b.holding {
		b.holding = false
		<-b.slots
	}
}

// replayBody is a body whose first bytes (head) were already read: they
// are read again, then the rest. One allocation per answer, where a
// MultiReader of a bytes.Reader took four.
type replayBody struct {
	head []byte // not read again yet
	rest io.ReadCloser
}

func (b *replayBody) Read(p []byte) (int, error) {
	if len(b.head) > 0 {
		n := copy(p, b.head)
		b.head = b.head[n:]
		return n, nil
	}
	return b.rest.Read(p)
}

func (b *replayBody) Close() error { return b.rest.Close() }

// readHead reads the start of a body: until the root element (or the first
// byte of JSON) is known and at least headBytes are in, or the body ends.
func readHead(body io.Reader, format answerFormat) ([]byte, error) {
	head := make([]byte, 0, headBytes)
	for {
		if len(head) == cap(head) {
			head = append(head, 0)[:len(head)]
		}
		n, err := body.Read(head[len(head):cap(head)])
		head = head[:len(head)+n]
		if errors.Is(err, io.EOF) {
			return head, nil
		}
		if err != nil {
			return head, err
		}
		// The root is looked for only once headBytes are in: most answers
		// end before, and finding it costs a string.
		if len(head) >= maxHeadBytes || len(head) >= headBytes && rootKnown(head, format) {
			return head, nil
		}
	}
}

// headProblem says what is wrong with the start of a 2xx answer, "" when
// it starts like the document spec describes.
func headProblem(spec answerSpec, service, contentType string, head []byte) string {
	if spec.format == formatJSON {
		if root, _ := rootOf(head, formatJSON); root != "{" {
			xmlRoot, _ := answer.XMLRoot(head)
			mt, _, _ := mime.ParseMediaType(contentType)
			switch {
			case len(bytes.TrimSpace(head)) == 0:
				return "an empty answer where a JSON object was expected"
			case mt == "text/html" || strings.EqualFold(xmlRoot, "html") || xmlRoot == "!DOCTYPE":
				return "an HTML page where a JSON object was expected"
			}
			return "not a JSON object"
		}
		return ""
	}
	if contentType != "" && !isXMLMediaType(contentType) {
		what := "Content-Type " + contentType
		if mt, _, _ := mime.ParseMediaType(contentType); mt == "text/html" {
			what = "an HTML page (" + what + ")"
		}
		return what + " where a <" + spec.root + "> document was expected"
	}
	root, known := answer.XMLRoot(head)
	if root == "Error" && service == "S3" {
		// S3's error document sent with status 200: the SDK treats it as
		// a 500 (service/s3 internal/customizations), retried and reported
		// with S3's error code.
		return ""
	}
	return answer.RootProblem(head, root, known, spec.root)
}

// isXMLMediaType accepts application/xml, text/xml and any +xml type.
func isXMLMediaType(contentType string) bool {
	if contentType == "application/xml" || contentType == "text/xml" {
		return true // what S3 and STS send, without parsing (and its allocations)
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml"))
}

// rootOf finds what a document starts with: for JSON its first byte after
// white space, for XML its root element (answer.XMLRoot). known is false
// while head is too short to say.
func rootOf(head []byte, format answerFormat) (root string, known bool) {
	if format == formatJSON {
		b := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
		if len(b) == 0 {
			return "", false
		}
		return string(b[:1]), true
	}
	return answer.XMLRoot(head)
}

// rootKnown reports whether head is long enough for rootOf to say what it
// starts with.
func rootKnown(head []byte, format answerFormat) bool {
	_, known := rootOf(head, format)
	return known
}

// answerCheck: see the top of this file.
type answerCheck struct{}

func (answerCheck) ID() string { return "ownerscan.AnswerCheck" }

func (answerCheck) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
	middleware.DeserializeOutput, middleware.Metadata, error,
) {
	out, md, err := next.HandleDeserialize(ctx, in)
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if !ok || resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return out, md, err
	}
	op := awsmiddle.GetOperationName(ctx)
	spec, known := specFor(awsmiddle.GetServiceID(ctx), op)
	if !known || spec.format == formatNone {
		return out, md, err
	}
	excerpt := func() string {
		head, _ := md.Get(answerHeadKey{}).([]byte)
		if spec.secret {
			return ""
		}
		return answer.Excerpt(head)
	}
	if err != nil {
		if isTransportFailure(err) || errors.As(err, new(*answer.Error)) {
			return out, md, err
		}
		return out, md, &answer.Error{Operation: op, Problem: "the answer does not parse: " + err.Error(), Excerpt: excerpt()}
	}
	if spec.check != nil {
		if problem := spec.check(out.Result); problem != "" {
			return out, md, &answer.Error{Operation: op, Problem: problem, Excerpt: excerpt()}
		}
	}
	return out, md, nil
}

// isTransportFailure reports whether err is about the connection or the
// call's context, not about what the answer holds: those keep their own
// retry rules and wording.
func isTransportFailure(err error) bool {
	var conn interface{ ConnectionError() bool }
	var netErr net.Error
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &conn) || errors.As(err, &netErr)
}

// addAnswerGuards returns the APIOptions entry installing answerGuard and
// answerCheck, with large (made by newLargeAnswerSlots) shared by every
// client of a scan.
func addAnswerGuards(large chan struct{}) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		if err := s.Deserialize.Add(answerGuard{large: large}, middleware.After); err != nil {
			return err
		}
		return s.Deserialize.Insert(answerCheck{}, "OperationDeserializer", middleware.Before)
	}
}

// newLargeAnswerSlots makes the large-answer slots of one scan.
func newLargeAnswerSlots() chan struct{} { return make(chan struct{}, largeAnswers) }
