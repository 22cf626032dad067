package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ownerscan/ownerscan/scanner/remediate"
)

// applyFlags are apply's own flags.
type applyFlags struct {
	remediationFlags
	plan        string
	migrateACLs bool
	maxBuckets  int
	journal     string
	yes         bool
}

func (f *applyFlags) register(fs *flag.FlagSet) {
	f.remediationFlags.register(fs)
	fs.StringVar(&f.plan, "plan", "", "the plan `FILE` written by ownerscan plan (required)")
	fs.BoolVar(&f.migrateACLs, "migrate-acls", false, "also apply migrate buckets: the migration policy, a private ACL, then BucketOwnerEnforced")
	fs.IntVar(&f.maxBuckets, "max-buckets", 0, "change at most `N` buckets in this run (0: no limit); run again for the next ones")
	fs.StringVar(&f.journal, "journal", "", "the journal `FILE` (JSON lines) of every step, for rollback (default: the plan's path and .journal)")
	fs.BoolVar(&f.yes, "yes", false, "make the changes; without it apply only reads and prints what it would do")
}

// applyCommand is `ownerscan apply`.
func (a *app) applyCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("apply", flag.ContinueOnError)
	var f applyFlags
	f.register(fs)
	cfg, logger, awsCfg, err := f.start(ctx, a, fs, args, func() error {
		if f.plan == "" {
			return usagef("apply: --plan FILE is required (a plan written by ownerscan plan)")
		}
		if f.maxBuckets < 0 {
			return usagef("--max-buckets: must be 0 (no limit) or more, got %d", f.maxBuckets)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return a.apply(ctx, awsCfg, cfg, &f, logger)
}

// apply runs a plan with cfg and the AWS configuration: the CLI's, or the
// demo's emulator.
func (a *app) apply(ctx context.Context, awsCfg aws.Config, cfg *Config, f *applyFlags, logger *slog.Logger) error {
	plan, err := remediate.ReadPlanFile(f.plan)
	if err != nil {
		return fmt.Errorf("--plan %s: %w", f.plan, err)
	}
	if err := plan.CheckAge(a.now()); err != nil {
		return fmt.Errorf("--plan %s: %w", f.plan, err)
	}
	journalPath := f.journal
	if journalPath == "" {
		journalPath = f.plan + ".journal"
	}
	// The journal is read first, and created only once the organization
	// is checked: a refused run leaves no file behind.
	_, prior, _, err := a.openJournal(journalPath, false, true)
	if err != nil {
		return err
	}
	if err := remediate.CheckJournalPlan(prior, plan); err != nil {
		return fmt.Errorf("--journal %s: %w", journalPath, err)
	}

	access, err := connect(ctx, awsCfg, cfg)
	if err != nil {
		return err
	}
	if err := remediate.CheckOrganization(access.Organization(), plan); err != nil {
		return fmt.Errorf("--plan %s: %w", f.plan, err)
	}
	states, err := access.AccountStates(ctx)
	if err != nil {
		return fmt.Errorf("%w: %v; nothing was changed", errRemediationIncomplete, err)
	}
	inactive, err := remediate.CheckMembers(states, plan)
	if err != nil {
		return fmt.Errorf("--plan %s: %w", f.plan, err)
	}

	var journal *remediate.Journal
	if f.yes {
		if journal, prior, _, err = a.openJournal(journalPath, true, false); err != nil {
			return err
		}
		defer journal.Close()
		if err := remediate.CheckJournalPlan(prior, plan); err != nil {
			return fmt.Errorf("--journal %s: %w", journalPath, err)
		}
	}
	stop, interrupted, unwatch := a.watchRemediation(logger, journalPathIf(f.yes, journalPath))
	defer unwatch()
	outcomes, err := remediate.Apply(ctx, stop, plan, accessAccounts{access: access, role: cfg.RemediationRoleName}, journal, prior, remediate.ApplyOptions{
		MigrateACLs: f.migrateACLs, MaxBuckets: f.maxBuckets, DryRun: !f.yes,
		BucketsInFlight: cfg.Concurrency, Inactive: inactive, Log: logger,
	})
	if err != nil {
		return err
	}
	if err := printApply(a.stdout, plan, outcomes, !f.yes, journalPath); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return remediationVerdict(interrupted(), outcomes, f.yes, journalPath, "skipped, failed or stopped")
}

// journalPathIf is the journal's path when one is written.
func journalPathIf(written bool, path string) string {
	if written {
		return path
	}
	return ""
}
