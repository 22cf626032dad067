package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/ownerscan/ownerscan/scanner"
	"github.com/ownerscan/ownerscan/scanner/remediate"
)

// planLinesPerVerdict is how many buckets the plan summary lists per
// verdict; plan.json has every one.
const planLinesPerVerdict = 10

// verdictOrder is the order the summaries list verdicts in.
var verdictOrder = []scanner.ReadinessVerdict{scanner.VerdictReady, scanner.VerdictMigrate, scanner.VerdictBlocked, scanner.VerdictUnknown}

// printPlan writes the summary a reviewer reads: per verdict how many
// buckets and what apply would change, then the buckets themselves.
func printPlan(w io.Writer, p *remediate.Plan, path string) error {
	byVerdict := map[scanner.ReadinessVerdict][]*remediate.PlannedBucket{}
	for i := range p.Buckets {
		b := &p.Buckets[i]
		byVerdict[b.Verdict] = append(byVerdict[b.Verdict], b)
	}
	fmt.Fprintf(w, "Plan for organization %s (partition %s), from the scan of %s: %d bucket(s) not enforced.\n\n",
		p.Organization.ID, p.Organization.Partition, p.Scanned.Format("2006-01-02T15:04:05Z"), len(p.Buckets))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERDICT\tBUCKETS\tWHAT APPLY WOULD CHANGE")
	for _, v := range verdictOrder {
		if list := byVerdict[v]; len(list) > 0 {
			fmt.Fprintf(tw, "%s\t%d\t%s\n", v, len(list), verdictChange(v, list))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, v := range verdictOrder {
		list := byVerdict[v]
		for i, b := range list {
			if i == planLinesPerVerdict {
				fmt.Fprintf(tw, "  %s\t... and %d more (%s has every bucket)\t\t\n", v, len(list)-i, path)
				break
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", v, b.Key(), b.Region, bucketChange(b))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nPlan written to %s (%s). Review it, then:\n", path, p.Digest)
	fmt.Fprintf(w, "  ownerscan apply --plan %s                        # dry run: reads every bucket, changes nothing\n", path)
	fmt.Fprintf(w, "  ownerscan apply --plan %s --yes                  # enforces the ready buckets\n", path)
	fmt.Fprintf(w, "  ownerscan apply --plan %s --migrate-acls --yes   # and migrates then enforces the migrate buckets\n", path)
	_, err := fmt.Fprintf(w, "Apply refuses the plan after %s, and skips any bucket that changed since the scan.\n", p.Scanned.Add(remediate.MaxPlanAge).Format("2006-01-02T15:04:05Z"))
	return err
}

// verdictChange sums up what apply does to the buckets of one verdict.
func verdictChange(v scanner.ReadinessVerdict, list []*remediate.PlannedBucket) string {
	switch v {
	case scanner.VerdictReady:
		return "Object Ownership set to BucketOwnerEnforced (ACLs disabled; the bucket owner owns every object)"
	case scanner.VerdictMigrate:
		policies, acls, grants := 0, 0, 0
		for _, b := range list {
			for _, s := range b.Steps {
				switch s.Action {
				case remediate.ActionPutBucketPolicy:
					policies++
				case remediate.ActionPutBucketACL:
					acls++
					grants += len(b.ACLGrants)
				}
			}
		}
		return fmt.Sprintf("only with --migrate-acls: bucket policy put on %d, ACL reset to private on %d (%d grant(s) dropped), then BucketOwnerEnforced", policies, acls, grants)
	}
	kinds := map[string]int{}
	for _, b := range list {
		seen := map[string]bool{}
		for _, bl := range b.Blockers {
			if bl.Verdict == v && !seen[string(bl.Kind)] {
				seen[string(bl.Kind)] = true
				kinds[string(bl.Kind)]++
			}
		}
	}
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	for i, k := range names {
		names[i] = fmt.Sprintf("%s %d", k, kinds[k])
	}
	return "nothing (apply never changes them): " + strings.Join(names, ", ")
}

// bucketChange says in one line what apply does to a bucket.
func bucketChange(b *remediate.PlannedBucket) string {
	if len(b.Steps) == 0 {
		var kinds []string
		for _, bl := range b.Blockers {
			if bl.Verdict == b.Verdict && !contains(kinds, string(bl.Kind)) {
				kinds = append(kinds, string(bl.Kind))
			}
		}
		return "left as it is: " + strings.Join(kinds, ", ")
	}
	var parts []string
	for _, s := range b.Steps {
		switch s.Action {
		case remediate.ActionPutBucketPolicy:
			parts = append(parts, "bucket policy")
		case remediate.ActionPutBucketACL:
			parts = append(parts, fmt.Sprintf("ACL private (drops %d grant(s))", len(b.ACLGrants)))
		case remediate.ActionEnforce:
			parts = append(parts, string(b.ObjectOwnership)+" -> "+string(s.ObjectOwnership))
		}
	}
	return strings.Join(parts, ", then ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// printApply writes what an apply did (or would do) to each bucket.
func printApply(w io.Writer, p *remediate.Plan, outcomes []remediate.Outcome, dryRun bool, journal string) error {
	if dryRun {
		fmt.Fprintf(w, "DRY RUN of the plan for organization %s: nothing was changed. Pass --yes to apply.\n\n", p.Organization.ID)
	} else {
		fmt.Fprintf(w, "Applied the plan for organization %s; every step is in the journal %s.\n\n", p.Organization.ID, journal)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, o := range outcomes {
		what := o.Detail
		if len(o.Done) > 0 {
			what = actionsText(o.Done)
			if o.Detail != "" {
				what += "; " + o.Detail
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", o.Status, o.Bucket.Key(), what)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%s.\n", remediate.Summary(outcomes))
	return err
}

// printRollback writes what a rollback did (or would do) to each bucket,
// after saying what going back means.
func printRollback(w io.Writer, outcomes []remediate.UndoOutcome, dryRun bool, journal string) error {
	fmt.Fprintln(w, "Going back hands objects back: every object another account wrote into these buckets before the")
	fmt.Fprintln(w, "switch is owned by that account again, the bucket owner loses access to it (the 403 returns),")
	fmt.Fprintln(w, "and ACLs decide access again.")
	if dryRun {
		fmt.Fprintf(w, "DRY RUN of the rollback of %s: nothing was changed. Pass --yes to roll back.\n\n", journal)
	} else {
		fmt.Fprintf(w, "Rolled back %s; every undo is journalled there too.\n\n", journal)
	}
	if len(outcomes) == 0 {
		_, err := fmt.Fprintln(w, "The journal records no change that stands: nothing to undo.")
		return err
	}
	verb := "undid "
	if dryRun {
		verb = "would undo "
	}
	sorted := append([]remediate.UndoOutcome(nil), outcomes...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Key() < sorted[j].Key() })
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	counts := map[remediate.Status]int{}
	for _, o := range sorted {
		counts[o.Status]++
		what := o.Detail
		if len(o.Undone) > 0 {
			what = verb + actionsText(o.Undone)
			if o.Detail != "" {
				what += "; " + o.Detail
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", o.Status, o.Key(), what)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var parts []string
	for _, s := range []remediate.Status{remediate.StatusRestored, remediate.StatusWouldRestore, remediate.StatusNothingToDo,
		remediate.StatusSkipped, remediate.StatusFailed, remediate.StatusStopped} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	_, err := fmt.Fprintf(w, "\n%s.\n", strings.Join(parts, ", "))
	return err
}

func actionsText(actions []remediate.Action) string {
	names := make([]string, len(actions))
	for i, a := range actions {
		names[i] = string(a)
	}
	return strings.Join(names, ", ")
}
