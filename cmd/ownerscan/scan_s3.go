package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/report/s3report"
)

// prepareS3 does, once the AWS configuration is known and before the
// scan's first call, what reports in S3 need: a baseline in S3 is read,
// and the S3 destination is proved writable (see s3report.Session.Start).
// Either failing is exit 2 naming the key or flag. Both go through one
// session of their own, apart from the scan's clients.
//
// The nightly setup --out s3://B/P --baseline s3://B/P finds no report on
// its first night: when the baseline is the output location and nothing
// has completed there yet, the run has no baseline (every finding is new,
// and --fail-on-new counts them all), and says so.
func (a *app) prepareS3(ctx context.Context, awsCfg aws.Config, setup *scanSetup, cfg *Config) error {
	if setup.outS3 == nil && setup.baselineS3 == nil {
		return nil
	}
	sess := s3report.NewSession(awsCfg, setup.s3)
	if ref := setup.baselineS3; ref != nil {
		base, err := loadS3Report(ctx, sess, *ref)
		switch {
		case errors.Is(err, s3report.ErrNoReport) && setup.outS3 != nil && *ref == *setup.outS3:
			setup.logger.With("component", "cli").Warn("no complete run at the output location yet: this run has no baseline, and every finding counts as new",
				"baseline", ref.String())
			setup.failOnNew = false
		case err != nil:
			return &usageError{cfg.errAt("baseline", "%v", err)}
		default:
			setup.useBaseline(base)
		}
	}
	if dest := setup.outS3; dest != nil {
		run, err := sess.Start(ctx, *dest, a.now, wantsFile(setup.formats, report.ObjectsCSVFile))
		if err != nil {
			return &usageError{cfg.errAt("output.dir", "%v", err)}
		}
		setup.s3Run = run
		if !wantsFile(setup.formats, report.ReportJSONFile) {
			setup.logger.With("component", "cli").Warn("without the json format a run writes no report.json, has no commit point, and never becomes latest.json",
				"latest", run.Latest().String())
		}
	}
	return nil
}

// openPublisher opens where the run's reports go: S3 (the run prepareS3
// started) or the output folder, locked for this run. closePub gives up
// what the run did not commit and releases the folder.
func openPublisher(setup *scanSetup, logger *slog.Logger) (pub publisher, closePub func(), err error) {
	if setup.s3Run != nil {
		p := &s3Publication{run: setup.s3Run, formats: setup.formats, logger: logger}
		return p, p.discard, nil
	}
	// One run at a time per output folder, checked before any API call:
	// two runs renaming files into one folder would mix their reports.
	unlock, err := report.LockDir(setup.outDir)
	if err != nil {
		if errors.Is(err, report.ErrDirInUse) {
			return nil, nil, usagef("output folder %s is in use by another ownerscan run; wait for it or choose another --out", setup.outDir)
		}
		return nil, nil, usagef("output folder %s: %v", setup.outDir, err)
	}
	// Holding the lock, no other run is writing here: what temporary files
	// there are, a killed run left.
	if removed, err := report.RemoveDeadRunFiles(setup.outDir); err != nil {
		logger.Warn("could not remove files a killed run left in the output folder", "error", err.Error())
	} else if len(removed) > 0 {
		logger.Info("removed files a killed run left in the output folder", "folder", setup.outDir, "files", removed)
	}
	p := &publication{dir: setup.outDir, formats: setup.formats, logger: logger}
	if wantsFile(setup.formats, report.ObjectsCSVFile) {
		p.objects, err = report.NewObjectsCSV(setup.outDir)
		if err != nil {
			unlock()
			return nil, nil, fmt.Errorf("%w: start objects.csv: %v; %s", errNoReport, err, keptReports(setup.outDir))
		}
	}
	return p, func() {
		p.discard() // after a commit this removes nothing
		unlock()
	}, nil
}
