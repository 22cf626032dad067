package fakeaws

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Accounts of the S3 test organization: A manages, B owns buckets, C writes
// into B's buckets (the motivating story), D is an unrelated member.
const (
	acctA = "111111111111"
	acctB = "222222222222"
	acctC = "333333333333"
	acctD = "444444444444"
)

// externalOwner is a canonical ID outside the organization.
const externalOwner = "e0e1e2e3e4e5e6e7e8e9eaebecedeeefe0e1e2e3e4e5e6e7e8e9eaebecedeeef"

// s3TestScenario is an organization of A..D with the given buckets.
func s3TestScenario(buckets ...BucketSpec) *Scenario {
	return &Scenario{
		ManagementAccount: acctA,
		Accounts: []AccountSpec{
			{ID: acctA, Name: "AccountA"},
			{ID: acctB, Name: "AccountB"},
			{ID: acctC, Name: "AccountC"},
			{ID: acctD, Name: "AccountD"},
		},
		Buckets: buckets,
	}
}

// s3Env is a running emulator and SDK clients for its accounts.
type s3Env struct {
	t   testing.TB
	srv *Server
}

func newS3Env(t testing.TB, sc *Scenario) *s3Env {
	t.Helper()
	srv, err := NewServer(sc, "")
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return &s3Env{t: t, srv: srv}
}

// client is a path-style S3 client signing as account in region (default
// us-east-1), with one attempt so errors reach the test unretried.
func (e *s3Env) client(account string, region ...string) *s3.Client {
	e.t.Helper()
	id, secret, ok := e.srv.Emulator.CredentialsFor(account)
	if !ok {
		e.t.Fatalf("no credentials for %s", account)
	}
	r := "us-east-1"
	if len(region) > 0 {
		r = region[0]
	}
	cfg := aws.Config{
		Region:           r,
		Credentials:      credentials.NewStaticCredentialsProvider(id, secret, ""),
		BaseEndpoint:     aws.String(e.srv.URL),
		RetryMaxAttempts: 1,
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

// virtualHostClient addresses buckets as {bucket}.localhost:port, dialing
// the emulator whatever the host name.
func (e *s3Env) virtualHostClient(account string) *s3.Client {
	e.t.Helper()
	id, secret, _ := e.srv.Emulator.CredentialsFor(account)
	addr := e.srv.Addr()
	_, port, _ := net.SplitHostPort(addr)
	dialer := &net.Dialer{}
	httpClient := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		},
	}}
	cfg := aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(id, secret, ""),
		BaseEndpoint:     aws.String("http://localhost:" + port),
		RetryMaxAttempts: 1,
		HTTPClient:       httpClient,
	}
	return s3.NewFromConfig(cfg)
}

// errCode returns the API error code of err, failing when err is nil or
// not an API error.
func errCode(t testing.TB, err error) string {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("want an API error, got %v", err)
	}
	return apiErr.ErrorCode()
}

// wantErr checks an error's code and HTTP status.
func wantErr(t testing.TB, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s (%d), got success", code, status)
	}
	if got := errCode(t, err); got != code {
		t.Fatalf("want error code %s, got %s (%v)", code, got, err)
	}
	if got := httpStatus(err); got != status {
		t.Fatalf("want HTTP %d for %s, got %d", status, code, got)
	}
}

// httpStatus is the HTTP status of an SDK error, or 0.
func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// responseHeader is a header of the response an SDK error came from.
func responseHeader(err error, name string) string {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.Header.Get(name)
	}
	return ""
}

func put(t testing.TB, c *s3.Client, bucket, key, body string, optFns ...func(*s3.PutObjectInput)) *s3.PutObjectOutput {
	t.Helper()
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}
	for _, f := range optFns {
		f(in)
	}
	out, err := c.PutObject(context.Background(), in)
	if err != nil {
		t.Fatalf("PutObject %s/%q: %v", bucket, key, err)
	}
	return out
}

func getBody(t testing.TB, c *s3.Client, bucket, key string) string {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject %s/%q: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}

// listAllVersions pages ListObjectVersions with the SDK paginator.
func listAllVersions(t testing.TB, c *s3.Client, in *s3.ListObjectVersionsInput) (versions []versionEntry, pages int) {
	t.Helper()
	p := s3.NewListObjectVersionsPaginator(c, in)
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListObjectVersions page %d: %v", pages+1, err)
		}
		pages++
		// The SDK keeps Version and DeleteMarker apart; S3 order is key,
		// then newest first, which LastModified reproduces for one key.
		for _, v := range out.Versions {
			versions = append(versions, versionEntry{key: aws.ToString(v.Key), id: aws.ToString(v.VersionId),
				latest: aws.ToBool(v.IsLatest), owner: aws.ToString(v.Owner.ID), size: aws.ToInt64(v.Size)})
		}
		for _, m := range out.DeleteMarkers {
			versions = append(versions, versionEntry{key: aws.ToString(m.Key), id: aws.ToString(m.VersionId),
				latest: aws.ToBool(m.IsLatest), owner: aws.ToString(m.Owner.ID), marker: true})
		}
	}
	return versions, pages
}

// versionEntry is one listed version or delete marker.
type versionEntry struct {
	key, id, owner string
	latest, marker bool
	size           int64
}

// ownerOf returns the owner listed for the latest version of key.
func ownerOf(t testing.TB, c *s3.Client, bucket, key string) string {
	t.Helper()
	vs, _ := listAllVersions(t, c, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(key)})
	for _, v := range vs {
		if v.key == key && v.latest {
			return v.owner
		}
	}
	t.Fatalf("no latest version of %q listed", key)
	return ""
}
