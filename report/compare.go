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
// account was scanned and, for a bucket's finding, the bucket is gone or
// was read (not failed), and, for a finding from the object listing, the
// bucket is now enforced or its listing ran to the end. Otherwise it is
// unverified: an account that failed tonight has not fixed anything.
//
// Buckets outside today's bucket or region filters are not told apart from
// deleted ones: compare scans of the same configuration.
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
	cov := newCoverage(cur)
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

// coverage answers whether a scan looked where a finding was raised.
type coverage struct {
	accounts map[string]scanner.AccountStatus
	buckets  map[[2]string]BucketState
}

func newCoverage(s *Snapshot) *coverage {
	c := &coverage{
		accounts: make(map[string]scanner.AccountStatus, len(s.Accounts)),
		buckets:  make(map[[2]string]BucketState, len(s.Buckets)),
	}
	for _, a := range s.Accounts {
		c.accounts[a.ID] = a.Status
	}
	for _, b := range s.Buckets {
		c.buckets[[2]string{b.AccountID, b.Name}] = b
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
	b, ok := c.buckets[[2]string{f.AccountID, f.Bucket}]
	switch {
	case !ok:
		return true // the account's bucket list no longer has it
	case b.Status == scanner.BucketFailed:
		return false
	case objectFindings[f.Type]:
		return b.ObjectOwnership == scanner.OwnershipEnforced || b.ObjectScan == scanner.ObjectScanComplete
	}
	return true
}
