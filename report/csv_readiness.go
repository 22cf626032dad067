package report

import (
	"io"
	"strings"
)

// readinessHeader is the header of readiness.csv.
var readinessHeader = []string{"account_id", "bucket", "region", "object_ownership", "verdict", "blockers", "changes"}

// writeReadinessCSV writes readiness.csv: one row per bucket that has a
// readiness (every bucket not enforced, when readiness is on), in the
// order of the result. Blockers are "KIND (verdict): detail" and changes
// their text, each list joined by ";" (a ";" inside an item becomes ","
// so the cell splits back into its items; a list too long for a cell is
// cut as in buckets.csv); report.json keeps them
// structured, with each blocker's fix and the migration policy.
func writeReadinessCSV(w io.Writer, doc *Document) error {
	rw := newRowWriter(w, fullTextNote)
	if err := rw.header(readinessHeader); err != nil {
		return err
	}
	for _, b := range doc.Buckets {
		rd := b.Readiness
		if rd == nil {
			continue
		}
		blockers := make([]string, len(rd.Blockers))
		for i, bl := range rd.Blockers {
			blockers[i] = string(bl.Kind) + " (" + string(bl.Verdict) + "): " + bl.Detail
		}
		rw.text(b.AccountID)
		rw.text(b.Name)
		rw.text(b.Region)
		rw.text(string(b.ObjectOwnership))
		rw.text(string(rd.Verdict))
		rw.text(listCell(blockers))
		rw.text(listCell(rd.Changes))
		if err := rw.end(); err != nil {
			return err
		}
	}
	return rw.flush()
}

// listCell joins items with the cell separator, first turning any
// separator inside an item into ",".
func listCell(items []string) string {
	clean := make([]string, len(items))
	for i, it := range items {
		clean[i] = strings.ReplaceAll(it, cellSeparator, ",")
	}
	return capList(clean, cellSeparator)
}
