package main

import (
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/scanner"
)

// TestSecondSignalWhileTheReportsAreWritten: a second signal while the
// report files are being written (not yet renamed into place) gives them
// up without touching them under the writer; the run then removes them
// itself, and the folder keeps the previous run's reports.
func TestSecondSignalWhileTheReportsAreWritten(t *testing.T) {
	out := t.TempDir()
	before := previousDemoRun(t, out)
	res := readReport(t, out).Result

	objects, err := report.NewObjectsCSV(out)
	if err != nil {
		t.Fatal(err)
	}
	p := &publication{dir: out, formats: []report.Format{report.FormatJSON, report.FormatCSV}, objects: objects, logger: slog.New(slog.DiscardHandler)}
	if err := p.WriteObject(scanner.ObjectRecord{AccountID: "222222222222", Bucket: "b", Key: "k"}); err != nil {
		t.Fatal(err)
	}
	staging, err := p.beginStaging()
	if err != nil {
		t.Fatal(err)
	}
	staged, stageErr := report.Stage(out, res, report.Tool{Name: "ownerscan", Version: "test"}, p.formats, staging)
	// The signal comes now, between writing and renaming.
	outcome := p.abandonForExit()
	if !strings.HasPrefix(outcome, "no new report; the reports in "+out+" are an earlier run's, untouched") {
		t.Errorf("outcome %q", outcome)
	}
	if temps, _ := filepath.Glob(filepath.Join(out, ".*.tmp")); len(temps) != 5 {
		t.Errorf("the signal touched the files being written: %v", temps)
	}
	if _, err := p.commit(staged, stageErr); !errors.Is(err, errAbandoned) {
		t.Errorf("commit after the signal: %v, want errAbandoned", err)
	}
	sameAsBefore(t, before, snapshotOf(t, out))
	if outcome := p.abandonForExit(); !strings.HasPrefix(outcome, "no new report") {
		t.Errorf("a third signal says %q", outcome)
	}
}
