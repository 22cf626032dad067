package report

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ownerscan/ownerscan/scanner"
)

// Limits that keep the summary short whatever the size of the organization.
const (
	// summaryMaxFindings is how many findings the summary lists.
	summaryMaxFindings = 10
	// summaryMaxAccounts is how many account rows the summary lists. Beyond
	// it, only accounts with something to report are listed, up to the limit.
	summaryMaxAccounts = 50
	// summaryMaxText is the longest name or title shown, in characters.
	summaryMaxText = 100
)

// WriteSummary writes the human summary of a scan for stdout: the
// organization, whether the scan is complete, the counts, one row per
// account, the most severe findings, and the folder holding the reports (dir;
// the line is left out when dir is ""). The same result always gives the same
// text. Names from AWS are printed with control characters escaped, so a
// hostile account name cannot drive the terminal.
func WriteSummary(w io.Writer, res *scanner.Result, dir string) error {
	if res == nil {
		return errors.New("report: summary: nil result")
	}
	sw := &summaryWriter{w: w}
	sw.header(res)
	sw.accounts(res)
	sw.findings(res)
	sw.readiness(res)
	if dir != "" {
		sw.printf("\nReports: %s\n", clean(dir))
	}
	if sw.err != nil {
		return fmt.Errorf("report: summary: %w", sw.err)
	}
	return nil
}

// summaryWriter keeps the first write error so the sections read straight.
type summaryWriter struct {
	w   io.Writer
	err error
}

func (s *summaryWriter) printf(format string, args ...any) {
	if s.err == nil {
		_, s.err = fmt.Fprintf(s.w, format, args...)
	}
}

// table returns a tabwriter whose errors end up in s.err on flush.
func (s *summaryWriter) table() *tabwriter.Writer {
	return tabwriter.NewWriter(errWriter{s}, 0, 0, 2, ' ', 0)
}

func (s *summaryWriter) flush(tw *tabwriter.Writer) {
	if err := tw.Flush(); err != nil && s.err == nil {
		s.err = err
	}
}

type errWriter struct{ s *summaryWriter }

func (e errWriter) Write(p []byte) (int, error) {
	if e.s.err != nil {
		return 0, e.s.err
	}
	n, err := e.s.w.Write(p)
	e.s.err = err
	return n, err
}

func (s *summaryWriter) header(res *scanner.Result) {
	sum := res.Summary
	s.printf("ownerscan: organization %s (management account %s)\n",
		orDash(clean(res.Organization.ID)), orDash(clean(res.Organization.ManagementAccountID)))
	switch {
	case res.Complete:
		s.printf("Scan complete.\n")
	case sum.AccountsFailed == 0 && sum.BucketsFailed == 0 && hasFinding(res, scanner.FindingFilterUnmatched):
		s.printf("Scan INCOMPLETE: a scope filter matched nothing; see the FILTER_UNMATCHED findings.\n")
	case sum.AccountsFailed == 0 && sum.BucketsFailed == 0:
		s.printf("Scan INCOMPLETE: not everything in scope was scanned (interrupted?); see report.json.\n")
	default:
		s.printf("Scan INCOMPLETE: %s and %s could not be scanned; see the SCAN_ERROR findings.\n",
			plural(int64(sum.AccountsFailed), "account"), plural(int64(sum.BucketsFailed), "bucket"))
	}
	if t := timing(res); t != "" {
		s.printf("%s.\n", t)
	}
	s.printf("\n")
	tw := s.table()
	fmt.Fprintf(tw, "Accounts\t%d\t%d scanned, %d failed, %d skipped\n",
		sum.Accounts, sum.AccountsScanned, sum.AccountsFailed, sum.AccountsSkipped)
	fmt.Fprintf(tw, "Buckets\t%d\t%d compliant, %d noncompliant, %d failed\n",
		sum.Buckets, sum.BucketsCompliant, sum.BucketsNoncompliant, sum.BucketsFailed)
	fmt.Fprintf(tw, "Objects\t%d\tversions scanned; %d cross-account (%s)\n",
		sum.ObjectsScanned, sum.CrossAccountObjects, humanBytes(sum.CrossAccountBytes))
	fmt.Fprintf(tw, "Findings\t%d\t%s\n", totalFindings(sum.Findings), findingCounts(sum.Findings))
	if len(sum.Readiness) > 0 {
		fmt.Fprintf(tw, "Readiness\t%d\t%s\n", totalFindings(sum.Readiness), readinessCounts(sum.Readiness))
	}
	s.flush(tw)
}

// timing is "Started T, took D" from the result's own times, or "" when
// the start is unknown.
func timing(res *scanner.Result) string {
	if res.StartedAt.IsZero() {
		return ""
	}
	out := "Started " + res.StartedAt.UTC().Format(time.RFC3339)
	if !res.FinishedAt.IsZero() && !res.FinishedAt.Before(res.StartedAt) {
		d := res.FinishedAt.Sub(res.StartedAt)
		if d < 10*time.Second {
			d = d.Round(time.Millisecond)
		} else {
			d = d.Round(time.Second)
		}
		out += ", took " + d.String()
	}
	return out
}

// severityOrder lists the severities in the order the summary counts them.
var severityOrder = []scanner.Severity{
	scanner.SeverityCritical, scanner.SeverityHigh, scanner.SeverityMedium,
	scanner.SeverityLow, scanner.SeverityError,
}

func totalFindings(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// findingCounts is "2 critical, 1 high, 0 medium, 3 low, 1 error", plus any
// severity the summary does not know, sorted, so nothing counted is hidden.
func findingCounts(counts map[string]int) string {
	var parts []string
	for _, sev := range severityOrder {
		n := counts[string(sev)]
		if sev == scanner.SeverityError {
			if n > 0 {
				parts = append(parts, plural(int64(n), "scan error"))
			}
			continue
		}
		parts = append(parts, fmt.Sprintf("%d %s", n, sev))
	}
	return strings.Join(append(parts, otherCounts(counts, severityOrder)...), ", ")
}

// otherCounts renders, sorted, the counts of names not in known ("3 x"),
// so that nothing counted is hidden from the summary.
func otherCounts[T ~string](counts map[string]int, known []T) []string {
	var other []string
	for name := range counts {
		if !slices.Contains(known, T(name)) {
			other = append(other, name)
		}
	}
	slices.Sort(other)
	parts := make([]string, len(other))
	for i, name := range other {
		parts[i] = fmt.Sprintf("%d %s", counts[name], clean(name))
	}
	return parts
}

// accountRow is one line of the per-account table.
type accountRow struct {
	account               scanner.Account
	buckets, noncompliant int
	failedBuckets         int
	crossAccountObjects   int64
}

// nothingToReport says the account was scanned and has no problem bucket.
func (r accountRow) nothingToReport() bool {
	return r.account.Status == scanner.AccountScanned && r.noncompliant == 0 &&
		r.failedBuckets == 0 && r.crossAccountObjects == 0
}

func (s *summaryWriter) accounts(res *scanner.Result) {
	if len(res.Accounts) == 0 {
		s.printf("\nNo account in scope.\n")
		return
	}
	index := make(map[string]int, len(res.Accounts))
	rows := make([]accountRow, len(res.Accounts))
	for i, a := range res.Accounts {
		rows[i].account = a
		index[a.ID] = i
	}
	for _, b := range res.Buckets {
		i, ok := index[b.AccountID]
		if !ok {
			continue
		}
		rows[i].buckets++
		switch b.Status {
		case scanner.BucketNoncompliant:
			rows[i].noncompliant++
		case scanner.BucketFailed:
			rows[i].failedBuckets++
		}
		rows[i].crossAccountObjects += b.CrossAccountObjects
	}
	shown := rows
	if len(rows) > summaryMaxAccounts {
		shown = nil
		for _, r := range rows {
			if !r.nothingToReport() && len(shown) < summaryMaxAccounts {
				shown = append(shown, r)
			}
		}
	}
	s.printf("\n")
	tw := s.table()
	fmt.Fprintf(tw, "ACCOUNT\tNAME\tSTATUS\tBUCKETS\tNONCOMPLIANT\tCROSS-ACCOUNT OBJECTS\n")
	for _, r := range shown {
		status := string(r.account.Status)
		if r.failedBuckets > 0 {
			status += fmt.Sprintf(" (%s failed)", plural(int64(r.failedBuckets), "bucket"))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\n", clean(r.account.ID), orDash(clean(r.account.Name)),
			clean(status), r.buckets, r.noncompliant, r.crossAccountObjects)
	}
	s.flush(tw)
	if hidden := len(rows) - len(shown); hidden > 0 {
		s.printf("... %s not shown: beyond %d accounts, only those with something to report are listed; every account is in the reports.\n",
			plural(int64(hidden), "more account"), summaryMaxAccounts)
	}
}

func (s *summaryWriter) findings(res *scanner.Result) {
	if len(res.Findings) == 0 {
		s.printf("\nNo findings.\n")
		return
	}
	top := res.Findings[:min(len(res.Findings), summaryMaxFindings)]
	if len(top) < len(res.Findings) {
		s.printf("\nTop %d of %d findings (all of them are in the reports):\n", len(top), len(res.Findings))
	} else {
		s.printf("\nFindings:\n")
	}
	s.findingRows(top)
}

// clean makes text from AWS safe and short for a terminal: control
// characters (tabs and newlines included, which would also break the table)
// are shown escaped, invalid UTF-8 as U+FFFD, and long text is cut.
func clean(s string) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if n == summaryMaxText {
			b.WriteString("...")
			break
		}
		n++
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Cf, r):
			q := strconv.QuoteToASCII(string(r)) // "\x1b", "\u202e"
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// humanBytes formats a size with binary units: "0 B", "3.3 KiB", "1.5 GiB".
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// hasFinding says whether res has a finding of type typ.
func hasFinding(res *scanner.Result, typ scanner.FindingType) bool {
	return slices.ContainsFunc(res.Findings, func(f scanner.Finding) bool { return f.Type == typ })
}
