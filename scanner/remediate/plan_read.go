package remediate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/ownerscan/ownerscan/internal/awspartition"
	"github.com/ownerscan/ownerscan/scanner"
)

// Limits on what is read back.
const (
	// MaxPlanBytes bounds plan.json: a planned bucket is a few KB (its
	// migration policy at most 20 KB), so this holds thousands.
	MaxPlanBytes = 256 << 20
	// maxPolicyBytes is S3's limit on a bucket policy
	// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html).
	maxPolicyBytes = 20 << 10
)

var (
	accountIDPattern   = regexp.MustCompile(`^[0-9]{12}$`)
	regionPattern      = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	fingerprintPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	// bucketNamePattern is lenient on purpose: buckets made in us-east-1
	// before March 2018 may have capitals and underscores and up to 255
	// characters (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
	bucketNamePattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]{1,253}[a-zA-Z0-9]$`)
)

// ReadPlan reads plan.json from r, as untrusted input: at most
// MaxPlanBytes, one JSON object with only the fields of Plan, of this
// format and version, whose digest still matches its content, and whose
// every bucket and step is well formed and agrees with its verdict.
// Anything else is refused (ErrRefused) with one line saying what.
func ReadPlan(r io.Reader) (*Plan, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxPlanBytes+1))
	if err != nil {
		return nil, fmt.Errorf("remediate: read plan: %w", err)
	}
	if len(data) > MaxPlanBytes {
		return nil, refuse(fmt.Sprintf("not a plan: larger than %d bytes", MaxPlanBytes))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Plan
	if err := dec.Decode(&p); err != nil {
		return nil, refuse("not a plan: " + err.Error())
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, refuse("not a plan: data after the plan")
	}
	if p.Format != PlanFormat || p.Version != PlanVersion {
		return nil, refuse(fmt.Sprintf("not a plan: format %q version %d, want %q version %d (made by ownerscan plan)", p.Format, p.Version, PlanFormat, PlanVersion))
	}
	want, err := p.digest()
	if err != nil {
		return nil, err
	}
	if p.Digest != want {
		return nil, refuse("the plan was edited after it was made: its digest does not match its content; make a new plan with ownerscan plan")
	}
	if err := p.validate(); err != nil {
		return nil, refuse("not a valid plan: " + err.Error())
	}
	return &p, nil
}

// CheckAge refuses a plan whose state is older than MaxPlanAge at now, or
// dated in the future (a clock that is off).
func (p *Plan) CheckAge(now time.Time) error {
	for _, t := range []time.Time{p.Created, p.Scanned} {
		if t.Sub(now) > clockSkew {
			return refuse(fmt.Sprintf("the plan is dated %s, in the future: check the clock", t.Format(time.RFC3339)))
		}
	}
	if age := now.Sub(p.Scanned); age > MaxPlanAge {
		return refuse(fmt.Sprintf("the plan is too old: its scan is %s old, a plan may be applied within %s; make a new plan", roundAge(age), roundAge(MaxPlanAge)))
	}
	return nil
}

// validate checks what a plan names, after its digest matched.
func (p *Plan) validate() error {
	o := p.Organization
	if !scanner.OrganizationIDPattern.MatchString(o.ID) || !accountIDPattern.MatchString(o.ManagementAccountID) {
		return fmt.Errorf("organization %q with management account %q", o.ID, o.ManagementAccountID)
	}
	if _, ok := awspartition.Lookup(o.Partition); !ok {
		return fmt.Errorf("partition %q", o.Partition)
	}
	if p.Created.IsZero() || p.Scanned.IsZero() || p.Scanned.After(p.Created) {
		return fmt.Errorf("created_at %s and scanned_at %s", p.Created.Format(time.RFC3339), p.Scanned.Format(time.RFC3339))
	}
	seen := map[string]bool{}
	for i := range p.Buckets {
		b := &p.Buckets[i]
		if seen[b.Key()] {
			return fmt.Errorf("buckets[%d]: %s is planned twice", i, b.Key())
		}
		seen[b.Key()] = true
		if err := b.validate(); err != nil {
			return fmt.Errorf("buckets[%d] (%s): %w", i, b.Key(), err)
		}
	}
	return nil
}

// validate checks one planned bucket: its names, and steps that agree with
// its verdict, each setting what that step may set.
func (b *PlannedBucket) validate() error {
	switch {
	case !accountIDPattern.MatchString(b.AccountID):
		return fmt.Errorf("account_id %q is not an account ID", b.AccountID)
	case !bucketNamePattern.MatchString(b.Bucket):
		return fmt.Errorf("%q is not a bucket name", b.Bucket)
	case !regionPattern.MatchString(b.Region):
		return fmt.Errorf("region %q is not a region", b.Region)
	case b.Fingerprint != "" && !fingerprintPattern.MatchString(b.Fingerprint):
		return fmt.Errorf("fingerprint %q is not sha256:<64 hex digits>", b.Fingerprint)
	}
	switch b.Verdict {
	case scanner.VerdictReady, scanner.VerdictMigrate:
		if b.Fingerprint == "" {
			return errors.New("no fingerprint of the state it was planned from")
		}
	case scanner.VerdictBlocked, scanner.VerdictUnknown:
		if len(b.Steps) > 0 {
			return fmt.Errorf("a %s bucket has steps: it is never changed", b.Verdict)
		}
		return nil
	default:
		return fmt.Errorf("verdict %q", b.Verdict)
	}
	order := map[Action]int{ActionPutBucketPolicy: 0, ActionPutBucketACL: 1, ActionEnforce: 2}
	last := -1
	for i, s := range b.Steps {
		rank, ok := order[s.Action]
		if !ok || rank <= last {
			return fmt.Errorf("steps[%d]: %q out of place (the order is %s, %s, %s, each at most once)", i, s.Action, ActionPutBucketPolicy, ActionPutBucketACL, ActionEnforce)
		}
		last = rank
		if err := s.validate(b.Verdict); err != nil {
			return fmt.Errorf("steps[%d]: %w", i, err)
		}
	}
	if last != order[ActionEnforce] {
		return fmt.Errorf("the last step must be %s", ActionEnforce)
	}
	return nil
}

// validate checks that a step sets exactly what its action may.
func (s Step) validate(verdict scanner.ReadinessVerdict) error {
	switch s.Action {
	case ActionPutBucketPolicy:
		if verdict != scanner.VerdictMigrate {
			return fmt.Errorf("%s in a %s bucket", s.Action, verdict)
		}
		if s.Policy == "" || len(s.Policy) > maxPolicyBytes || !json.Valid([]byte(s.Policy)) || s.ACL != "" || s.ObjectOwnership != "" {
			return fmt.Errorf("%s needs only a policy of JSON, at most %d bytes", s.Action, maxPolicyBytes)
		}
	case ActionPutBucketACL:
		if verdict != scanner.VerdictMigrate {
			return fmt.Errorf("%s in a %s bucket", s.Action, verdict)
		}
		if s.ACL != CannedACLPrivate || s.Policy != "" || s.ObjectOwnership != "" {
			return fmt.Errorf("%s sets only acl %q", s.Action, CannedACLPrivate)
		}
	case ActionEnforce:
		if s.ObjectOwnership != OwnershipTarget || s.Policy != "" || s.ACL != "" {
			return fmt.Errorf("%s sets only object_ownership %s", s.Action, OwnershipTarget)
		}
	}
	return nil
}
