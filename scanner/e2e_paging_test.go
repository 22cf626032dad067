package scanner

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
)

// pagingScenario has every paging path: 48 accounts (3 ListAccounts pages),
// 27 OUs under the root (2 pages) nested three deep, an account with more
// buckets than a (test-sized) ListBuckets page, and a bucket of 2,600
// versions (3 ListObjectVersions pages).
func pagingScenario() string {
	var sb strings.Builder
	sb.WriteString("management_account: \"111111111111\"\norganizational_units: [Deep, Deep/Deeper, Deep/Deeper/Deepest")
	for i := 1; i <= 26; i++ {
		fmt.Fprintf(&sb, ", OU%02d", i)
	}
	sb.WriteString(`]
accounts:
  - {id: "111111111111", name: Mgmt}
  - {id: "222222222222", name: Owner, ou: Deep/Deeper/Deepest}
  - {id: "333333333333", name: Writer, ou: Deep}
buckets:
  - name: big-versions
    account: "222222222222"
    ownership: ObjectWriter
    versioning: Enabled
    writers: ["333333333333"]
    generated: {count: 1300, versions_per_key: 2, foreign: {"333333333333": 0.1}}
`)
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&sb, "  - {name: writer-bucket-%d, account: \"333333333333\", region: %s}\n", i, []string{"us-east-1", "eu-west-1"}[i%2])
	}
	sb.WriteString("generate: {accounts: 45, buckets_per_account: 1, not_enforced_fraction: 0.2, objects_per_bucket: 3, ous: 2}\n")
	return sb.String()
}

// ouIDs reads the emulator's OU IDs by path, and the root ID, through the SDK.
func ouIDs(t *testing.T, cfg aws.Config) (root string, byPath map[string]string) {
	t.Helper()
	ctx := context.Background()
	api := organizations.NewFromConfig(cfg)
	roots, err := api.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	root = aws.ToString(roots.Roots[0].Id)
	byPath = map[string]string{}
	var walk func(parent, path string)
	walk = func(parent, path string) {
		p := organizations.NewListOrganizationalUnitsForParentPaginator(api, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parent)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, ou := range page.OrganizationalUnits {
				child := strings.TrimPrefix(path+"/"+aws.ToString(ou.Name), "/")
				byPath[child] = aws.ToString(ou.Id)
				walk(aws.ToString(ou.Id), child)
			}
		}
	}
	walk(root, "")
	return root, byPath
}

func TestE2EPagingEverywhere(t *testing.T) {
	srv := emulateYAML(t, pagingScenario())
	root, _ := ouIDs(t, awsConfigFor(srv))
	before := srv.Emulator.Counters().Total

	opts := DefaultOptions()
	opts.AccountsInclude = []string{root} // an OU/root filter: walks the tree and fills ou_path
	sink := &memorySink{}
	res, err := scanEmulatorErr(t, context.Background(), srv, opts, sink, WithListBucketsPageSize(2))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Accounts) != 48 || !res.Complete {
		t.Fatalf("accounts %d, complete %v", len(res.Accounts), res.Complete)
	}
	if a := accountByID(t, res, "222222222222"); a.OUPath != "Root/Deep/Deeper/Deepest" {
		t.Errorf("ou_path %q", a.OUPath)
	}
	if a := accountByID(t, res, "111111111111"); a.OUPath != "Root" {
		t.Errorf("ou_path %q", a.OUPath)
	}
	big := bucketByName(t, res, "big-versions")
	if big.ObjectsScanned != 2600 || big.ObjectScan != ObjectScanComplete || big.CrossAccountObjects == 0 {
		t.Fatalf("big-versions: %+v", big)
	}
	var recs int64
	for _, r := range sink.records {
		if r.Bucket == "big-versions" {
			recs++
			if r.OwnerAccountID != "333333333333" || r.OwnerAccountName != "Writer" {
				t.Fatalf("record: %+v", r)
			}
		}
	}
	if recs != big.CrossAccountObjects || big.ForeignOwners[0].Objects != recs {
		t.Errorf("records %d, cross-account %d", recs, big.CrossAccountObjects)
	}
	var writerBuckets int
	for _, b := range res.Buckets {
		if b.AccountID == "333333333333" {
			writerBuckets++
		}
	}
	if writerBuckets != 5 {
		t.Errorf("writer buckets over 3 ListBuckets pages: %d", writerBuckets)
	}
	c := srv.Emulator.Counters()
	if got := c.ByAccountOperation["222222222222"]["ListObjectVersions"]; got != 3 {
		t.Errorf("ListObjectVersions pages: %d", got)
	}
	if got := c.ByAccountOperation["333333333333"]["ListBuckets"]; got != 3 {
		t.Errorf("ListBuckets pages: %d", got)
	}
	if c.ByOperation["ListAccounts"] != 3 || c.ByOperation["ListOrganizationalUnitsForParent"] < 2 {
		t.Errorf("organization calls: %v", c.ByOperation)
	}
	if c.Total-before != res.Calls.MinCalls {
		t.Errorf("calls %d, min %d: %v", c.Total-before, res.Calls.MinCalls, c.ByOperation)
	}
}

func TestE2EFilters(t *testing.T) {
	srv := emulateYAML(t, pagingScenario())
	_, ous := ouIDs(t, awsConfigFor(srv))

	scope := func(opts Options) (accounts []string, buckets []string) {
		res, err := scanEmulatorErr(t, context.Background(), srv, opts, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range res.Accounts {
			accounts = append(accounts, a.ID+":"+string(a.Status))
		}
		for _, b := range res.Buckets {
			buckets = append(buckets, b.Name)
		}
		return
	}
	check := func(name string, opts Options, wantAccounts, wantBuckets string) {
		t.Helper()
		a, b := scope(opts)
		if got := strings.Join(a, ","); wantAccounts != "" && got != wantAccounts {
			t.Errorf("%s: accounts %s, want %s", name, got, wantAccounts)
		}
		if got := strings.Join(b, ","); wantBuckets != "" && got != wantBuckets {
			t.Errorf("%s: buckets %s, want %s", name, got, wantBuckets)
		}
	}

	o := DefaultOptions()
	o.AccountsInclude = []string{ous["Deep"]}
	check("OU subtree", o, "222222222222:scanned,333333333333:scanned", "")

	o = DefaultOptions()
	o.AccountsInclude = []string{ous["Deep"]}
	o.AccountsExclude = []string{ous["Deep/Deeper"]}
	check("OU exclude wins", o, "333333333333:scanned", "")

	o = DefaultOptions()
	o.AccountsInclude = []string{"222222222222", "Writ*"}
	check("ID and name glob", o, "222222222222:scanned,333333333333:scanned", "")

	o = DefaultOptions()
	o.AccountsInclude = []string{"Mgmt", "Writer"}
	o.IncludeManagementAccount = false
	check("management excluded", o, "111111111111:skipped,333333333333:scanned", "")

	o = DefaultOptions()
	o.AccountsInclude = []string{"Writer"}
	o.Regions = []string{"eu-west-1"}
	check("region", o, "", "writer-bucket-1,writer-bucket-3,writer-bucket-5")

	o = DefaultOptions()
	o.AccountsInclude = []string{"Writer"}
	o.BucketsInclude = []string{"writer-bucket-*"}
	o.BucketsExclude = []string{"*-2", "*-4"}
	check("bucket globs", o, "", "writer-bucket-1,writer-bucket-3,writer-bucket-5")
}

// objects.max_per_bucket cuts a listing short: truncated, with exactly the
// pages the limit needs.
func TestE2ETruncatedListing(t *testing.T) {
	srv := emulateYAML(t, pagingScenario())
	o := DefaultOptions()
	o.AccountsInclude = []string{"Owner"}
	o.MaxObjectsPerBucket = 1500
	res := scanEmulator(t, srv, o, nil)
	big := bucketByName(t, res, "big-versions")
	if big.ObjectScan != ObjectScanTruncated || big.ObjectsScanned != 1500 {
		t.Errorf("big-versions: %+v", big)
	}
	if got := srv.Emulator.Counters().ByAccountOperation["222222222222"]["ListObjectVersions"]; got != 2 {
		t.Errorf("pages: %d", got)
	}
	if !res.Complete {
		t.Error("a truncated listing is not a failure")
	}
	// Writer is outside the scope: its canonical ID is looked up once
	// (AssumeRole + ListBuckets) instead of calling it external.
	if fo := big.ForeignOwners; len(fo) != 1 || fo[0].External || fo[0].AccountID != "333333333333" || fo[0].AccountName != "Writer" {
		t.Errorf("out-of-scope owner: %+v", fo)
	}
}
