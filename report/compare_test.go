package report

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ownerscan/ownerscan/scanner"
)

// Findings only the baseline has, one per way a finding can disappear.
var (
	// a-old-bucket is gone from AccountA, which was scanned: resolved.
	goneBucketFinding = scanner.Finding{Type: scanner.FindingACLsEnabled, Severity: scanner.SeverityMedium,
		AccountID: "111111111111", Bucket: "a-old-bucket", Region: "us-east-1", Title: "ACLs enabled (Object Ownership ObjectWriter)"}
	// sandbox-artifacts is enforced now: resolved.
	enforcedFinding = scanner.Finding{Type: scanner.FindingACLsEnabled, Severity: scanner.SeverityMedium,
		AccountID: "777777777777", Bucket: "sandbox-artifacts", Region: "ap-southeast-2", Title: "ACLs enabled (Object Ownership ObjectWriter)"}
	// AccountD could not be scanned this time: unverified.
	failedAccountFinding = scanner.Finding{Type: scanner.FindingBucketACLGrant, Severity: scanner.SeverityHigh,
		AccountID: "444444444444", Bucket: "d-bucket", Region: "us-east-1", Title: "Bucket ACL grants WRITE to external account"}
	// b-public-site's listing was cut short this time: unverified.
	truncatedFinding = scanner.Finding{Type: scanner.FindingCrossAccountObjects, Severity: scanner.SeverityHigh,
		AccountID: "222222222222", Bucket: "b-public-site", Region: "us-west-2", Title: "3 object versions owned by other accounts"}
	// c-data-eu failed this time: unverified.
	failedBucketFinding = scanner.Finding{Type: scanner.FindingACLsEnabled, Severity: scanner.SeverityMedium,
		AccountID: "333333333333", Bucket: "c-data-eu", Region: "eu-central-1", Title: "ACLs enabled (Object Ownership ObjectWriter)"}
)

// fixtureBaseline is an earlier scan of the fixture organization: every
// finding of fixtureResult but the first (so that one is new), and the
// findings above, which the fixture no longer raises.
func fixtureBaseline() *Snapshot {
	snap := SnapshotOf(fixtureResult())
	snap.StartedAt = time.Date(2024, 4, 30, 10, 0, 0, 0, time.UTC)
	snap.Findings = slices.Clone(snap.Findings[1:])
	for _, f := range []scanner.Finding{goneBucketFinding, enforcedFinding, failedAccountFinding, truncatedFinding, failedBucketFinding} {
		f.ID = scanner.FindingID(f.Type, f.AccountID, f.Bucket, f.Region, "")
		f.Detail, f.Remediation = "Found in the earlier scan.", "Enforce bucket ownership."
		snap.Findings = append(snap.Findings, f)
	}
	return snap
}

func fixtureComparison(t *testing.T) *Comparison {
	t.Helper()
	cmp, err := Compare(fixtureBaseline(), SnapshotOf(fixtureResult()))
	if err != nil {
		t.Fatal(err)
	}
	return cmp
}

func TestCompare(t *testing.T) {
	cmp := fixtureComparison(t)
	cur := fixtureResult().Findings
	if len(cmp.Findings) != len(cur) {
		t.Fatalf("%d findings, want the %d of the current scan", len(cmp.Findings), len(cur))
	}
	for i, f := range cmp.Findings {
		want := scanner.ChangeUnchanged
		if i == 0 {
			want = scanner.ChangeNew
		}
		if f.ID != cur[i].ID || f.Change != want {
			t.Errorf("finding %d (%s): change %q, want %q", i, f.Title, f.Change, want)
		}
	}
	ids := func(list []scanner.Finding) []string {
		var out []string
		for _, f := range list {
			out = append(out, f.AccountID+"/"+f.Bucket)
		}
		return out
	}
	if got, want := ids(cmp.Resolved), []string{"111111111111/a-old-bucket", "777777777777/sandbox-artifacts"}; !slices.Equal(got, want) {
		t.Errorf("resolved %v, want %v", got, want)
	}
	if got, want := ids(cmp.Unverified), []string{"444444444444/d-bucket", "222222222222/b-public-site", "333333333333/c-data-eu"}; !slices.Equal(got, want) {
		t.Errorf("unverified %v, want %v", got, want)
	}
	for _, f := range cmp.Resolved {
		if f.Change != scanner.ChangeResolved {
			t.Errorf("resolved finding %s marked %q", f.ID, f.Change)
		}
	}
	want := Baseline{StartedAt: fixtureBaseline().StartedAt, New: 1, Unchanged: len(cur) - 1, Resolved: 2, Unverified: 3}
	if cmp.Baseline != want {
		t.Errorf("baseline %+v, want %+v", cmp.Baseline, want)
	}
	if fixtureResult().Findings[0].Change != "" {
		t.Error("Compare changed the result it was given")
	}
}

// TestCompareObjectFindingOfEnforcedBucket: a cross-account finding
// disappears with a complete listing, or once the bucket is enforced.
func TestCompareObjectFindingOfEnforcedBucket(t *testing.T) {
	f := scanner.Finding{Type: scanner.FindingCrossAccountObjects, AccountID: "111111111111", Bucket: "b", Region: "us-east-1", ID: "x"}
	base := &Snapshot{Organization: scanner.Organization{ID: "o-aaaaaaaaaa"}, Findings: []scanner.Finding{f}}
	for _, tc := range []struct {
		bucket BucketState
		want   scanner.FindingChange
	}{
		{BucketState{Status: scanner.BucketCompliant, ObjectOwnership: scanner.OwnershipEnforced, ObjectScan: scanner.ObjectScanSkipped}, scanner.ChangeResolved},
		{BucketState{Status: scanner.BucketNoncompliant, ObjectOwnership: scanner.OwnershipObjectWriter, ObjectScan: scanner.ObjectScanComplete}, scanner.ChangeResolved},
		{BucketState{Status: scanner.BucketNoncompliant, ObjectOwnership: scanner.OwnershipObjectWriter, ObjectScan: scanner.ObjectScanSkipped}, scanner.ChangeUnverified}, // objects.mode off
		{BucketState{Status: scanner.BucketNoncompliant, ObjectOwnership: scanner.OwnershipObjectWriter, ObjectScan: scanner.ObjectScanTruncated}, scanner.ChangeUnverified},
	} {
		tc.bucket.AccountID, tc.bucket.Name = "111111111111", "b"
		cur := &Snapshot{
			Organization: base.Organization,
			Accounts:     []scanner.Account{{ID: "111111111111", Status: scanner.AccountScanned}},
			Buckets:      []BucketState{tc.bucket},
		}
		cmp, err := Compare(base, cur)
		if err != nil {
			t.Fatal(err)
		}
		var got scanner.FindingChange
		switch {
		case len(cmp.Resolved) == 1:
			got = cmp.Resolved[0].Change
		case len(cmp.Unverified) == 1:
			got = cmp.Unverified[0].Change
		}
		if got != tc.want {
			t.Errorf("bucket %+v: %q, want %q", tc.bucket, got, tc.want)
		}
	}
}

func TestCompareRefusesAnotherOrganization(t *testing.T) {
	base := fixtureBaseline()
	base.Organization.ID = "o-zzzzzzzzzz"
	if _, err := Compare(base, SnapshotOf(fixtureResult())); !errors.Is(err, ErrOtherOrganization) {
		t.Errorf("err = %v, want ErrOtherOrganization", err)
	}
}

// TestGoldenBaseline writes report.json and findings.csv of a scan compared
// with a baseline, and the change lists as the summary and diff print them.
func TestGoldenBaseline(t *testing.T) {
	dir := t.TempDir()
	cmp := fixtureComparison(t)
	if err := WriteDocument(dir, NewDocument(fixtureResult(), fixtureTool, cmp), allFormats(), nil); err != nil {
		t.Fatal(err)
	}
	for name, golden := range map[string]string{
		ReportJSONFile: "baseline-report.json", FindingsCSVFile: "baseline-findings.csv",
		FindingsOCSFFile: "baseline-findings.ocsf.json", FindingsASFFFile: "baseline-findings.asff.json",
		ReportHTMLFile: "baseline-report.html",
	} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, golden, got)
	}
	var text, limited, js bytes.Buffer
	if err := WriteChanges(&text, cmp, 0); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "changes.txt", text.Bytes())
	if err := WriteChanges(&limited, cmp, 1); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "changes-limited.txt", limited.Bytes())
	if err := WriteChangesJSON(&js, cmp); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "changes.json", js.Bytes())

	// report.json with a baseline reads back as a baseline for the next run.
	snap, err := LoadSnapshot(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Compare(snap, SnapshotOf(fixtureResult()))
	if err != nil {
		t.Fatal(err)
	}
	if again.Baseline.New != 0 || again.Baseline.Resolved != 0 || again.Baseline.Unchanged != len(fixtureResult().Findings) {
		t.Errorf("the same scan against its own report: %+v", again.Baseline)
	}
}

// TestCompareBucketOutsideTodaysScope: a baseline bucket with no row today,
// in an account scanned today, is gone (its findings resolved) only when
// today's scope includes its name and the region the baseline found it in;
// otherwise today's filters left it out and its findings are unverified.
// A current report without a scope keeps the old reading: gone.
func TestCompareBucketOutsideTodaysScope(t *testing.T) {
	const acct = "111111111111"
	baseBuckets := []BucketState{
		{AccountID: acct, Name: "data-old", Region: "us-east-1"},
		{AccountID: acct, Name: "data-eu", Region: "eu-west-1"},
		{AccountID: acct, Name: "logs-a", Region: "us-east-1"},
		{AccountID: acct, Name: "data-unknown", Region: ""}, // failed before its region was learned
	}
	base := &Snapshot{Organization: scanner.Organization{ID: "o-aaaaaaaaaa"}, Buckets: baseBuckets}
	for _, b := range baseBuckets {
		base.Findings = append(base.Findings, scanner.Finding{Type: scanner.FindingACLsEnabled, AccountID: acct, Bucket: b.Name, Region: b.Region, ID: b.Name})
	}
	all := []string{"data-old", "data-eu", "logs-a", "data-unknown"}
	for _, tc := range []struct {
		name               string
		scope              *scanner.Scope
		resolved, unverify []string
	}{
		{"no scope recorded", nil, all, nil},
		{"no filters", &scanner.Scope{}, all, nil},
		{"include narrowed", &scanner.Scope{BucketsInclude: []string{"data-*"}},
			[]string{"data-old", "data-eu", "data-unknown"}, []string{"logs-a"}},
		{"exclude added", &scanner.Scope{BucketsExclude: []string{"*-old", "logs-?"}},
			[]string{"data-eu", "data-unknown"}, []string{"data-old", "logs-a"}},
		{"regions narrowed", &scanner.Scope{Regions: []string{"eu-west-1"}},
			[]string{"data-eu"}, []string{"data-old", "logs-a", "data-unknown"}},
		{"region case", &scanner.Scope{Regions: []string{"US-EAST-1"}},
			[]string{"data-old", "logs-a"}, []string{"data-eu", "data-unknown"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur := &Snapshot{
				Organization: base.Organization,
				Scope:        tc.scope,
				Accounts:     []scanner.Account{{ID: acct, Status: scanner.AccountScanned}},
				Buckets:      []BucketState{},
			}
			cmp, err := Compare(base, cur)
			if err != nil {
				t.Fatal(err)
			}
			names := func(list []scanner.Finding, want scanner.FindingChange) []string {
				var out []string
				for _, f := range list {
					if f.Change != want {
						t.Errorf("%s marked %q, want %q", f.Bucket, f.Change, want)
					}
					out = append(out, f.Bucket)
				}
				return out
			}
			if got := names(cmp.Resolved, scanner.ChangeResolved); !slices.Equal(got, tc.resolved) {
				t.Errorf("resolved %v, want %v", got, tc.resolved)
			}
			if got := names(cmp.Unverified, scanner.ChangeUnverified); !slices.Equal(got, tc.unverify) {
				t.Errorf("unverified %v, want %v", got, tc.unverify)
			}
			if cmp.Baseline.Resolved != len(tc.resolved) || cmp.Baseline.Unverified != len(tc.unverify) {
				t.Errorf("baseline counts %+v, want %d resolved, %d unverified", cmp.Baseline, len(tc.resolved), len(tc.unverify))
			}
		})
	}
}

// TestCompareBucketRowWithoutReadStatus: a bucket row of today's report
// whose status is neither compliant nor noncompliant (absent from a
// hand-made or newer report, or a status this version does not know) is
// no evidence that the bucket was read: its findings are unverified, never
// resolved.
func TestCompareBucketRowWithoutReadStatus(t *testing.T) {
	const acct = "111111111111"
	f := scanner.Finding{Type: scanner.FindingACLsEnabled, AccountID: acct, Bucket: "b", Region: "us-east-1", ID: "x"}
	base := &Snapshot{Organization: scanner.Organization{ID: "o-aaaaaaaaaa"}, Findings: []scanner.Finding{f}}
	for _, status := range []scanner.BucketStatus{"", "partial", scanner.BucketFailed} {
		cur := &Snapshot{
			Organization: base.Organization,
			Accounts:     []scanner.Account{{ID: acct, Status: scanner.AccountScanned}},
			Buckets:      []BucketState{{AccountID: acct, Name: "b", Region: "us-east-1", Status: status}},
		}
		cmp, err := Compare(base, cur)
		if err != nil {
			t.Fatal(err)
		}
		if len(cmp.Resolved) != 0 || len(cmp.Unverified) != 1 {
			t.Errorf("bucket status %q: resolved %d, unverified %d; want the finding unverified", status, len(cmp.Resolved), len(cmp.Unverified))
		}
	}
}
