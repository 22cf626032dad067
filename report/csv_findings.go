package report

import "io"

// findingsHeader is the header of findings.csv: the fields of
// scanner.Finding, in order. change is empty without a baseline.
var findingsHeader = []string{"type", "severity", "account_id", "bucket", "region", "title", "detail", "remediation", "id", "change"}

// writeFindingsCSV writes findings.csv: one row per finding, in the order of
// the result (severity first).
func writeFindingsCSV(w io.Writer, doc *Document) error {
	rw := newRowWriter(w, fullTextNote)
	if err := rw.header(findingsHeader); err != nil {
		return err
	}
	for _, f := range doc.Findings {
		rw.text(string(f.Type))
		rw.text(string(f.Severity))
		rw.text(f.AccountID)
		rw.text(f.Bucket)
		rw.text(f.Region)
		rw.text(f.Title)
		rw.text(f.Detail)
		rw.text(f.Remediation)
		rw.text(f.ID)
		rw.text(string(f.Change))
		if err := rw.end(); err != nil {
			return err
		}
	}
	return rw.flush()
}
