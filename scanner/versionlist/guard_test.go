package versionlist

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ownerscan/ownerscan/internal/answer"
)

// TestNotAPageIsAnError: a 200 answer that is not a ListObjectVersions page
// (an HTML page, an empty body, another document, a page without
// IsTruncated) fails the call with an answer.Error naming the operation,
// through the fast path and the SDK-only path alike; never an empty page.
func TestNotAPageIsAnError(t *testing.T) {
	for name, body := range map[string]string{
		"html":           `<!DOCTYPE html><html><head><title>Sign in</title></head><body>Portal</body></html>`,
		"empty":          ``,
		"other root":     `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><IsTruncated>false</IsTruncated></ListBucketResult>`,
		"no IsTruncated": `<ListVersionsResult><Name>b</Name></ListVersionsResult>`,
	} {
		cs := newCannedServer(t)
		cs.set([]byte(body))
		c := newTestClient(cs.URL, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
		p, _, err := listOnce(c, false)
		var ae *answer.Error
		if !errors.As(err, &ae) || ae.Operation != "ListObjectVersions" || !ae.RetryableError() {
			t.Errorf("%s: page %+v, error %v; want a retryable answer.Error", name, p, err)
		}
	}
}

// TestAnswerErrorIsRetried: an HTML answer is retried like a 5xx; the
// next, valid page is used.
func TestAnswerErrorIsRetried(t *testing.T) {
	var calls atomic.Int64
	page := genPageFixed(3)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html><body>proxy error</body></html>"))
			return
		}
		w.Write(page)
	}))
	defer srv.Close()
	p, _, err := listOnce(newTestClient(srv.URL), false)
	if err != nil || len(p.Entries) != 3 || calls.Load() != 2 {
		t.Fatalf("entries %d, err %v, calls %d", len(p.Entries), err, calls.Load())
	}
}

// TestEndlessPageStops: a well-formed page that never ends is read up to
// MaxPageBytes, no further, and fails the call.
func TestEndlessPageStops(t *testing.T) {
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		n, _ := w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult><IsTruncated>false</IsTruncated>`))
		sent.Add(int64(n))
		for i := 0; r.Context().Err() == nil; i++ {
			n, err := fmt.Fprintf(w, `<Version><Key>k%09d</Key><VersionId>v</VersionId><IsLatest>true</IsLatest><Size>1</Size><Owner><ID>o</ID></Owner></Version>`, i)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c := newTestClient(srv.URL, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	_, _, err := listOnce(c, false)
	var ae *answer.Error
	if !errors.As(err, &ae) || !strings.Contains(ae.Problem, "larger than 8 MiB") {
		t.Fatalf("err %v, want the page refused as too large", err)
	}
	srv.CloseClientConnections()
	if n := sent.Load(); n > 2*MaxPageBytes {
		t.Errorf("the server wrote %d bytes before the client hung up", n)
	}
}
