package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/report/s3report"
	"github.com/ownerscan/ownerscan/scanner"
	"github.com/ownerscan/ownerscan/scanner/remediate"
)

// planCommand is `ownerscan plan`: a plan to fix every bucket not
// enforced, from a fresh scan (the same scanner as `scan`) or from a
// report (--from), written to --out for review.
func (a *app) planCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	var f remediationFlags
	f.register(fs)
	from := fs.String("from", "", "make the plan from an earlier scan: `REPORT` is its report.json, the folder holding one, or s3://BUCKET/KEY of either (default: scan now)")
	out := fs.String("out", "", "the plan `FILE` to write, such as plan.json (required)")
	if err := a.parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkPlanOut(*out); err != nil {
		return err
	}
	cfg, logger, err := f.setup(ctx, a)
	if err != nil {
		return err
	}
	if *from != "" {
		reader := &reportReader{opts: s3report.Options{ExpectedBucketOwner: cfg.OutputS3ExpectedBucketOwner}, detailed: true}
		snap, err := reader.load(ctx, *from)
		if err != nil {
			return usagef("--from: %v", err)
		}
		_, err = a.makePlan(snap, *from, *out)
		return err
	}
	if !cfg.Readiness.Enabled {
		return &usageError{cfg.errAt("readiness.enabled", "plan needs the readiness verdicts: set it true (or leave it out)")}
	}
	awsCfg, err := callerConfig(ctx)
	if err != nil {
		return err
	}
	snap, err := a.planScan(ctx, awsCfg, cfg.Options(), logger)
	if err != nil {
		return err
	}
	_, err = a.makePlan(snap, "scan", *out)
	return err
}

// checkPlanOut refuses, before any call, a plan path that cannot be
// written: none, a folder, or in a folder that does not exist.
func checkPlanOut(out string) error {
	if out == "" {
		return usagef("plan: --out FILE is required (where to write the plan, such as plan.json)")
	}
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return usagef("--out: %s is a folder; give the plan file's name, such as %s", out, filepath.Join(out, "plan.json"))
	}
	if st, err := os.Stat(filepath.Dir(out)); err != nil || !st.IsDir() {
		return usagef("--out: the folder of %s does not exist", out)
	}
	return nil
}

// planScan scans as `scan` does, without writing reports: the plan is made
// from the result in memory. A first signal stops it gracefully and no
// plan is written.
func (a *app) planScan(ctx context.Context, awsCfg aws.Config, opts scanner.Options, logger *slog.Logger) (*report.Snapshot, error) {
	s, err := scanner.New(awsCfg, opts, logger)
	if err != nil {
		return nil, &usageError{fmt.Errorf("config: %w", err)}
	}
	stop, interrupted, unwatch := a.watchSignals("interrupted: stopping the scan; no plan will be written; interrupt again to quit at once",
		logger, func() string { return "no plan written" })
	defer unwatch()
	res, scanErr := s.ScanUntil(ctx, stop, nil, nil)
	switch {
	case interrupted():
		return nil, fmt.Errorf("%w: interrupted during the scan: no plan written", errStoppedEarly)
	case res == nil || len(res.Accounts) == 0 && scanErr != nil:
		return nil, fmt.Errorf("%w: the scan failed before it listed any account: %v; no plan written", errNoReport, scanErr)
	case scanErr != nil:
		res.Complete = false
		logger.With("component", "cli").Warn("the scan stopped early; the plan covers what it read", "error", scanErr.Error())
	}
	return report.SnapshotOf(res), nil
}

// makePlan builds the plan from a scan's snapshot, writes it to out and
// prints what it would change. A scan that could not cover every account
// or bucket still gives a plan (of what it read), with exit 3.
func (a *app) makePlan(snap *report.Snapshot, source, out string) (*remediate.Plan, error) {
	p, err := remediate.Build(remediate.BuildInput{
		Organization: snap.Organization, Scanned: snap.StartedAt, Source: source,
		Tool:    remediate.PlanTool{Name: "ownerscan", Version: version()},
		Buckets: snap.Details, Now: a.now(),
	})
	if err != nil {
		return nil, err
	}
	if err := remediate.WritePlan(out, p); err != nil {
		return nil, fmt.Errorf("%w: %v", errNoReport, err)
	}
	if err := printPlan(a.stdout, p, out); err != nil {
		return p, err
	}
	if !snap.Complete {
		return p, fmt.Errorf("%w: plan written to %s, but the scan it is made from is incomplete: buckets it could not read are unknown in the plan, and accounts it could not scan are not in it", errIncomplete, out)
	}
	return p, nil
}
