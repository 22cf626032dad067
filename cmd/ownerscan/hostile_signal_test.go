//go:build unix

package main

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/internal/sabotage"
	"github.com/ownerscan/ownerscan/scanner"
)

// TestHostileSigtermWithinGrace: a SIGTERM while every bucket ACL and
// listing answer drips a byte a second (each would take minutes) ends the
// scan within the grace period (README "Interrupting"): the calls still
// reading their answers are cut, and the reports are written, marked
// incomplete, exit 3. The signal is a real one, sent to ownerscan in a
// child process.
func TestHostileSigtermWithinGrace(t *testing.T) {
	out := filepath.Join(t.TempDir(), "reports")
	child, p := startHostileChild(t, string(fakeaws.BuiltinScenarioYAML()), []sabotage.Rule{
		{Operation: "GetBucketAcl", Mode: sabotage.SlowDrip, Interval: time.Second},
		{Operation: "ListObjectVersions", Mode: sabotage.SlowDrip, Interval: time.Second},
	}, "--out", out, "--quiet")
	for deadline := time.Now().Add(20 * time.Second); p.Sabotaged("GetBucketAcl") == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no ACL read started; stderr:\n%s", child.stderr.String())
		}
	}
	time.Sleep(500 * time.Millisecond) // answers are dripping
	sent := time.Now()
	if err := child.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code := child.wait(t)
	took := time.Since(sent)
	if code != exitIncomplete {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitIncomplete, child.stderr.String())
	}
	// The grace, then the reports: well under a second for this organization.
	if limit := scanner.StopGrace + 2*time.Second; took > limit {
		t.Errorf("exited %v after SIGTERM, want within %v", took, limit)
	}
	doc := readReport(t, out)
	cut := 0
	for _, b := range doc.Buckets {
		if strings.HasPrefix(b.Error, "interrupted during ") {
			cut++
		}
	}
	if doc.Complete || cut == 0 {
		t.Errorf("complete %v, %d calls cut", doc.Complete, cut)
	}
	t.Logf("exit %d %v after SIGTERM (grace %v), %d calls cut", code, took.Round(time.Millisecond), scanner.StopGrace, cut)
}
