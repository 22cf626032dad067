package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/scanner"
)

// scanCommand is `ownerscan scan`: credentials and endpoint come from the
// default AWS chain (environment, profile, SSO, instance role;
// AWS_ENDPOINT_URL is honoured by the SDK itself).
func (a *app) scanCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	var f scanFlags
	f.register(fs)
	if err := a.parseFlags(fs, args); err != nil {
		return err
	}
	setup, cfg, err := f.setup(a, fs)
	if err != nil {
		return err
	}
	defer a.tuneGC()()
	if setup.outDir == "" {
		setup.outDir = "ownerscan-report-" + a.now().Format("20060102-150405")
	}
	// The output folder is checked before any API call: a folder that cannot
	// be written is a usage error, not a scan thrown away at the end.
	if err := report.EnsureDir(setup.outDir); err != nil {
		return &usageError{cfg.errAt("output.dir", "%v", err)}
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return usagef("aws configuration: %v", err)
	}
	// With --stats against an emulator (`ownerscan emulate`), the calls are
	// read from its counters before and after; elsewhere they are unknown (-1).
	callsBefore := int64(-1)
	if setup.stats && awsCfg.BaseEndpoint != nil {
		if n, ok := emulatorCalls(ctx, *awsCfg.BaseEndpoint); ok {
			callsBefore = n
		}
	}
	res, times, err := a.executeScan(ctx, awsCfg, setup)
	if setup.stats && res != nil {
		line := statsLine{
			Calls:      -1,
			MinCalls:   res.Calls.MinCalls,
			WallS:      times.scan.Seconds(),
			ReportS:    times.reports.Seconds(),
			PeakRSSMiB: peakRSSMiB(),
			Objects:    res.Summary.ObjectsScanned,
		}
		if callsBefore >= 0 {
			if n, ok := emulatorCalls(ctx, *awsCfg.BaseEndpoint); ok {
				line.Calls = n - callsBefore
			}
		}
		a.printStats(line)
	}
	return err
}

// executeScan is the scan path shared by scan and demo: scanner, streamed
// objects.csv, progress, interruption, reports, summary and the verdict for
// the exit code. It returns the result (nil only when the scan could not be
// set up) and how long the scan itself and the writing of the reports took.
func (a *app) executeScan(ctx context.Context, awsCfg aws.Config, setup *scanSetup) (*scanner.Result, runTimes, error) {
	logger := setup.logger.With("component", "cli")
	s, err := scanner.New(awsCfg, setup.opts, setup.logger)
	if err != nil {
		return nil, runTimes{}, &usageError{fmt.Errorf("config: %w", err)}
	}
	// One run at a time per output folder, checked before any API call:
	// two runs renaming files into one folder would mix their reports.
	unlock, err := report.LockDir(setup.outDir)
	if err != nil {
		if errors.Is(err, report.ErrDirInUse) {
			return nil, runTimes{}, usagef("output folder %s is in use by another ownerscan run; wait for it or choose another --out", setup.outDir)
		}
		return nil, runTimes{}, usagef("output folder %s: %v", setup.outDir, err)
	}
	defer unlock()

	var sink scanner.ObjectSink = discardObjects{}
	var objects *guardedObjects
	if wantsFile(setup.formats, report.ObjectsCSVFile) {
		csv, err := report.NewObjectsCSV(setup.outDir)
		if err != nil {
			return nil, runTimes{}, fmt.Errorf("start objects.csv: %w", err)
		}
		objects = &guardedObjects{csv: csv}
		defer objects.abort() // after a successful commit this does nothing
		sink = objects
	}

	// The first signal closes stop (a graceful stop, see ScanUntil); the
	// watch goes on until the reports are written, so that a second signal
	// quits at once whatever the run is doing.
	stop := make(chan struct{})
	var stopOnce sync.Once
	interrupted, unwatch := a.watchInterrupts(func() { stopOnce.Do(func() { close(stop) }) }, logger, func() {
		if objects != nil {
			objects.abort()
		}
	})
	defer unwatch()
	progress := &scanner.Progress{}
	stopProgress := startProgress(ctx, progress, setup.status, setup.width, setup.quiet, logger, a.now)

	started := a.now()
	res, scanErr := s.ScanUntil(ctx, stop, sink, progress)
	times := runTimes{scan: a.now().Sub(started)}
	stopProgress()
	// A signal after the scan returned does not make a finished scan partial.
	wasInterrupted := interrupted()

	if res == nil { // the scanner promises a result; never write an empty report as if it were one
		if scanErr == nil {
			scanErr = errors.New("scanner returned no result")
		}
		return nil, times, fmt.Errorf("scan: %w", scanErr)
	}
	if errors.Is(scanErr, scanner.ErrOrganizationMismatch) {
		// Found before any account was scanned: nothing to report, and the
		// previous reports stay as they are.
		return nil, times, usagef("baseline: %v", scanErr)
	}
	if scanErr != nil || wasInterrupted {
		res.Complete = false
	}
	cmp, err := compareWithBaseline(setup.baseline, res)
	if err != nil {
		return res, times, fmt.Errorf("compare with the baseline: %w", err)
	}

	// Files of formats this run does not write go first, then every report
	// of this run lands with report.json renamed last (the commit point,
	// see report.WriteWithObjects).
	removeStaleReports(setup.outDir, setup.formats, logger)
	tool := report.Tool{Name: "ownerscan", Version: version()}
	doc := report.NewDocument(res, tool, cmp)
	publish := func(csv *report.ObjectsCSV) error {
		return report.WriteDocument(setup.outDir, doc, setup.formats, csv)
	}
	reportsStarted := a.now()
	if objects != nil {
		err = objects.publish(publish)
	} else {
		err = publish(nil)
	}
	times.reports = a.now().Sub(reportsStarted)
	if err != nil {
		return res, times, fmt.Errorf("write reports: %w", err)
	}
	if cmp != nil {
		// What changed leads: it is what a nightly run is read for.
		if err := report.WriteChanges(a.stdout, cmp, summaryMaxChanges); err != nil {
			return res, times, fmt.Errorf("write summary: %w", err)
		}
		fmt.Fprintln(a.stdout)
	}
	if err := report.WriteSummary(a.stdout, res, setup.outDir); err != nil {
		return res, times, fmt.Errorf("write summary: %w", err)
	}

	switch {
	case wasInterrupted:
		return res, times, fmt.Errorf("%w: partial reports written to %s, marked incomplete", errInterrupted, setup.outDir)
	case scanErr != nil:
		return res, times, fmt.Errorf("%w: %v (reports written to %s, marked incomplete)", errIncomplete, scanErr, setup.outDir)
	case !res.Complete:
		return res, times, fmt.Errorf("%w: %d account(s) and %d bucket(s) could not be scanned; see %s",
			errIncomplete, res.Summary.AccountsFailed, res.Summary.BucketsFailed, filepath.Join(setup.outDir, report.ReportJSONFile))
	case hasFindingAtOrAbove(res.Findings, setup.failOn, setup.failOnNew):
		return res, times, errFindings
	}
	return res, times, nil
}

// runTimes are the wall times of one run's scan and of writing its reports.
type runTimes struct {
	scan, reports time.Duration
}

// summaryMaxChanges is how many new, resolved and unverified findings the
// summary lists each; the reports have them all.
const summaryMaxChanges = 10

// hasFindingAtOrAbove says whether any finding reaches the --fail-on
// severity; with onlyNew (--fail-on-new), any finding marked new against
// the baseline. SCAN_ERROR findings rank 0 and count through Complete
// instead.
func hasFindingAtOrAbove(findings []scanner.Finding, failOn scanner.Severity, onlyNew bool) bool {
	for _, f := range findings {
		if onlyNew && f.Change != scanner.ChangeNew {
			continue
		}
		if r := f.Severity.Rank(); r > 0 && r >= failOn.Rank() {
			return true
		}
	}
	return false
}

// wantsFile says whether one of the formats produces the named file.
func wantsFile(formats []report.Format, name string) bool {
	for _, info := range report.Formats {
		if slices.Contains(formats, info.Name) && slices.Contains(info.Files, name) {
			return true
		}
	}
	return false
}

// removeStaleReports removes report files of formats this run did not
// write, left in the folder by an earlier run, so that the folder never holds
// files of two runs side by side. Only ownerscan's own file names are
// touched.
func removeStaleReports(dir string, formats []report.Format, logger *slog.Logger) {
	for _, info := range report.Formats {
		if slices.Contains(formats, info.Name) {
			continue
		}
		for _, name := range info.Files {
			p := filepath.Join(dir, name)
			if err := os.Remove(p); err == nil {
				logger.Info("removed a report file of an earlier run in another format", "file", p)
			} else if !errors.Is(err, fs.ErrNotExist) {
				logger.Info("could not remove a report file of an earlier run", "file", p, "error", err)
			}
		}
	}
}

// discardObjects is the sink when objects.csv is not wanted.
type discardObjects struct{}

func (discardObjects) WriteObject(scanner.ObjectRecord) error { return nil }

// guardedObjects serialises the streamed objects.csv between the scanner's
// writer goroutine and an abort from the signal watcher, so that a second
// Ctrl-C can remove the temporary file without racing a write.
type guardedObjects struct {
	mu  sync.Mutex
	csv *report.ObjectsCSV
}

func (g *guardedObjects) WriteObject(rec scanner.ObjectRecord) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.csv.WriteObject(rec)
}

// publish runs write with the file, holding off an abort (a second signal)
// until it is done: the abort then finds the file published, or removed by
// write's own failure, and has nothing to race with.
func (g *guardedObjects) publish(write func(*report.ObjectsCSV) error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return write(g.csv)
}

func (g *guardedObjects) abort() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.csv.Abort()
}
