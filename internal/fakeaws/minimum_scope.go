package fakeaws

import (
	"path"
	"regexp"
	"slices"
	"strings"
)

// minimumScope applies a ScanShape's filters to the emulator's
// organization, as the README documents them: an account matches an
// entry by its ID, by the ID of the root or of any OU above it, or by a
// name glob; buckets by name globs and region; exclude wins over include,
// and an empty include list includes everything.
type minimumScope struct {
	o     *organization
	shape ScanShape
}

func newMinimumScope(e *Emulator, shape ScanShape) *minimumScope {
	return &minimumScope{o: e.org, shape: shape}
}

var minParentID = regexp.MustCompile(`^(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$`)

// needsWalk reports whether a filter names an OU or the root: only then
// must the scan walk the tree to place accounts.
func (s *minimumScope) needsWalk() bool {
	return slices.ContainsFunc(s.shape.AccountsInclude, minParentID.MatchString) ||
		slices.ContainsFunc(s.shape.AccountsExclude, minParentID.MatchString)
}

// ancestors lists the root and OUs above an account or OU.
func (s *minimumScope) ancestors(id string) []string {
	var out []string
	for p := s.o.parentOf[id]; p != ""; p = s.o.parentOf[p] {
		out = append(out, p)
	}
	return out
}

func (s *minimumScope) matches(entries []string, a *AccountSpec) bool {
	for _, e := range entries {
		switch {
		case accountIDPattern.MatchString(e):
			if e == a.ID {
				return true
			}
		case minParentID.MatchString(e):
			for _, p := range s.ancestors(a.ID) {
				if p == e {
					return true
				}
			}
		default:
			if ok, _ := path.Match(e, a.Name); ok {
				return true
			}
		}
	}
	return false
}

func (s *minimumScope) accountInScope(a *AccountSpec) bool {
	if len(s.shape.AccountsInclude) > 0 && !s.matches(s.shape.AccountsInclude, a) {
		return false
	}
	return !s.matches(s.shape.AccountsExclude, a)
}

func globMatch(globs []string, name string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

func (s *minimumScope) bucketInScope(b BucketContents) bool {
	if len(s.shape.BucketsInclude) > 0 && !globMatch(s.shape.BucketsInclude, b.Name) {
		return false
	}
	if globMatch(s.shape.BucketsExclude, b.Name) {
		return false
	}
	if len(s.shape.Regions) == 0 {
		return true
	}
	for _, r := range s.shape.Regions {
		if strings.EqualFold(r, b.Region) {
			return true
		}
	}
	return false
}

// walkCalls are the listing calls of an OU walk, ListRoots aside.
type walkCalls struct{ ous, accounts int64 }

// walkCost is what walking the tree costs: for the root and every OU,
// max(1, ceil(n/20)) pages of its child OUs and of its accounts; and the
// longest chain below ListRoots, where a child's listing starts after the
// page of its parent's listing that named it.
func (s *minimumScope) walkCost() (walkCalls, int64) {
	var c walkCalls
	var chainOf func(id string) int64
	chainOf = func(id string) int64 {
		ous, accts := int64(len(s.o.childOUs[id])), int64(len(s.o.childAccounts[id]))
		ouPages, acctPages := pages(ous, minOrgPage), pages(accts, minOrgPage)
		c.ous += ouPages
		c.accounts += acctPages
		chain := max(ouPages, acctPages)
		for i, child := range s.o.childOUs[id] {
			chain = max(chain, int64(i/minOrgPage)+1+chainOf(child))
		}
		return chain
	}
	return c, chainOf(s.o.rootID)
}
