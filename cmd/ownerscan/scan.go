package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
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
	setup, cfg, err := f.setup(ctx, a, fs)
	if err != nil {
		return err
	}
	if setup.outS3 == nil {
		if setup.outDir == "" {
			setup.outDir = "ownerscan-report-" + a.now().Format("20060102-150405")
		}
		// The output folder is checked before any API call: a folder that
		// cannot be written is a usage error, not a scan thrown away at the
		// end.
		if err := report.EnsureDir(setup.outDir); err != nil {
			return &usageError{cfg.errAt("output.dir", "%v", err)}
		}
	}
	awsCfg, err := callerConfig(ctx)
	if err != nil {
		return err
	}
	if err := a.prepareS3(ctx, awsCfg, setup, cfg); err != nil {
		return err
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
			WallS:      times.scan.Seconds(),
			ReportS:    times.reports.Seconds(),
			PeakRSSMiB: peakRSSMiB(),
			Objects:    res.Summary.ObjectsScanned,
		}
		line.setOwnCount(res)
		if callsBefore >= 0 {
			if n, ok := emulatorCalls(ctx, *awsCfg.BaseEndpoint); ok {
				line.Calls = n - callsBefore
			}
			if m, ok := a.emulatorMinimumOf(ctx, awsCfg, setup.opts); ok {
				line.setMinimum(m, setup.opts.Concurrency)
			}
		}
		a.printStats(line)
	}
	return err
}

// emulatorMinimumOf asks the emulator behind awsCfg for the minimum of the
// scan just made (the caller named by its access key).
func (a *app) emulatorMinimumOf(ctx context.Context, awsCfg aws.Config, opts scanner.Options) (fakeaws.Minimum, bool) {
	creds, err := awsCfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fakeaws.Minimum{}, false
	}
	return emulatorMinimum(ctx, *awsCfg.BaseEndpoint, scanShape(opts, "", creds.AccessKeyID))
}

// executeScan is the scan path shared by scan and demo: scanner, streamed
// objects.csv, progress, interruption, reports, summary and the verdict for
// the exit code. It returns the result (nil only when the scan could not be
// set up) and how long the scan itself and the writing of the reports took.
//
// A run writes reports only when it has something to report: one that
// learned nothing (not one account listed: no credentials, an endpoint
// that cannot be reached, an organization that cannot be read, a signal
// that early) leaves the output folder as it was, as does one whose reports
// cannot be written (see report.Staged.Commit).
func (a *app) executeScan(ctx context.Context, awsCfg aws.Config, setup *scanSetup) (*scanner.Result, runTimes, error) {
	logger := setup.logger.With("component", "cli")
	pub, closePub, err := openPublisher(setup, logger)
	if err != nil {
		return nil, runTimes{}, err
	}
	defer closePub()
	s, err := scanner.New(awsCfg, setup.opts, setup.logger)
	if err != nil {
		return nil, runTimes{}, &usageError{fmt.Errorf("config: %w", err)}
	}

	// The first signal closes stop (a graceful stop, see ScanUntil); the
	// watch goes on until the reports are written, so that a second signal
	// quits at once whatever the run is doing.
	stop, interrupted, unwatch := a.watchInterrupts(logger, pub.abandonForExit)
	defer unwatch()
	progress := &scanner.Progress{}
	stopProgress := startProgress(ctx, progress, setup.status, setup.width, setup.quiet, logger, a.now)

	started := a.now()
	res, scanErr := s.ScanUntil(ctx, stop, pub, progress)
	times := runTimes{scan: a.now().Sub(started)}
	stopProgress()
	// A signal after the scan returned does not make a finished scan partial.
	wasInterrupted := interrupted()

	if res == nil { // the scanner promises a result; never write an empty report as if it were one
		if scanErr == nil {
			scanErr = errors.New("scanner returned no result")
		}
		return nil, times, fmt.Errorf("%w: scan: %v; %s", errNoReport, scanErr, pub.kept())
	}
	if errors.Is(scanErr, scanner.ErrOrganizationMismatch) {
		// Found before any account was scanned: nothing to report, and the
		// previous reports stay as they are.
		pub.discard()
		return nil, times, usagef("baseline: %v", scanErr)
	}
	if scanErr != nil || wasInterrupted {
		res.Complete = false
	}
	if err := pub.streamFailure(); err != nil {
		// The scan stopped for it; its cause, not what stopping cut short,
		// is the one line to print.
		pub.discard()
		return res, times, fmt.Errorf("%w: %v; %s", errNoReport, err, pub.kept())
	}
	if len(res.Accounts) == 0 && (scanErr != nil || wasInterrupted) {
		pub.discard()
		if wasInterrupted {
			return res, times, fmt.Errorf("%w: interrupted before the scan listed any account; %s", errStoppedEarly, pub.kept())
		}
		return res, times, fmt.Errorf("%w: the scan failed before it listed any account: %v; %s", errNoReport, scanErr, pub.kept())
	}
	cmp, err := compareWithBaseline(setup.baseline, res)
	if err != nil {
		pub.discard()
		return res, times, fmt.Errorf("%w: compare with the baseline: %v; %s", errNoReport, err, pub.kept())
	}

	// Every report of this run lands with report.json renamed last (the
	// commit point), and report files of formats this run does not write
	// go in the same commit.
	reportsStarted := a.now()
	doc := report.NewDocument(res, report.Tool{Name: "ownerscan", Version: version()}, cmp)
	retired, err := pub.publish(doc)
	times.reports = a.now().Sub(reportsStarted)
	switch {
	case errors.Is(err, errAbandoned):
		return res, times, fmt.Errorf("%w: interrupted twice; %s", errStoppedEarly, pub.kept())
	case errors.Is(err, report.ErrNotSynced):
		logger.Warn("reports written, but a crash now could lose them", "error", err.Error())
	case err != nil:
		return res, times, fmt.Errorf("%w: %v; %s", errNoReport, err, pub.kept())
	}
	for _, name := range retired {
		logger.Info("removed a report file of an earlier run in another format", "file", filepath.Join(pub.location(), name))
	}
	if cmp != nil {
		// What changed leads: it is what a nightly run is read for.
		if err := report.WriteChanges(a.stdout, cmp, summaryMaxChanges); err != nil {
			return res, times, fmt.Errorf("write summary: %w", err)
		}
		fmt.Fprintln(a.stdout)
	}
	if err := report.WriteSummary(a.stdout, res, pub.location()); err != nil {
		return res, times, fmt.Errorf("write summary: %w", err)
	}

	switch {
	case wasInterrupted:
		return res, times, fmt.Errorf("%w: partial reports written to %s, marked incomplete", errInterrupted, pub.location())
	case scanErr != nil:
		return res, times, fmt.Errorf("%w: %v (reports written to %s, marked incomplete)", errIncomplete, scanErr, pub.location())
	case !res.Complete:
		return res, times, fmt.Errorf("%w: %s; see %s", errIncomplete, incompleteBecause(res), pub.reportJSON())
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

// checkCallerRegion refuses, before any call, a region the SDK would send
// the scan's first calls to in vain: none at all, or a name that is no
// region of any partition, today's or later (a typo such as "eu-west" or
// "nowhere"), which would only fail every call after its retries.
func checkCallerRegion(region string) error {
	if region == "" {
		return usagef("no AWS region: set AWS_REGION, or region in the AWS profile (such as us-east-1)")
	}
	if partition, _ := scanner.RegionPartition(region); partition == "" {
		return usagef("AWS region %q (AWS_REGION, AWS_DEFAULT_REGION or the profile's region) is not a region of aws, aws-cn or aws-us-gov (such as us-east-1)", region)
	}
	return nil
}

// incompleteBecause says why a scan that ran to its end is incomplete:
// what could not be scanned, and the scope filters that matched nothing.
func incompleteBecause(res *scanner.Result) string {
	var why []string
	if res.Summary.AccountsFailed+res.Summary.BucketsFailed > 0 {
		why = append(why, fmt.Sprintf("%d account(s) and %d bucket(s) could not be scanned", res.Summary.AccountsFailed, res.Summary.BucketsFailed))
	}
	const listed = 3
	var unmatched []string
	for _, f := range res.Findings {
		if f.Type == scanner.FindingFilterUnmatched {
			unmatched = append(unmatched, f.Title)
		}
	}
	if len(unmatched) > listed {
		unmatched = append(unmatched[:listed], fmt.Sprintf("%d more", len(unmatched)-listed))
	}
	why = append(why, unmatched...)
	if len(why) == 0 { // the organization walk stopped: its SCAN_ERROR says how
		why = append(why, "the organization could not be listed completely")
	}
	return strings.Join(why, "; ")
}

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
