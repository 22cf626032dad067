package main

import (
	"context"
	"fmt"

	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/report/s3report"
	"github.com/ownerscan/ownerscan/scanner"
)

// loadReport reads a local REPORT, as --baseline and diff take it: a
// report.json or a folder holding one (loadS3Report reads one in S3).
// Errors come back as they are; callers make them usage errors naming
// their flag or argument.
func loadReport(ref string) (*report.Snapshot, error) {
	return report.LoadSnapshot(ref)
}

// loadS3Report reads a REPORT in S3 (see s3report.Session.OpenReport for
// the forms it takes), as untrusted as a local one.
func loadS3Report(ctx context.Context, sess *s3report.Session, ref s3report.URL) (*report.Snapshot, error) {
	body, at, err := sess.OpenReport(ctx, ref)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	snap, err := report.ReadSnapshot(body)
	if err != nil {
		return nil, fmt.Errorf("report: read %s: %w", at, err)
	}
	return snap, nil
}

// compareWithBaseline compares the scan with the baseline (nil: none). It
// marks each finding of res new or unchanged and returns the comparison.
// A scan that could not even read its organization has nothing to compare:
// nil, and the report says why it is incomplete. The organization itself
// was checked by the scanner (Options.ExpectedOrganizationID) before any
// account was scanned.
func compareWithBaseline(base *report.Snapshot, res *scanner.Result) (*report.Comparison, error) {
	if base == nil || res.Organization.ID == "" {
		return nil, nil
	}
	cmp, err := report.Compare(base, report.SnapshotOf(res))
	if err != nil {
		return nil, err
	}
	res.Findings = cmp.Findings
	return cmp, nil
}
