package scanner

import (
	"fmt"
	"strings"
	"testing"
)

// TestCrossAccountDetailNamesAtMostTenOwners: a bucket written by many
// accounts gives a finding whose text names the ten largest owners, largest
// first, and counts the rest, while the bucket keeps every owner.
func TestCrossAccountDetailNamesAtMostTenOwners(t *testing.T) {
	b := Bucket{Name: "shared", AccountID: "111111111111", Status: BucketNoncompliant}
	for i := range 25 {
		b.ForeignOwners = append(b.ForeignOwners, ForeignOwner{
			CanonicalID: fmt.Sprintf("%064d", i), AccountID: fmt.Sprintf("2%011d", i),
			Objects: int64(i + 1), Bytes: int64(10 * (i + 1)), SampleKeys: []string{fmt.Sprintf("k%02d", i)},
		})
		b.CrossAccountObjects += int64(i + 1)
	}
	var detail string
	for _, f := range bucketFindings(b, membership{}, "aws") {
		if f.Type == FindingCrossAccountObjects {
			detail = f.Detail
		}
	}
	if detail == "" {
		t.Fatal("no CROSS_ACCOUNT_OBJECTS finding")
	}
	for i := range 25 {
		named := strings.Contains(detail, fmt.Sprintf("e.g. k%02d", i))
		if want := i >= 15; named != want {
			t.Errorf("owner %d (%d versions): named %v, want %v", i, i+1, named, want)
		}
	}
	if first, second := strings.Index(detail, "e.g. k24"), strings.Index(detail, "e.g. k23"); first < 0 || second < first {
		t.Errorf("the largest owner is not named first: %q", detail)
	}
	if !strings.Contains(detail, "and 15 more owner(s)") {
		t.Errorf("the rest are not counted: %q", detail)
	}
	if len(b.ForeignOwners) != 25 {
		t.Errorf("the bucket lost owners: %d", len(b.ForeignOwners))
	}
}
