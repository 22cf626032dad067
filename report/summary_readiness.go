package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ownerscan/ownerscan/scanner"
)

// summaryReadinessPerVerdict is how many buckets of each verdict the
// summary lists; readiness.csv has them all.
const summaryReadinessPerVerdict = 3

// readinessOrder lists the verdicts in the order the summary shows them:
// what can be done now first.
var readinessOrder = []scanner.ReadinessVerdict{
	scanner.VerdictReady, scanner.VerdictMigrate, scanner.VerdictBlocked, scanner.VerdictUnknown,
}

// readinessCounts is "2 ready, 3 migrate, 1 blocked, 0 unknown" (buckets
// not enforced, by verdict), plus any verdict the summary does not know.
func readinessCounts(counts map[string]int) string {
	var parts []string
	for _, v := range readinessOrder {
		parts = append(parts, fmt.Sprintf("%d %s", counts[string(v)], v))
	}
	return "buckets not known to be enforced: " + strings.Join(append(parts, otherCounts(counts, readinessOrder)...), ", ")
}

// readiness lists, per verdict, the first buckets and what decides their
// verdict.
func (s *summaryWriter) readiness(res *scanner.Result) {
	byVerdict := map[scanner.ReadinessVerdict][]scanner.Bucket{}
	total := 0
	for _, b := range res.Buckets {
		if b.Readiness != nil {
			byVerdict[b.Readiness.Verdict] = append(byVerdict[b.Readiness.Verdict], b)
			total++
		}
	}
	if total == 0 {
		return
	}
	s.printf("\nSwitching to BucketOwnerEnforced (readiness.csv has every bucket, report.json the fixes and policies):\n")
	tw := s.table()
	shown := 0
	for _, v := range readinessOrder {
		for _, b := range byVerdict[v][:min(len(byVerdict[v]), summaryReadinessPerVerdict)] {
			fmt.Fprintf(tw, "  %s\t%s/%s\t%s\n", v, clean(b.AccountID), clean(b.Name), clean(readinessReason(b.Readiness)))
			shown++
		}
	}
	s.flush(tw)
	if shown < total {
		s.printf("... %s not shown.\n", plural(int64(total-shown), "more bucket"))
	}
}

// readinessReason names what decides a verdict: the blockers of that
// verdict, by kind.
func readinessReason(rd *scanner.Readiness) string {
	if rd.Verdict == scanner.VerdictReady {
		return "nothing stands in the way"
	}
	var kinds []string
	for _, b := range rd.Blockers {
		if b.Verdict == rd.Verdict && !slices.Contains(kinds, string(b.Kind)) {
			kinds = append(kinds, string(b.Kind))
		}
	}
	return strings.Join(kinds, ", ")
}
