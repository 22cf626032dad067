package scanner_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"golang.org/x/sync/errgroup"

	"github.com/ownerscan/ownerscan/internal/mototest"
	"github.com/ownerscan/ownerscan/scanner"
)

// motoScanBucket is a bucket of the moto organization and what the scan must
// conclude about it.
type motoScanBucket struct {
	account string // member name; "" = management
	mototest.Bucket
	wantOwnership scanner.ObjectOwnership
	wantStatus    scanner.BucketStatus
	wantObjects   int64 // versions and delete markers listed (0 when enforced)
}

// motoScanOrg is a small organization covering every ownership setting, a
// bucket outside us-east-1, a public-read grant and a versioned bucket with
// a delete marker.
func motoScanOrg() []motoScanBucket {
	objs := func(prefix string, n int) []mototest.Object {
		var out []mototest.Object
		for i := 0; i < n; i++ {
			out = append(out, mototest.Object{Key: fmt.Sprintf("%s/%03d", prefix, i), Size: 10 + i})
		}
		return out
	}
	return []motoScanBucket{
		{"", mototest.Bucket{Name: "scan-mgmt-enforced", Ownership: "BucketOwnerEnforced", Objects: objs("m", 2)},
			scanner.OwnershipEnforced, scanner.BucketCompliant, 0},
		{"Alpha", mototest.Bucket{Name: "scan-alpha-enforced", Ownership: "BucketOwnerEnforced", Objects: objs("e", 3)},
			scanner.OwnershipEnforced, scanner.BucketCompliant, 0},
		{"Alpha", mototest.Bucket{Name: "scan-alpha-preferred", Ownership: "BucketOwnerPreferred", PublicRead: true, Objects: objs("p", 3)},
			scanner.OwnershipPreferred, scanner.BucketNoncompliant, 3},
		{"Beta", mototest.Bucket{Name: "scan-beta-writer", Ownership: "ObjectWriter", Versioned: true, Objects: append(objs("w", 4),
			mototest.Object{Key: "w/000", Size: 5}, mototest.Object{Key: "w/001", Delete: true})},
			scanner.OwnershipObjectWriter, scanner.BucketNoncompliant, 4 + 1 + 1},
		{"Beta", mototest.Bucket{Name: "scan-beta-notset", Objects: objs("n", 2)},
			scanner.OwnershipNotSet, scanner.BucketNoncompliant, 2},
		{"Gamma", mototest.Bucket{Name: "scan-gamma-eu", Region: "eu-west-1", Ownership: "ObjectWriter", Objects: objs("eu", 2)},
			scanner.OwnershipObjectWriter, scanner.BucketNoncompliant, 2},
		{"Gamma", mototest.Bucket{Name: "scan-gamma-empty", Ownership: "BucketOwnerPreferred"},
			scanner.OwnershipPreferred, scanner.BucketNoncompliant, 0},
	}
}

// motoSeedConcurrency bounds how many buckets are seeded at once.
const motoSeedConcurrency = 4

// recordingSink keeps every cross-account object record the scan emits.
type recordingSink struct{ records []scanner.ObjectRecord }

func (s *recordingSink) WriteObject(r scanner.ObjectRecord) error {
	s.records = append(s.records, r)
	return nil
}

// syncBuffer collects log output from the scanner's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestMotoScan scans an organization seeded in moto, an AWS emulator written
// independently of ours, through the real SDK. moto gives every object the
// bucket ACL's owner, so the scan must find exactly the buckets that are not
// enforced and no cross-account objects at all. It also exercises what moto
// does differently from fakeaws: no BucketRegion in ListBuckets (the scanner
// falls back to HeadBucket), random account IDs, and a ListBuckets Owner.ID
// that is the same for every account and differs from the ACL owner.
func TestMotoScan(t *testing.T) {
	srv := mototest.Start(t)
	ctx := context.Background()
	org, err := srv.CreateOrganization(ctx, "Alpha", "Beta", "Gamma")
	if err != nil {
		t.Fatal(err)
	}
	mgmt := srv.ManagementConfig()
	configs := map[string]aws.Config{"": mgmt}
	for name, id := range org.Members {
		if configs[name], err = mototest.AssumeRoleConfig(ctx, mgmt, mototest.MemberRoleARN(id)); err != nil {
			t.Fatal(err)
		}
	}
	buckets := motoScanOrg()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(motoSeedConcurrency)
	for _, b := range buckets {
		g.Go(func() error { return mototest.CreateBucket(gctx, configs[b.account], b.Bucket) })
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}

	var logs syncBuffer
	s, err := scanner.New(mgmt, scanner.DefaultOptions(), slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("scanner log:\n%s", logs.String())
		}
	})
	sink := &recordingSink{}
	scanCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	res, err := s.Scan(scanCtx, sink, &scanner.Progress{})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}

	accountName := map[string]string{org.ManagementAccountID: "management"}
	accountID := map[string]string{"": org.ManagementAccountID}
	for name, id := range org.Members {
		accountName[id], accountID[name] = name, id
	}
	checkMotoAccounts(t, res, accountName)
	checkMotoBuckets(t, res, buckets, accountID)
	checkMotoFindings(t, res, buckets)
	if len(sink.records) != 0 {
		t.Errorf("sink got %d cross-account object records, want none; first: %+v", len(sink.records), sink.records[0])
	}
	if !res.Complete {
		t.Errorf("result not complete")
	}
	if res.Organization.ID != org.ID || res.Organization.ManagementAccountID != org.ManagementAccountID {
		t.Errorf("organization = %+v, want {%s %s}", res.Organization, org.ID, org.ManagementAccountID)
	}
}

func checkMotoAccounts(t *testing.T, res *scanner.Result, names map[string]string) {
	t.Helper()
	if len(res.Accounts) != len(names) {
		t.Errorf("result has %d accounts, organization has %d", len(res.Accounts), len(names))
	}
	for _, a := range res.Accounts {
		if _, ok := names[a.ID]; !ok {
			t.Errorf("account %s (%s) is not in the organization", a.ID, a.Name)
		}
		if a.Status != scanner.AccountScanned || a.State != "ACTIVE" || a.Error != "" {
			t.Errorf("account %s (%s): status %s, state %s, error %q; want scanned, ACTIVE, no error",
				a.ID, names[a.ID], a.Status, a.State, a.Error)
		}
	}
	if res.Summary.AccountsScanned != len(names) || res.Summary.AccountsFailed != 0 {
		t.Errorf("summary accounts: %d scanned, %d failed; want %d and 0",
			res.Summary.AccountsScanned, res.Summary.AccountsFailed, len(names))
	}
}

func checkMotoBuckets(t *testing.T, res *scanner.Result, want []motoScanBucket, accountID map[string]string) {
	t.Helper()
	got := map[string]scanner.Bucket{}
	for _, b := range res.Buckets {
		got[b.Name] = b
	}
	if len(res.Buckets) != len(want) {
		var names []string
		for _, b := range res.Buckets {
			names = append(names, b.Name)
		}
		t.Errorf("result has %d buckets %v, want %d", len(res.Buckets), names, len(want))
	}
	noncompliant := 0
	for _, w := range want {
		b, ok := got[w.Name]
		if !ok {
			t.Errorf("bucket %s missing from the result", w.Name)
			continue
		}
		region := w.Region
		if region == "" {
			region = "us-east-1"
		}
		wantScan := scanner.ObjectScanComplete
		if w.wantOwnership == scanner.OwnershipEnforced {
			wantScan = scanner.ObjectScanSkipped
		} else {
			noncompliant++
		}
		problems := []string{}
		check := func(field string, got, want any) {
			if got != want {
				problems = append(problems, fmt.Sprintf("%s = %v, want %v", field, got, want))
			}
		}
		check("account", b.AccountID, accountID[w.account])
		check("region", b.Region, region)
		check("object_ownership", b.ObjectOwnership, w.wantOwnership)
		check("status", b.Status, w.wantStatus)
		check("object_scan", b.ObjectScan, wantScan)
		check("objects_scanned", b.ObjectsScanned, w.wantObjects)
		check("cross_account_objects", b.CrossAccountObjects, int64(0))
		check("cross_account_bytes", b.CrossAccountBytes, int64(0))
		check("foreign_owners", len(b.ForeignOwners), 0)
		check("unknown_owner_objects", b.UnknownOwnerObjects, int64(0))
		check("error", b.Error, "")
		if w.wantOwnership != scanner.OwnershipEnforced && b.OwnerCanonicalID == "" {
			problems = append(problems, "owner_canonical_id empty: GetBucketAcl's Owner.ID was not recorded")
		}
		wantGrants := 0
		if w.PublicRead {
			wantGrants = 1
			if len(b.ACLGrants) == 1 && (b.ACLGrants[0].Kind != scanner.GranteeAllUsers || b.ACLGrants[0].Permission != "READ") {
				problems = append(problems, fmt.Sprintf("acl grant = %+v, want AllUsers READ", b.ACLGrants[0]))
			}
		}
		check("acl_grants", len(b.ACLGrants), wantGrants)
		if len(problems) > 0 {
			t.Errorf("bucket %s: %s", w.Name, strings.Join(problems, "; "))
		}
	}
	if res.Summary.BucketsNoncompliant != noncompliant || res.Summary.BucketsFailed != 0 || res.Summary.CrossAccountObjects != 0 {
		t.Errorf("summary: %d noncompliant, %d failed, %d cross-account objects; want %d, 0, 0",
			res.Summary.BucketsNoncompliant, res.Summary.BucketsFailed, res.Summary.CrossAccountObjects, noncompliant)
	}
}

// checkMotoFindings requires exactly one ACLS_ENABLED per bucket not
// enforced, one critical BUCKET_ACL_GRANT for the public-read bucket, and
// nothing else: no CROSS_ACCOUNT_OBJECTS, no SCAN_ERROR.
func checkMotoFindings(t *testing.T, res *scanner.Result, want []motoScanBucket) {
	t.Helper()
	var wantF []string
	for _, w := range want {
		if w.wantOwnership != scanner.OwnershipEnforced {
			wantF = append(wantF, fmt.Sprintf("%s %s", scanner.FindingACLsEnabled, w.Name))
		}
		if w.PublicRead {
			wantF = append(wantF, fmt.Sprintf("%s %s", scanner.FindingBucketACLGrant, w.Name))
		}
	}
	var gotF []string
	for _, f := range res.Findings {
		gotF = append(gotF, fmt.Sprintf("%s %s", f.Type, f.Bucket))
		if f.Type == scanner.FindingBucketACLGrant && f.Severity != scanner.SeverityCritical {
			t.Errorf("BUCKET_ACL_GRANT on %s has severity %s, want critical (AllUsers)", f.Bucket, f.Severity)
		}
	}
	sort.Strings(wantF)
	sort.Strings(gotF)
	if strings.Join(gotF, "\n") != strings.Join(wantF, "\n") {
		t.Errorf("findings:\n got  %q\n want %q", gotF, wantF)
	}
}
