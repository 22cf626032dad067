package fakeaws

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const generateDoc = `
management_account: "111111111111"
generate:
  accounts: 10
  buckets_per_account: 4
  not_enforced_fraction: 0.25
  objects_per_bucket: 50
  foreign_fraction: 0.1
  regions: [us-east-1, eu-west-1]
  ous: 3
`

func TestGenerateLayout(t *testing.T) {
	sc := coreScenario(t, generateDoc)
	if len(sc.Accounts) != 11 || len(sc.Buckets) != 40 || len(sc.OrganizationalUnits) != 3 {
		t.Fatalf("%d accounts, %d buckets, %d OUs", len(sc.Accounts), len(sc.Buckets), len(sc.OrganizationalUnits))
	}
	first := sc.Accounts[1]
	if first.ID != "100000000001" || first.Name != "acct-0001" || first.OU != "generated-001" || sc.Accounts[4].OU != "generated-001" {
		t.Errorf("generated accounts %+v / %+v", first, sc.Accounts[4])
	}
	ownership := map[string]int{}
	regions := map[string]int{}
	for _, b := range sc.Buckets {
		ownership[b.Ownership]++
		regions[b.Region]++
		g := b.Generated
		if g == nil || g.Count != 50 || g.KeyPrefix != "data/" {
			t.Fatalf("bucket %s generated %+v", b.Name, g)
		}
		for uploader, f := range g.Foreign {
			if f != 0.1 || uploader == b.Account || len(b.Writers) != 1 || b.Writers[0] != uploader {
				t.Errorf("bucket %s foreign %v writers %v", b.Name, g.Foreign, b.Writers)
			}
		}
	}
	if sc.Buckets[0].Name != "gen-100000000001-0" {
		t.Errorf("first bucket %s", sc.Buckets[0].Name)
	}
	want := map[string]int{"BucketOwnerEnforced": 30, "ObjectWriter": 5, "BucketOwnerPreferred": 3, "unset": 2}
	if !reflect.DeepEqual(ownership, want) {
		t.Errorf("ownership mix %v, want %v", ownership, want)
	}
	if regions["us-east-1"] != 20 || regions["eu-west-1"] != 20 {
		t.Errorf("regions %v", regions)
	}
	if again := coreScenario(t, generateDoc); !reflect.DeepEqual(sc, again) {
		t.Error("Generate is not deterministic")
	}
}

func TestGenerateServesThroughSDK(t *testing.T) {
	srv := coreServe(t, coreScenario(t, generateDoc))
	ctx := context.Background()
	mgmt := coreAccountConfig(t, srv, "111111111111")
	p := organizations.NewListAccountsPaginator(coreOrgs(mgmt), &organizations.ListAccountsInput{})
	n := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Accounts)
	}
	if n != 11 {
		t.Errorf("ListAccounts saw %d accounts", n)
	}
	member := coreAssume(t, srv, mgmt, "arn:aws:iam::"+GeneratedAccountID(3)+":role/OrganizationAccountAccessRole")
	id, err := coreSTS(member).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || *id.Account != "100000000003" {
		t.Fatalf("member identity %v %v", id, err)
	}
	out, err := coreS3(member).ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(100)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Buckets) != 4 || *out.Buckets[0].Name != GeneratedBucketName("100000000003", 0) {
		t.Errorf("member buckets %d, first %s", len(out.Buckets), aws.ToString(out.Buckets[0].Name))
	}
}

// TestGenerateScaleIsCheap: generated objects are computed on demand, so a
// scenario of 20 billion objects costs what one of 20,000 costs at parse
// time. Allocations are compared, not wall time, which a loaded machine
// or -race would distort.
func TestGenerateScaleIsCheap(t *testing.T) {
	doc := func(objects int) []byte {
		return []byte(fmt.Sprintf(`
management_account: "111111111111"
generate: {accounts: 1000, buckets_per_account: 20, not_enforced_fraction: 0.2, objects_per_bucket: %d, foreign_fraction: 0.01, ous: 10}
`, objects))
	}
	allocs := func(objects int) float64 {
		return testing.AllocsPerRun(1, func() {
			sc, err := ParseScenario(doc(objects))
			if err != nil {
				t.Fatal(err)
			}
			if len(sc.Buckets) != 20_000 {
				t.Fatalf("%d buckets", len(sc.Buckets))
			}
		})
	}
	one, million := allocs(1), allocs(1_000_000)
	if million > 2*one { // per-object work would be billions
		t.Errorf("parse of 1,000 accounts x 20 buckets: %.0f allocations with 1e6 objects per bucket, %.0f with 1", million, one)
	}
	t.Logf("parse of 1,000 accounts x 20 buckets: %.0f allocations with 1e6 objects per bucket, %.0f with 1", million, one)
}

func BenchmarkParseGenerated(b *testing.B) {
	doc := []byte(fmt.Sprintf("management_account: \"111111111111\"\ngenerate: {accounts: %d, buckets_per_account: 20, not_enforced_fraction: 0.2, objects_per_bucket: 1000000, foreign_fraction: 0.01}\n", 1000))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseScenario(doc); err != nil {
			b.Fatal(err)
		}
	}
}
