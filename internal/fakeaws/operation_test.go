package fakeaws

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRequestOperation: the operation of each service's request is named
// as the counters name it, and a control-plane body is left to be read.
func TestRequestOperation(t *testing.T) {
	const scope = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/%s/aws4_request, SignedHeaders=host, Signature=00"
	sign := func(r *http.Request, service string) *http.Request {
		r.Header.Set("Authorization", strings.Replace(scope, "%s", service, 1))
		return r
	}
	sts := sign(httptest.NewRequest("POST", "/", strings.NewReader("Action=AssumeRole&Version=2011-06-15")), "sts")
	sts.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	org := sign(httptest.NewRequest("POST", "/", strings.NewReader(`{"MaxResults":20}`)), "organizations")
	org.Header.Set("X-Amz-Target", "AWSOrganizationsV20161128.ListAccounts")
	for _, tc := range []struct {
		r                         *http.Request
		service, op, bucket, body string
	}{
		{sign(httptest.NewRequest("GET", "/?x-id=ListBuckets", nil), "s3"), "s3", "ListBuckets", "", ""},
		{sign(httptest.NewRequest("GET", "/b1?acl=", nil), "s3"), "s3", "GetBucketAcl", "b1", ""},
		{sign(httptest.NewRequest("GET", "/b1?versions=&max-keys=1000", nil), "s3"), "s3", "ListObjectVersions", "b1", ""},
		{sts, "sts", "AssumeRole", "", "Action=AssumeRole&Version=2011-06-15"},
		{org, "organizations", "ListAccounts", "", `{"MaxResults":20}`},
	} {
		service, op, bucket := RequestOperation(tc.r)
		body, _ := io.ReadAll(tc.r.Body)
		if service != tc.service || op != tc.op || bucket != tc.bucket || string(body) != tc.body {
			t.Errorf("%s %s: %s %s %s, body %q", tc.r.Method, tc.r.URL, service, op, bucket, body)
		}
	}
}

// TestRequestOperationKeepsOversizedBody: a control-plane body past the
// emulator's limit is still put back whole, so a proxy that classified
// the request forwards what the client sent rather than its tail.
func TestRequestOperationKeepsOversizedBody(t *testing.T) {
	want := "Action=AssumeRole&Version=2011-06-15&Policy=" + strings.Repeat("x", maxControlBody)
	r := httptest.NewRequest("POST", "/", strings.NewReader(want))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00")
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if service, _, _ := RequestOperation(r); service != "sts" {
		t.Fatalf("service %q", service)
	}
	got, err := io.ReadAll(r.Body)
	if err != nil || string(got) != want {
		t.Errorf("body after RequestOperation: %d bytes (want %d), %v", len(got), len(want), err)
	}
}
