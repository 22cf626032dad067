package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/report/s3report"
)

// Output formats of diff.
const (
	diffText = "text"
	diffJSON = "json"
)

// diffCommand is `ownerscan diff OLD_REPORT NEW_REPORT`: the comparison a
// scan with --baseline OLD_REPORT would have printed and written, from two
// reports already written. It exits 1 when NEW has findings OLD has not
// (at or above --fail-on), like scan --fail-on-new, and 2 when either is not
// a report or they are of two organizations.
func (a *app) diffCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	format := fs.String("format", diffText, "output `FORMAT`: text (for people) or json (for tools)")
	failOnFlag := fs.String("fail-on", "low", "exit 1 when a new finding is at or above this `SEVERITY`: low, medium, high or critical")
	owner := fs.String("expected-bucket-owner", "", "reports in S3: the `ACCOUNT` that must own their bucket (default: the account of the credentials)")
	paths, err := a.parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(a.stdout, "Arguments: OLD_REPORT NEW_REPORT, each a report.json or the folder holding one, or in S3")
		fmt.Fprintln(a.stdout, "s3://BUCKET/KEY of a report.json, a latest.json, or a prefix holding either (AWS credentials")
		fmt.Fprintln(a.stdout, "from the default chain); flags may come before or after them.")
		fmt.Fprintln(a.stdout, "Exit 0: nothing new; 1: new findings; 2: not reports, or two organizations.")
	}
	if err != nil {
		return err
	}
	if len(paths) != 2 {
		return usagef("diff: want OLD_REPORT and NEW_REPORT, got %d argument(s) (see 'ownerscan help diff')", len(paths))
	}
	if *format != diffText && *format != diffJSON {
		return usagef("--format: %q is not text or json", *format)
	}
	failOn, err := parseSeverity(*failOnFlag)
	if err != nil {
		return usagef("--fail-on: %v", err)
	}
	if *owner != "" && !accountIDRe.MatchString(*owner) {
		return usagef("--expected-bucket-owner: %q is not an account ID (12 digits)", *owner)
	}
	reader := &reportReader{opts: s3report.Options{ExpectedBucketOwner: *owner}}
	old, err := reader.load(ctx, paths[0])
	if err != nil {
		return usagef("diff: OLD_REPORT: %v", err)
	}
	cur, err := reader.load(ctx, paths[1])
	if err != nil {
		return usagef("diff: NEW_REPORT: %v", err)
	}
	cmp, err := report.Compare(old, cur)
	if errors.Is(err, report.ErrOtherOrganization) {
		return usagef("diff: %v", err)
	}
	if err != nil {
		return fmt.Errorf("diff: %w", err)
	}
	if *format == diffJSON {
		err = report.WriteChangesJSON(a.stdout, cmp)
	} else {
		err = a.diffHeader(paths, old, cur)
		if err == nil {
			err = report.WriteChanges(a.stdout, cmp, 0)
		}
	}
	if err != nil {
		return fmt.Errorf("diff: %w", err)
	}
	if hasFindingAtOrAbove(cmp.Findings, failOn, true) {
		return errFindings
	}
	return nil
}

// reportReader reads reports for diff and plan --from, local or in S3; the
// AWS configuration and the S3 session are set up for the first report in
// S3 only. detailed keeps every bucket row in full (plan --from).
type reportReader struct {
	opts     s3report.Options
	sess     *s3report.Session
	detailed bool
}

func (r *reportReader) load(ctx context.Context, ref string) (*report.Snapshot, error) {
	if !s3report.IsURL(ref) {
		if r.detailed {
			return loadDetailedReport(ref)
		}
		return loadReport(ref)
	}
	u, err := s3report.ParseURL(ref)
	if err != nil {
		return nil, err
	}
	if r.sess == nil {
		awsCfg, err := callerConfig(ctx)
		if err != nil {
			return nil, err
		}
		r.sess = s3report.NewSession(awsCfg, r.opts)
	}
	return loadS3Report(ctx, r.sess, u, r.detailed)
}

// diffHeader names the organization and the two reports for the text form.
func (a *app) diffHeader(paths []string, old, cur *report.Snapshot) error {
	complete := func(s *report.Snapshot) string {
		if s.Complete {
			return "complete"
		}
		return "INCOMPLETE: what it could not scan is 'not rechecked', never 'resolved'"
	}
	_, err := fmt.Fprintf(a.stdout, "ownerscan diff: organization %s\nOld: %s (started %s, %s)\nNew: %s (started %s, %s)\n\n",
		old.Organization.ID,
		paths[0], old.StartedAt.UTC().Format(time.RFC3339), complete(old),
		paths[1], cur.StartedAt.UTC().Format(time.RFC3339), complete(cur))
	return err
}

// parseInterleaved parses flags given before, between or after the
// positional arguments (`diff old new --format json`) and returns the
// positional ones.
func (a *app) parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := a.parseFlagsOnly(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
