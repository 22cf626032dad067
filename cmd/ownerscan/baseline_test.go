package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/scanner"
)

// completeDemoOrg is the demo organization with AccountE's role trusting
// the management account and acme-c-restricted's policy letting every role
// read it, so that every scan of it is complete and the exit code speaks of
// findings only.
func completeDemoOrg(t *testing.T) *fakeaws.Scenario {
	t.Helper()
	return parseScenario(t, completeDemoYAML(t))
}

// completeDemoYAML is completeDemoOrg's scenario text.
func completeDemoYAML(t *testing.T) string {
	t.Helper()
	yml := string(fakeaws.BuiltinScenarioYAML())
	for _, lift := range [][2]string{
		{`trust: ["222222222222"]   # not the management account: AssumeRole is denied`, `trust: ["111111111111"]`},
		{`"arn:aws:iam::333333333333:role/BreakGlass"`, `"arn:aws:iam::333333333333:role/*"`},
	} {
		if !strings.Contains(yml, lift[0]) {
			t.Fatalf("the demo organization no longer plants %s, which this test lifts", lift[0])
		}
		yml = strings.Replace(yml, lift[0], lift[1], 1)
	}
	return yml
}

// s3As is a path-style S3 client of the real SDK signing as account.
func s3As(t *testing.T, srv *fakeaws.Server, account, region string) *s3.Client {
	t.Helper()
	id, secret, ok := srv.Emulator.CredentialsFor(account)
	if !ok {
		t.Fatalf("no credentials for %s", account)
	}
	return s3.NewFromConfig(aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(id, secret, ""),
		BaseEndpoint: aws.String(srv.URL),
	}, func(o *s3.Options) { o.UsePathStyle = true })
}

// findingsByID indexes findings by ID, failing on an ID given twice.
func findingsByID(t *testing.T, list []scanner.Finding) map[string]scanner.Finding {
	t.Helper()
	out := map[string]scanner.Finding{}
	for _, f := range list {
		if _, dup := out[f.ID]; dup || f.ID == "" {
			t.Fatalf("finding ID %q empty or given twice", f.ID)
		}
		out[f.ID] = f
	}
	return out
}

// TestBaselineAcrossARealChange scans the emulator, changes it through the
// real SDK (AccountB enforces acme-b-eu-archive; AccountB creates
// acme-b-new-uploads with ObjectWriter), and scans again against the first
// report: every finding in both scans keeps its ID, the enforced bucket's
// findings are resolved, the new bucket's are new, and the summary starts
// with the change. A third scan against the second finds nothing new, so
// --fail-on-new exits 0. diff agrees with each comparison, in text and
// JSON.
func TestBaselineAcrossARealChange(t *testing.T) {
	srv := startEmulator(t, completeDemoOrg(t))
	dir := t.TempDir()
	first, second, third := filepath.Join(dir, "first"), filepath.Join(dir, "second"), filepath.Join(dir, "third")

	code, _, stderr := runCLI(t, "scan", "--quiet", "--out", first)
	if code != exitFindings {
		t.Fatalf("first scan: exit %d; stderr:\n%s", code, stderr)
	}
	before := readReport(t, first)
	if !before.Complete || before.Baseline != nil {
		t.Fatalf("first scan: complete %v, baseline %+v", before.Complete, before.Baseline)
	}

	ctx := context.Background()
	const enforced, created = "acme-b-eu-archive", "acme-b-new-uploads"
	if _, err := s3As(t, srv, "222222222222", "eu-west-1").PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{
		Bucket: aws.String(enforced),
		OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{
			{ObjectOwnership: s3types.ObjectOwnershipBucketOwnerEnforced},
		}},
	}); err != nil {
		t.Fatalf("enforce %s: %v", enforced, err)
	}
	if _, err := s3As(t, srv, "222222222222", "us-east-1").CreateBucket(ctx, &s3.CreateBucketInput{
		Bucket:          aws.String(created),
		ObjectOwnership: s3types.ObjectOwnershipObjectWriter,
	}); err != nil {
		t.Fatalf("create %s: %v", created, err)
	}

	// --fail-on-new: the new bucket's finding is new, so exit 1.
	code, stdout, stderr := runCLI(t, "scan", "--quiet", "--out", second, "--baseline", first, "--fail-on-new")
	if code != exitFindings {
		t.Fatalf("second scan: exit %d; stderr:\n%s", code, stderr)
	}
	after := readReport(t, second)
	if !strings.HasPrefix(stdout, "Since the baseline of "+before.StartedAt.UTC().Format("2006-01-02T15:04:05Z")) {
		t.Errorf("the summary does not lead with what changed:\n%s", stdout)
	}
	old, cur := findingsByID(t, before.Findings), findingsByID(t, after.Findings)
	var resolvedWant, newSeen []string
	for id, f := range old {
		g, still := cur[id]
		switch {
		case f.Bucket == enforced:
			if still {
				t.Errorf("%s finding %s of the enforced bucket is still raised", f.Type, id)
			}
			resolvedWant = append(resolvedWant, id)
		case !still:
			t.Errorf("%s %s/%s: ID %s is gone from the second scan", f.Type, f.AccountID, f.Bucket, id)
		case g.Type != f.Type || g.AccountID != f.AccountID || g.Bucket != f.Bucket || g.Change != scanner.ChangeUnchanged:
			t.Errorf("ID %s: %s %s/%s %q, then %s %s/%s %q", id, f.Type, f.AccountID, f.Bucket, f.Change, g.Type, g.AccountID, g.Bucket, g.Change)
		}
	}
	for id, g := range cur {
		if _, was := old[id]; was {
			continue
		}
		if g.Bucket != created || g.Change != scanner.ChangeNew {
			t.Errorf("finding %s %s/%s is new (%q) but is not of the new bucket", g.Type, g.AccountID, g.Bucket, g.Change)
		}
		newSeen = append(newSeen, id)
	}
	if len(resolvedWant) != 2 || len(newSeen) != 1 {
		t.Errorf("%d findings of %s (want ACLS_ENABLED and CROSS_ACCOUNT_OBJECTS), %d new (want ACLS_ENABLED of %s)", len(resolvedWant), enforced, len(newSeen), created)
	}
	resolved := findingsByID(t, after.ResolvedFindings)
	for _, id := range resolvedWant {
		if f, ok := resolved[id]; !ok || f.Change != scanner.ChangeResolved {
			t.Errorf("finding %s of the enforced bucket is not in resolved_findings", id)
		}
	}
	b := after.Baseline
	if b == nil || b.New != 1 || b.Resolved != 2 || b.Unverified != 0 || b.Unchanged != len(old)-2 || !b.StartedAt.Equal(before.StartedAt) {
		t.Errorf("baseline %+v, want 1 new, 2 resolved, %d unchanged, started %v", b, len(old)-2, before.StartedAt)
	}
	checkDiffAgrees(t, first, second, after, exitFindings)

	// Nothing changed since: nothing is new, and --fail-on-new exits 0.
	code, stdout, stderr = runCLI(t, "scan", "--quiet", "--out", third, "--baseline", second, "--fail-on-new")
	if code != exitOK {
		t.Fatalf("third scan: exit %d, want 0; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	last := readReport(t, third)
	if last.Baseline.New != 0 || last.Baseline.Resolved != 0 || last.Baseline.Unchanged != len(cur) {
		t.Errorf("third scan baseline %+v, want %d unchanged and nothing else", last.Baseline, len(cur))
	}
	// Without --fail-on-new every finding counts, new or not.
	if code, _, stderr := runCLI(t, "scan", "--quiet", "--out", filepath.Join(dir, "fourth"), "--baseline", second); code != exitFindings {
		t.Errorf("scan with a baseline, without --fail-on-new: exit %d, want 1; stderr:\n%s", code, stderr)
	}
	checkDiffAgrees(t, second, third, last, exitOK)
}

// checkDiffAgrees runs diff OLD NEW in both forms and expects the exit
// code and the comparison NEW's report.json holds.
func checkDiffAgrees(t *testing.T, oldDir, newDir string, doc *report.Document, wantCode int) {
	t.Helper()
	code, stdout, stderr := runCLI(t, "diff", oldDir, newDir, "--format", "json")
	if code != wantCode {
		t.Fatalf("diff --format json: exit %d, want %d; stderr:\n%s", code, wantCode, stderr)
	}
	var d struct {
		Baseline           report.Baseline   `json:"baseline"`
		NewFindings        []scanner.Finding `json:"new_findings"`
		ResolvedFindings   []scanner.Finding `json:"resolved_findings"`
		UnverifiedFindings []scanner.Finding `json:"unverified_findings"`
		UnchangedFindings  []scanner.Finding `json:"unchanged_findings"`
	}
	if err := json.Unmarshal([]byte(stdout), &d); err != nil {
		t.Fatalf("diff --format json: %v\n%s", err, stdout)
	}
	if d.Baseline != *doc.Baseline {
		t.Errorf("diff says %+v, the scan said %+v", d.Baseline, *doc.Baseline)
	}
	ids := func(list []scanner.Finding, change scanner.FindingChange) map[string]bool {
		out := map[string]bool{}
		for _, f := range list {
			if change == "" || f.Change == change {
				out[f.ID] = true
			}
		}
		return out
	}
	for _, c := range []struct {
		name      string
		diff, doc map[string]bool
	}{
		{"new", ids(d.NewFindings, ""), ids(doc.Findings, scanner.ChangeNew)},
		{"unchanged", ids(d.UnchangedFindings, ""), ids(doc.Findings, scanner.ChangeUnchanged)},
		{"resolved", ids(d.ResolvedFindings, ""), ids(doc.ResolvedFindings, "")},
	} {
		if len(c.diff) != len(c.doc) {
			t.Errorf("%s: diff lists %d, the scan %d", c.name, len(c.diff), len(c.doc))
		}
		for id := range c.doc {
			if !c.diff[id] {
				t.Errorf("%s: %s is not in diff's list", c.name, id)
			}
		}
	}
	code, text, _ := runCLI(t, "diff", "--format", "text", oldDir, newDir)
	if code != wantCode || !strings.Contains(text, "organization "+doc.Organization.ID) ||
		!strings.Contains(text, "Since the baseline of ") {
		t.Errorf("diff text: exit %d\n%s", code, text)
	}
}

// TestBaselineRefusedBeforeAnyCall: a baseline that is not a report of
// ownerscan, or that cannot be read, is exit 2 with one line naming it, and
// no API call is made; one of another organization is exit 2 once
// DescribeOrganization has answered, before any account is entered, and
// the reports already in the output folder stay as they were.
func TestBaselineRefusedBeforeAnyCall(t *testing.T) {
	srv := startEmulator(t, completeDemoOrg(t))
	good := filepath.Join(t.TempDir(), "good")
	if code, _, stderr := runCLI(t, "scan", "--quiet", "--out", good); code != exitFindings {
		t.Fatalf("scan: exit %d; stderr:\n%s", code, stderr)
	}
	reportJSON := string(readFile(t, filepath.Join(good, report.ReportJSONFile)))
	calls := srv.Emulator.Counters().Total

	for _, tc := range []struct {
		name, content string // content "" with dir: the path is a folder
		dir           bool
		args          []string
		want          string
	}{
		{name: "garbage", content: "\x00garbage", want: "not an ownerscan report.json: not a JSON object"},
		{name: "truncated", content: reportJSON[:len(reportJSON)/2], want: "not an ownerscan report.json"},
		{name: "schema 2", content: strings.Replace(reportJSON, `"schema_version": 1`, `"schema_version": 2`, 1), want: "schema_version 2, want 1"},
		{name: "a folder without report.json", dir: true, want: "report.json: no such file or directory"},
		{name: "missing", want: "no such file or directory"},
		{name: "not an S3 URL", args: []string{"--baseline", "s3://Reports/ownerscan"}, want: `"Reports" is not an S3 bucket name`},
		{name: "fail-on-new alone", args: []string{"--fail-on-new"}, want: "--fail-on-new: needs a baseline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if args == nil {
				path := filepath.Join(t.TempDir(), "baseline")
				switch {
				case tc.dir:
					if err := os.Mkdir(path, 0o700); err != nil {
						t.Fatal(err)
					}
				case tc.content != "":
					if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
						t.Fatal(err)
					}
				}
				args = []string{"--baseline", path}
			}
			out := filepath.Join(t.TempDir(), "out")
			code, stdout, stderr := runCLI(t, append([]string{"scan", "--quiet", "--out", out}, args...)...)
			if code != exitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) || stdout != "" {
				t.Errorf("exit %d, stderr %q, want exit 2 and one line containing %q", code, stderr, tc.want)
			}
			if !strings.Contains(stderr, "--baseline") && !strings.Contains(stderr, "--fail-on-new") {
				t.Errorf("stderr %q does not name the flag", stderr)
			}
			if n := srv.Emulator.Counters().Total; n != calls {
				t.Errorf("%d API calls made", n-calls)
			}
		})
	}

	t.Run("another organization", func(t *testing.T) {
		other := strings.Replace(reportJSON, `"id": "`+srv.Emulator.Scenario().OrganizationID+`"`, `"id": "o-zzzzzzzzzz"`, 1)
		path := writeFile(t, "report.json", other)
		before := srv.Emulator.Counters()
		code, _, stderr := runCLI(t, "scan", "--quiet", "--out", good, "--baseline", path)
		if code != exitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "not o-zzzzzzzzzz") {
			t.Errorf("exit %d, stderr %q, want exit 2 naming the organizations", code, stderr)
		}
		after := srv.Emulator.Counters()
		for _, op := range []string{"AssumeRole", "ListBuckets", "GetBucketOwnershipControls"} {
			if after.ByOperation[op] != before.ByOperation[op] {
				t.Errorf("%s called after the organization did not match", op)
			}
		}
		if got := string(readFile(t, filepath.Join(good, report.ReportJSONFile))); got != reportJSON {
			t.Error("the previous report.json was replaced")
		}
		code, _, stderr = runCLI(t, "diff", path, good)
		if code != exitUsage || !strings.Contains(stderr, "different organizations") {
			t.Errorf("diff of two organizations: exit %d, stderr %q", code, stderr)
		}
	})
}

// TestBaselineFromConfig: the baseline key does what --baseline does, and
// the flag overrides it.
func TestBaselineFromConfig(t *testing.T) {
	startEmulator(t, completeDemoOrg(t))
	first := filepath.Join(t.TempDir(), "first")
	if code, _, stderr := runCLI(t, "scan", "--quiet", "--out", first); code != exitFindings {
		t.Fatalf("scan: exit %d; stderr:\n%s", code, stderr)
	}
	cfg := writeFile(t, "config.yaml", "baseline: "+first+"\n")
	out := filepath.Join(t.TempDir(), "second")
	code, _, stderr := runCLI(t, "scan", "--quiet", "--config", cfg, "--out", out, "--fail-on-new")
	if code != exitOK {
		t.Fatalf("exit %d, want 0 (nothing new); stderr:\n%s", code, stderr)
	}
	if doc := readReport(t, out); doc.Baseline == nil || doc.Baseline.New != 0 {
		t.Errorf("baseline %+v", doc.Baseline)
	}
	bad := writeFile(t, "config.yaml", "baseline: /nonexistent/report.json\n")
	code, _, stderr = runCLI(t, "scan", "--quiet", "--config", bad, "--out", out)
	if code != exitUsage || !strings.Contains(stderr, "config: line 1: baseline:") {
		t.Errorf("a bad baseline key: exit %d, stderr %q", code, stderr)
	}
}

func TestDiffUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"diff"}, "want OLD_REPORT and NEW_REPORT, got 0"},
		{[]string{"diff", "a", "b", "c"}, "got 3"},
		{[]string{"diff", "--format", "xml", "a", "b"}, `--format: "xml" is not text or json`},
		{[]string{"diff", "/nonexistent", "b"}, "OLD_REPORT: report: read /nonexistent"},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

// TestContainerFlags: a container runs without a configuration file, so
// how the organization is reached can be given as flags; they override
// the file and are checked like its keys.
func TestContainerFlags(t *testing.T) {
	path := writeFile(t, "scenario.yaml", externalIDScenario)
	cfg := writeFile(t, "config.yaml", "member_role_name: WrongRole\n")
	code, _, stderr := runCLI(t, "demo", "--scenario", path, "--config", cfg, "--out", t.TempDir(), "--quiet",
		"--member-role-name", "OwnerscanAuditRole", "--external-id", "ownerscan-2026")
	if code != exitOK {
		t.Errorf("member role and external ID as flags: exit %d; stderr:\n%s", code, stderr)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--member-role-name", "bad name!"}, "ownerscan: --member-role-name: "},
		{[]string{"--organization-role-arn", "arn:aws:iam::1:role/x"}, "ownerscan: --organization-role-arn: "},
		{[]string{"--external-id", "x"}, "ownerscan: --external-id: "},
		{[]string{"--out", "s3://reports/a//b"}, "ownerscan: --out: \"s3://reports/a//b\": the key has an empty segment"},
	} {
		code, _, stderr := runCLI(t, append([]string{"scan", "--quiet"}, tc.args...)...)
		if code != exitUsage || !strings.HasPrefix(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}
