// Package remediate is the only code of ownerscan that changes buckets: it
// makes a plan from a scan's readiness verdicts, applies it (the bucket
// policy that replaces ACL grants, a private bucket ACL, then Object
// Ownership BucketOwnerEnforced), journals every step with the values it
// replaces, and rolls a journal back. Nothing on the scan path imports it
// (imports_test.go holds scanner and report to that).
//
// Guard rails (README "Fixing buckets"): a plan is sealed with a digest of
// its content and refused when edited, older than MaxPlanAge, or of
// another organization; a bucket is changed only while its ownership, ACL
// and policy are exactly as the plan saw them (scanner.BucketControls'
// fingerprint); each write is read back before the next; the journal is
// synced before and after every write, so a run killed at any point can be
// rolled back; and a rollback undoes a step only while the bucket is as
// the apply left it.
package remediate

import (
	"errors"
	"time"

	"github.com/ownerscan/ownerscan/scanner"
)

// Action names one step of a bucket's plan.
type Action string

// Steps, in the only order they are ever planned and applied (AWS's order
// for disabling ACLs: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-ownership-migrating-acls-prerequisites.html).
const (
	// ActionPutBucketPolicy puts Step.Policy, the complete bucket policy
	// that gives every grantee of an ACL the same access.
	ActionPutBucketPolicy Action = "put-bucket-policy"
	// ActionPutBucketACL resets the bucket ACL to Step.ACL (private): S3
	// refuses BucketOwnerEnforced while the ACL grants anyone but the owner.
	ActionPutBucketACL Action = "put-bucket-acl"
	// ActionEnforce sets Object Ownership to BucketOwnerEnforced.
	ActionEnforce Action = "put-bucket-ownership-controls"
)

// Values the steps set.
const (
	CannedACLPrivate = "private"
	OwnershipTarget  = scanner.OwnershipEnforced
)

// Step is one write of a bucket's plan and the value it sets.
type Step struct {
	Action Action `json:"action"`
	// Policy is the policy text put-bucket-policy puts.
	Policy string `json:"policy,omitempty"`
	// ACL is the canned ACL put-bucket-acl puts (always private).
	ACL string `json:"acl,omitempty"`
	// ObjectOwnership is what put-bucket-ownership-controls sets (always
	// BucketOwnerEnforced).
	ObjectOwnership scanner.ObjectOwnership `json:"object_ownership,omitempty"`
}

// PlannedGrant is a bucket ACL grant the plan saw (to anyone but the
// owner): what put-bucket-acl private takes away, and what apply names
// when the ACL changed since the plan.
type PlannedGrant struct {
	CanonicalID string `json:"canonical_id,omitempty"`
	URI         string `json:"uri,omitempty"`
	Permission  string `json:"permission"`
}

// PlannedBucket is one bucket not enforced and what apply does to it.
type PlannedBucket struct {
	AccountID   string                   `json:"account_id"`
	AccountName string                   `json:"account_name"`
	Bucket      string                   `json:"bucket"`
	Region      string                   `json:"region"`
	Verdict     scanner.ReadinessVerdict `json:"verdict"`
	// ObjectOwnership and ACLGrants are the state the plan was made from,
	// and Fingerprint its digest (scanner.BucketControls.Fingerprint):
	// apply changes the bucket only while a fresh read gives the same.
	// Fingerprint is "" for a bucket whose state was not read whole (it
	// then has no steps).
	ObjectOwnership scanner.ObjectOwnership `json:"object_ownership"`
	ACLGrants       []PlannedGrant          `json:"acl_grants"`
	Fingerprint     string                  `json:"fingerprint"`
	// Steps are the writes, in order: none for blocked and unknown
	// buckets, which apply never touches.
	Steps []Step `json:"steps"`
	// Blockers and Changes are the bucket's readiness, for the reviewer.
	Blockers []scanner.Blocker `json:"blockers"`
	Changes  []string          `json:"changes"`
}

// Plan is plan.json: what `ownerscan apply` may do, sealed by Digest.
type Plan struct {
	Format  string    `json:"format"` // PlanFormat
	Version int       `json:"version"`
	Tool    PlanTool  `json:"tool"`
	Created time.Time `json:"created_at"`
	// Scanned is when the scan the plan was made from started: the state
	// it saw is as old as that.
	Scanned      time.Time            `json:"scanned_at"`
	Organization scanner.Organization `json:"organization"`
	// Source is "scan" for a plan made from a fresh scan, else the report
	// it was made from.
	Source  string          `json:"source"`
	Buckets []PlannedBucket `json:"buckets"`
	// Digest is "sha256:" and the hex SHA-256 of the plan's JSON with
	// Digest empty (Seal): an edited plan no longer matches it. It guards
	// against mistakes and hand edits, not against someone who recomputes
	// it: keep plans where only reviewers can write.
	Digest string `json:"digest"`
}

// PlanTool names the ownerscan that made a plan.
type PlanTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Plan format and limits.
const (
	PlanFormat  = "ownerscan-plan"
	PlanVersion = 1
	// MaxPlanAge is how old the state a plan saw may be when it is
	// applied: after that, apply refuses it and a new scan must be made.
	MaxPlanAge = 7 * 24 * time.Hour
	// clockSkew is how far in the future a plan's times may be.
	clockSkew = 5 * time.Minute
)

// ErrRefused marks every input refused before any write: a plan or journal
// that is not one, edited, too old, of another organization, or naming
// buckets outside it. The CLI makes it exit code 2.
var ErrRefused = errors.New("remediate: refused")

// refusal is an error that wraps ErrRefused, and the error it comes from
// if any.
type refusal struct {
	msg string
	err error
}

func (r *refusal) Error() string   { return r.msg }
func (r *refusal) Unwrap() []error { return []error{ErrRefused, r.err} }

func refuse(msg string) error { return &refusal{msg: msg} }

// refuseErr refuses input that cannot be read because of err.
func refuseErr(msg string, err error) error {
	return &refusal{msg: msg + ": " + err.Error(), err: err}
}

// Applicable reports whether apply may change b: it has steps, and for a
// migrate verdict only with migrateACLs (--migrate-acls).
func (b *PlannedBucket) Applicable(migrateACLs bool) bool {
	switch {
	case len(b.Steps) == 0:
		return false
	case b.Verdict == scanner.VerdictMigrate:
		return migrateACLs
	}
	return b.Verdict == scanner.VerdictReady
}

// Key names a bucket in messages and maps: account/bucket.
func (b *PlannedBucket) Key() string { return b.AccountID + "/" + b.Bucket }
