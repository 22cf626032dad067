// Package report writes the results of a scan and reads them back.
//
// Formats, one file each behind the single Formats list that also drives
// the --format help: report.json (the whole result, schema_version 1;
// fields are added, never renamed), findings.csv, buckets.csv,
// readiness.csv and the objects.csv streamed during the scan (csv),
// findings.ocsf.json (OCSF 1.6.0 Compliance Findings, class 2003,
// https://schema.ocsf.io/1.6.0/classes/compliance_finding), findings.asff.json
// (AWS Security Finding Format for batch-import-findings,
// https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-findings-format.html),
// and report.html (one self-contained page: no network, no external script
// or style). WriteSummary writes the human summary for stdout.
//
// Invariants a reader of the output can rely on (README "Reports"):
//   - Every file is written in full to a hidden temporary file beside its
//     final name and renamed into place (Stage, Staged.Commit): no file is
//     ever seen truncated, nor written through a link planted at its name;
//     files are created with mode 0600.
//   - report.json is the commit point: it is renamed last, so whenever it
//     exists every report file beside it is of the same run. A run whose
//     files cannot all be put in place leaves the previous run's as they
//     were, byte for byte.
//   - The writers keep the order the scanner gave (accounts, buckets and
//     findings sorted) and take every time they write from the Result, so
//     the same result always gives the same bytes.
//   - CSV cells are RFC 4180, made safe for spreadsheets by SafeCell (no
//     formula injection) and capped below a spreadsheet's cell limit; the
//     whole text stays in report.json.
//
// Reading: LoadSnapshot and ReadSnapshot read a report.json back as
// untrusted input (size capped, strict shape) for --baseline and diff;
// Compare marks each finding new or unchanged by its stable ID and lists
// the resolved ones. report/s3report writes and reads reports in S3.
package report
