package scanner

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ownerscan/ownerscan/internal/awspartition"
)

// slowDownIn answers 503 SlowDown, as S3 does when throttling, to every
// request signed for one region, and otherwise strips the region from
// 400 answers (so the lookup has to search the opt-in regions).
type slowDownIn struct{ region string }

func (s slowDownIn) Do(req *http.Request) (*http.Response, error) {
	if strings.Contains(req.Header.Get("Authorization"), "/"+s.region+"/s3/aws4_request") {
		return &http.Response{
			StatusCode: http.StatusServiceUnavailable,
			Header:     http.Header{"Content-Type": []string{"application/xml"}},
			Body:       io.NopCloser(strings.NewReader(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)),
			Request:    req,
		}, nil
	}
	return stripRegionOn{http.StatusBadRequest}.Do(req)
}

// With a regions allow list, a bucket is proved outside it only when every
// candidate region said "not here" (400, or 403 without a region). A
// candidate that could not answer (throttled past retries, here) proves
// nothing: the bucket must fail, never drop out of the report as out of
// scope.
func TestLookupRegionInconclusiveCandidateFails(t *testing.T) {
	srv := emulateYAML(t, `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: A, opt_in_regions: [me-south-1]}
buckets:
  - {name: bahrain-bucket, account: "111111111111", region: me-south-1}
`)
	part, _ := awspartition.Lookup("aws")
	s3For := emulatorS3For(srv, slowDownIn{"me-south-1"})
	r := &run{part: part, controlRegion: "us-east-1", opts: Options{Regions: []string{"me-south-1", "us-east-1"}}}
	got, err := r.lookupRegion(context.Background(), s3For, "bahrain-bucket", &bucketOutcome{})
	if errors.Is(err, errRegionOutOfScope) {
		t.Fatalf("a throttled candidate region proved the bucket out of scope: %v", err)
	}
	if err == nil || !strings.Contains(err.Error(), "SlowDown") {
		t.Fatalf("got %q, %v; want the lookup to fail naming SlowDown", got, err)
	}
}

// A HeadBucket that succeeds without naming the region was answered by
// the bucket's own region (any other answers 301 or 400): the region asked,
// not us-east-1, which only an empty GetBucketLocation constraint means.
func TestLookupRegionSuccessWithoutHeader(t *testing.T) {
	srv := emulateYAML(t, `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: A}
buckets:
  - {name: dublin-bucket, account: "111111111111", region: eu-west-1}
`)
	part, _ := awspartition.Lookup("aws")
	s3For := emulatorS3For(srv, stripRegionOn{})
	r := &run{part: part, controlRegion: "eu-west-1", opts: Options{Regions: []string{"eu-west-1"}}}
	got, err := r.lookupRegion(context.Background(), s3For, "dublin-bucket", &bucketOutcome{})
	if err != nil || got != "eu-west-1" {
		t.Fatalf("got %q, %v; want eu-west-1, the region that answered", got, err)
	}
}
