package remediate

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ownerscan/ownerscan/scanner"
)

// CheckOrganization holds a plan to the organization the credentials
// reach (org, from DescribeOrganization), before any other call: another
// organization, partition or management account refuses it.
func CheckOrganization(org scanner.Organization, plan *Plan) error {
	want := plan.Organization
	switch {
	case org.ID != want.ID:
		return refuse(fmt.Sprintf("the plan is for organization %s, but the credentials reach organization %s", want.ID, org.ID))
	case org.Partition != want.Partition:
		return refuse(fmt.Sprintf("the plan is for partition %s, but the credentials are of partition %s", want.Partition, org.Partition))
	case org.ManagementAccountID != want.ManagementAccountID:
		return refuse(fmt.Sprintf("the plan names management account %s, the organization's is %s", want.ManagementAccountID, org.ManagementAccountID))
	}
	return nil
}

// CheckMembers holds a plan's buckets to the organization's accounts
// (states: every account's state, from ListAccounts): a bucket of an
// account that is no member refuses the whole plan. It returns the
// accounts of the plan that are members but not ACTIVE (suspended,
// closing), whose buckets apply skips.
func CheckMembers(states map[string]string, plan *Plan) (map[string]string, error) {
	inactive := map[string]string{}
	var outside []string
	for _, b := range plan.Buckets {
		state, member := states[b.AccountID]
		switch {
		case !member:
			outside = append(outside, b.Key())
		case state != "ACTIVE":
			inactive[b.AccountID] = state
		}
	}
	if len(outside) > 0 {
		sort.Strings(outside)
		return nil, refuse(fmt.Sprintf("the plan names buckets outside organization %s (their accounts are no members): %s", plan.Organization.ID, strings.Join(outside, ", ")))
	}
	return inactive, nil
}

// CheckJournalPlan refuses a journal that belongs to another plan than
// p (its run-start entries name the plan's digest), before any call.
func CheckJournalPlan(entries []Entry, p *Plan) error {
	h, err := readHistory(entries)
	if err != nil {
		return err
	}
	return h.checkPlan(p)
}

// checkPlan refuses a journal's history of another plan than p, or whose
// standing steps are not the plan's: apply resumes a bucket at the step the
// journal names, so a step beyond the bucket's plan, or of another action,
// would skip the plan's steps and call the bucket done.
func (h *history) checkPlan(p *Plan) error {
	if h.planDigest != "" && (h.planDigest != p.Digest || h.organizationID != p.Organization.ID) {
		return refuse(fmt.Sprintf("the journal belongs to another plan (%s), not to this one (%s): give apply a --journal of its own", h.planDigest, p.Digest))
	}
	for i := range p.Buckets {
		b := &p.Buckets[i]
		hb := h.buckets[b.Key()]
		if hb == nil {
			continue
		}
		for _, s := range hb.steps {
			if s.step > len(b.Steps) || b.Steps[s.step-1].Action != s.action {
				return refuse(fmt.Sprintf("the journal has step %d (%s) of %s, which the plan does not: it was not written by apply of this plan", s.step, s.action, b.Key()))
			}
		}
	}
	return nil
}

// CheckJournalOrganization holds a journal to the organization the
// credentials reach.
func CheckJournalOrganization(org scanner.Organization, origin JournalOrigin) error {
	if org.ID != origin.OrganizationID {
		return refuse(fmt.Sprintf("the journal is of organization %s, but the credentials reach organization %s", origin.OrganizationID, org.ID))
	}
	if origin.Partition != "" && org.Partition != origin.Partition {
		return refuse(fmt.Sprintf("the journal is of partition %s, but the credentials are of partition %s", origin.Partition, org.Partition))
	}
	return nil
}
