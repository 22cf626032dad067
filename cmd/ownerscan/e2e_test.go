package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/scanner"
)

// reportFiles are the files a scan writes with the default formats: every
// file of every format.
var reportFiles = func() []string {
	var out []string
	for _, f := range report.Formats {
		out = append(out, f.Files...)
	}
	return out
}()

// TestDemo is the demo a new user runs first: it prints the summary, writes
// the reports (mode 0600) and exits 1 because the demo organization has
// findings. The motivating case is in the reports: our-shared-widgets holds
// objects owned by AccountC.
func TestDemo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "reports")
	code, stdout, stderr := runCLI(t, "demo", "--out", out, "--quiet")
	if code != exitFindings {
		t.Fatalf("exit %d, want %d (findings); stderr:\n%s", code, exitFindings, stderr)
	}
	checkReportFiles(t, out)
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("missing output folder not created 0700: %v %v", st.Mode(), err)
	}
	if !strings.Contains(stdout, "our-shared-widgets") && !strings.Contains(stdout, "333333333333") {
		t.Errorf("summary names neither the motivating bucket nor AccountC:\n%s", stdout)
	}
	if !strings.Contains(stdout, out) {
		t.Errorf("summary does not name the output folder %s:\n%s", out, stdout)
	}

	doc := readReport(t, out)
	// The demo organization plants an account whose role does not trust the
	// caller: the report is honest about it (complete: false, the account
	// failed with the AWS error code), and stderr says so, while the exit
	// code stays the findings' (see demoVerdict).
	if doc.Complete {
		t.Errorf("report.json: complete is true although account 555555555555 cannot be assumed")
	}
	var denied *scanner.Account
	for i := range doc.Accounts {
		if doc.Accounts[i].ID == "555555555555" {
			denied = &doc.Accounts[i]
		}
	}
	if denied == nil || denied.Status != scanner.AccountFailed || !strings.Contains(denied.Error, "AccessDenied") {
		t.Errorf("account 555555555555: %+v, want failed with AccessDenied", denied)
	}
	if !strings.Contains(stderr, "could not be scanned") {
		t.Errorf("stderr does not say the scan is incomplete:\n%s", stderr)
	}
	b := findBucket(t, doc.Result, "our-shared-widgets")
	if b.Status != scanner.BucketNoncompliant || b.CrossAccountObjects == 0 {
		t.Errorf("our-shared-widgets: status %s, %d cross-account objects", b.Status, b.CrossAccountObjects)
	}
	var fromC *scanner.ForeignOwner
	for i := range b.ForeignOwners {
		if b.ForeignOwners[i].AccountID == "333333333333" {
			fromC = &b.ForeignOwners[i]
		}
	}
	if fromC == nil || fromC.AccountName != "AccountC" || fromC.External {
		t.Errorf("our-shared-widgets: no foreign owner AccountC (333333333333): %+v", b.ForeignOwners)
	}
	// Every readiness verdict, in readiness.csv and in the summary.
	readiness := string(readFile(t, filepath.Join(out, report.ReadinessCSVFile)))
	for _, v := range []string{"ready", "migrate", "blocked", "unknown"} {
		if !strings.Contains(readiness, ","+v+",") {
			t.Errorf("readiness.csv has no %s bucket:\n%s", v, readiness)
		}
		if !strings.Contains(stdout, "\n  "+v+" ") {
			t.Errorf("the summary lists no %s bucket:\n%s", v, stdout)
		}
	}
	objects, err := os.ReadFile(filepath.Join(out, report.ObjectsCSVFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"widgets/from-c/batch-001.csv", "widgets/from-c/summary.pdf"} {
		if !bytes.Contains(objects, []byte("our-shared-widgets,"+key)) {
			t.Errorf("objects.csv does not list %s", key)
		}
	}
}

// TestDemoDefaultFolder: without --out the demo writes into a fresh folder
// of the current directory and names it.
func TestDemoDefaultFolder(t *testing.T) {
	t.Chdir(t.TempDir())
	code, stdout, stderr := runCLI(t, "demo", "--quiet")
	if code != exitFindings {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || !strings.HasPrefix(entries[0].Name(), "ownerscan-demo-") || !entries[0].IsDir() {
		t.Fatalf("current directory holds %v, want one ownerscan-demo-* folder", entries)
	}
	checkReportFiles(t, entries[0].Name())
	if !strings.Contains(stdout, entries[0].Name()) {
		t.Errorf("summary does not name %s:\n%s", entries[0].Name(), stdout)
	}
	// A second run in the same second gets a folder of its own.
	if code, _, stderr := runCLI(t, "demo", "--quiet"); code != exitFindings {
		t.Fatalf("second run: exit %d; stderr:\n%s", code, stderr)
	}
	if entries, _ := os.ReadDir("."); len(entries) != 2 {
		t.Errorf("after two runs: %d folders, want 2", len(entries))
	}
}

func TestDemoStats(t *testing.T) {
	code, stdout, stderr := runCLI(t, "demo", "--out", t.TempDir(), "--quiet", "--stats")
	if code != exitFindings && code != exitIncomplete { // TestDemo holds the built-in scenario to exit 1
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	st := lastStatsLine(t, stdout)
	if st.Calls <= 0 || st.MinCalls <= 0 || st.Calls < st.MinCalls {
		t.Errorf("calls %d, min_calls %d", st.Calls, st.MinCalls)
	}
	if st.Objects <= 0 || st.WallS <= 0 || st.PeakRSSMiB <= 0 || st.ReportS < 0 {
		t.Errorf("objects %d wall_s %v peak_rss_mib %v report_s %v", st.Objects, st.WallS, st.PeakRSSMiB, st.ReportS)
	}
	if st.BoundS != 0 {
		t.Errorf("bound_s %v: the built-in scenario has no latency, so the bound is 0", st.BoundS)
	}
}

// TestDemoStatsBound: with latency the bound is positive, and it is a lower
// bound: no scan beats it.
func TestDemoStatsBound(t *testing.T) {
	const yml = `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
generate:
  accounts: 6
  buckets_per_account: 3
  not_enforced_fraction: 0.5
  objects_per_bucket: 1500
  foreign_fraction: 0.01
faults:
  latency: 10ms
`
	scenario := writeFile(t, "scenario.yaml", yml)
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "demo", "--scenario", scenario, "--out", out, "--quiet", "--stats", "--concurrency", "4")
	if code != exitFindings {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	st := lastStatsLine(t, stdout)
	if st.BoundS <= 0 {
		t.Fatalf("bound_s %v, want > 0 with 10ms latency", st.BoundS)
	}
	// The bound is the emulator's: its minimum, never the calls made (a
	// scan making needless calls must not loosen its own bound).
	if st.MinCallsFrom != "emulator" {
		t.Errorf("min_calls_from %q, want emulator", st.MinCallsFrom)
	}
	if want := float64(st.MinCalls) * 0.010 / 4; st.BoundS < want-0.001 {
		t.Errorf("bound_s %v < min_calls x L / concurrency = %v", st.BoundS, want)
	}
	if st.WallS < st.BoundS {
		t.Errorf("wall_s %v beat the lower bound %v", st.WallS, st.BoundS)
	}
	if st.Calls != st.MinCalls {
		t.Errorf("calls %d, min_calls %d: without faults a scan makes exactly the minimum", st.Calls, st.MinCalls)
	}
	// The versions the emulator holds in the buckets a scan lists (those
	// not enforced), counted from its own state: not the scan's count.
	if want := versionsToList(t, yml); st.Objects != want || want == 0 {
		t.Errorf("objects %d, want the %d versions the emulator holds in buckets not enforced", st.Objects, want)
	}
	if doc := readReport(t, out); doc.Summary.ObjectsScanned != st.Objects {
		t.Errorf("report.json objects_scanned %d, --stats objects %d", doc.Summary.ObjectsScanned, st.Objects)
	}
}

// TestScanThroughEnvironment runs `scan` as a user would against
// `ownerscan emulate`: endpoint and credentials from the environment only.
// Its reports equal the demo's, timestamps aside: demo and scan share one
// scan path.
func TestScanThroughEnvironment(t *testing.T) {
	srv := startEmulator(t, fakeaws.BuiltinScenario())
	scanOut := t.TempDir()
	code, stdout, stderr := runCLI(t, "scan", "--out", scanOut, "--quiet")
	// scan puts incompleteness first: the built-in organization's untrusting
	// account makes it exit 3, where demo exits 1 (see demoVerdict).
	if code != exitIncomplete {
		t.Fatalf("scan: exit %d, want %d; stderr:\n%s", code, exitIncomplete, stderr)
	}
	if !strings.Contains(stdout, scanOut) {
		t.Errorf("summary does not name %s", scanOut)
	}
	checkReportFiles(t, scanOut)
	if srv.Emulator.Counters().Total == 0 {
		t.Fatal("the emulator saw no call: the scan did not use AWS_ENDPOINT_URL")
	}

	demoOut := t.TempDir()
	if demoCode, _, stderr := runCLI(t, "demo", "--out", demoOut, "--quiet"); demoCode != exitFindings {
		t.Fatalf("demo: exit %d, want %d; stderr:\n%s", demoCode, exitFindings, stderr)
	}
	for _, name := range []string{report.ReportJSONFile, report.FindingsCSVFile, report.BucketsCSVFile} {
		a, b := readFile(t, filepath.Join(scanOut, name)), readFile(t, filepath.Join(demoOut, name))
		if name == report.ReportJSONFile {
			a, b = withoutTimes(t, a), withoutTimes(t, b)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between scan and demo", name)
		}
	}
	// objects.csv may stream in any order: compare sorted rows.
	if a, b := sortedLines(readFile(t, filepath.Join(scanOut, report.ObjectsCSVFile))), sortedLines(readFile(t, filepath.Join(demoOut, report.ObjectsCSVFile))); !reflect.DeepEqual(a, b) {
		t.Errorf("objects.csv differs between scan and demo")
	}
}

// TestScanNoSecrets greps every output of a scan (stdout, stderr, every
// report) for the credentials it ran with, on a scan where AssumeRole is
// denied so that AWS error texts reach the logs and the reports.
func TestScanNoSecrets(t *testing.T) {
	sc := parseScenario(t, `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
  - {id: "222222222222", name: Denied}
  - {id: "333333333333", name: Member}
buckets:
  - {name: member-writer, account: "333333333333", ownership: ObjectWriter, writers: ["222222222222"], objects: [{key: a, uploader: "222222222222", size: 1}]}
  - {name: member-denied-bucket, account: "333333333333", ownership: ObjectWriter}
faults:
  deny:
    - {account: "222222222222", operation: AssumeRole}
    - {bucket: member-denied-bucket, operation: GetBucketAcl}
`)
	srv := startEmulator(t, sc)
	accessKey, secretKey := srv.Emulator.ManagementCredentials()
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "scan", "--out", out, "--log-format", "json")
	if code != exitIncomplete {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitIncomplete, stderr)
	}
	outputs := map[string]string{"stdout": stdout, "stderr": stderr}
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			outputs[p] = string(readFile(t, p))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range outputs {
		for _, secret := range []string{secretKey, "Signature=", "X-Amz-Security-Token", "x-amz-security-token", "SessionToken"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s contains %q", name, secret)
			}
		}
	}
	_ = accessKey // an access key ID is an identifier, not a secret; AWS puts it in error texts
}

// TestUnwritableOutputBeforeAnyCall: an output folder that cannot be created
// is exit 2 with one line naming --out, and not one API call is made.
func TestUnwritableOutputBeforeAnyCall(t *testing.T) {
	srv := startEmulator(t, fakeaws.BuiltinScenario())
	file := writeFile(t, "not-a-folder", "x")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--out", filepath.Join(file, "reports")}, "ownerscan: --out: report: create output dir: "},
		{[]string{"--config", writeFile(t, "c.yaml", "output:\n  dir: "+file+"\n")}, "ownerscan: config: line 2: output.dir: report: create output dir: mkdir " + file + ": not a directory"},
	} {
		code, stdout, stderr := runCLI(t, append([]string{"scan", "--quiet"}, tc.args...)...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d; stderr:\n%s", tc.args, code, exitUsage, stderr)
		}
		if !strings.HasPrefix(stderr, tc.want) || strings.Count(stderr, "\n") != 1 || stdout != "" {
			t.Errorf("%v: stderr %q, want one line starting %q", tc.args, stderr, tc.want)
		}
	}
	if n := srv.Emulator.Counters().Total; n != 0 {
		t.Errorf("%d API calls were made before the output folder was checked", n)
	}
}

const enforcedOnly = `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
  - {id: "222222222222", name: Member}
buckets:
  - {name: member-enforced, account: "222222222222", ownership: BucketOwnerEnforced}
`
const aclsEnabledOnly = `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
  - {id: "222222222222", name: Member}
buckets:
  - {name: member-objectwriter, account: "222222222222", ownership: ObjectWriter, objects: [{key: own.txt, size: 1}]}
`
const denied = `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
  - {id: "222222222222", name: Member}
  - {id: "333333333333", name: Denied}
buckets:
  - {name: member-enforced, account: "222222222222", ownership: BucketOwnerEnforced}
  - {name: denied-enforced, account: "333333333333", ownership: BucketOwnerEnforced}
faults:
  deny: [{account: "333333333333", operation: AssumeRole}]
`

// TestExitCodes runs small organizations through the command line, one per
// exit code.
func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		scenario string
		args     []string
		want     int
	}{
		{"compliant organization", enforcedOnly, nil, exitOK},
		{"medium finding, fail-on low", aclsEnabledOnly, nil, exitFindings},
		{"medium finding, fail-on medium", aclsEnabledOnly, []string{"--fail-on", "medium"}, exitFindings},
		{"medium finding, fail-on high", aclsEnabledOnly, []string{"--fail-on", "high"}, exitOK},
		{"denied account", denied, nil, exitIncomplete},
		{"denied account, nothing else to fail on", denied, []string{"--fail-on", "critical"}, exitIncomplete},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "scenario.yaml", tc.scenario)
			out := t.TempDir()
			code, _, stderr := runCLI(t, append([]string{"demo", "--scenario", path, "--out", out, "--quiet"}, tc.args...)...)
			if code != tc.want {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.want, stderr)
			}
			checkReportFiles(t, out)
			doc := readReport(t, out)
			if doc.Complete != (tc.want != exitIncomplete) {
				t.Errorf("complete %v with exit %d", doc.Complete, code)
			}
			if tc.want == exitIncomplete && !strings.Contains(stderr, "ownerscan: scan incomplete: 1 account(s)") {
				t.Errorf("stderr does not say what is incomplete:\n%s", stderr)
			}
		})
	}
}

func TestFormatsSelectFiles(t *testing.T) {
	scenario := writeFile(t, "scenario.yaml", aclsEnabledOnly)
	out := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--scenario", scenario, "--out", out, "--quiet"); code != exitFindings {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	// A json-only run in the same folder leaves no CSV of the earlier run
	// beside its report.json.
	if code, _, stderr := runCLI(t, "demo", "--scenario", scenario, "--out", out, "--quiet", "--format", "json"); code != exitFindings {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if got := dirNames(t, out); !reflect.DeepEqual(got, []string{report.ReportJSONFile}) {
		t.Errorf("json only: folder holds %v", got)
	}
	if code, _, stderr := runCLI(t, "demo", "--scenario", scenario, "--out", out, "--quiet", "--format", "csv"); code != exitFindings {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if got, want := dirNames(t, out), []string{report.BucketsCSVFile, report.FindingsCSVFile, report.ObjectsCSVFile, report.ReadinessCSVFile}; !reflect.DeepEqual(got, want) {
		t.Errorf("csv only: folder holds %v, want %v", got, want)
	}
}

func TestCommandLineUsage(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		code       int
		stdoutHas  string
		stderrLine string // the whole of stderr's last line, "" for none
	}{
		{nil, exitUsage, "", "ownerscan: no command given (one of scan, diff, demo, emulate, version, help)"},
		{[]string{"frobnicate"}, exitUsage, "", `ownerscan: unknown command "frobnicate" (one of scan, diff, demo, emulate, version, help)`},
		{[]string{"help"}, exitOK, "Usage:", ""},
		{[]string{"--help"}, exitOK, "Usage:", ""},
		{[]string{"help", "scan"}, exitOK, "-fail-on SEVERITY", ""},
		{[]string{"scan", "-h"}, exitOK, "-config FILE", ""},
		{[]string{"demo", "--help"}, exitOK, "-scenario FILE", ""},
		{[]string{"emulate", "-h"}, exitOK, "-addr HOST:PORT", ""},
		{[]string{"help", "nope"}, exitUsage, "", `ownerscan: help: unknown command "nope" (one of scan, diff, demo, emulate, version)`},
		{[]string{"version"}, exitOK, "ownerscan ", ""},
		{[]string{"version", "--short"}, exitUsage, "", "ownerscan: version: flag provided but not defined: -short (see 'ownerscan help version')"},
		{[]string{"demo", "--scenario", "/nonexistent/scenario.yaml"}, exitUsage, "", ""},
		{[]string{"emulate", "--addr", "0.0.0.0:4566"}, exitUsage, "", `ownerscan: --addr: "0.0.0.0" is not a loopback address (127.0.0.1, ::1 or localhost)`},
		{[]string{"emulate", "--addr", "4566"}, exitUsage, "", ""},
	} {
		code, stdout, stderr := runCLI(t, tc.args...)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d; stderr:\n%s", tc.args, code, tc.code, stderr)
			continue
		}
		if tc.stdoutHas != "" && !strings.Contains(stdout, tc.stdoutHas) {
			t.Errorf("%v: stdout lacks %q:\n%s", tc.args, tc.stdoutHas, stdout)
		}
		lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
		if tc.code == exitUsage && !strings.HasPrefix(lines[len(lines)-1], "ownerscan: ") {
			t.Errorf("%v: last stderr line %q does not name the problem", tc.args, lines[len(lines)-1])
		}
		if tc.stderrLine != "" && lines[len(lines)-1] != tc.stderrLine {
			t.Errorf("%v: stderr %q, want %q", tc.args, lines[len(lines)-1], tc.stderrLine)
		}
	}
	// A bad scenario is named with its line.
	bad := writeFile(t, "scenario.yaml", "management_account: \"111111111111\"\nbogus: 1\n")
	_, _, stderr := runCLI(t, "demo", "--scenario", bad, "--out", t.TempDir())
	if !strings.HasPrefix(stderr, "ownerscan: --scenario: "+bad+": scenario: line 2") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("bad scenario: stderr %q", stderr)
	}
}

func checkReportFiles(t *testing.T, dir string) {
	t.Helper()
	for _, name := range reportFiles {
		st, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if st.Mode() != 0o600 {
			t.Errorf("%s: mode %v, want -rw-------", name, st.Mode())
		}
	}
	if got := dirNames(t, dir); len(got) != len(reportFiles) {
		t.Errorf("%s holds %v, want exactly %v (no temporary files left)", dir, got, reportFiles)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

func readReport(t *testing.T, dir string) *report.Document {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, report.ReportJSONFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := report.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func findBucket(t *testing.T, res *scanner.Result, name string) scanner.Bucket {
	t.Helper()
	for _, b := range res.Buckets {
		if b.Name == name {
			return b
		}
	}
	t.Fatalf("bucket %s not in the report", name)
	return scanner.Bucket{}
}

func lastStatsLine(t *testing.T, stdout string) statsLine {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	last := lines[len(lines)-1]
	var st statsLine
	dec := json.NewDecoder(strings.NewReader(last))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		t.Fatalf("last stdout line %q: %v", last, err)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(last), &raw); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"calls", "min_calls", "wall_s", "bound_s", "peak_rss_mib", "objects", "report_s"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("stats line lacks %q: %s", key, last)
		}
	}
	return st
}

// withoutTimes drops started_at and finished_at from report.json.
func withoutTimes(t *testing.T, data []byte) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "started_at")
	delete(m, "finished_at")
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sortedLines(data []byte) []string {
	lines := strings.Split(string(data), "\n")
	slices.Sort(lines)
	return lines
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func parseScenario(t *testing.T, doc string) *fakeaws.Scenario {
	t.Helper()
	sc, err := fakeaws.ParseScenario([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// startEmulator serves sc on loopback and points the AWS environment of
// this test at it, as the lines `ownerscan emulate` prints would: endpoint,
// the management account's keys, the region, and no shared config or
// instance metadata that could leak in from the machine.
func startEmulator(t *testing.T, sc *fakeaws.Scenario) *fakeaws.Server {
	t.Helper()
	srv, err := fakeaws.NewServer(sc, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	accessKey, secretKey := srv.Emulator.ManagementCredentials()
	isolateAWSEnv(t)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", accessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secretKey)
	t.Setenv("AWS_REGION", "us-east-1")
	return srv
}

// isolateAWSEnv keeps the machine's AWS configuration out of a test.
func isolateAWSEnv(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for _, kv := range [][2]string{
		{"AWS_CONFIG_FILE", filepath.Join(dir, "config")},
		{"AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials")},
		{"AWS_PROFILE", ""}, {"AWS_DEFAULT_PROFILE", ""},
		{"AWS_SESSION_TOKEN", ""}, {"AWS_ROLE_ARN", ""}, {"AWS_WEB_IDENTITY_TOKEN_FILE", ""},
		{"AWS_EC2_METADATA_DISABLED", "true"},
		{"AWS_ENDPOINT_URL", ""}, {"AWS_ACCESS_KEY_ID", ""}, {"AWS_SECRET_ACCESS_KEY", ""},
	} {
		t.Setenv(kv[0], kv[1])
	}
}
