package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/scanner/remediate"
)

// otherOrg is an organization that is not the demo one.
const otherOrg = `
management_account: "123456789012"
accounts: [{id: "123456789012", name: Elsewhere}]
buckets: [{name: elsewhere-bucket, account: "123456789012", ownership: ObjectWriter}]
`

// TestApplyAndRollbackRefuseBadInput: a plan that is not one, edited, too
// old, of another organization or naming a bucket outside it, and a
// journal that is not one or of another plan or organization, are exit 2
// with one line on stderr, before any call but the organization check.
func TestApplyAndRollbackRefuseBadInput(t *testing.T) {
	srv := startEmulator(t, fakeaws.BuiltinScenario())
	dir := t.TempDir()
	plan := makeDemoPlan(t, dir)
	good := readFile(t, plan)
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	edited := write("edited.json", []byte(strings.Replace(string(good), `"fingerprint": "sha256:`, `"fingerprint": "sha256:0`, 1)[:len(good)]))
	resealed := func(name string, edit func(p *remediate.Plan)) string {
		p, err := remediate.ReadPlanFile(plan)
		if err != nil {
			t.Fatal(err)
		}
		edit(p)
		if err := p.Seal(); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := remediate.WritePlan(path, p); err != nil {
			t.Fatal(err)
		}
		return path
	}
	outside := resealed("outside.json", func(p *remediate.Plan) { p.Buckets[0].AccountID = "999999999999" })
	otherPlanJournal := resealed("other.json", func(p *remediate.Plan) { p.Source = "another" }) + ".journal"
	// A journal of the other plan: run apply on it once (it changes what
	// it applies; the cases below do not depend on those buckets).
	if code, _, stderr := runCLI(t, "apply", "--plan", strings.TrimSuffix(otherPlanJournal, ".journal"), "--yes", "--max-buckets", "1", "--quiet"); code != exitOK {
		t.Fatalf("apply of the other plan: exit %d; stderr:\n%s", code, stderr)
	}
	journalOfOtherPlan := []string{"--journal", otherPlanJournal}

	for _, tc := range []struct {
		name  string
		args  []string
		now   time.Time
		want  string
		calls []string // the only operations allowed
	}{
		{"not a plan", []string{"apply", "--plan", write("not.json", []byte(`{"hello": 1}`))}, time.Time{}, "not a plan", nil},
		{"no such plan", []string{"apply", "--plan", filepath.Join(dir, "missing.json")}, time.Time{}, "cannot read the plan", nil},
		{"a report", []string{"apply", "--plan", write("report.json", []byte(`{"schema_version": 1}`))}, time.Time{}, "not a plan", nil},
		{"edited", []string{"apply", "--plan", edited}, time.Time{}, "edited after it was made", nil},
		{"too old", []string{"apply", "--plan", plan}, time.Now().Add(remediate.MaxPlanAge + time.Hour), "too old", nil},
		{"outside the organization", []string{"apply", "--plan", outside, "--yes"}, time.Time{}, "outside organization",
			[]string{"GetCallerIdentity", "DescribeOrganization", "ListAccounts"}},
		{"a journal of another plan", append([]string{"apply", "--plan", plan, "--yes"}, journalOfOtherPlan...), time.Time{}, "belongs to another plan", nil},
		{"a journal that is not one", []string{"rollback", "--journal", write("bad.journal", []byte("garbage\n{}\n"))}, time.Time{}, "not a journal", nil},
		{"no such journal", []string{"rollback", "--journal", filepath.Join(dir, "missing.journal"), "--yes"}, time.Time{}, "cannot read the journal", nil},
		{"a journal without a run", []string{"rollback", "--journal", write("empty.journal", nil)}, time.Time{}, "nothing to roll back", nil},
	} {
		before := srv.Emulator.Counters()
		now := tc.now
		if now.IsZero() {
			now = time.Now()
		}
		code, stdout, stderr := runCLIAt(t, now, append(tc.args, "--quiet")...)
		if code != exitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q, want 2 and one line with %q; stdout:\n%s", tc.name, code, stderr, tc.want, stdout)
		}
		for op := range countersSince(fakeaws.CounterSnapshot{ByAccountOperation: before.ByAccountOperation}, srv.Emulator.Counters())[srv.Emulator.Scenario().ManagementAccount] {
			if !slices.Contains(tc.calls, op) {
				t.Errorf("%s: called %s", tc.name, op)
			}
		}
	}

	// Another organization: refused once DescribeOrganization answers.
	other := startEmulator(t, parseScenario(t, otherOrg))
	for _, args := range [][]string{{"apply", "--plan", plan, "--yes"}, append([]string{"rollback", "--yes"}, journalOfOtherPlan...)} {
		code, _, stderr := runCLI(t, append(args, "--quiet")...)
		if code != exitUsage || !strings.Contains(stderr, "credentials reach organization") {
			t.Errorf("%v against another organization: exit %d, %s", args, code, stderr)
		}
	}
	ops := other.Emulator.Counters().ByOperation
	delete(ops, "GetCallerIdentity")
	delete(ops, "DescribeOrganization")
	if len(ops) > 0 {
		t.Errorf("another organization was called with %v beyond the organization check", ops)
	}
	if _, err := os.Stat(plan + ".journal"); !os.IsNotExist(err) {
		t.Errorf("a refused apply left a journal: %v", err)
	}
}

// TestPlanRefusesBadInput: plan needs --out in a folder that exists, and
// readiness; --from must be a report written with state fingerprints.
func TestPlanRefusesBadInput(t *testing.T) {
	srv := startEmulator(t, fakeaws.BuiltinScenario())
	dir := t.TempDir()
	noReadiness := writeFile(t, "config.yaml", "readiness:\n  enabled: false\n")
	sameRole := writeFile(t, "same.yaml", "member_role_name: OwnerscanAuditRole\nremediation_role_name: OwnerscanAuditRole\n")
	old := filepath.Join(dir, "old-report")
	if code, _, stderr := runCLI(t, "scan", "--out", old, "--quiet", "--config", noReadiness); code != exitIncomplete {
		t.Fatalf("scan: exit %d; %s", code, stderr)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"plan"}, "--out FILE is required"},
		{[]string{"plan", "--out", dir}, "is a folder"},
		{[]string{"plan", "--out", filepath.Join(dir, "nowhere", "plan.json")}, "does not exist"},
		{[]string{"plan", "--out", filepath.Join(dir, "p.json"), "--config", noReadiness}, "readiness.enabled: plan needs the readiness verdicts"},
		{[]string{"plan", "--out", filepath.Join(dir, "p.json"), "--from", old}, "readiness.enabled false"},
		{[]string{"plan", "--out", filepath.Join(dir, "p.json"), "--from", filepath.Join(dir, "none")}, "--from"},
		{[]string{"plan", "--out", filepath.Join(dir, "p.json"), "--config", sameRole}, "remediation_role_name"},
	} {
		before := srv.Emulator.Counters().Total
		code, _, stderr := runCLI(t, append(tc.args, "--quiet")...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line with %q", tc.args, code, stderr, tc.want)
		}
		if n := srv.Emulator.Counters().Total - before; n > 0 {
			t.Errorf("%v: %d calls", tc.args, n)
		}
	}
	// A plan from a report is the plan from the scan that wrote it.
	reports := filepath.Join(dir, "report")
	if code, _, stderr := runCLI(t, "scan", "--out", reports, "--quiet"); code != exitIncomplete {
		t.Fatalf("scan: exit %d; %s", code, stderr)
	}
	fromReport := filepath.Join(dir, "from-report.json")
	if code, _, stderr := runCLI(t, "plan", "--from", reports, "--out", fromReport, "--quiet"); code != exitIncomplete {
		t.Fatalf("plan --from: exit %d; %s", code, stderr)
	}
	fresh := makeDemoPlan(t, dir)
	a, _ := planned(t, fromReport)
	b, _ := planned(t, fresh)
	if a.Source != reports || b.Source != "scan" {
		t.Errorf("sources %q and %q", a.Source, b.Source)
	}
	ja, _ := json.Marshal(a.Buckets)
	jb, _ := json.Marshal(b.Buckets)
	if string(ja) != string(jb) {
		t.Errorf("the plan from the report differs from the plan from a scan:\n%s\n%s", ja, jb)
	}
}
