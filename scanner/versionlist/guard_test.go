package versionlist

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

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

// scriptedPages is a Lister answering a fixed sequence of pages (the last
// one again and again), for listings that do not advance.
func scriptedPages(pages ...*s3.ListObjectVersionsOutput) (Lister, *atomic.Int64) {
	var calls atomic.Int64
	return listerFunc(func(ctx context.Context, in *s3.ListObjectVersionsInput, _ ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
		i := min(int(calls.Add(1))-1, len(pages)-1)
		return pages[i], nil
	}), &calls
}

func versionsPage(truncated bool, nextKey, nextVer string, keys ...string) *s3.ListObjectVersionsOutput {
	out := &s3.ListObjectVersionsOutput{IsTruncated: aws.Bool(truncated), NextKeyMarker: aws.String(nextKey), NextVersionIdMarker: aws.String(nextVer)}
	for _, k := range keys {
		out.Versions = append(out.Versions, types.ObjectVersion{Key: aws.String(k), VersionId: aws.String(k + "-v")})
	}
	return out
}

// TestListingThatDoesNotAdvanceFails: markers that stay, go back, or come
// round again, and truncated pages without entries for ever, end the
// listing with an error after a few calls instead of running for ever.
func TestListingThatDoesNotAdvanceFails(t *testing.T) {
	empties := []*s3.ListObjectVersionsOutput{}
	for i := range 20 {
		empties = append(empties, versionsPage(true, fmt.Sprintf("k%03d", i), ""))
	}
	for _, tc := range []struct {
		name  string
		pages []*s3.ListObjectVersionsOutput
	}{
		{"same markers", []*s3.ListObjectVersionsOutput{versionsPage(true, "b", "2", "a", "b")}},
		{"markers go back", []*s3.ListObjectVersionsOutput{versionsPage(true, "b", "2", "a", "b"), versionsPage(true, "a", "1")}},
		{"version markers cycle", []*s3.ListObjectVersionsOutput{versionsPage(true, "b", "1", "a", "b"),
			versionsPage(true, "b", "2", "b"), versionsPage(true, "b", "3", "b"), versionsPage(true, "b", "1", "b")}},
		{"empty pages", empties},
	} {
		c, calls := scriptedPages(tc.pages...)
		err := ListAll(context.Background(), c, "bucket", Options{Parallelism: 1}, func(*Page) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "does not advance") && !strings.Contains(err.Error(), "listed after key-marker") {
			t.Errorf("%s: err %v", tc.name, err)
		}
		if n := calls.Load(); n > maxEmptyPages+1 {
			t.Errorf("%s: %d calls before giving up", tc.name, n)
		}
	}
	// Many versions of one key over many pages advance.
	var pages []*s3.ListObjectVersionsOutput
	for i := range 30 {
		pages = append(pages, versionsPage(true, "k", fmt.Sprint(i), "k"))
	}
	pages = append(pages, versionsPage(false, "", "", "k"))
	c, _ := scriptedPages(pages...)
	if err := ListAll(context.Background(), c, "bucket", Options{Parallelism: 1}, func(*Page) error { return nil }); err != nil {
		t.Errorf("one key over 31 pages: %v", err)
	}
}
