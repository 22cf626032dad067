package main

import (
	"strings"

	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/scanner"
)

// loadReport reads REPORT, as --baseline and diff take it: a report.json
// or a folder holding one. Reports in S3 (s3://BUCKET/KEY) are refused for
// now: this is where a reader for them plugs in. Errors come back as they
// are; callers make them usage errors naming their flag or argument.
func loadReport(ref string) (*report.Snapshot, error) {
	if strings.HasPrefix(ref, "s3://") {
		return nil, usagef("%s: reading a report from S3 is not supported yet; copy it here first (aws s3 cp %s .)", ref, ref)
	}
	return report.LoadSnapshot(ref)
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
