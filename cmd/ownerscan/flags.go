package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strings"

	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/report/s3report"
	"github.com/ownerscan/ownerscan/scanner"
)

// scanFlags are the flags scan and demo share: they run the same scan path
// and differ only in where the AWS configuration comes from.
type scanFlags struct {
	config      string
	out         string
	format      string
	failOn      string
	quiet       bool
	logFormat   string
	concurrency int
	stats       bool
	baseline    string
	failOnNew   bool
	// For containers, which run without a configuration file: the keys
	// that say how the organization is reached.
	organizationRoleARN string
	memberRoleName      string
	externalID          string
}

func (f *scanFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "config", "", "configuration `FILE` (YAML; see config.example.yaml); without it every default applies")
	fs.StringVar(&f.out, "out", "", "output `DIR` for the reports, created 0700 if missing, or s3://BUCKET/PREFIX (overrides output.dir)")
	fs.StringVar(&f.format, "format", "", "report `FORMATS`, comma-separated (overrides output.formats; default all):"+formatHelp())
	fs.StringVar(&f.failOn, "fail-on", string(scanner.SeverityLow), "exit 1 when a finding is at or above this `SEVERITY`: low, medium, high or critical")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress display, and only warnings and errors in the log")
	fs.StringVar(&f.logFormat, "log-format", logFormatText, "log `FORMAT` on stderr: text or json")
	fs.IntVar(&f.concurrency, "concurrency", 0, "at most `N` API requests in flight (overrides concurrency; default 64)")
	fs.BoolVar(&f.stats, "stats", false, "print, last on stdout, one JSON line with calls, wall time, peak memory and objects scanned")
	fs.StringVar(&f.baseline, "baseline", "", "compare with an earlier scan: `REPORT` is its report.json or the folder holding it, or s3://BUCKET/KEY of either or of a prefix holding latest.json (overrides baseline); findings are marked new or unchanged, resolved ones listed")
	fs.BoolVar(&f.failOnNew, "fail-on-new", false, "with a baseline, exit 1 only for new findings at or above --fail-on")
	fs.StringVar(&f.organizationRoleARN, "organization-role-arn", "", "role `ARN` to assume first, from a delegated audit account (overrides organization_role_arn)")
	fs.StringVar(&f.memberRoleName, "member-role-name", "", "role `NAME` to assume in each member account (overrides member_role_name)")
	fs.StringVar(&f.externalID, "external-id", "", "`ID` sent with every member AssumeRole (overrides external_id)")
}

// formatHelp lists the formats and their files, from report.Formats, for the
// --format help text.
func formatHelp() string {
	var b strings.Builder
	for _, f := range report.Formats {
		fmt.Fprintf(&b, "\n  %s: %s: %s", f.Name, strings.Join(f.Files, ", "), f.Description)
	}
	return b.String()
}

// scanSetup is everything a scan needs besides its AWS configuration,
// resolved and checked from the flags and the configuration file.
type scanSetup struct {
	opts scanner.Options
	// outDir is the local output folder ("" when outS3 is set, or until
	// scan or demo picks a default); outS3 the location in S3.
	outDir  string
	outS3   *s3report.URL
	formats []report.Format
	failOn  scanner.Severity
	// baseline is the earlier report to compare with (nil: none);
	// failOnNew lets only findings not in it decide exit 1.
	baseline  *report.Snapshot
	failOnNew bool
	// baselineS3 is a baseline in S3, read once the AWS configuration is
	// known (see prepareS3); s3 says how S3 is reached for it and outS3.
	baselineS3 *s3report.URL
	s3         s3report.Options
	// s3Run is the run's reports in S3, started by prepareS3.
	s3Run  *s3report.Run
	quiet  bool
	stats  bool
	logger *slog.Logger
	status *statusWriter // nil when stderr is not a terminal
	width  int
}

// setup loads the configuration, applies the flags that were set (flags
// override file values), validates everything and builds the logger. Every
// error it returns is a usage error naming the flag or key, but for a
// signal while the configuration is read (errStoppedEarly).
func (f *scanFlags) setup(ctx context.Context, a *app, fs *flag.FlagSet) (*scanSetup, *Config, error) {
	cfg := defaultConfig()
	if f.config != "" {
		loaded, err := a.loadConfig(ctx, f.config)
		if err != nil {
			return nil, nil, err
		}
		cfg = loaded
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if set["out"] {
		cfg.OutputDir = f.out
		cfg.setOrigin("output.dir", origin{flag: "--out"})
		if f.out == "" {
			return nil, nil, usagef("--out: must not be empty")
		}
	}
	if set["format"] {
		cfg.OutputFormats = nil
		for _, name := range strings.Split(f.format, ",") {
			cfg.OutputFormats = append(cfg.OutputFormats, report.Format(strings.TrimSpace(name)))
		}
		cfg.setListOrigin("output.formats", origin{flag: "--format"})
	}
	if set["concurrency"] {
		cfg.Concurrency = f.concurrency
		cfg.setOrigin("concurrency", origin{flag: "--concurrency"})
	}
	for _, o := range []struct {
		flag, key string
		value     string
		into      *string
	}{
		{"organization-role-arn", "organization_role_arn", f.organizationRoleARN, &cfg.OrganizationRoleARN},
		{"member-role-name", "member_role_name", f.memberRoleName, &cfg.MemberRoleName},
		{"external-id", "external_id", f.externalID, &cfg.ExternalID},
	} {
		if set[o.flag] {
			*o.into = o.value
			cfg.setOrigin(o.key, origin{flag: "--" + o.flag})
		}
	}
	if set["baseline"] {
		cfg.Baseline = f.baseline
		cfg.setOrigin("baseline", origin{flag: "--baseline"})
		if f.baseline == "" {
			return nil, nil, usagef("--baseline: must not be empty")
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, nil, &usageError{err}
	}
	failOn, err := parseSeverity(f.failOn)
	if err != nil {
		return nil, nil, usagef("--fail-on: %v", err)
	}
	width, isTerm := terminalWidth(a.stderr)
	var status *statusWriter
	logOut := a.stderr
	if isTerm && !f.quiet {
		status = &statusWriter{w: a.stderr}
		logOut = status
	}
	logger, err := newLogger(logOut, f.logFormat, f.quiet)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range cfg.unknownRegions() {
		logger.With("component", "cli").Warn(r + " is not a region this build of ownerscan knows: kept in case AWS opened it since; the report says so if no bucket is in it")
	}
	formats, err := report.ParseFormats(joinFormats(cfg.OutputFormats))
	if err != nil { // Validate checked each name; this only dedups
		return nil, nil, usagef("output.formats: %v", err)
	}
	if f.failOnNew && cfg.Baseline == "" {
		return nil, nil, usagef("--fail-on-new: needs a baseline to tell what is new (--baseline REPORT or the baseline key)")
	}
	setup := &scanSetup{
		opts:      cfg.Options(),
		outDir:    cfg.OutputDir,
		formats:   formats,
		failOn:    failOn,
		failOnNew: f.failOnNew,
		quiet:     f.quiet,
		stats:     f.stats,
		logger:    logger,
		status:    status,
		width:     width,
		s3: s3report.Options{
			ExpectedBucketOwner: cfg.OutputS3ExpectedBucketOwner,
			KMSKeyID:            cfg.OutputS3KMSKeyID,
			Logger:              logger.With("component", "reports.s3"),
		},
	}
	if s3report.IsURL(cfg.OutputDir) {
		u, _ := s3report.ParseURL(cfg.OutputDir) // Validate parsed it
		setup.outS3, setup.outDir = &u, ""
	} else if cfg.OutputS3KMSKeyID != "" {
		logger.With("component", "cli").Warn("output.s3.kms_key_id is set, but the reports go to a local folder: it is not used")
	}
	// The baseline is read before any API call: a file that is not a
	// report is a usage error, not a scan thrown away at the end. One in S3
	// is read once the AWS configuration is known, still before the scan.
	switch {
	case s3report.IsURL(cfg.Baseline):
		u, _ := s3report.ParseURL(cfg.Baseline)
		setup.baselineS3 = &u
	case cfg.Baseline != "":
		base, err := loadReport(cfg.Baseline)
		if err != nil {
			return nil, nil, &usageError{cfg.errAt("baseline", "%v", err)}
		}
		setup.useBaseline(base)
	}
	return setup, cfg, nil
}

// useBaseline compares the scan with base: the scan must be of its
// organization, and the canonical IDs it learned identify members the scan
// cannot reach tonight (suspended, closed, failing).
func (s *scanSetup) useBaseline(base *report.Snapshot) {
	s.baseline = base
	s.opts.ExpectedOrganizationID = base.Organization.ID
	s.opts.KnownCanonicalIDs = base.CanonicalIDs()
}

func joinFormats(formats []report.Format) string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = string(f)
	}
	return strings.Join(names, ",")
}
