package fakeaws

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestBucketsCountsWhatListingsShow: Buckets counts every version and
// delete marker, stored and generated, as a full listing shows them.
func TestBucketsCountsWhatListingsShow(t *testing.T) {
	srv := coreServe(t, coreScenario(t, `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
  - {id: "222222222222", name: B}
buckets:
  - name: mixed
    account: "111111111111"
    ownership: ObjectWriter
    versioning: Enabled
    writers: ["222222222222"]
    objects:
      - {key: a, versions: 3}
      - {key: a, delete: true}
      - {key: "data/0005x", uploader: "222222222222"}
    generated: {count: 1234, key_prefix: "data/", versions_per_key: 2}
  - {name: empty, account: "222222222222", ownership: BucketOwnerEnforced, region: eu-west-1}
`))
	want := map[string]int64{"mixed": 3 + 1 + 1 + 2*1234, "empty": 0}
	got := srv.Emulator.Buckets()
	if len(got) != 2 || got[0].Name != "empty" || got[1].Name != "mixed" {
		t.Fatalf("Buckets() = %+v", got)
	}
	if c := got[0]; c.Account != "222222222222" || c.Region != "eu-west-1" || c.Ownership != "BucketOwnerEnforced" {
		t.Errorf("empty: %+v", c)
	}
	for _, c := range got {
		if c.Versions != want[c.Name] {
			t.Errorf("%s: %d versions, want %d", c.Name, c.Versions, want[c.Name])
		}
		cfg := coreAccountConfig(t, srv, c.Account)
		cfg.Region = c.Region
		owner := coreS3(cfg)
		listed := int64(0)
		p := s3.NewListObjectVersionsPaginator(owner, &s3.ListObjectVersionsInput{Bucket: aws.String(c.Name)})
		for p.HasMorePages() {
			page, err := p.NextPage(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			listed += int64(len(page.Versions) + len(page.DeleteMarkers))
		}
		if listed != c.Versions {
			t.Errorf("%s: Buckets counts %d versions, a listing shows %d", c.Name, c.Versions, listed)
		}
	}
}
