package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/scanner/remediate"
)

// TestApplyUnderFaultsEndsAsACleanRun: with 30% of calls throttled and 5%
// of connections reset (half of them after the call took effect, its
// answer lost), apply --migrate-acls leaves every bucket exactly as a run
// without faults does. Both organizations start from the same state, so
// one plan serves both (its fingerprints match either); each run has its
// own journal.
func TestApplyUnderFaultsEndsAsACleanRun(t *testing.T) {
	clean := startEmulator(t, fakeaws.BuiltinScenario())
	dir := t.TempDir()
	plan := makeDemoPlan(t, dir)
	planCalls := clean.Emulator.Counters().Total
	if code, stdout, stderr := runCLI(t, "apply", "--plan", plan, "--migrate-acls", "--yes", "--quiet", "--journal", filepath.Join(dir, "clean.journal")); code != exitOK {
		t.Fatalf("clean apply: exit %d\n%s\n%s", code, stdout, stderr)
	}
	applyCalls := clean.Emulator.Counters().Total - planCalls
	want := readAllControls(t, clean)

	sc := fakeaws.BuiltinScenario()
	sc.Faults.Throttle = &fakeaws.ThrottleSpec{Rate: 0.3}
	sc.Faults.Reset = &fakeaws.ResetSpec{Rate: 0.05, AfterEffect: 0.5}
	faulty := startEmulator(t, sc)
	if code, stdout, stderr := runCLI(t, "apply", "--plan", plan, "--migrate-acls", "--yes", "--quiet", "--journal", filepath.Join(dir, "faulty.journal")); code != exitOK {
		t.Fatalf("apply under faults: exit %d\n%s\n%s", code, stdout, stderr)
	}
	faultyCalls := faulty.Emulator.Counters().Total
	sameControls(t, "under faults", readAllControls(t, faulty), want)
	// The faults were met: calls were sent more often than without them.
	if got := faultyCalls; got <= applyCalls+applyCalls/5 {
		t.Errorf("apply made %d calls under faults, %d without: the faults were not met", got, applyCalls)
	}
}

// TestKilledApplyIsRolledBack: apply killed (SIGKILL) while it works, one
// bucket at a time, leaves a journal from which rollback restores every
// bucket it changed, and AccountB's read fails again as before.
func TestKilledApplyIsRolledBack(t *testing.T) {
	srv, original, journal, args := slowApply(t)
	cmd, _ := startChild(t, childSpec{Steps: []childStep{{Args: args}}})
	deadline := time.Now().Add(30 * time.Second)
	for {
		data, _ := os.ReadFile(journal)
		if strings.Count(string(data), `"event":"step-done"`) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("apply did not get three steps done in time; journal:\n%s", data)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	data := string(readFile(t, journal))
	if strings.Contains(data, `"event":"run-end"`) || strings.Count(data, `"event":"bucket-done"`) >= 8 {
		t.Fatalf("apply was not killed in the middle; journal:\n%s", data)
	}
	if got := storyGet(context.Background(), srv); got != "403 AccessDenied" && got != "200 OK" {
		t.Fatalf("AccountB's GetObject: %s", got)
	}

	code, stdout, stderr := runCLI(t, "rollback", "--journal", journal, "--yes", "--quiet")
	if code != exitOK {
		t.Fatalf("rollback: exit %d\n%s\n%s", code, stdout, stderr)
	}
	sameControls(t, "after the rollback of a killed apply", readAllControls(t, srv), original)
	if got := storyGet(context.Background(), srv); got != "403 AccessDenied" {
		t.Errorf("after rollback: AccountB's GetObject = %s, want 403 AccessDenied", got)
	}
}

// TestRollbackOfAJournalCutMidLine: a journal that ends in the middle of a
// line (the process died writing it) is rolled back up to its last whole
// entry; the step whose end was being written is checked against the
// bucket and undone, as it took effect.
func TestRollbackOfAJournalCutMidLine(t *testing.T) {
	srv := startEmulator(t, fakeaws.BuiltinScenario())
	original := readAllControls(t, srv)
	plan := makeDemoPlan(t, t.TempDir())
	if code, stdout, stderr := runCLI(t, "apply", "--plan", plan, "--migrate-acls", "--yes", "--quiet"); code != exitOK {
		t.Fatalf("apply: exit %d\n%s\n%s", code, stdout, stderr)
	}
	journal := plan + ".journal"
	data := string(readFile(t, journal))
	last := strings.LastIndex(data, `{"time"`)
	cut := strings.LastIndex(data[:last], `"event":"step-done"`)
	if cut < 0 {
		t.Fatal("no step-done in the journal")
	}
	if err := os.WriteFile(journal, []byte(data[:cut]), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "rollback", "--journal", journal, "--quiet")
	if code != exitOK || !strings.Contains(stderr, "partial entry") || strings.Count(stdout, "  would-restore ") != 8 {
		t.Fatalf("dry run of the cut journal: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, stderr = runCLI(t, "rollback", "--journal", journal, "--yes", "--quiet"); code != exitOK {
		t.Fatalf("rollback: exit %d\n%s\n%s", code, stdout, stderr)
	}
	sameControls(t, "after the rollback of a cut journal", readAllControls(t, srv), original)
	if !strings.Contains(string(readFile(t, journal)), "partial entry") {
		t.Error("the journal does not note the partial line it kept")
	}
}

// TestInterruptedApplyStopsBetweenSteps: a SIGINT while apply works one
// bucket at a time lets the step underway finish and starts no other:
// exit 3, and the journal says of every bucket it started where it
// stopped (every step it started has ended). Applying the plan again
// finishes the work, and rollback undoes all of it.
func TestInterruptedApplyStopsBetweenSteps(t *testing.T) {
	srv, original, journal, args := slowApply(t)
	a, sigs, hardExits, done := startApp(t, args...)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(string(readFileIfAny(journal)), `"event":"step-done"`) {
		if time.Now().After(deadline) {
			t.Fatal("no step done in time")
		}
		time.Sleep(2 * time.Millisecond)
	}
	sigs <- syscall.SIGINT
	var code int
	select {
	case code = <-done:
	case c := <-hardExits:
		t.Fatalf("hard exit %d", c)
	case <-time.After(30 * time.Second):
		t.Fatal("apply did not stop")
	}
	stderr := a.stderr.(*syncBuffer).String()
	if code != exitIncomplete || !strings.Contains(stderr, "interrupted") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	entries, _, err := remediate.ReadJournalFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	open := map[string]bool{}  // buckets with a step started and not ended
	ended := map[string]bool{} // buckets done or stopped
	stopped := 0
	for _, e := range entries {
		switch e.Event {
		case remediate.EventStepStart:
			open[e.Bucket] = true
		case remediate.EventStepDone, remediate.EventStepFailed:
			open[e.Bucket] = false
		case remediate.EventBucketStopped:
			stopped++
			ended[e.Bucket] = true
		case remediate.EventBucketDone:
			ended[e.Bucket] = true
		}
	}
	for bucket, o := range open {
		if o || !ended[bucket] {
			t.Errorf("%s: a step left open (%t), or no entry saying where it stopped (%t)", bucket, o, !ended[bucket])
		}
	}
	if len(ended) == 8 && stopped == 0 {
		t.Fatalf("the signal came after every bucket was done; journal entries: %d", len(entries))
	}

	if code, stdout, stderr := runCLI(t, args...); code != exitOK || !strings.Contains(stdout, "already-done") {
		t.Fatalf("apply again: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, stderr := runCLI(t, "rollback", "--journal", journal, "--yes", "--quiet"); code != exitOK {
		t.Fatalf("rollback: exit %d\n%s\n%s", code, stdout, stderr)
	}
	sameControls(t, "after the rollback of an interrupted and resumed apply", readAllControls(t, srv), original)
}

func readFileIfAny(path string) []byte {
	data, _ := os.ReadFile(path)
	return data
}

// slowApply serves the demo organization with 30 ms per call, plans it, and
// returns the command line of an apply --migrate-acls that works one
// bucket at a time (a second or two), the controls before and the journal.
func slowApply(t *testing.T) (srv *fakeaws.Server, original map[string]bucketControls, journal string, args []string) {
	t.Helper()
	sc := fakeaws.BuiltinScenario()
	sc.Faults.Latency = fakeaws.Duration(30 * time.Millisecond)
	srv = startEmulator(t, sc)
	original = readAllControls(t, srv)
	plan := makeDemoPlan(t, t.TempDir())
	oneAtATime := writeFile(t, "config.yaml", "concurrency: 1\n")
	return srv, original, plan + ".journal", []string{"apply", "--plan", plan, "--migrate-acls", "--yes", "--quiet", "--config", oneAtATime}
}
