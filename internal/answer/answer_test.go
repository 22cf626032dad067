package answer

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestExcerpt(t *testing.T) {
	for in, want := range map[string]string{
		"":                                "",
		"  <html>\r\n\t<body> x</body>\n": "<html> <body> x</body>",
		"a\x00\x1b[31mb":                  "a [31mb",
		"bad \xff utf8":                   "bad \ufffd utf8",
		strings.Repeat("x", 200):          strings.Repeat("x", excerptRunes) + "…",
	} {
		if got := Excerpt([]byte(in)); got != want {
			t.Errorf("Excerpt(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestErrorText(t *testing.T) {
	e := &Error{Operation: "ListBuckets", Problem: "an empty answer"}
	if e.Error() != "ListBuckets: an empty answer" || !e.RetryableError() {
		t.Errorf("%q retryable %v", e.Error(), e.RetryableError())
	}
	e = &Error{Operation: "GetBucketAcl", Problem: "redirect", Excerpt: "<html>", Final: true}
	if e.Text() != "redirect; it began: <html>" || e.RetryableError() {
		t.Errorf("%q retryable %v", e.Text(), e.RetryableError())
	}
}

// TestLimit: a body of exactly the limit reads whole; one byte more is
// TooLarge, with the start of the body as excerpt.
func TestLimit(t *testing.T) {
	got, err := io.ReadAll(Limit(io.NopCloser(strings.NewReader("12345")), 5, "Op"))
	if err != nil || string(got) != "12345" {
		t.Fatalf("%q %v", got, err)
	}
	_, err = io.ReadAll(Limit(io.NopCloser(strings.NewReader("123456")), 5, "Op"))
	var ae *Error
	if !errors.As(err, &ae) || ae.Operation != "Op" || ae.Excerpt != "12345" || !strings.Contains(ae.Problem, "larger than 5 bytes") {
		t.Fatalf("%v", err)
	}
}

// endless is a reader that never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// TestAppendAll: the buffer never grows past the limit (plus a read's
// worth), and an answer past it is TooLarge.
func TestAppendAll(t *testing.T) {
	const limit = 1 << 20
	buf, err := AppendAll(nil, endless{}, limit, "Op")
	var ae *Error
	if !errors.As(err, &ae) || len(buf) <= limit || cap(buf) > limit+1 {
		t.Fatalf("len %d cap %d err %v", len(buf), cap(buf), err)
	}
	body := bytes.Repeat([]byte("y"), limit)
	buf, err = AppendAll([]byte("pre"), bytes.NewReader(body), limit, "Op")
	if err != nil || len(buf) != limit+3 || !bytes.Equal(buf[3:], body) {
		t.Fatalf("len %d err %v", len(buf), err)
	}
}

func TestXMLProblem(t *testing.T) {
	for head, want := range map[string]string{
		`<?xml version="1.0" encoding="UTF-8"?>` + "\n<R xmlns=\"x\"><A/></R>": "",
		"\xef\xbb\xbf<!-- c --><?pi x?>\n<s3:R>":                               "",
		"<R>":                                                                  "",
		"":                                                                     "an empty answer where a <R> document was expected",
		" \n ":                                                                 "an empty answer where a <R> document was expected",
		"<!DOCTYPE html><html>":                                                "an HTML page where a <R> document was expected",
		"<html><body>":                                                         "an HTML page where a <R> document was expected",
		"<Other/>":                                                             "root element <Other> where a <R> document was expected",
		`{"Accounts":[]}`:                                                      "not an XML document where a <R> document was expected",
		"<R":                                                                   "no complete XML root element in the first 2 bytes where a <R> document was expected",
		"<!-- never closed <R>":                                                "no complete XML root element in the first 21 bytes where a <R> document was expected",
	} {
		if got := XMLProblem([]byte(head), "R"); got != want {
			t.Errorf("XMLProblem(%q) = %q, want %q", head, got, want)
		}
	}
}

// FuzzXMLRoot: once XMLRoot knows the root of a prefix, more bytes never
// change it (answerGuard decides on the first bytes of a body).
func FuzzXMLRoot(f *testing.F) {
	for _, s := range []string{`<?xml version="1.0"?><R/>`, "<!--x--><a:B>", "<!DOCTYPE html>", "{}", "\xef\xbb\xbf <R", "<!-"} {
		f.Add([]byte(s), []byte("<more>"))
	}
	f.Fuzz(func(t *testing.T, head, more []byte) {
		root, known := XMLRoot(head)
		if !known {
			return
		}
		if r2, k2 := XMLRoot(append(append([]byte(nil), head...), more...)); !k2 || r2 != root {
			t.Fatalf("XMLRoot(%q) = %q, with %q after it %q (known %v)", head, root, more, r2, k2)
		}
	})
}
