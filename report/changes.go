package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ownerscan/ownerscan/scanner"
)

// WriteChanges writes what changed since the baseline, for a person: one
// line of counts, then the new, resolved and unverified findings, at most
// limit of each (0: all of them). The scan's summary starts with it and
// `ownerscan diff` prints it whole. Text from AWS is escaped as in
// WriteSummary.
func WriteChanges(w io.Writer, cmp *Comparison, limit int) error {
	if cmp == nil {
		return errors.New("report: changes: nil comparison")
	}
	sw := &summaryWriter{w: w}
	b := cmp.Baseline
	sw.printf("Since the baseline of %s: %d new, %d resolved, %d unchanged",
		b.StartedAt.UTC().Format(time.RFC3339), b.New, b.Resolved, b.Unchanged)
	if b.Unverified > 0 {
		sw.printf(", %d not rechecked (account or bucket not scanned this time)", b.Unverified)
	}
	sw.printf(".\n")
	var added []scanner.Finding
	for _, f := range cmp.Findings {
		if f.Change == scanner.ChangeNew {
			added = append(added, f)
		}
	}
	sw.changeList("New", added, limit)
	sw.changeList("Resolved", cmp.Resolved, limit)
	sw.changeList("Not rechecked", cmp.Unverified, limit)
	if sw.err != nil {
		return fmt.Errorf("report: changes: %w", sw.err)
	}
	return nil
}

// changeList writes one section of WriteChanges; nothing for an empty list.
func (s *summaryWriter) changeList(title string, list []scanner.Finding, limit int) {
	if len(list) == 0 {
		return
	}
	shown := list
	if limit > 0 && len(list) > limit {
		shown = list[:limit]
	}
	s.printf("%s:\n", title)
	s.findingRows(shown)
	if hidden := len(list) - len(shown); hidden > 0 {
		s.printf("  ... and %d more (all of them are in the reports)\n", hidden)
	}
}

// findingRows writes findings as an indented table: severity, type,
// account/bucket, title.
func (s *summaryWriter) findingRows(list []scanner.Finding) {
	tw := s.table()
	for _, f := range list {
		where := clean(f.AccountID)
		if f.Bucket != "" {
			where += "/" + clean(f.Bucket)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", clean(string(f.Severity)), clean(string(f.Type)), orDash(where), clean(f.Title))
	}
	s.flush(tw)
}

// diffDocument is the JSON `ownerscan diff --format json` prints.
type diffDocument struct {
	Organization       scanner.Organization `json:"organization"`
	Baseline           Baseline             `json:"baseline"`
	StartedAt          time.Time            `json:"started_at"`
	NewFindings        []scanner.Finding    `json:"new_findings"`
	ResolvedFindings   []scanner.Finding    `json:"resolved_findings"`
	UnverifiedFindings []scanner.Finding    `json:"unverified_findings"`
	UnchangedFindings  []scanner.Finding    `json:"unchanged_findings"`
}

// WriteChangesJSON writes the comparison as one JSON document: the
// organization, the baseline's counts (as in report.json), when the newer
// scan started, and the findings of each kind, each with its change.
func WriteChangesJSON(w io.Writer, cmp *Comparison) error {
	if cmp == nil {
		return errors.New("report: changes: nil comparison")
	}
	doc := diffDocument{
		Organization:       cmp.Organization,
		Baseline:           cmp.Baseline,
		StartedAt:          cmp.StartedAt.UTC(),
		NewFindings:        []scanner.Finding{},
		ResolvedFindings:   nonNil(cmp.Resolved),
		UnverifiedFindings: nonNil(cmp.Unverified),
		UnchangedFindings:  []scanner.Finding{},
	}
	doc.Baseline.StartedAt = doc.Baseline.StartedAt.UTC()
	for _, f := range cmp.Findings {
		if f.Change == scanner.ChangeNew {
			doc.NewFindings = append(doc.NewFindings, f)
		} else {
			doc.UnchangedFindings = append(doc.UnchangedFindings, f)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("report: changes: %w", err)
	}
	return nil
}
