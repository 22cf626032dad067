package scanner

import (
	"fmt"
	"sort"
	"strings"

	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// membership is what owner identity needs to know about the organization
// once the scan is over: which members' canonical IDs stay unknown.
type membership struct {
	unknown    []string          // member accounts whose canonical ID is unknown, sorted
	labels     map[string]string // account ID -> "444444444444 (AccountD, SUSPENDED)"
	incomplete bool              // the organization listing stopped early
}

// external reports whether an owner that matches no member can be called
// external: only when every member's canonical ID is known and every
// member was listed.
func (m membership) external() bool { return len(m.unknown) == 0 && !m.incomplete }

// membership collects, after every owner was resolved, the listed members
// whose canonical ID neither this scan nor an earlier run (KnownCanonicalIDs)
// learned: failed, suspended or closed, never reached, out of scope with a
// failed lookup. rows are the accounts in scope, for the reason each one
// is unknown.
func (r *run) membership(rows []Account, listingStopped bool) membership {
	m := membership{labels: map[string]string{}, incomplete: listingStopped}
	byID := make(map[string]Account, len(rows))
	for _, a := range rows {
		byID[a.ID] = a
	}
	for _, a := range r.listed {
		if r.dir.knowsAccount(a.ID) {
			continue
		}
		m.unknown = append(m.unknown, a.ID)
		m.labels[a.ID] = fmt.Sprintf("%s (%s, %s)", a.ID, a.Name, unknownReason(a, byID))
	}
	sort.Strings(m.unknown)
	return m
}

// unknownReason says why a member's canonical ID is unknown.
func unknownReason(a orgAccount, rows map[string]Account) string {
	if a.State != "" && a.State != string(orgtypes.AccountStateActive) {
		return a.State
	}
	row, inScope := rows[a.ID]
	switch {
	case !inScope:
		return "outside the scan's scope, not readable"
	case row.Status == AccountFailed:
		return "could not be scanned"
	}
	return "not scanned"
}

// candidateLimit caps the members a finding names in its text; the
// foreign owner's candidate_accounts lists them all.
const candidateLimit = 10

// candidateText names an unidentified owner's candidates in words.
func candidateText(ids []string, labels map[string]string) string {
	names := make([]string, 0, min(len(ids), candidateLimit))
	for _, id := range ids[:min(len(ids), candidateLimit)] {
		names = append(names, labels[id])
	}
	text := strings.Join(names, ", ")
	if more := len(ids) - len(names); more > 0 {
		text += fmt.Sprintf(" and %d more (candidate_accounts lists them all)", more)
	}
	return text
}

// unidentifiedDetail says, for a finding, what an owner or grantee that
// matches no member may be.
func unidentifiedDetail(m membership) string {
	var parts []string
	if len(m.unknown) > 0 {
		parts = append(parts, "one of the members whose canonical ID the scan does not know: "+candidateText(m.unknown, m.labels))
	}
	if m.incomplete {
		parts = append(parts, "a member the organization listing did not reach")
	}
	return "It matches no member whose canonical ID is known, so it is unidentified rather than external: it may be " +
		strings.Join(parts, ", or ") + ", or an account outside the organization. " +
		"A canonical ID learned in an earlier run (a previous report's accounts[].canonical_id) identifies a member that cannot be reached today."
}
