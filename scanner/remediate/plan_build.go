package remediate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/ownerscan/ownerscan/scanner"
)

// BuildInput is what a plan is made from: a scan's buckets and where they
// come from.
type BuildInput struct {
	Organization scanner.Organization
	Scanned      time.Time // when the scan started
	Source       string    // "scan", or the report's path
	Tool         PlanTool
	Buckets      []scanner.Bucket
	Now          time.Time
}

// Build makes the plan of every bucket not enforced, sealed. Each bucket's
// steps follow its readiness verdict: ready, enforce; migrate, the
// migration policy (when the verdict moves access into it), a private ACL
// (when the ACL grants anyone but the owner), then enforce; blocked and
// unknown, none. A scan made without readiness, or by an ownerscan that did
// not record state fingerprints, or older than MaxPlanAge, is refused.
func Build(in BuildInput) (*Plan, error) {
	if !scanner.OrganizationIDPattern.MatchString(in.Organization.ID) {
		return nil, refuse(fmt.Sprintf("the scan did not read the organization (organization ID %q): nothing to plan", in.Organization.ID))
	}
	if age := in.Now.Sub(in.Scanned); age > MaxPlanAge {
		return nil, refuse(fmt.Sprintf("the scan is %s old; a plan must be applied within %s of the scan it is made from: scan again", roundAge(age), roundAge(MaxPlanAge)))
	}
	p := &Plan{
		Format: PlanFormat, Version: PlanVersion, Tool: in.Tool,
		Created: in.Now.UTC(), Scanned: in.Scanned.UTC(),
		Organization: in.Organization, Source: in.Source,
		Buckets: []PlannedBucket{},
	}
	for _, b := range in.Buckets {
		if b.ObjectOwnership == scanner.OwnershipEnforced {
			continue
		}
		rd := b.Readiness
		if rd == nil {
			return nil, refuse(fmt.Sprintf("bucket %s/%s has no readiness verdict: the scan ran with readiness.enabled false; scan with readiness on to plan", b.AccountID, b.Name))
		}
		pb := PlannedBucket{
			AccountID: b.AccountID, AccountName: b.AccountName, Bucket: b.Name, Region: b.Region,
			Verdict: rd.Verdict, ObjectOwnership: b.ObjectOwnership, Fingerprint: b.StateFingerprint,
			ACLGrants: []PlannedGrant{}, Steps: []Step{},
			Blockers: append([]scanner.Blocker{}, rd.Blockers...), Changes: append([]string{}, rd.Changes...),
		}
		for _, g := range b.ACLGrants {
			pb.ACLGrants = append(pb.ACLGrants, PlannedGrant{CanonicalID: g.CanonicalID, URI: g.URI, Permission: g.Permission})
		}
		switch rd.Verdict {
		case scanner.VerdictReady, scanner.VerdictMigrate:
			if b.StateFingerprint == "" {
				return nil, refuse(fmt.Sprintf("bucket %s/%s has no state fingerprint: the report was written by an ownerscan that could not plan; scan again", b.AccountID, b.Name))
			}
			pb.Steps = plannedSteps(rd, len(b.ACLGrants) > 0)
		}
		p.Buckets = append(p.Buckets, pb)
	}
	sort.Slice(p.Buckets, func(i, j int) bool { return p.Buckets[i].Key() < p.Buckets[j].Key() })
	// The report a plan is made from may come from a file (plan --from):
	// hold what it names to the checks apply makes when it reads the plan,
	// so that plan never writes and seals a plan apply would refuse.
	if err := p.validate(); err != nil {
		return nil, refuse("the report cannot be planned: " + err.Error())
	}
	if err := p.Seal(); err != nil {
		return nil, err
	}
	return p, nil
}

// plannedSteps are the writes of a ready or migrate bucket, in order.
func plannedSteps(rd *scanner.Readiness, aclGrants bool) []Step {
	var steps []Step
	if rd.Verdict == scanner.VerdictMigrate {
		if rd.MigrationPolicy != "" {
			steps = append(steps, Step{Action: ActionPutBucketPolicy, Policy: rd.MigrationPolicy})
		}
		if aclGrants {
			steps = append(steps, Step{Action: ActionPutBucketACL, ACL: CannedACLPrivate})
		}
	}
	return append(steps, Step{Action: ActionEnforce, ObjectOwnership: OwnershipTarget})
}

// Seal sets the plan's digest over everything else in it.
func (p *Plan) Seal() error {
	d, err := p.digest()
	if err != nil {
		return err
	}
	p.Digest = d
	return nil
}

// digest is "sha256:" and the hex SHA-256 of the plan's JSON encoding with
// Digest empty. encoding/json writes struct fields in their order and
// nothing else, so a plan decoded and encoded again gives the same bytes.
func (p *Plan) digest() (string, error) {
	c := *p
	c.Digest = ""
	data, err := json.Marshal(&c)
	if err != nil {
		return "", fmt.Errorf("remediate: plan digest: %w", err)
	}
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// roundAge renders a duration in days and hours, for people.
func roundAge(d time.Duration) string {
	days := int(d / (24 * time.Hour))
	hours := int(d % (24 * time.Hour) / time.Hour)
	if days == 0 {
		return fmt.Sprintf("%dh", hours)
	}
	return fmt.Sprintf("%dd%dh", days, hours)
}
