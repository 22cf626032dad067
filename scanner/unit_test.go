package scanner

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

var farFuture = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)

func TestValidateNamesKeys(t *testing.T) {
	cases := []struct {
		mod  func(*Options)
		want string
	}{
		{func(o *Options) { o.Concurrency = 0 }, "concurrency: must be 1..4096"},
		{func(o *Options) { o.Concurrency = 5000 }, "concurrency: must be 1..4096"},
		{func(o *Options) { o.ObjectsMode = "some" }, "objects.mode:"},
		{func(o *Options) { o.MaxObjectsPerBucket = -1 }, "objects.max_per_bucket:"},
		{func(o *Options) { o.MemberRoleName = "" }, "member_role_name:"},
		{func(o *Options) { o.SessionName = "x" }, "session_name:"},
		{func(o *Options) { o.OrganizationRoleARN = "arn:aws:iam::12:role/x" }, "organization_role_arn:"},
		{func(o *Options) { o.Regions = []string{"Mars"} }, "regions[0]:"},
		{func(o *Options) { o.AccountsInclude = []string{"ou-x"} }, "accounts.include[0]:"},
		{func(o *Options) { o.AccountsExclude = []string{"[bad"} }, "accounts.exclude[0]:"},
		{func(o *Options) { o.BucketsInclude = []string{"a", "[z"} }, "buckets.include[1]:"},
		{func(o *Options) { o.ExternalID = "x" }, "external_id:"},
		{func(o *Options) { o.Partition = "AWS" }, "partition:"},
	}
	if err := DefaultOptions().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, c := range cases {
		o := DefaultOptions()
		c.mod(&o)
		err := o.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("want %q, got %v", c.want, err)
		}
	}
	ok := DefaultOptions()
	ok.AccountsInclude = []string{"123456789012", "ou-ab12-abcdefgh", "r-ab12", "Prod*"}
	ok.OrganizationRoleARN = "arn:aws:iam::123456789012:role/Audit"
	ok.Regions = []string{"eu-west-1", "us-gov-west-1"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestAccountFilter(t *testing.T) {
	prod := orgAccount{ID: "222222222222", Name: "prod-web"}
	dev := orgAccount{ID: "333333333333", Name: "dev-web"}
	anc := map[string][]string{prod.ID: {"r-root", "ou-root-workload"}, dev.ID: {"r-root", "ou-root-workload", "ou-root-devvvvvv"}}
	cases := []struct {
		f         accountFilter
		prod, dev bool
	}{
		{accountFilter{}, true, true},
		{accountFilter{include: []string{"prod-*"}}, true, false},
		{accountFilter{include: []string{"333333333333"}}, false, true},
		{accountFilter{include: []string{"ou-root-workload"}}, true, true},
		{accountFilter{include: []string{"ou-root-workload"}, exclude: []string{"ou-root-devvvvvv"}}, true, false},
		{accountFilter{include: []string{"*-web"}, exclude: []string{"*"}}, false, false},
		{accountFilter{exclude: []string{"r-root"}}, false, false},
	}
	for i, c := range cases {
		if got := c.f.inScope(prod, anc[prod.ID]); got != c.prod {
			t.Errorf("case %d prod: got %v", i, got)
		}
		if got := c.f.inScope(dev, anc[dev.ID]); got != c.dev {
			t.Errorf("case %d dev: got %v", i, got)
		}
	}
	if !needsOUWalk(nil, []string{"ou-ab12-abcdefgh"}) || needsOUWalk([]string{"123456789012", "ou*"}, nil) {
		t.Error("needsOUWalk")
	}
	if !bucketNameInScope("logs-1", []string{"logs-*"}, nil) || bucketNameInScope("logs-1", []string{"logs-*"}, []string{"*-1"}) || bucketNameInScope("data", []string{"logs-*"}, nil) {
		t.Error("bucket globs")
	}
	if !regionInScope("eu-west-1", nil) || regionInScope("eu-west-1", []string{"us-east-1"}) {
		t.Error("regions")
	}
	if normalizeRegion("EU", false) != "eu-west-1" || normalizeRegion("", true) != "us-east-1" || normalizeRegion("", false) != "" {
		t.Error("normalizeRegion")
	}
	for state, skip := range map[string]bool{"ACTIVE": false, "SUSPENDED": true, "PENDING_CLOSURE": true, "CLOSED": true, "PENDING_ACTIVATION": true} {
		if (skipReason(state) != "") != skip {
			t.Errorf("skipReason(%s)", state)
		}
	}
}

func TestGrantClassification(t *testing.T) {
	owner := "canon-owner"
	acl := &s3.GetBucketAclOutput{Grants: []s3types.Grant{
		{Grantee: &s3types.Grantee{ID: aws.String(owner)}, Permission: "FULL_CONTROL"},
		{Grantee: &s3types.Grantee{URI: aws.String(uriAllUsers)}, Permission: "READ"},
		{Grantee: &s3types.Grantee{URI: aws.String(uriAuthenticatedUsers)}, Permission: "READ"},
		{Grantee: &s3types.Grantee{URI: aws.String(uriLogDelivery)}, Permission: "WRITE"},
		{Grantee: &s3types.Grantee{ID: aws.String("canon-member")}, Permission: "READ"},
		{Grantee: &s3types.Grantee{ID: aws.String("canon-stranger")}, Permission: "WRITE_ACP"},
	}}
	raw := foreignGrants(acl.Grants, owner)
	if len(raw) != 5 {
		t.Fatalf("want 5 foreign grants, got %+v", raw)
	}
	resolve := func(id string) (memberRef, bool) {
		if id == "canon-member" {
			return memberRef{ID: "222222222222", Name: "B"}, true
		}
		return memberRef{}, false
	}
	want := map[GranteeKind]Severity{
		GranteeAllUsers: SeverityCritical, GranteeAuthenticatedUsers: SeverityCritical,
		GranteeLogDelivery: SeverityLow, GranteeMember: SeverityMedium, GranteeExternal: SeverityHigh,
	}
	for _, r := range raw {
		g := resolveGrant(r, resolve, membership{})
		sev, ok := want[g.Kind]
		if !ok || grantSeverity(g.Kind) != sev {
			t.Errorf("grant %+v: severity %s", g, grantSeverity(g.Kind))
		}
		if g.Kind == GranteeMember && (g.AccountID != "222222222222" || g.AccountName != "B") {
			t.Errorf("member grant not resolved: %+v", g)
		}
		delete(want, g.Kind)
	}
	if len(want) != 0 {
		t.Errorf("kinds not seen: %v", want)
	}
	if crossAccountSeverity([]ForeignOwner{{AccountID: "1"}}) != SeverityHigh || crossAccountSeverity([]ForeignOwner{{AccountID: "1"}, {External: true}}) != SeverityCritical {
		t.Error("crossAccountSeverity")
	}
}

func TestSampleKeysOrderIndependent(t *testing.T) {
	keys := []string{"m", "b", "z", "a", "b", "c", "y", "d", "e", "a", "f"}
	want := []string{"a", "b", "c", "d", "e"}
	for i := 0; i < 50; i++ {
		var s sampleKeys
		perm := rand.Perm(len(keys))
		for _, p := range perm {
			s.offer(keys[p])
		}
		if !reflect.DeepEqual([]string(s), want) {
			t.Fatalf("order %v: got %v", perm, s)
		}
	}
}

func TestMinCallsFormula(t *testing.T) {
	if pagesFor(0, 20) != 1 || pagesFor(20, 20) != 1 || pagesFor(21, 20) != 2 {
		t.Fatal("pagesFor")
	}
	enforced := &bucketOutcome{ownershipChecked: true, row: Bucket{ObjectScan: ObjectScanSkipped}}
	big := &bucketOutcome{ownershipChecked: true, aclChecked: true, listed: true, row: Bucket{ObjectsScanned: 2500, ObjectScan: ObjectScanComplete}}
	empty := &bucketOutcome{regionLookups: 1, ownershipChecked: true, aclChecked: true, listed: true, row: Bucket{ObjectScan: ObjectScanComplete}}
	if bucketCalls(enforced) != 1 || bucketCalls(big) != 5 || bucketCalls(empty) != 4 {
		t.Fatalf("bucketCalls: %d %d %d", bucketCalls(enforced), bucketCalls(big), bucketCalls(empty))
	}
	f := &callFacts{orgAccounts: 45, accounts: map[string]*accountCalls{
		// caller's own account: no AssumeRole
		"111111111111": {page: 1, listedBuckets: true, bucketsListed: 3, calls: 1 + 1 + 5, longestBucket: 5},
		"222222222222": {page: 3, assumed: true, listedBuckets: true, bucketsListed: 10001, calls: 4, longestBucket: 4},
		"333333333333": {page: 2, assumed: true}, // AssumeRole denied
	}}
	got := minCalls(f)
	// 1 GCI + 1 DescribeOrganization + 3 ListAccounts + (1 ListBuckets + 7) + (1 + 2 + 4) + 1
	if got.MinCalls != 2+3+8+7+1 {
		t.Errorf("MinCalls = %d", got.MinCalls)
	}
	// longest: GCI, then 3 ListAccounts pages (DescribeOrganization beside
	// the first), AssumeRole, 2 ListBuckets pages, 4 = 11
	if got.CriticalPath != 11 {
		t.Errorf("CriticalPath = %d", got.CriticalPath)
	}
	f.orgRole = true
	if g := minCalls(f); g.MinCalls != got.MinCalls+1 || g.CriticalPath != 12 {
		t.Errorf("with org role: %+v", g)
	}
}

func TestFindingOrder(t *testing.T) {
	fs := []Finding{
		{Type: FindingACLsEnabled, Severity: SeverityMedium, AccountID: "2", Bucket: "b"},
		{Type: FindingScanError, Severity: SeverityError, AccountID: "3"},
		{Type: FindingBucketACLGrant, Severity: SeverityCritical, AccountID: "2", Bucket: "a"},
		{Type: FindingACLsEnabled, Severity: SeverityMedium, AccountID: "2", Bucket: "a"},
		{Type: FindingBucketACLGrant, Severity: SeverityLow, AccountID: "1", Bucket: "a"},
	}
	res := &Result{Findings: fs}
	sortResult(res)
	var got []string
	for _, f := range res.Findings {
		got = append(got, string(f.Severity)+"/"+f.Bucket)
	}
	want := "error/,critical/a,medium/a,medium/b,low/a"
	if strings.Join(got, ",") != want {
		t.Errorf("got %v", got)
	}
}

func TestBudgetBoundsAndPriority(t *testing.T) {
	b := newBudget(3)
	var wg sync.WaitGroup
	var inFlight, peak atomic.Int64
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.acquire(context.Background()); err != nil {
				t.Error(err)
				return
			}
			n := inFlight.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			time.Sleep(time.Millisecond)
			inFlight.Add(-1)
			b.release()
		}()
	}
	wg.Wait()
	if peak.Load() > 3 || b.peak.Load() > 3 || b.inFlight.Load() != 0 {
		t.Fatalf("peak %d / %d, in flight %d", peak.Load(), b.peak.Load(), b.inFlight.Load())
	}

	// Priority: with the budget full, a priority waiter that arrives after a
	// normal one is served first.
	pb := newBudget(1)
	_ = pb.acquire(context.Background())
	order := make(chan string, 2)
	go func() { _ = pb.acquire(context.Background()); order <- "normal"; pb.release() }()
	waitFor(t, func() bool { pb.mu.Lock(); defer pb.mu.Unlock(); return len(pb.low) == 1 })
	go func() { _ = pb.acquire(withPriority(context.Background())); order <- "priority"; pb.release() }()
	waitFor(t, func() bool { pb.mu.Lock(); defer pb.mu.Unlock(); return len(pb.high) == 1 })
	pb.release()
	if first := <-order; first != "priority" {
		t.Fatalf("first served: %s", first)
	}
	<-order

	// A cancelled waiter leaves the queue and the slot is not lost.
	cb := newBudget(1)
	_ = cb.acquire(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- cb.acquire(ctx) }()
	waitFor(t, func() bool { cb.mu.Lock(); defer cb.mu.Unlock(); return len(cb.low) == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	cb.release()
	if err := cb.acquire(context.Background()); err != nil || cb.inFlight.Load() != 1 {
		t.Fatal("slot lost")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}

// twoAccountWorld: account B's bucket holds objects owned by C; C is listed
// after B, and (in the race test) C's ListBuckets is held until B's listing
// has started, so the object records must wait for C's canonical ID.
func twoAccountWorld() *fakeWorld {
	return &fakeWorld{
		caller: "111111111111",
		accounts: []orgtypes.Account{
			fakeAccount("111111111111", "A", "ACTIVE"),
			fakeAccount("222222222222", "B", "ACTIVE"),
			fakeAccount("333333333333", "C", ""), // no State: falls back to Status ""; scanned
			fakeAccount("444444444444", "D", "SUSPENDED"),
			fakeAccount("555555555555", "E", "ACTIVE"),
		},
		denied: map[string]bool{"555555555555": true},
		buckets: map[string][]*fakeBucket{
			"111111111111": {{name: "a-enforced", region: "us-east-1", ownership: "BucketOwnerEnforced"}},
			"222222222222": {{name: "b-shared", region: "us-east-1", ownership: "ObjectWriter",
				grants: []s3types.Grant{{Grantee: &s3types.Grantee{ID: aws.String(canon("333333333333"))}, Permission: "READ"}},
				versions: []s3types.ObjectVersion{
					fakeVersion("own.txt", "222222222222", 1),
					fakeVersion("from-c-1", "333333333333", 10),
					fakeVersion("from-c-2", "333333333333", 20),
					fakeVersion("from-x", "999999999999", 5),
					{Key: aws.String("no-owner"), VersionId: aws.String("v"), Size: aws.Int64(1)},
				}}},
			"333333333333": {{name: "c-unset", region: "eu-west-1"}},
		},
	}
}

func TestScanFakeOwnerResolutionWaitsForLateAccount(t *testing.T) {
	w := twoAccountWorld()
	listingStarted := make(chan struct{})
	var once sync.Once
	w.beforeListVersions = func(ctx context.Context, bucket string) { once.Do(func() { close(listingStarted) }) }
	w.beforeListBuckets = func(ctx context.Context, acct string) {
		if acct == "333333333333" {
			select { // C's canonical ID becomes known only after B's objects were listed
			case <-listingStarted:
			case <-ctx.Done():
			}
		}
	}
	opts := DefaultOptions()
	opts.Concurrency = 4
	sink := &memorySink{}
	res, err := scanFake(context.Background(), w, opts, sink)
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOf(sink.records); got != "from-c-1=333333333333,from-c-2=333333333333,from-x=,no-owner=" {
		t.Fatalf("records: %s", got)
	}
	if res.Complete {
		t.Error("a denied account must make the result incomplete")
	}
	st := map[string]string{}
	for _, a := range res.Accounts {
		st[a.ID] = string(a.Status) + ":" + a.Error
	}
	want := map[string]string{
		"111111111111": "scanned:", "222222222222": "scanned:", "333333333333": "scanned:",
		"444444444444": "skipped:account state SUSPENDED: not scanned",
		"555555555555": "failed:AssumeRole: AccessDenied: not authorized to assume arn:aws:iam::555555555555:role/OrganizationAccountAccessRole",
	}
	if !reflect.DeepEqual(st, want) {
		t.Fatalf("accounts: %v", st)
	}
	var shared Bucket
	for _, b := range res.Buckets {
		if b.Name == "b-shared" {
			shared = b
		}
	}
	if shared.CrossAccountObjects != 3 || shared.CrossAccountBytes != 35 || shared.UnknownOwnerObjects != 1 || shared.ObjectsScanned != 5 {
		t.Fatalf("b-shared: %+v", shared)
	}
	// 999999999999 matches no member, but D (suspended) and E (denied)
	// have unknown canonical IDs: unidentified, with them as candidates.
	if len(shared.ForeignOwners) != 2 || shared.ForeignOwners[0].AccountName != "C" || shared.ForeignOwners[1].External ||
		!shared.ForeignOwners[1].Unidentified || !reflect.DeepEqual(shared.ForeignOwners[1].CandidateAccounts, []string{"444444444444", "555555555555"}) ||
		!reflect.DeepEqual(shared.ForeignOwners[0].SampleKeys, []string{"from-c-1", "from-c-2"}) {
		t.Fatalf("foreign owners: %+v", shared.ForeignOwners)
	}
	if len(shared.ACLGrants) != 1 || shared.ACLGrants[0].Kind != GranteeMember || shared.ACLGrants[0].AccountID != "333333333333" {
		t.Fatalf("grants: %+v", shared.ACLGrants)
	}
	types := map[FindingType]int{}
	for _, f := range res.Findings {
		types[f.Type]++
		if f.Type == FindingCrossAccountObjects && f.Severity != SeverityHigh {
			t.Errorf("an unidentified owner (maybe a member) is high, not critical: %+v", f)
		}
		if f.Remediation == "" {
			t.Errorf("no remediation: %+v", f)
		}
	}
	// ACLS_ENABLED: b-shared, c-unset; grant: 1; cross-account: 1; owner
	// unknown: b-shared's version without owner; scan error: E.
	if types[FindingACLsEnabled] != 2 || types[FindingBucketACLGrant] != 1 || types[FindingCrossAccountObjects] != 1 ||
		types[FindingOwnerUnknown] != 1 || types[FindingScanError] != 1 {
		t.Fatalf("findings: %v", types)
	}
	if w.calls["ListObjectVersions"] != 2 || w.calls["GetBucketAcl"] != 2 || w.calls["AssumeRole"] != 3 {
		t.Fatalf("calls: %v", w.calls)
	}
}

func TestScanFakeInterrupted(t *testing.T) {
	w := twoAccountWorld()
	ctx, cancel := context.WithCancel(context.Background())
	w.beforeListBuckets = func(c context.Context, acct string) {
		if acct == "333333333333" {
			cancel()
			<-c.Done()
		}
	}
	opts := DefaultOptions()
	opts.Concurrency = 1
	res, err := scanFake(ctx, w, opts, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if res == nil || res.Complete {
		t.Fatal("want an incomplete result")
	}
	var failed int
	for _, a := range res.Accounts {
		if a.Status == AccountFailed && strings.Contains(a.Error, "interrupted") {
			failed++
		}
	}
	for _, b := range res.Buckets {
		if b.Status != BucketFailed && b.Status != BucketCompliant && b.Status != BucketNoncompliant {
			t.Errorf("bucket without status: %+v", b)
		}
	}
	if failed == 0 {
		t.Fatalf("no account reported interrupted: %+v", res.Accounts)
	}
	fmt.Fprint(new(strings.Builder), res.Summary)
}

// TestBucketChain: the ACL read overlaps the first listing page, and a
// listing's pages count as ceil(pages/concurrency) rounds, never more.
func TestBucketChain(t *testing.T) {
	listed := func(versions int64) *bucketOutcome {
		return &bucketOutcome{ownershipChecked: true, aclChecked: true, listed: true,
			row: Bucket{ObjectsScanned: versions, ObjectScan: ObjectScanComplete}}
	}
	cases := []struct {
		name        string
		o           *bucketOutcome
		concurrency int64
		want        int64
	}{
		{"enforced", &bucketOutcome{ownershipChecked: true}, 64, 1},
		{"objects off", &bucketOutcome{ownershipChecked: true, aclChecked: true}, 64, 2},
		{"empty bucket", listed(0), 64, 2},
		{"10 pages serial", listed(10_000), 1, 11},
		{"10 pages, 4 in flight", listed(10_000), 4, 4},
		{"1M versions, 64 in flight", listed(1_000_000), 64, 17},
		{"region lookup", &bucketOutcome{regionLookups: 1, ownershipChecked: true}, 64, 2},
	}
	for _, c := range cases {
		if got := bucketChain(c.o, c.concurrency); got != c.want {
			t.Errorf("%s: bucketChain = %d, want %d", c.name, got, c.want)
		}
	}
}
