package scanner

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"testing"

	"github.com/ownerscan/ownerscan/internal/awspartition"
)

// oneHomeBucket is an organization of one account with one bucket in
// us-east-1.
const oneHomeBucket = `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: A}
buckets:
  - {name: home-bucket, account: "111111111111", region: us-east-1}
`

// moonRegionOn rewrites the region a HeadBucket success names to one of no
// partition.
type moonRegionOn struct{}

func (moonRegionOn) Do(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusOK {
		resp.Header.Set("x-amz-bucket-region", "moon-1")
	}
	return resp, err
}

// A region lookup believes a region only when it is one of the caller's
// partition: "moon-1" from HeadBucket fails the lookup rather than place
// the bucket outside the allow list.
func TestLookupRegionRefusesARegionOfNoPartition(t *testing.T) {
	srv := emulateYAML(t, oneHomeBucket)
	part, _ := awspartition.Lookup("aws")
	r := &run{part: part, controlRegion: "us-east-1", opts: Options{Regions: []string{"us-east-1"}}}
	got, err := r.lookupRegion(context.Background(), emulatorS3For(srv, moonRegionOn{}), "home-bucket", &bucketOutcome{})
	if err == nil {
		t.Fatalf("got region %q, want an error naming moon-1", got)
	}
}

// A ListBuckets answer naming a region of no partition for a bucket does
// not drop the bucket under a regions allow list: the region is looked up
// (HeadBucket names us-east-1) and the bucket scanned.
func TestListBucketsRegionOfNoPartitionIsLookedUp(t *testing.T) {
	srv := emulateYAML(t, oneHomeBucket)
	target, _ := url.Parse(srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Method != http.MethodGet || resp.Request.URL.Path != "/" || resp.StatusCode != http.StatusOK {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		body = bytes.ReplaceAll(body, []byte("<BucketRegion>us-east-1</BucketRegion>"), []byte("<BucketRegion>moon-1</BucketRegion>"))
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	front := httptest.NewServer(proxy)
	t.Cleanup(front.Close)
	cfg := awsConfigFor(srv)
	cfg.BaseEndpoint = &front.URL
	opts := DefaultOptions()
	opts.Regions = []string{"us-east-1"}
	s, err := New(cfg, opts, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Scan(context.Background(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Buckets) != 1 || res.Buckets[0].Name != "home-bucket" || res.Buckets[0].Region != "us-east-1" {
		t.Fatalf("buckets %+v, want home-bucket in us-east-1", res.Buckets)
	}
}
