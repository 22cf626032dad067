package main

import (
	"errors"
	"log/slog"
	"sync/atomic"

	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/report/s3report"
	"github.com/ownerscan/ownerscan/scanner"
)

// s3Publication carries one run's reports to S3 (s3report.Run): the
// publisher of `scan --out s3://...`. Its states are those of publication.
//
// Uploading the reports but report.json (staging) is not held against a
// second signal: the signal cancels the uploads under way and quits, and
// the run's folder, which has no report.json, is left as it is. Uploading
// report.json and then latest.json (the commit) is held against it, as the
// renames of a folder are, so that the signal finds the reports either in
// place or not; a signal that comes while objects.csv streams during the
// scan aborts its multipart upload first.
type s3Publication struct {
	run     *s3report.Run
	formats []report.Format
	logger  *slog.Logger

	publishGuard
	// committing is set, before the commit starts, for the signal
	// watcher, which must not cancel a commit it is going to wait for.
	committing atomic.Bool
}

var _ publisher = (*s3Publication)(nil)

// WriteObject streams one record to objects.csv. A part refused after the
// client's retries fails it, and stops the scan as a full disk does.
func (p *s3Publication) WriteObject(rec scanner.ObjectRecord) error {
	return p.writeObject(p.logger, "cannot upload objects.csv; stopping the scan", p.run.WriteObject, rec)
}

// publish uploads every report of doc, report.json last, then latest.json
// for a complete run. Reports in place with latest.json not replaced is
// not an error of the run: it is logged, and the run's exit code stands.
func (p *s3Publication) publish(doc *report.Document) ([]string, error) {
	p.mu.Lock()
	if p.state == publishAbandoned {
		p.mu.Unlock()
		return nil, errAbandoned
	}
	p.state = publishStaging
	p.mu.Unlock()

	stageErr := p.run.Stage(doc, p.formats)

	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == publishAbandoned {
		return nil, errAbandoned
	}
	if stageErr != nil {
		p.state = publishAbandoned
		return nil, stageErr
	}
	p.committing.Store(true)
	err := p.run.Commit()
	if err != nil && !errors.Is(err, s3report.ErrLatestNotUpdated) {
		p.state = publishAbandoned
		p.run.Abort()
		return nil, err
	}
	p.state = publishCommitted
	if err != nil {
		p.logger.Error("reports written, but latest.json could not be replaced: it still names the previous complete run",
			"reports", p.location(), "error", err.Error())
	}
	return nil, nil
}

// discard gives up this run's reports: objects.csv's upload is aborted.
func (p *s3Publication) discard() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != publishCommitted {
		p.state = publishAbandoned
	}
	p.run.Abort()
}

// abandonForExit: uploads under way are cancelled first, without the lock
// (a write of objects.csv may be waiting on a part while holding it),
// unless the commit has begun, which the signal waits for.
func (p *s3Publication) abandonForExit() string {
	if !p.committing.Load() {
		p.run.Cancel()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.state {
	case publishCommitted:
		return "the reports of this run were already written to " + p.location()
	case publishStaging:
		// The staging goroutine still owns the uploads; cancelled, they
		// stop. An unfinished multipart upload is left to the bucket's
		// lifecycle rule.
		p.state = publishAbandoned
		return "no new report; " + p.kept() + " (this run's uploads were cancelled)"
	}
	p.state = publishAbandoned
	p.run.Abort()
	return "no new report; " + p.kept()
}

func (p *s3Publication) kept() string {
	return p.run.Latest().String() + " is untouched (it names the previous complete run, if any)"
}

func (p *s3Publication) location() string { return p.run.Folder().String() }
func (p *s3Publication) reportJSON() string {
	return p.run.Folder().Join(report.ReportJSONFile).String()
}
