package fakeaws

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"net/http/httputil"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// recordingClient passes requests on and keeps each as sent on the wire.
type recordingClient struct {
	next *http.Client
	mu   sync.Mutex
	raw  [][]byte
}

func (c *recordingClient) Do(r *http.Request) (*http.Response, error) {
	dump, err := httputil.DumpRequestOut(r, true)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.raw = append(c.raw, dump)
	c.mu.Unlock()
	return c.next.Do(r)
}

// BenchmarkServeScanCalls measures the emulator's side of the calls a scan
// makes most (GetBucketOwnershipControls, GetObjectAcl, GetBucketAcl,
// GetBucketPolicy, ListObjectVersions), SigV4 verification included: real
// SDK-signed requests, read as the server reads them, served by
// Emulator.ServeHTTP without a network. ns/op and allocs/op are per call.
func BenchmarkServeScanCalls(b *testing.B) {
	srv := coreServe(b, coreScenario(b, `
management_account: "111111111111"
accounts: [{id: "111111111111", name: Mgmt}]
generate: {accounts: 2, buckets_per_account: 4, not_enforced_fraction: 1, objects_per_bucket: 20, foreign_fraction: 0.1}
`))
	sc := srv.Emulator.Scenario()
	bucket := sc.Buckets[0]
	rec := &recordingClient{next: http.DefaultClient}
	cfg := coreAccountConfig(b, srv, bucket.Account)
	cfg.Region = bucket.Region
	cfg.HTTPClient = rec
	c := coreS3(cfg)
	ctx := context.Background()
	name := aws.String(bucket.Name)
	page, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: name})
	if err != nil || len(page.Versions) == 0 {
		b.Fatalf("ListObjectVersions: %v", err)
	}
	v := page.Versions[0]
	if _, err := c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: name}); err != nil {
		b.Fatal(err)
	}
	if _, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: name, Key: v.Key, VersionId: v.VersionId}); err != nil {
		b.Fatal(err)
	}
	if _, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: name}); err != nil {
		b.Fatal(err)
	}
	_, _ = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: name}) // NoSuchBucketPolicy is an answer too
	var reqs []*http.Request
	for _, raw := range rec.raw {
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			b.Fatal(err)
		}
		r.RemoteAddr = "127.0.0.1:1"
		reqs = append(reqs, r)
	}
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		clear(w.h)
		srv.Emulator.ServeHTTP(w, reqs[i%len(reqs)])
	}
}
