package report

import (
	"errors"
	"fmt"
	"time"

	"github.com/ownerscan/ownerscan/scanner"
)

// ErrOtherOrganization marks a comparison of reports of two organizations.
var ErrOtherOrganization = errors.New("the reports are of different organizations")

// Baseline is report.json's "baseline": the earlier report a scan was
// compared with (by its started_at) and how many findings are new,
// resolved, unchanged, or unverified (see Compare).
type Baseline struct {
	StartedAt  time.Time `json:"started_at"`
	New        int       `json:"new"`
	Resolved   int       `json:"resolved"`
	Unchanged  int       `json:"unchanged"`
	Unverified int       `json:"unverified"`
}

// Comparison is a scan compared with a baseline.
type Comparison struct {
	Organization scanner.Organization
	// StartedAt is when the compared (current) scan started.
	StartedAt time.Time
	Baseline  Baseline
	// Findings are the current scan's findings in their order, each with
	// Change set to new or unchanged.
	Findings []scanner.Finding
	// Resolved are the baseline's findings that the current scan no
	// longer raises where it looked (Change resolved), in baseline order.
	Resolved []scanner.Finding
	// Unverified are the baseline's findings that the current scan did not
	// raise but also did not cover (Change unverified): see Compare.
	Unverified []scanner.Finding
}

// objectFindings are the finding types raised from a bucket's object
// listing: gone only when the listing ran in full, or the bucket is now
// enforced (the bucket owner then owns every object). OWNER_UNKNOWN (object
// versions listed without an owner) is one of them.
var objectFindings = map[scanner.FindingType]bool{
	scanner.FindingCrossAccountObjects: true,
	scanner.FindingOwnerUnknown:        true,
}

// Compare compares the current scan with a baseline, by finding ID. A
// current finding is new when the baseline has no finding with its ID,
// else unchanged. A baseline finding the current scan does not raise is
// resolved only when the current scan looked where it was found: its
// account was scanned and, for a bucket's finding, the bucket was read
// (its status compliant or noncompliant: failed, or a status this version
// does not know, is no evidence) or is gone, and, for a finding from the object listing, the
// bucket is now enforced or its listing ran to the end. Otherwise it is
// unverified: an account that failed tonight has not fixed anything.
//
// A bucket with no row in the current scan is gone only when the current
// scan's scope (its bucket name filters and regions allow list) includes
// the bucket's name and the region the baseline found it in; one outside
// that scope was left out, not deleted, and its findings are unverified.
// A current report that records no scope (written before report.json had
// one) counts every bucket of a scanned account as in scope.
//
// Reports of two organizations are refused (ErrOtherOrganization).
func Compare(base, cur *Snapshot) (*Comparison, error) {
	if base.Organization.ID != cur.Organization.ID {
		return nil, fmt.Errorf("%w: the baseline is of organization %s, this scan of %s",
			ErrOtherOrganization, base.Organization.ID, cur.Organization.ID)
	}
	c := &Comparison{
		Organization: cur.Organization,
		StartedAt:    cur.StartedAt,
		Baseline:     Baseline{StartedAt: base.StartedAt},
		Findings:     make([]scanner.Finding, len(cur.Findings)),
		Resolved:     []scanner.Finding{},
		Unverified:   []scanner.Finding{},
	}
	before := make(map[string]bool, len(base.Findings))
	for _, f := range base.Findings {
		before[f.ID] = true
	}
	now := make(map[string]bool, len(cur.Findings))
	for i, f := range cur.Findings {
		now[f.ID] = true
		if before[f.ID] {
			f.Change = scanner.ChangeUnchanged
			c.Baseline.Unchanged++
		} else {
			f.Change = scanner.ChangeNew
			c.Baseline.New++
		}
		c.Findings[i] = f
	}
	cov := newCoverage(base, cur)
	for _, f := range base.Findings {
		if now[f.ID] {
			continue
		}
		now[f.ID] = true // a baseline listing an ID twice counts it once
		if cov.covers(f) {
			f.Change = scanner.ChangeResolved
			c.Resolved = append(c.Resolved, f)
		} else {
			f.Change = scanner.ChangeUnverified
			c.Unverified = append(c.Unverified, f)
		}
	}
	c.Baseline.Resolved, c.Baseline.Unverified = len(c.Resolved), len(c.Unverified)
	return c, nil
}

// coverage answers whether a scan looked where a baseline finding was
// raised.
type coverage struct {
	accounts map[string]scanner.AccountStatus
	buckets  map[[2]string]BucketState
	// scope is the current scan's (nil: not recorded), and baseRegions
	// the region of each baseline bucket, by account ID and name.
	scope       *scanner.Scope
	baseRegions map[[2]string]string
}

func newCoverage(base, cur *Snapshot) *coverage {
	c := &coverage{
		accounts:    make(map[string]scanner.AccountStatus, len(cur.Accounts)),
		buckets:     make(map[[2]string]BucketState, len(cur.Buckets)),
		scope:       cur.Scope,
		baseRegions: make(map[[2]string]string, len(base.Buckets)),
	}
	for _, a := range cur.Accounts {
		c.accounts[a.ID] = a.Status
	}
	for _, b := range cur.Buckets {
		c.buckets[[2]string{b.AccountID, b.Name}] = b
	}
	for _, b := range base.Buckets {
		c.baseRegions[[2]string{b.AccountID, b.Name}] = b.Region
	}
	return c
}

func (c *coverage) covers(f scanner.Finding) bool {
	if f.AccountID == "" {
		return true // the organization walk: it ran again
	}
	if c.accounts[f.AccountID] != scanner.AccountScanned {
		return false // failed, skipped, or outside today's scope
	}
	if f.Bucket == "" {
		return true
	}
	key := [2]string{f.AccountID, f.Bucket}
	b, ok := c.buckets[key]
	switch {
	case !ok:
		return c.inScope(key, f.Region)
	case b.Status != scanner.BucketCompliant && b.Status != scanner.BucketNoncompliant:
		return false // failed, or no status that says it was read
	case objectFindings[f.Type]:
		return b.ObjectOwnership == scanner.OwnershipEnforced || b.ObjectScan == scanner.ObjectScanComplete
	}
	return true
}

// inScope reports whether the current scan would have listed the baseline
// bucket key had it still been there: then a bucket with no row is gone
// from its account's bucket list. The region is the baseline row's, else
// the finding's.
func (c *coverage) inScope(key [2]string, findingRegion string) bool {
	if c.scope == nil {
		return true // no scope recorded: as before reports had one
	}
	region, ok := c.baseRegions[key]
	if !ok {
		region = findingRegion
	}
	return c.scope.Includes(key[1], region)
}
