package main

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stallingWriter blocks its first Write until released, and says when
// that Write came: the run is then printing its summary, after its reports
// were put in place.
type stallingWriter struct {
	reached, release chan struct{}
	syncBuffer
}

func (w *stallingWriter) Write(p []byte) (int, error) {
	select {
	case <-w.reached:
	default:
		close(w.reached)
		<-w.release
	}
	return w.syncBuffer.Write(p)
}

// interruptTwice sends SIGINT then SIGTERM and waits for the hard exit
// the second one asks for (exit 130).
func interruptTwice(t *testing.T, sigs chan<- os.Signal, hardExits <-chan int) {
	t.Helper()
	sigs <- os.Interrupt
	sigs <- syscall.SIGTERM
	select {
	case code := <-hardExits:
		if code != exitAborted {
			t.Errorf("hard exit %d, want %d", code, exitAborted)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no hard exit after the second signal")
	}
}

// previousDemoRun writes a quick demo's reports into out, as an earlier
// run would have, and returns the folder as it then is.
func previousDemoRun(t *testing.T, out string) map[string]string {
	t.Helper()
	quick := writeFile(t, "quick.yaml", aclsEnabledOnly)
	if code, _, stderr := runCLI(t, "demo", "--scenario", quick, "--out", out, "--quiet"); code != exitFindings {
		t.Fatalf("previous run: exit %d; stderr:\n%s", code, stderr)
	}
	return snapshotOf(t, out)
}

// TestSecondSignalAfterTheCommit: two signals that come once the reports
// are in place (the run still printing its summary) end the process with
// exit 130, and the last line says, truthfully, that this run's reports
// were written.
func TestSecondSignalAfterTheCommit(t *testing.T) {
	scenario := writeFile(t, "scenario.yaml", aclsEnabledOnly)
	out := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--scenario", scenario, "--out", out, "--quiet"); code != exitFindings {
		t.Fatalf("previous run: exit %d; stderr:\n%s", code, stderr)
	}
	previous := readReport(t, out).StartedAt

	stdout := &stallingWriter{reached: make(chan struct{}), release: make(chan struct{})}
	stderr := &syncBuffer{}
	sigs, hardExits, done := make(chan os.Signal, 2), make(chan int, 1), make(chan int, 1)
	a := &app{stdout: stdout, stderr: stderr, signals: sigs, hardExit: func(code int) { hardExits <- code }, now: time.Now}
	go func() {
		done <- a.run(context.Background(), []string{"demo", "--scenario", scenario, "--out", out, "--quiet"})
	}()
	defer func() {
		close(stdout.release)
		<-done
	}()
	select {
	case <-stdout.reached:
	case <-time.After(20 * time.Second):
		t.Fatalf("the run never printed its summary; stderr:\n%s", stderr)
	}
	interruptTwice(t, sigs, hardExits)
	want := "interrupted twice: quitting at once; the reports of this run were already written to " + out
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr does not say %q:\n%s", want, stderr)
	}
	if strings.Contains(stderr.String(), "without reports") || strings.Contains(stderr.String(), "no new report") {
		t.Errorf("stderr says no report was written, but one was:\n%s", stderr)
	}
	if got := readReport(t, out).StartedAt; got.Equal(previous) {
		t.Errorf("report.json is still the previous run's (started_at %v)", got)
	}
}

// TestSecondSignalDuringTheScan: a second signal during the scan quits with
// exit 130, says no new report was written, and leaves the folder holding
// exactly the previous run's reports.
func TestSecondSignalDuringTheScan(t *testing.T) {
	out := t.TempDir()
	before := previousDemoRun(t, out)

	slow := writeFile(t, "slow.yaml", slowScenario)
	a, sigs, hardExits, done := startApp(t, "demo", "--scenario", slow, "--out", out, "--quiet", "--concurrency", "4")
	time.Sleep(500 * time.Millisecond)
	interruptTwice(t, sigs, hardExits)
	// In a real process the exit ends everything; here the run goes on to
	// its end, which gives the reports up.
	if code := waitExit(t, done); code != exitAborted {
		t.Errorf("run: exit %d, want %d", code, exitAborted)
	}
	want := "interrupted twice: quitting at once; no new report; the reports in " + out + " are an earlier run's, untouched"
	if !strings.Contains(a.stderr.(*syncBuffer).String(), want) {
		t.Errorf("stderr does not say %q:\n%s", want, a.stderr)
	}
	sameAsBefore(t, before, snapshotOf(t, out))
}
