package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/scanner"
)

// slowScenario takes tens of seconds to scan at concurrency 4: 100 buckets
// not enforced, 20 listing pages each, 50ms per call.
const slowScenario = `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
generate:
  accounts: 20
  buckets_per_account: 5
  not_enforced_fraction: 1
  objects_per_bucket: 20000
  foreign_fraction: 0.01
faults:
  latency: 50ms
`

// syncBuffer is a bytes.Buffer safe to read while a command writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startApp runs args in the background on an app whose signals the test
// sends. The exit code arrives on the returned channel.
func startApp(t *testing.T, args ...string) (a *app, sigs chan os.Signal, hardExits chan int, done chan int) {
	t.Helper()
	sigs = make(chan os.Signal, 2)
	hardExits = make(chan int, 1)
	a = &app{
		stdout: &syncBuffer{}, stderr: &syncBuffer{},
		signals:  sigs,
		hardExit: func(code int) { hardExits <- code },
		now:      time.Now,
	}
	done = make(chan int, 1)
	go func() { done <- a.run(context.Background(), args) }()
	return a, sigs, hardExits, done
}

// TestInterrupt: SIGINT in the middle of a scan under latency ends it
// within 5 seconds with exit 3 and partial reports marked incomplete, every
// account and bucket not reached listed as such.
func TestInterrupt(t *testing.T) {
	scenario := writeFile(t, "scenario.yaml", slowScenario)
	out := t.TempDir()
	a, sigs, hardExits, done := startApp(t, "demo", "--scenario", scenario, "--out", out, "--quiet", "--concurrency", "4")
	// Long enough for accounts to list their buckets (four round trips of
	// 50 ms after the emulator starts) on a loaded machine, far from the
	// tens of seconds the scan takes.
	time.Sleep(1500 * time.Millisecond)
	sigs <- os.Interrupt
	sent := time.Now()
	select {
	case code := <-done:
		if code != exitIncomplete {
			t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitIncomplete, a.stderr)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still running 5s after SIGINT")
	}
	t.Logf("stopped %v after the signal", time.Since(sent).Round(time.Millisecond))
	select {
	case code := <-hardExits:
		t.Fatalf("hard exit %d after one signal", code)
	default:
	}
	checkReportFiles(t, out)
	doc := readReport(t, out)
	if doc.Complete {
		t.Error("report.json: complete is true after an interrupt")
	}
	if doc.Summary.Accounts != 21 {
		t.Errorf("report.json lists %d accounts, want all 21 in scope", doc.Summary.Accounts)
	}
	var notDone int
	for _, b := range doc.Buckets {
		if b.Status == scanner.BucketFailed {
			notDone++
		}
	}
	if notDone == 0 {
		t.Errorf("no bucket is marked failed/not reached after an interrupt (%d buckets)", len(doc.Buckets))
	}
	stderr := a.stderr.(*syncBuffer).String()
	if !strings.Contains(stderr, "ownerscan: interrupted: partial reports written to "+out+", marked incomplete") {
		t.Errorf("stderr does not say the reports are partial:\n%s", stderr)
	}
}

// TestInterruptTwice: a second signal quits at once (exit 130), removing
// the half-written objects.csv.
func TestInterruptTwice(t *testing.T) {
	scenario := writeFile(t, "scenario.yaml", slowScenario)
	out := t.TempDir()
	_, sigs, hardExits, done := startApp(t, "demo", "--scenario", scenario, "--out", out, "--quiet", "--concurrency", "4")
	time.Sleep(500 * time.Millisecond)
	interruptTwice(t, sigs, hardExits)
	// In a real process the exit above ends everything; here the run goes
	// on to its end, which must come soon since the first signal cancelled it.
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("run did not end")
	}
	for _, name := range dirNames(t, out) {
		if strings.HasPrefix(name, ".objects.csv") {
			t.Errorf("temporary file %s left behind", name)
		}
	}
}

// TestInterruptRealSignal sends a real SIGINT to the test process while
// run (the function main calls) scans: the signal is caught, not fatal.
func TestInterruptRealSignal(t *testing.T) {
	scenario := writeFile(t, "scenario.yaml", slowScenario)
	out := t.TempDir()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"demo", "--scenario", scenario, "--out", out, "--quiet", "--concurrency", "4"}, &stdout, &stderr)
	}()
	time.Sleep(700 * time.Millisecond)
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != exitIncomplete {
			t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitIncomplete, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still running 5s after SIGINT")
	}
	if readReport(t, out).Complete {
		t.Error("complete is true after an interrupt")
	}
}

// TestEmulate serves the emulator, points `scan` at it with exactly the
// lines it printed, and stops it with a signal.
func TestEmulate(t *testing.T) {
	a, sigs, _, done := startApp(t, "emulate", "--addr", "127.0.0.1:0")
	stdout := waitForExports(t, a)
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		kv, ok := strings.CutPrefix(line, "export ")
		k, v, ok2 := strings.Cut(kv, "=")
		if !ok || !ok2 {
			t.Fatalf("not an export line: %q", line)
		}
		env[k] = v
	}
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		if env[k] == "" {
			t.Errorf("no export of %s in %q", k, stdout)
		}
	}
	if env["AWS_REGION"] != "us-east-1" || !strings.HasPrefix(env["AWS_ENDPOINT_URL"], "http://127.0.0.1:") {
		t.Errorf("exports %v", env)
	}

	isolateAWSEnv(t)
	for k, v := range env {
		t.Setenv(k, v)
	}
	out := t.TempDir()
	code, _, stderr := runCLI(t, "scan", "--out", out, "--quiet")
	if code != exitFindings && code != exitIncomplete { // TestDemo holds the built-in scenario to exit 1
		t.Fatalf("scan against emulate: exit %d; stderr:\n%s", code, stderr)
	}
	checkReportFiles(t, out)
	resp, err := http.Get(env["AWS_ENDPOINT_URL"] + "/_fakeaws/counters")
	if err != nil {
		t.Fatal(err)
	}
	var counters struct{ Total int64 }
	err = json.NewDecoder(resp.Body).Decode(&counters)
	resp.Body.Close()
	if err != nil || counters.Total == 0 {
		t.Errorf("counters after a scan: %+v, %v", counters, err)
	}

	sigs <- syscall.SIGTERM
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("emulate: exit %d after SIGTERM, want 0", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("emulate still running after SIGTERM")
	}
	if _, err := http.Get(env["AWS_ENDPOINT_URL"] + "/_fakeaws/counters"); err == nil {
		t.Error("the emulator still answers after emulate returned")
	}
}

// TestScanStatsAgainstEmulate: `scan --stats` reads the call count from the
// emulator's counters and the minimum from the emulator's own contents, so
// the performance figures can be taken with the emulator in its own
// process.
func TestScanStatsAgainstEmulate(t *testing.T) {
	srv := startEmulator(t, parseScenario(t, aclsEnabledOnly))
	code, stdout, stderr := runCLI(t, "scan", "--out", filepath.Join(t.TempDir(), "r"), "--quiet", "--stats")
	if code != exitFindings {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	st := lastStatsLine(t, stdout)
	if st.Calls != srv.Emulator.Counters().Total || st.Calls != st.MinCalls || st.MinCallsFrom != minFromEmulator {
		t.Errorf("calls %d, min_calls %d (from %s), emulator counted %d", st.Calls, st.MinCalls, st.MinCallsFrom, srv.Emulator.Counters().Total)
	}
}

// TestScanStatsWithoutEmulator: against an endpoint that is no emulator
// (here: none answers the emulator's endpoints), `scan --stats` says its
// minimum is the scan's own count, and gives no bound.
func TestScanStatsWithoutEmulator(t *testing.T) {
	line := statsLine{}
	line.setOwnCount(&scanner.Result{Calls: scanner.CallStats{MinCalls: 42, CriticalPath: 7}})
	if line.MinCalls != 42 || line.MinCallsFrom != minFromScan || line.BoundS != 0 {
		t.Errorf("stats %+v, want min_calls 42 from the scan, no bound", line)
	}
	if m, ok := emulatorMinimum(t.Context(), "http://127.0.0.1:9", fakeaws.ScanShape{}); ok {
		t.Errorf("a closed port answered a minimum: %+v", m)
	}
}
