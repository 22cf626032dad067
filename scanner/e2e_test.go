package scanner

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
)

// TestE2EBuiltinReadiness: the demo organization shows every readiness
// verdict, and the motivating bucket is ready: switching it is what ends
// AccountC's hold on its objects.
func TestE2EBuiltinReadiness(t *testing.T) {
	srv := emulate(t, fakeaws.BuiltinScenario())
	res := scanEmulator(t, srv, DefaultOptions(), nil)
	want := map[string]ReadinessVerdict{
		"our-shared-widgets":   VerdictReady,
		"acme-a-vendor-drop":   VerdictReady,
		"acme-c-access-logs":   VerdictMigrate,
		"acme-b-press-kit":     VerdictMigrate,
		"acme-b-legacy-unset":  VerdictMigrate,
		"acme-b-public-assets": VerdictBlocked,
		"acme-b-cdn-logs":      VerdictBlocked,
		"acme-c-partner-inbox": VerdictBlocked,
		"acme-c-restricted":    VerdictUnknown,
	}
	for name, v := range want {
		if rd := bucketByName(t, res, name).Readiness; rd == nil || rd.Verdict != v {
			t.Errorf("%s: readiness %s, want %s", name, blockerKinds(rd), v)
		}
	}
	w := bucketByName(t, res, "our-shared-widgets").Readiness
	if s := w.ObjectACLSample; s.Read+s.Denied != 8 || s.Denied != 4 || !strings.Contains(strings.Join(w.Changes, " "), "5 object version(s) owned by 1 other account(s) become the bucket owner's") {
		t.Errorf("our-shared-widgets readiness: %+v", w)
	}
	if c := srv.Emulator.Counters(); c.Total != res.Calls.MinCalls {
		t.Errorf("calls %d, min %d: %v", c.Total, res.Calls.MinCalls, c.ByOperation)
	}
}

// The motivating case and every builtin example, end to end through the
// real SDK against the emulator.
func TestE2EBuiltinScenario(t *testing.T) {
	srv := emulate(t, fakeaws.BuiltinScenario())
	sink := &memorySink{}
	res := scanEmulator(t, srv, DefaultOptions(), sink)

	if res.Organization.ManagementAccountID != "111111111111" || res.Organization.ID == "" {
		t.Errorf("organization: %+v", res.Organization)
	}
	if res.Complete {
		t.Error("AccountE's denied AssumeRole must make the scan incomplete")
	}

	// Accounts: present with their status, never dropped.
	want := map[string]AccountStatus{"111111111111": AccountScanned, "222222222222": AccountScanned,
		"333333333333": AccountScanned, "444444444444": AccountSkipped, "555555555555": AccountFailed}
	if len(res.Accounts) != len(want) {
		t.Fatalf("accounts: %+v", res.Accounts)
	}
	for id, st := range want {
		if a := accountByID(t, res, id); a.Status != st {
			t.Errorf("account %s: status %s (%s)", id, a.Status, a.Error)
		}
	}
	if a := accountByID(t, res, "444444444444"); a.State != "SUSPENDED" || !strings.Contains(a.Error, "SUSPENDED") {
		t.Errorf("suspended account: %+v", a)
	}
	if a := accountByID(t, res, "555555555555"); !strings.HasPrefix(a.Error, "AssumeRole: AccessDenied") {
		t.Errorf("denied account error: %q", a.Error)
	}
	if a := accountByID(t, res, "333333333333"); a.CanonicalID != fakeaws.CanonicalIDFor("333333333333") || a.OUPath != "" {
		t.Errorf("AccountC: %+v (ou_path stays empty without an OU filter)", a)
	}

	// The motivating case.
	w := bucketByName(t, res, "our-shared-widgets")
	if w.Status != BucketNoncompliant || w.ObjectOwnership != OwnershipObjectWriter || w.ObjectScan != ObjectScanComplete {
		t.Errorf("our-shared-widgets: %+v", w)
	}
	if w.CrossAccountObjects != 5 || w.ObjectsScanned != 8 || w.CrossAccountBytes != 15+4096+1024+65536+20480 {
		t.Errorf("our-shared-widgets counts: %+v", w)
	}
	if len(w.ForeignOwners) != 1 {
		t.Fatalf("foreign owners: %+v", w.ForeignOwners)
	}
	fo := w.ForeignOwners[0]
	if fo.AccountID != "333333333333" || fo.AccountName != "AccountC" || fo.External || fo.Objects != 5 ||
		!reflect.DeepEqual(fo.SampleKeys, []string{"widgets/from-c/batch-001.csv", "widgets/from-c/batch-002.csv",
			"widgets/from-c/batch-003.csv", "widgets/from-c/images/logo.png", "widgets/from-c/summary.pdf"}) {
		t.Errorf("foreign owner: %+v", fo)
	}
	f := findingsOf(res, FindingCrossAccountObjects, "our-shared-widgets")
	if len(f) != 1 || f[0].Severity != SeverityHigh || !strings.Contains(f[0].Detail, "333333333333 (AccountC)") {
		t.Errorf("cross-account finding: %+v", f)
	}
	var widgetRecords []string
	for _, r := range sink.records {
		if r.Bucket == "our-shared-widgets" {
			if r.OwnerAccountID != "333333333333" || r.OwnerAccountName != "AccountC" || r.AccountID != "222222222222" ||
				r.OwnerCanonicalID != fakeaws.CanonicalIDFor("333333333333") || r.VersionID == "" || r.LastModified.IsZero() {
				t.Errorf("record: %+v", r)
			}
			widgetRecords = append(widgetRecords, r.Key)
		}
	}
	sort.Strings(widgetRecords)
	if len(widgetRecords) != 5 || widgetRecords[0] != "widgets/from-c/batch-001.csv" {
		t.Errorf("objects sink for our-shared-widgets: %v", widgetRecords)
	}

	// Enforced buckets are compliant with the account's canonical ID.
	e := bucketByName(t, res, "acme-b-enforced-data")
	if e.Status != BucketCompliant || e.ObjectScan != ObjectScanSkipped || e.OwnerCanonicalID != fakeaws.CanonicalIDFor("222222222222") || e.CrossAccountObjects != 0 {
		t.Errorf("enforced: %+v", e)
	}
	// BucketOwnerPreferred: only the write without bucket-owner-full-control stays C's.
	if p := bucketByName(t, res, "acme-b-preferred-uploads"); p.CrossAccountObjects != 1 || p.ObjectOwnership != OwnershipPreferred {
		t.Errorf("preferred: %+v", p)
	}
	// Public grant: critical.
	if g := findingsOf(res, FindingBucketACLGrant, "acme-b-public-assets"); len(g) != 1 || g[0].Severity != SeverityCritical {
		t.Errorf("AllUsers grant: %+v", g)
	}
	// The only foreign owner sits on a noncurrent version.
	v := bucketByName(t, res, "acme-b-versioned-logs")
	if v.CrossAccountObjects != 1 || v.ObjectsScanned < 6 {
		t.Errorf("versioned: %+v", v)
	}
	for _, r := range sink.records {
		if r.Bucket == "acme-b-versioned-logs" && (r.IsLatest || r.Key != "logs/app.log" || r.OwnerAccountID != "333333333333") {
			t.Errorf("noncurrent record: %+v", r)
		}
	}
	// Outside us-east-1.
	if eu := bucketByName(t, res, "acme-b-eu-archive"); eu.Region != "eu-west-1" || eu.CrossAccountObjects != 1 || eu.Status != BucketNoncompliant {
		t.Errorf("eu bucket: %+v", eu)
	}
	// No ownership controls, an owner and a grantee outside the members
	// whose canonical IDs are known. AccountD (suspended) and AccountE
	// (AssumeRole denied) have unknown canonical IDs, so the owner cannot
	// be called external: it is unidentified, high, with both as
	// candidates, named in the finding's words. Buckets whose owners are
	// all members carry no such caveat.
	l := bucketByName(t, res, "acme-b-legacy-unset")
	if l.ObjectOwnership != OwnershipNotSet || len(l.ForeignOwners) != 1 || l.ForeignOwners[0].External || !l.ForeignOwners[0].Unidentified ||
		!reflect.DeepEqual(l.ForeignOwners[0].CandidateAccounts, []string{"444444444444", "555555555555"}) || l.ForeignOwners[0].AccountID != "" {
		t.Errorf("legacy: %+v", l)
	}
	if c := findingsOf(res, FindingCrossAccountObjects, "acme-b-legacy-unset"); len(c) != 1 || c[0].Severity != SeverityHigh ||
		!strings.Contains(c[0].Detail, "444444444444 (AccountD, SUSPENDED), 555555555555 (AccountE, could not be scanned)") {
		t.Errorf("unidentified owner: %+v", c)
	}
	if c := findingsOf(res, FindingCrossAccountObjects, "our-shared-widgets"); len(c) != 1 || strings.Contains(c[0].Detail, "unidentified") {
		t.Errorf("member-owner finding carries the unidentified caveat: %+v", c)
	}
	if g := findingsOf(res, FindingBucketACLGrant, "acme-b-legacy-unset"); len(g) != 1 || g[0].Severity != SeverityHigh || l.ACLGrants[0].Kind != GranteeUnidentified {
		t.Errorf("unidentified grant: %+v", g)
	}
	// LogDelivery (low) and a member grantee (medium), resolved to AccountB.
	logs := bucketByName(t, res, "acme-c-access-logs")
	sev := map[Severity]int{}
	for _, g := range findingsOf(res, FindingBucketACLGrant, "acme-c-access-logs") {
		sev[g.Severity]++
	}
	if sev[SeverityLow] != 2 || sev[SeverityMedium] != 1 {
		t.Errorf("access-log grants: %v %+v", sev, logs.ACLGrants)
	}
	for _, g := range logs.ACLGrants {
		if g.Kind == GranteeMember && (g.AccountID != "222222222222" || g.AccountName != "AccountB") {
			t.Errorf("member grant: %+v", g)
		}
	}
	// The scan error of AccountE; the suspended account's bucket is not there.
	if len(findingsOf(res, FindingScanError, "")) != 1 {
		t.Errorf("SCAN_ERROR findings: %+v", findingsOf(res, FindingScanError, ""))
	}
	for _, b := range res.Buckets {
		if b.AccountID == "444444444444" || b.AccountID == "555555555555" {
			t.Errorf("bucket of an account not scanned: %+v", b)
		}
	}
	if res.Findings[0].Severity != SeverityError {
		t.Errorf("findings not sorted error first: %+v", res.Findings[0])
	}

	// Calls: exactly the minimum, and enforced buckets cost one call.
	c := srv.Emulator.Counters()
	if c.Total != res.Calls.MinCalls {
		t.Errorf("calls %d, min %d: %v", c.Total, res.Calls.MinCalls, c.ByOperation)
	}
	notEnforced := int64(0)
	for _, b := range res.Buckets {
		if b.ObjectOwnership != OwnershipEnforced {
			notEnforced++
		}
	}
	if c.ByOperation["GetBucketAcl"] != notEnforced || c.ByOperation["GetBucketOwnershipControls"] != int64(len(res.Buckets)) {
		t.Errorf("ACL calls %d for %d buckets not enforced: %v", c.ByOperation["GetBucketAcl"], notEnforced, c.ByOperation)
	}
	if c.ByOperation["HeadBucket"] != 0 {
		t.Errorf("region lookups although ListBuckets gave regions: %d", c.ByOperation["HeadBucket"])
	}
	if c.ByOperation["AssumeRole"] != 3 { // B, C, E (denied); A is the caller's own
		t.Errorf("AssumeRole calls: %d", c.ByOperation["AssumeRole"])
	}
	if res.Calls.CriticalPath < 5 || res.Calls.CriticalPath > 12 {
		t.Errorf("critical path %d", res.Calls.CriticalPath)
	}
	if s := res.Summary; s.Accounts != 5 || s.AccountsSkipped != 1 || s.AccountsFailed != 1 || s.Buckets != len(res.Buckets) || s.CrossAccountObjects == 0 {
		t.Errorf("summary: %+v", s)
	}
}

// An enforced bucket gets no GetBucketAcl and no ListObjectVersions.
func TestE2EEnforcedBucketCostsOneCall(t *testing.T) {
	srv := emulate(t, fakeaws.BuiltinScenario())
	opts := DefaultOptions()
	opts.AccountsInclude = []string{"333333333333"}
	opts.BucketsInclude = []string{"acme-c-enforced-*"}
	res := scanEmulator(t, srv, opts, nil)
	if len(res.Buckets) != 1 || res.Buckets[0].Status != BucketCompliant || !res.Complete {
		t.Fatalf("buckets: %+v", res.Buckets)
	}
	ops := srv.Emulator.Counters().ByAccountOperation["333333333333"]
	if ops["GetBucketOwnershipControls"] != 1 || ops["GetBucketAcl"] != 0 || ops["ListObjectVersions"] != 0 {
		t.Errorf("AccountC's calls: %v", ops)
	}
}

// Same organization state, same result at concurrency 1 and 64.
func TestE2EDeterministicAcrossConcurrency(t *testing.T) {
	srv := emulate(t, fakeaws.BuiltinScenario())
	one := DefaultOptions()
	one.Concurrency = 1
	a := scanEmulator(t, srv, one, nil)
	b := scanEmulator(t, srv, DefaultOptions(), nil)
	// The critical path depends on concurrency (a bucket's parallel reads
	// take more rounds with fewer requests in flight); the calls do not.
	if !reflect.DeepEqual(stripTimes(a), stripTimes(b)) || a.Calls.MinCalls != b.Calls.MinCalls {
		t.Errorf("results differ:\n%+v\n%+v", a, b)
	}
}
