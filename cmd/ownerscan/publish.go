package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/scanner"
)

// publishState is how far a run's reports have gone.
type publishState int

const (
	// scanning: objects.csv may be streaming into its temporary file.
	publishScanning publishState = iota
	// staging: every report is being written to its temporary file.
	publishStaging
	// committed: the reports are in place.
	publishCommitted
	// abandoned: a second signal came first, or the run has nothing to
	// report; no report of this run will be put in place.
	publishAbandoned
)

// errAbandoned is returned by publish once the run was abandoned.
var errAbandoned = errors.New("the reports of this run were abandoned")

// publisher carries one run's reports to where they go: a local folder
// (publication) or S3 (s3Publication). It is the scanner's object sink
// (objects.csv streams through it while the scan runs), and it is shared
// by the run and the signal watcher: a second signal must learn,
// truthfully, whether the reports of this run are in place.
type publisher interface {
	scanner.ObjectSink
	// streamFailure is the first failed write of objects.csv, if any.
	streamFailure() error
	// publish writes every report of doc and puts them in place, report.json
	// last; it returns the report files of other formats it removed.
	publish(doc *report.Document) (retired []string, err error)
	// discard gives up this run's reports: the run has nothing to report.
	discard()
	// abandonForExit is what a second signal does, and says what it left.
	abandonForExit() string
	// kept says what the destination holds when this run wrote nothing.
	kept() string
	// location is where this run's reports go; reportJSON its report.json.
	location() string
	reportJSON() string
}

var _ publisher = (*publication)(nil)

// publishGuard is what a publisher shares with the signal watcher, under
// its lock: how far the run's reports have gone, and objects.csv's first
// failed write.
type publishGuard struct {
	mu      sync.Mutex
	state   publishState
	sinkErr error
}

// writeObject streams rec with write, unless the run was abandoned. The
// first failure (a full disk, a refused upload) is logged at once with
// what, so that its cause leads stderr: the scanner then stops, and what
// it logs about calls cut short follows from it.
func (g *publishGuard) writeObject(logger *slog.Logger, what string, write func(scanner.ObjectRecord) error, rec scanner.ObjectRecord) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.state == publishAbandoned {
		return errAbandoned
	}
	err := write(rec)
	if err != nil && g.sinkErr == nil {
		g.sinkErr = err
		logger.Error(what, "error", err.Error())
	}
	return err
}

// streamFailure is the first failed write to objects.csv, if any: the
// reports of such a run cannot be whole.
func (g *publishGuard) streamFailure() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.sinkErr
}

// publication carries one run's reports into the output folder, and is
// shared by the run and the signal watcher: a second signal must learn,
// truthfully, whether the reports of this run are in place, and must never
// stop the process half-way through putting them there.
//
// It is also the scanner's object sink: objects.csv streams through it
// into its temporary file, so that an abandon never races a write.
type publication struct {
	dir     string
	formats []report.Format
	logger  *slog.Logger
	objects *report.ObjectsCSV // nil when objects.csv is not wanted; set before the scan

	publishGuard
}

// WriteObject streams one record to objects.csv.
func (p *publication) WriteObject(rec scanner.ObjectRecord) error {
	if p.objects == nil {
		return nil
	}
	return p.writeObject(p.logger, "cannot write objects.csv; stopping the scan", p.objects.WriteObject, rec)
}

// publish writes every report of doc to its temporary file, then, unless
// the run was abandoned meanwhile, puts them all in place (report.Stage and
// Staged.Commit). Writing the files is not held against a second signal;
// putting them in place is (it takes a few renames), so that the signal
// finds the reports either in place or not. It returns the report files of
// other formats the commit removed.
func (p *publication) publish(doc *report.Document) (retired []string, err error) {
	objects, err := p.beginStaging()
	if err != nil {
		return nil, err
	}
	staged, err := report.StageDocument(p.dir, doc, p.formats, objects)
	return p.commit(staged, err)
}

// beginStaging moves to staging, unless the run was abandoned, and hands
// over objects.csv: the scan is over, nothing streams into it any more.
func (p *publication) beginStaging() (*report.ObjectsCSV, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == publishAbandoned {
		return nil, errAbandoned
	}
	p.state = publishStaging
	return p.objects, nil
}

// commit puts the staged reports in place, unless the run was abandoned
// while they were written (staged is then aborted) or staging failed
// (stageErr).
func (p *publication) commit(staged *report.Staged, stageErr error) (retired []string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if stageErr != nil {
		p.state = publishAbandoned
		return nil, stageErr
	}
	if p.state == publishAbandoned {
		staged.Abort()
		return nil, errAbandoned
	}
	err = staged.Commit()
	if err != nil && !errors.Is(err, report.ErrNotSynced) {
		p.state = publishAbandoned
		return nil, err
	}
	p.state = publishCommitted
	return staged.Retired(), err
}

// discard gives up this run's reports: the run has nothing to report.
func (p *publication) discard() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.abandonLocked()
}

func (p *publication) abandonLocked() {
	p.state = publishAbandoned
	if p.objects != nil {
		p.objects.Abort() // does nothing once staged or committed
	}
}

// abandonForExit is what a second signal does: it gives the reports up
// unless they are in place already (waiting for a commit underway, a few
// renames, to end), and says which, for the last line before the process
// ends.
func (p *publication) abandonForExit() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.state {
	case publishCommitted:
		return "the reports of this run were already written to " + p.dir
	case publishStaging:
		// The files being written are left to the next run's clean-up:
		// removing them under the writer would race it.
		p.state = publishAbandoned
		return "no new report; " + keptReports(p.dir) + " (temporary files of this run are removed by the next run)"
	}
	p.abandonLocked()
	return "no new report; " + keptReports(p.dir)
}

func (p *publication) kept() string       { return keptReports(p.dir) }
func (p *publication) location() string   { return p.dir }
func (p *publication) reportJSON() string { return filepath.Join(p.dir, report.ReportJSONFile) }

// keptReports says what the output folder holds when a run wrote nothing:
// an earlier run's reports, untouched, or no report at all.
func keptReports(dir string) string {
	if _, err := os.Lstat(filepath.Join(dir, report.ReportJSONFile)); err == nil {
		return fmt.Sprintf("the reports in %s are an earlier run's, untouched", dir)
	}
	return fmt.Sprintf("%s holds no report", dir)
}
