package main

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ownerscan/ownerscan/report"
)

// manyObjectsOrg has a bucket whose 3,000 versions are all another
// account's: objects.csv outgrows its 64 KiB write buffer while the scan
// runs, so a full disk fails it mid-scan rather than at the end.
const manyObjectsOrg = `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
  - {id: "222222222222", name: Owner}
  - {id: "333333333333", name: Writer}
buckets:
  - name: shared
    account: "222222222222"
    ownership: ObjectWriter
    writers: ["333333333333"]
    generated: {count: 3000, key_prefix: "data/", foreign: {"333333333333": 1}}
`

// snapshotOf reads every entry of dir, name to content.
func snapshotOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	snap, err := snapshotFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// sameAsBefore fails unless dir holds exactly the files of before, byte
// for byte (so no temporary file either).
func sameAsBefore(t *testing.T, before, after map[string]string) {
	t.Helper()
	if len(before) == 0 {
		t.Fatal("no previous reports to compare with")
	}
	if !maps.Equal(before, after) {
		t.Errorf("the output folder changed: before %v, after %v", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
		for name, data := range before {
			if after[name] != data {
				t.Errorf("%s is not the previous run's any more", name)
			}
		}
	}
}

// oneErrorLine checks that stderr ends with exactly one "ownerscan:" line,
// holding each of want, and returns it.
func oneErrorLine(t *testing.T, stderr string, want ...string) string {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if strings.HasPrefix(l, "ownerscan: ") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("%d ownerscan: lines on stderr, want one:\n%s", len(lines), stderr)
	}
	for _, w := range want {
		if !strings.Contains(lines[0], w) {
			t.Errorf("stderr line %q does not say %q", lines[0], w)
		}
	}
	return lines[0]
}

// TestDiskFullKeepsPreviousReports: on a file system that is full, a scan
// that cannot write its reports exits 4 with one line that names "no space
// left on device", and leaves the previous run's reports byte for byte,
// with no temporary file. The disk fills up at the end (small reports) or
// in the middle of the scan (objects.csv streaming). A real tmpfs, in a
// user and mount namespace of the test's own.
func TestDiskFullKeepsPreviousReports(t *testing.T) {
	for _, tc := range []struct{ name, scenario, file string }{
		{"full when the reports are written", aclsEnabledOnly, ".report.json."},
		{"full while objects.csv streams", manyObjectsOrg, ".objects.csv."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			startEmulator(t, parseScenario(t, tc.scenario))
			mnt := t.TempDir()
			out := filepath.Join(mnt, "reports")
			scan := []string{"scan", "--out", out, "--quiet"}
			rep := runChild(t, childSpec{Tmpfs: mnt, TmpfsKiB: 4096, Steps: []childStep{
				{Args: scan, Snapshot: out},
				{Fill: true},
				{Args: scan, Snapshot: out},
			}})
			if rep.Codes[0] != exitFindings {
				t.Fatalf("first run: exit %d; stderr:\n%s", rep.Codes[0], rep.Stderrs[0])
			}
			if rep.Codes[1] != exitNoReport {
				t.Fatalf("disk full: exit %d, want %d; stderr:\n%s", rep.Codes[1], exitNoReport, rep.Stderrs[1])
			}
			oneErrorLine(t, rep.Stderrs[1], "ownerscan: no report written: ", tc.file, "no space left on device",
				"the reports in "+out+" are an earlier run's, untouched")
			t.Logf("stderr:\n%s", rep.Stderrs[1])
			sameAsBefore(t, rep.Snapshots[0], rep.Snapshots[1])
		})
	}
}

// TestFileSizeLimitKeepsPreviousReports does what a full disk does where
// no tmpfs can be mounted: the child may write no file over 4 KiB
// (RLIMIT_FSIZE), so every report fails ("file too large").
func TestFileSizeLimitKeepsPreviousReports(t *testing.T) {
	startEmulator(t, parseScenario(t, manyObjectsOrg))
	out := filepath.Join(t.TempDir(), "reports")
	if code, _, stderr := runCLI(t, "scan", "--out", out, "--quiet"); code != exitFindings {
		t.Fatalf("first run: exit %d; stderr:\n%s", code, stderr)
	}
	before := snapshotOf(t, out)
	rep := runChild(t, childSpec{FileSizeLimit: 4096, Steps: []childStep{{Args: []string{"scan", "--out", out, "--quiet"}}}})
	if rep.Codes[0] != exitNoReport {
		t.Fatalf("exit %d, want %d; stderr:\n%s", rep.Codes[0], exitNoReport, rep.Stderrs[0])
	}
	oneErrorLine(t, rep.Stderrs[0], "ownerscan: no report written: ", "file too large", "are an earlier run's, untouched")
	sameAsBefore(t, before, snapshotOf(t, out))
}

// TestFailureBeforeFirstCallKeepsPreviousReports: a scan that cannot make
// one successful call (wrong or missing credentials, an endpoint that does
// not answer) writes no report: exit 4, one line naming the cause, the
// previous reports byte for byte. A region that is no region is found
// before any call: exit 2.
func TestFailureBeforeFirstCallKeepsPreviousReports(t *testing.T) {
	srv := startEmulator(t, parseScenario(t, aclsEnabledOnly))
	out := filepath.Join(t.TempDir(), "reports")
	if code, _, stderr := runCLI(t, "scan", "--out", out, "--quiet"); code != exitFindings {
		t.Fatalf("first run: exit %d; stderr:\n%s", code, stderr)
	}
	before := snapshotOf(t, out)
	for _, tc := range []struct {
		name string
		env  map[string]string
		code int
		want []string
	}{
		{"wrong secret key", map[string]string{"AWS_SECRET_ACCESS_KEY": "wrong"}, exitNoReport,
			[]string{"the scan failed before it listed any account", "GetCallerIdentity", "SignatureDoesNotMatch"}},
		{"no credentials", map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}, exitNoReport,
			[]string{"the scan failed before it listed any account", "credentials"}},
		{"endpoint that does not answer", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}, exitNoReport,
			[]string{"the scan failed before it listed any account", "connection refused"}},
		{"no region", map[string]string{"AWS_REGION": "", "AWS_DEFAULT_REGION": ""}, exitUsage,
			[]string{"no AWS region"}},
		{"a region that is no region", map[string]string{"AWS_REGION": "nowhere"}, exitUsage,
			[]string{`"nowhere"`, "AWS_REGION"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			calls := srv.Emulator.Counters().Total
			code, stdout, stderr := runCLI(t, "scan", "--out", out, "--quiet")
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			want := tc.want
			if tc.code == exitNoReport {
				want = append(want, "ownerscan: no report written: ", "the reports in "+out+" are an earlier run's, untouched")
			} else if n := srv.Emulator.Counters().Total - calls; n != 0 {
				t.Errorf("%d calls before a usage error", n)
			}
			t.Log(oneErrorLine(t, stderr, want...))
			if stdout != "" {
				t.Errorf("a summary on stdout for a run that wrote nothing:\n%s", stdout)
			}
			sameAsBefore(t, before, snapshotOf(t, out))
		})
	}
}

// TestFolderNamedReportJSON: a folder named report.json in the output
// folder is exit 2 before any call, naming it; the folder is left as it
// was.
func TestFolderNamedReportJSON(t *testing.T) {
	srv := startEmulator(t, parseScenario(t, aclsEnabledOnly))
	out := t.TempDir()
	if err := os.Mkdir(filepath.Join(out, report.ReportJSONFile), 0o700); err != nil {
		t.Fatal(err)
	}
	before := snapshotOf(t, out)
	code, _, stderr := runCLI(t, "scan", "--out", out, "--quiet")
	if code != exitUsage {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitUsage, stderr)
	}
	oneErrorLine(t, stderr, filepath.Join(out, report.ReportJSONFile)+" is a folder, not a report file")
	if n := srv.Emulator.Counters().Total; n != 0 {
		t.Errorf("%d API calls", n)
	}
	sameAsBefore(t, before, snapshotOf(t, out))
}

// TestKilledRunFilesAreRemoved: a run killed with SIGKILL while it streams
// objects.csv leaves its temporary file; the next run into the folder
// removes it (and says so), while a run that finds the folder locked by a
// live run touches nothing of it.
func TestKilledRunFilesAreRemoved(t *testing.T) {
	scenario := writeFile(t, "scenario.yaml", slowScenario)
	out := t.TempDir()
	live, _ := startChild(t, childSpec{Steps: []childStep{{Args: []string{"demo", "--scenario", scenario, "--out", out, "--quiet", "--concurrency", "4"}}}})
	defer live.Process.Kill()
	var temps []string
	deadline := time.Now().Add(20 * time.Second)
	for len(temps) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the child never started objects.csv")
		}
		time.Sleep(50 * time.Millisecond)
		temps, _ = filepath.Glob(filepath.Join(out, ".objects.csv.*.tmp"))
	}

	// While the child runs, the folder is locked: nothing of it is touched.
	code, _, stderr := runCLI(t, "demo", "--out", out, "--quiet")
	if code != exitUsage || !strings.Contains(stderr, "in use by another ownerscan run") {
		t.Fatalf("run beside a live one: exit %d; stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(temps[0]); err != nil {
		t.Fatalf("the live run's temporary file was touched: %v", err)
	}

	if err := live.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	live.Wait()
	if _, err := os.Stat(temps[0]); err != nil {
		t.Fatalf("kill -9 left no temporary file to clean up: %v", err)
	}
	planted := filepath.Join(out, ".notes.0123456789abcdef.tmp") // not a name ownerscan gives
	if err := os.WriteFile(planted, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "demo", "--out", out, "--log-format", "json")
	if code != exitFindings {
		t.Fatalf("next run: exit %d; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "removed files a killed run left in the output folder") || !strings.Contains(stderr, filepath.Base(temps[0])) {
		t.Errorf("the next run does not say what it removed:\n%s", stderr)
	}
	if _, err := os.Stat(temps[0]); err == nil {
		t.Error("the killed run's temporary file is still there")
	}
	if _, err := os.Stat(planted); err != nil {
		t.Errorf("a file ownerscan did not write was removed: %v", err)
	}
	if got := dirNames(t, out); len(got) != len(reportFiles)+1 {
		t.Errorf("folder holds %v", got)
	}
}

// TestPermissionDeniedAtTheEndKeepsPreviousReports: the output folder
// becomes read-only while the scan runs (a permission error that only
// shows when the reports are written): exit 4, one line naming "permission
// denied", the previous reports byte for byte. The temporary objects.csv
// that could not be removed from the read-only folder is the only trace,
// and the next run removes it. The child runs without root's power over
// permissions.
func TestPermissionDeniedAtTheEndKeepsPreviousReports(t *testing.T) {
	quick := writeFile(t, "quick.yaml", aclsEnabledOnly)
	slow := writeFile(t, "slow.yaml", aclsEnabledOnly+"faults: {latency: 300ms}\n")
	out := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--scenario", quick, "--out", out, "--quiet"); code != exitFindings {
		t.Fatalf("previous run: exit %d; stderr:\n%s", code, stderr)
	}
	before := snapshotOf(t, out)

	child, stdout := startChild(t, childSpec{Unprivileged: true, Steps: []childStep{{Args: []string{"demo", "--scenario", slow, "--out", out, "--quiet"}}}})
	defer child.Process.Kill()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if temps, _ := filepath.Glob(filepath.Join(out, ".objects.csv.*.tmp")); len(temps) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the child never started its scan")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := os.Chmod(out, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(out, 0o700)
	if err := child.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	rep := decodeChildReport(t, stdout.Bytes())
	if rep.Err != "" || len(rep.Codes) != 1 {
		t.Fatalf("child: %+v", rep)
	}
	if rep.Codes[0] != exitNoReport {
		t.Fatalf("exit %d, want %d; stderr:\n%s", rep.Codes[0], exitNoReport, rep.Stderrs[0])
	}
	t.Log(oneErrorLine(t, rep.Stderrs[0], "ownerscan: no report written: ", "permission denied", "are an earlier run's, untouched"))

	if err := os.Chmod(out, 0o700); err != nil {
		t.Fatal(err)
	}
	after := snapshotOf(t, out)
	for name := range after {
		if strings.HasPrefix(name, ".objects.csv.") {
			delete(after, name) // the trace the read-only folder kept
		}
	}
	sameAsBefore(t, before, after)
	if code, _, stderr := runCLI(t, "demo", "--scenario", quick, "--out", out, "--quiet"); code != exitFindings {
		t.Fatalf("next run: exit %d; stderr:\n%s", code, stderr)
	}
	if got := dirNames(t, out); len(got) != len(reportFiles) {
		t.Errorf("after the next run the folder holds %v", got)
	}
}
