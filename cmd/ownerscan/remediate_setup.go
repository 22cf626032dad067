package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/ownerscan/ownerscan/scanner"
	"github.com/ownerscan/ownerscan/scanner/remediate"
)

// errRemediationIncomplete marks an apply or rollback in which a step
// failed, a bucket was skipped (changed since the plan, say) or a signal
// stopped it (exit 3); the journal says where each bucket stands.
var errRemediationIncomplete = errors.New("not every planned step was done")

// remediationFlags are the flags plan, apply and rollback share.
type remediationFlags struct {
	config    string
	quiet     bool
	logFormat string
}

func (f *remediationFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "config", "", "configuration `FILE` (YAML; see config.example.yaml); without it every default applies")
	fs.BoolVar(&f.quiet, "quiet", false, "only warnings and errors in the log")
	fs.StringVar(&f.logFormat, "log-format", logFormatText, "log `FORMAT` on stderr: text or json")
}

// start parses the command line of apply or rollback, runs check on the
// flags, loads the configuration and the caller's AWS configuration.
func (f *remediationFlags) start(ctx context.Context, a *app, fs *flag.FlagSet, args []string, check func() error) (*Config, *slog.Logger, aws.Config, error) {
	if err := a.parseFlags(fs, args); err != nil {
		return nil, nil, aws.Config{}, err
	}
	if err := check(); err != nil {
		return nil, nil, aws.Config{}, err
	}
	cfg, logger, err := f.setup(ctx, a)
	if err != nil {
		return nil, nil, aws.Config{}, err
	}
	awsCfg, err := callerConfig(ctx)
	return cfg, logger, awsCfg, err
}

// setup loads and validates the configuration and builds the logger.
func (f *remediationFlags) setup(ctx context.Context, a *app) (*Config, *slog.Logger, error) {
	cfg, err := a.configFile(ctx, f.config)
	if err != nil {
		return nil, nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, nil, &usageError{err}
	}
	logger, err := newLogger(a.stderr, f.logFormat, f.quiet)
	if err != nil {
		return nil, nil, err
	}
	return cfg, logger, nil
}

// callerConfig is the AWS configuration of scan, plan, apply and rollback:
// the default chain, with a region that is a region.
func callerConfig(ctx context.Context) (aws.Config, error) {
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, usagef("aws configuration: %v", err)
	}
	if err := checkCallerRegion(awsCfg.Region); err != nil {
		return aws.Config{}, err
	}
	return awsCfg, nil
}

// accessAccounts reaches each account's buckets for apply and rollback:
// through the remediation role, or the management account as the
// deployment reaches it.
type accessAccounts struct {
	access *scanner.Access
	role   string
}

func (x accessAccounts) S3(ctx context.Context, accountID, region string) (remediate.S3API, error) {
	return x.access.S3(ctx, accountID, region, x.role)
}

// connect reaches the organization as the configuration says (calls:
// GetCallerIdentity, the organization role's AssumeRole if any,
// DescribeOrganization). A failure here changed nothing.
func connect(ctx context.Context, awsCfg aws.Config, cfg *Config) (*scanner.Access, error) {
	access, err := scanner.Connect(ctx, awsCfg, scanner.AccessOptionsOf(cfg.Options()))
	if err != nil {
		return nil, fmt.Errorf("%w: %v; nothing was changed", errRemediationIncomplete, err)
	}
	return access, nil
}

// watchRemediation turns the first SIGINT/SIGTERM into a graceful stop
// (steps underway finish, none starts; the journal says where each bucket
// stopped) and a second into an exit at once (130), which the journal
// survives: every step is on disk before it is sent.
func (a *app) watchRemediation(logger *slog.Logger, journalPath string) (stop <-chan struct{}, interrupted func() bool, unwatch func()) {
	onAbort := func() string {
		if journalPath == "" {
			return "nothing was changed"
		}
		return "the journal " + journalPath + " holds every step sent; roll it back or apply again to finish"
	}
	return a.watchSignals("interrupted: finishing the steps underway and starting no other; the journal says where each bucket stopped; interrupt again to quit at once",
		logger, onAbort)
}

// openJournal opens the journal of a run: with --yes for appending (and
// locked), else only read (a dry run writes nothing). A dry run of apply
// may find none yet (mayBeMissing). partial says that the journal ends in
// a partial entry.
func (a *app) openJournal(path string, yes, mayBeMissing bool) (j *remediate.Journal, entries []remediate.Entry, partial bool, err error) {
	if yes {
		j, entries, err = remediate.OpenJournal(path, a.now)
	} else {
		entries, partial, err = remediate.ReadJournalFile(path)
		if mayBeMissing && errors.Is(err, fs.ErrNotExist) {
			return nil, nil, false, nil
		}
	}
	if err != nil {
		return nil, nil, false, fmt.Errorf("--journal %s: %w", path, err)
	}
	return j, entries, partial, nil
}

// remediationVerdict is the error an apply or rollback ends with, for the
// exit code: nil when every bucket came out as it should (none of outcomes
// is Incomplete).
func remediationVerdict[O interface{ Incomplete() bool }](interrupted bool, outcomes []O, yes bool, journal, what string) error {
	incomplete := 0
	for _, o := range outcomes {
		if o.Incomplete() {
			incomplete++
		}
	}
	where := "the lines above"
	if yes {
		where = "the journal " + journal
	}
	switch {
	case interrupted:
		return fmt.Errorf("%w: interrupted; %s says where each bucket stopped", errRemediationIncomplete, where)
	case incomplete > 0:
		return fmt.Errorf("%w: %d bucket(s) %s; see %s", errRemediationIncomplete, incomplete, what, where)
	}
	return nil
}
