package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/scanner"
	"github.com/ownerscan/ownerscan/scanner/remediate"
)

// TestFixingBucketsEndToEnd is the story through the CLI on the built-in
// organization: AccountB's GetObject of AccountC's object is 403; plan;
// a dry run changes nothing (no write counted); apply --migrate-acls
// enforces every ready and migrate bucket and leaves the blocked and
// unknown ones untouched; the GetObject is 200; a scan finds no
// ACLS_ENABLED or CROSS_ACCOUNT_OBJECTS on the applied buckets; rollback
// puts every control back exactly, says what going back means, and the
// GetObject is 403 again.
func TestFixingBucketsEndToEnd(t *testing.T) {
	srv := startEmulator(t, fakeaws.BuiltinScenario())
	ctx := context.Background()
	if got := storyGet(ctx, srv); got != "403 AccessDenied" {
		t.Fatalf("before: AccountB's GetObject = %s, want 403 AccessDenied", got)
	}
	original := readAllControls(t, srv)
	dir := t.TempDir()
	plan := makeDemoPlan(t, dir)
	p, byVerdict := planned(t, plan)
	applied := append(slices.Clone(byVerdict[scanner.VerdictReady]), byVerdict[scanner.VerdictMigrate]...)
	untouched := append(slices.Clone(byVerdict[scanner.VerdictBlocked]), byVerdict[scanner.VerdictUnknown]...)
	if len(byVerdict[scanner.VerdictReady]) != 5 || len(byVerdict[scanner.VerdictMigrate]) != 3 || len(untouched) != 4 || !slices.Contains(applied, storyBucket) {
		t.Fatalf("plan of the demo organization: %v", byVerdict)
	}

	before := srv.Emulator.Counters()
	code, stdout, stderr := runCLI(t, "apply", "--plan", plan, "--migrate-acls", "--quiet")
	if code != exitOK || !strings.Contains(stdout, "DRY RUN") || strings.Count(stdout, "  would-apply ") != len(applied) {
		t.Fatalf("dry run: exit %d\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if w := writesSince(before, srv.Emulator.Counters()); len(w) > 0 {
		t.Errorf("the dry run wrote: %v", w)
	}
	if _, err := os.Stat(plan + ".journal"); !os.IsNotExist(err) {
		t.Errorf("the dry run wrote a journal: %v", err)
	}
	sameControls(t, "after the dry run", readAllControls(t, srv), original)

	code, stdout, stderr = runCLI(t, "apply", "--plan", plan, "--migrate-acls", "--yes", "--quiet")
	if code != exitOK {
		t.Fatalf("apply: exit %d\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	now := readAllControls(t, srv)
	for _, name := range applied {
		if c := now[name]; c.Ownership != string(scanner.OwnershipEnforced) || len(c.Grants) != 1 {
			t.Errorf("applied %s: %+v, want enforced with the owner's grant only", name, c)
		}
	}
	sameControls(t, "after apply", now, original, untouched...)
	for _, b := range p.Buckets {
		for _, s := range b.Steps {
			if s.Action == remediate.ActionPutBucketPolicy && now[b.Bucket].Policy != s.Policy {
				t.Errorf("%s: policy after apply is not the migration policy", b.Bucket)
			}
		}
	}
	if got := storyGet(ctx, srv); got != "200 OK" {
		t.Errorf("after apply: AccountB's GetObject = %s, want 200 OK", got)
	}

	reports := filepath.Join(dir, "after")
	if code, _, stderr := runCLI(t, "scan", "--out", reports, "--quiet"); code != exitIncomplete {
		t.Fatalf("rescan: exit %d; stderr:\n%s", code, stderr)
	}
	for _, f := range readReport(t, reports).Findings {
		if slices.Contains(applied, f.Bucket) && (f.Type == scanner.FindingACLsEnabled || f.Type == scanner.FindingCrossAccountObjects) {
			t.Errorf("rescan: %s on applied bucket %s", f.Type, f.Bucket)
		}
	}

	code, stdout, stderr = runCLI(t, "rollback", "--journal", plan+".journal", "--yes", "--quiet")
	if code != exitOK || strings.Count(stdout, "  restored ") != len(applied) || !strings.Contains(stdout, "owned by that account again") {
		t.Fatalf("rollback: exit %d\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	sameControls(t, "after rollback", readAllControls(t, srv), original)
	if got := storyGet(ctx, srv); got != "403 AccessDenied" {
		t.Errorf("after rollback: AccountB's GetObject = %s, want 403 AccessDenied again", got)
	}
}

// TestApplySkipsABucketChangedSincePlan: a grant added to a bucket's ACL
// after the plan makes apply leave that bucket alone, say why on stdout
// and in the journal, and exit 3; the other buckets are applied.
func TestApplySkipsABucketChangedSincePlan(t *testing.T) {
	srv := startEmulator(t, fakeaws.BuiltinScenario())
	plan := makeDemoPlan(t, t.TempDir())
	_, err := ownerClient(srv, "222222222222", "us-east-1").PutBucketAcl(context.Background(), &s3.PutBucketAclInput{
		Bucket:    aws.String(storyBucket),
		GrantRead: aws.String(`id="` + fakeaws.CanonicalIDFor("333333333333") + `"`)})
	if err != nil {
		t.Fatal(err)
	}
	changed := readAllControls(t, srv)[storyBucket]
	code, stdout, stderr := runCLI(t, "apply", "--plan", plan, "--yes", "--quiet")
	if code != exitIncomplete || !strings.Contains(stderr, "skipped") {
		t.Fatalf("apply: exit %d, want 3\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	line := lineWith(stdout, storyBucket)
	if !strings.Contains(line, "skipped") || !strings.Contains(line, "changed since plan") || !strings.Contains(line, "READ to id="+fakeaws.CanonicalIDFor("333333333333")) {
		t.Errorf("stdout on %s: %q", storyBucket, line)
	}
	if strings.Count(stdout, "  done ") != 4 {
		t.Errorf("want the other 4 ready buckets done:\n%s", stdout)
	}
	sameControls(t, "after apply", readAllControls(t, srv), map[string]bucketControls{storyBucket: changed}, storyBucket)
	entries, _, err := remediate.ReadJournalFile(plan + ".journal")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		if e.Bucket == storyBucket {
			found = found || e.Event == remediate.EventBucketSkipped && strings.Contains(e.Reason, "changed since plan")
			if e.Event != remediate.EventBucketSkipped {
				t.Errorf("journal: %s on the changed bucket", e.Event)
			}
		}
	}
	if !found {
		t.Error("the journal does not say the bucket was skipped as changed since plan")
	}
}

func lineWith(text, s string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// TestRemediationRoleWithoutPutBucketPolicy: a remediation role missing
// s3:PutBucketPolicy fails exactly the buckets whose plan puts a policy,
// with the AWS error code, and leaves them as they were; every other
// bucket is applied.
func TestRemediationRoleWithoutPutBucketPolicy(t *testing.T) {
	sc := fakeaws.BuiltinScenario()
	for i := range sc.Accounts {
		for j := range sc.Accounts[i].Roles {
			r := &sc.Accounts[i].Roles[j]
			if r.Name == DefaultRemediationRoleName {
				r.Permissions = slices.DeleteFunc(slices.Clone(r.Permissions), func(a string) bool { return a == "s3:PutBucketPolicy" })
			}
		}
	}
	srv := startEmulator(t, sc)
	original := readAllControls(t, srv)
	plan := makeDemoPlan(t, t.TempDir())
	p, _ := planned(t, plan)
	var withPolicy []string
	for _, b := range p.Buckets {
		if len(b.Steps) > 0 && b.Steps[0].Action == remediate.ActionPutBucketPolicy {
			withPolicy = append(withPolicy, b.Bucket)
		}
	}
	if len(withPolicy) != 2 {
		t.Fatalf("buckets with a policy step: %v", withPolicy)
	}
	code, stdout, stderr := runCLI(t, "apply", "--plan", plan, "--migrate-acls", "--yes", "--quiet")
	if code != exitIncomplete {
		t.Fatalf("apply: exit %d, want 3\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var failed []string
	for _, l := range strings.Split(stdout, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == string(remediate.StatusFailed) {
			failed = append(failed, strings.SplitN(f[1], "/", 2)[1])
			if !strings.Contains(l, "PutBucketPolicy: AccessDenied") {
				t.Errorf("failure without the call and AWS error code: %s", l)
			}
		}
	}
	slices.Sort(failed)
	if !slices.Equal(failed, withPolicy) {
		t.Errorf("failed %v, want exactly %v\n%s", failed, withPolicy, stdout)
	}
	sameControls(t, "after apply", readAllControls(t, srv), original, withPolicy...)
	if strings.Count(stdout, "  done ") != 6 {
		t.Errorf("want the other 6 ready and migrate buckets done:\n%s", stdout)
	}
}

// TestDemoRemediate: `demo --remediate` tells the story: the plan, the
// apply, the scan again into after/, AccountB's read of AccountC's object
// failing before and working after, and both scans side by side; it exits
// 1 as demo does, for the findings the blocked buckets keep.
func TestDemoRemediate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "demo")
	code, stdout, stderr := runCLI(t, "demo", "--remediate", "--out", out, "--quiet")
	if code != exitFindings {
		t.Fatalf("exit %d, want 1\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"before: 403 AccessDenied", "after:  200 OK", "8 done, 4 not-applied",
		"BEFORE  AFTER", "readiness ready                 5       0",
		"CROSS_ACCOUNT_OBJECTS findings  6       0",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	checkReportFiles(t, filepath.Join(out, "after"))
	for _, name := range append(slices.Clone(reportFiles), "plan.json", "plan.json.journal") {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("the demo folder lacks %s: %v", name, err)
		}
	}
	if _, err := remediate.ReadPlanFile(filepath.Join(out, "plan.json")); err != nil {
		t.Error(err)
	}
	if _, _, err := remediate.ReadJournalFile(filepath.Join(out, "plan.json.journal")); err != nil {
		t.Error(err)
	}
}

// TestApplyMaxBuckets: --max-buckets caps the buckets one run changes; the
// next run takes the next ones and leaves the finished ones alone.
func TestApplyMaxBuckets(t *testing.T) {
	startEmulator(t, fakeaws.BuiltinScenario())
	plan := makeDemoPlan(t, t.TempDir())
	for run, want := range []struct{ done, already, deferred int }{{3, 0, 2}, {2, 3, 0}} {
		code, stdout, stderr := runCLI(t, "apply", "--plan", plan, "--yes", "--max-buckets", "3", "--quiet")
		if code != exitOK {
			t.Fatalf("run %d: exit %d\n%s\n%s", run+1, code, stdout, stderr)
		}
		for status, n := range map[string]int{"done": want.done, "already-done": want.already, "deferred": want.deferred} {
			if got := strings.Count(stdout, "  "+status+" "); got != n {
				t.Errorf("run %d: %d %s, want %d\n%s", run+1, got, status, n, stdout)
			}
		}
	}
}
