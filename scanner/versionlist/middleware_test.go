package versionlist

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

const accessDenied = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>REQ1</RequestId><HostId>HOST1</HostId></Error>`

// TestFallbackOnError: a non-2xx answer reaches the SDK's deserializer
// untouched, so the error is the SDK's (code, status, request ID).
func TestFallbackOnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(accessDenied))
	}))
	defer srv.Close()
	c := newTestClient(srv.URL)
	_, _, fastErr := listOnce(c, false)
	_, _, sdkErr := listOnce(c, true)
	for _, err := range []error{fastErr, sdkErr} {
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "AccessDenied" {
			t.Fatalf("want AccessDenied, got %v", err)
		}
	}
	if fastErr.Error() != sdkErr.Error() {
		t.Errorf("errors differ:\n fast %v\n sdk  %v", fastErr, sdkErr)
	}
}

// TestRetriesStillWork: a throttled first attempt is retried by the SDK and
// the retry's page is fast-decoded.
func TestRetriesStillWork(t *testing.T) {
	var calls atomic.Int64
	page := genPageFixed(3)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`<Error><Code>SlowDown</Code><Message>slow</Message></Error>`))
			return
		}
		w.Write(page)
	}))
	defer srv.Close()
	p, fast, err := listOnce(newTestClient(srv.URL), false)
	if err != nil || !fast || len(p.Entries) != 3 || calls.Load() != 2 {
		t.Fatalf("entries %d fast %v err %v calls %d", len(p.Entries), fast, err, calls.Load())
	}
}

// TestFallbackOnRefusedPage: a 200 page outside the fast subset (CDATA, a
// namespace prefix) is decoded by the SDK from the buffered body.
func TestFallbackOnRefusedPage(t *testing.T) {
	cs := newCannedServer(t)
	cs.set([]byte(`<?xml version="1.0"?><ListVersionsResult xmlns:s3="x"><IsTruncated>1</IsTruncated>` +
		`<NextKeyMarker>k</NextKeyMarker><Version><Key><![CDATA[a<b]]></Key><VersionId>v1</VersionId><Size>7</Size>` +
		`<Owner><s3:ID>owner</s3:ID></Owner></Version><DeleteMarker><Key>a&lt;b</Key><VersionId>v0</VersionId></DeleteMarker></ListVersionsResult>`))
	c := newTestClient(cs.URL)
	p, fast, err := listOnce(c, false)
	if err != nil || fast {
		t.Fatalf("fast %v err %v", fast, err)
	}
	want := []Entry{
		{Key: "a<b", VersionID: "v1", Size: 7, HasOwner: true, OwnerID: "owner"},
		{Key: "a<b", VersionID: "v0", IsDeleteMarker: true},
	}
	if len(p.Entries) != 2 || p.Entries[0] != want[0] || p.Entries[1] != want[1] || !p.IsTruncated || p.NextKeyMarker != "k" {
		t.Fatalf("got %+v", p)
	}
}

// TestFallbackOnMalformedPage: a 200 page neither decoder understands gives
// the SDK's deserialization error.
func TestFallbackOnMalformedPage(t *testing.T) {
	cs := newCannedServer(t)
	cs.set([]byte(`<ListVersionsResult><Version><Size>x</Size></Version></ListVersionsResult>`))
	c := newTestClient(cs.URL, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	_, _, fastErr := listOnce(c, false)
	_, _, sdkErr := listOnce(c, true)
	var de *smithy.DeserializationError
	if !errors.As(fastErr, &de) || sdkErr == nil || fastErr.Error() != sdkErr.Error() {
		t.Fatalf("fast %v\nsdk %v", fastErr, sdkErr)
	}
}

// TestNonSDKLister: a Lister that is not an SDK client gets converted pages.
func TestNonSDKLister(t *testing.T) {
	f := listerFunc(func(ctx context.Context, in *s3.ListObjectVersionsInput, _ ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
		return &s3.ListObjectVersionsOutput{
			Versions: []types.ObjectVersion{{Key: aws.String("b"), VersionId: aws.String("2")}, {Key: aws.String("d"), VersionId: aws.String("4")}},
			DeleteMarkers: []types.DeleteMarkerEntry{{Key: aws.String("a"), VersionId: aws.String("1")},
				{Key: aws.String("c"), VersionId: aws.String("3")}},
		}, nil
	})
	p, err := ListPage(context.Background(), f, &s3.ListObjectVersionsInput{Bucket: aws.String("b")})
	if err != nil {
		t.Fatal(err)
	}
	var got string
	for _, e := range p.Entries {
		got += e.Key
	}
	if got != "abcd" {
		t.Fatalf("merged order %q", got)
	}
}

type listerFunc func(ctx context.Context, in *s3.ListObjectVersionsInput, optFns ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)

func (f listerFunc) ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, optFns ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	return f(ctx, in, optFns...)
}
