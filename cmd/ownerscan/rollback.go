package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ownerscan/ownerscan/scanner/remediate"
)

// rollbackFlags are rollback's own flags.
type rollbackFlags struct {
	remediationFlags
	journal string
	yes     bool
}

func (f *rollbackFlags) register(fs *flag.FlagSet) {
	f.remediationFlags.register(fs)
	fs.StringVar(&f.journal, "journal", "", "the journal `FILE` apply wrote (required)")
	fs.BoolVar(&f.yes, "yes", false, "make the changes; without it rollback only reads and prints what it would undo")
}

// rollbackCommand is `ownerscan rollback`.
func (a *app) rollbackCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("rollback", flag.ContinueOnError)
	var f rollbackFlags
	f.register(fs)
	cfg, logger, awsCfg, err := f.start(ctx, a, fs, args, func() error {
		if f.journal == "" {
			return usagef("rollback: --journal FILE is required (the journal apply wrote, by default PLAN.journal)")
		}
		return nil
	})
	if err != nil {
		return err
	}
	return a.rollback(ctx, awsCfg, cfg, &f, logger)
}

// rollback undoes a journal with cfg and the AWS configuration.
func (a *app) rollback(ctx context.Context, awsCfg aws.Config, cfg *Config, f *rollbackFlags, logger *slog.Logger) error {
	// Read first; opened for appending only once the organization is
	// checked.
	_, entries, partial, err := a.openJournal(f.journal, false, false)
	if err != nil {
		return err
	}
	if partial {
		logger.With("component", "cli").Warn("the journal ends in a partial entry (a run was stopped while writing it): rolling back up to the last whole entry", "journal", f.journal)
	}
	origin, err := remediate.OriginOf(entries)
	if err != nil {
		return fmt.Errorf("--journal %s: %w", f.journal, err)
	}
	access, err := connect(ctx, awsCfg, cfg)
	if err != nil {
		return err
	}
	if err := remediate.CheckJournalOrganization(access.Organization(), origin); err != nil {
		return fmt.Errorf("--journal %s: %w", f.journal, err)
	}
	var journal *remediate.Journal
	if f.yes {
		if journal, entries, _, err = a.openJournal(f.journal, true, false); err != nil {
			return err
		}
		defer journal.Close()
	}
	stop, interrupted, unwatch := a.watchRemediation(logger, journalPathIf(f.yes, f.journal))
	defer unwatch()
	outcomes, err := remediate.Rollback(ctx, stop, accessAccounts{access: access, role: cfg.RemediationRoleName}, journal, entries,
		remediate.RollbackOptions{DryRun: !f.yes, BucketsInFlight: cfg.Concurrency, Log: logger})
	if err != nil {
		return fmt.Errorf("--journal %s: %w", f.journal, err)
	}
	if err := printRollback(a.stdout, outcomes, !f.yes, f.journal); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return remediationVerdict(interrupted(), outcomes, f.yes, f.journal, "not restored (left as they are, with the reason)")
}
