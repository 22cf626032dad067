package fakeaws

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ownerless counts the listed entries without Owner, over every page of
// pages of maxKeys entries, and returns the keys+versions that had none.
func ownerless(t *testing.T, c *s3.Client, bucket string, maxKeys int32) (total int, dropped map[string]bool) {
	t.Helper()
	dropped = map[string]bool{}
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), MaxKeys: aws.Int32(maxKeys)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range out.Versions {
			total++
			if v.Owner == nil {
				dropped[aws.ToString(v.Key)+"@"+aws.ToString(v.VersionId)] = true
			}
		}
		for _, m := range out.DeleteMarkers {
			total++
			if m.Owner == nil {
				dropped[aws.ToString(m.Key)+"@"+aws.ToString(m.VersionId)] = true
			}
		}
	}
	return total, dropped
}

// faults.drop_owner leaves Owner out of some listed entries: the same ones
// whatever the page size, only in the buckets it names, all of them with a
// bucket list and no rate.
func TestDropOwnerFault(t *testing.T) {
	srv := coreServe(t, coreScenario(t, `
management_account: "111111111111"
accounts: [{id: "111111111111"}]
buckets:
  - name: half
    account: "111111111111"
    versioning: Enabled
    objects:
      - {key: a, versions: 30}
      - {key: b, versions: 30, delete: true}
    generated: {count: 200, key_prefix: "g/", versions_per_key: 2}
  - {name: all, account: "111111111111", objects: [{key: x}, {key: y}]}
  - {name: untouched, account: "111111111111", objects: [{key: x}]}
faults:
  drop_owner: {rate: 0.5, buckets: [half]}
`))
	c := coreS3(coreAccountConfig(t, srv, "111111111111"))
	total, big := ownerless(t, c, "half", 1000)
	_, small := ownerless(t, c, "half", 7)
	if len(big) == 0 || len(big) == total || len(big) != len(small) {
		t.Fatalf("dropped %d of %d with 1000-key pages, %d with 7-key pages", len(big), total, len(small))
	}
	for k := range big {
		if !small[k] {
			t.Fatalf("%s lost its owner in one paging but not the other", k)
		}
	}
	if n, d := ownerless(t, c, "untouched", 1000); n != 1 || len(d) != 0 {
		t.Errorf("untouched bucket: %d entries, %d without owner", n, len(d))
	}

	srv = coreServe(t, coreScenario(t, `
management_account: "111111111111"
accounts: [{id: "111111111111"}]
buckets:
  - {name: all, account: "111111111111", objects: [{key: x}, {key: y}]}
  - {name: other, account: "111111111111", objects: [{key: x}]}
faults:
  drop_owner: {buckets: [all]}
`))
	c = coreS3(coreAccountConfig(t, srv, "111111111111"))
	if n, d := ownerless(t, c, "all", 1000); n != 2 || len(d) != 2 {
		t.Errorf("bucket list without rate: %d entries, %d without owner", n, len(d))
	}
	if _, d := ownerless(t, c, "other", 1000); len(d) != 0 {
		t.Errorf("a bucket not listed lost owners: %v", d)
	}
}
