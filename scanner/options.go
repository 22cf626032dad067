package scanner

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/ownerscan/ownerscan/internal/awspartition"
)

// Objects listing modes (config key objects.mode).
const (
	ObjectsModeFull = "full" // list every version and delete marker of buckets not enforced
	ObjectsModeOff  = "off"  // check ownership controls and ACLs only
)

// Defaults of Options.
const (
	DefaultMemberRoleName = "OrganizationAccountAccessRole"
	DefaultSessionName    = "ownerscan"
	// DefaultPartition is where GetCallerIdentity goes when neither the
	// partition option nor the configured region names one. The scan's
	// partition is always the caller's (Options.Partition).
	DefaultPartition   = "aws"
	DefaultConcurrency = 64
	// MaxConcurrency caps concurrency: more requests in flight than this
	// only earns throttling.
	MaxConcurrency = 4096
)

// Options configures a scan. The field comments name the configuration keys
// (README "Configuration", config.example.yaml).
type Options struct {
	OrganizationRoleARN string   // organization_role_arn: assumed first, for a delegated audit account
	MemberRoleName      string   // member_role_name
	ExternalID          string   // external_id, sent with every AssumeRole
	SessionName         string   // session_name: RoleSessionName of every session
	Partition           string   // partition: "" = the caller's (GetCallerIdentity's ARN); when set, it must be the caller's
	Regions             []string // regions: allow list of bucket regions; empty = all

	AccountsInclude []string // accounts.include: account IDs, OU/root IDs (whole subtree), name globs
	AccountsExclude []string // accounts.exclude: same forms; exclude wins

	IncludeManagementAccount bool // include_management_account

	BucketsInclude []string // buckets.include: name globs
	BucketsExclude []string // buckets.exclude: name globs; exclude wins

	ObjectsMode         string // objects.mode: "full" | "off"
	MaxObjectsPerBucket int64  // objects.max_per_bucket: 0 = no limit
	Concurrency         int    // concurrency: maximum API requests in flight

	RateLimits RateLimits // rate_limits: requests per second per service (0 = none)

	// Added for scheduled audits.

	// ExpectedOrganizationID, when set, is the organization the scan must
	// find, such as a baseline report's. Another one stops the scan with
	// ErrOrganizationMismatch as soon as DescribeOrganization answers,
	// before any account is scanned.
	ExpectedOrganizationID string
	// KnownCanonicalIDs maps account IDs to the canonical user IDs learned
	// in earlier runs (a previous report's accounts[].canonical_id). They
	// identify members the scan cannot reach today (suspended, closed,
	// failing), so that objects and grants of theirs are not called
	// external or unidentified. What the scan learns itself wins.
	KnownCanonicalIDs map[string]string

	// Added with readiness.
	Readiness ReadinessOptions // readiness.*
}

// ReadinessOptions configure the readiness checks of buckets not enforced
// (README "Readiness").
type ReadinessOptions struct {
	// Enabled (readiness.enabled) reads each bucket's policy and samples
	// its object ACLs. Off, a bucket not enforced costs what it did before
	// readiness, and has no readiness in the report.
	Enabled bool
	// ObjectACLSample (readiness.object_acl_sample) is how many versions
	// of each bucket have their ACL read; 0 reads none.
	ObjectACLSample int
}

// Readiness defaults and limits.
const (
	DefaultObjectACLSample = 10
	// MaxObjectACLSample caps the sample: it costs one call per version.
	MaxObjectACLSample = 1000
)

// DefaultOptions returns the options of an empty configuration file.
func DefaultOptions() Options {
	return Options{
		MemberRoleName:           DefaultMemberRoleName,
		SessionName:              DefaultSessionName,
		IncludeManagementAccount: true,
		ObjectsMode:              ObjectsModeFull,
		Concurrency:              DefaultConcurrency,
		RateLimits:               DefaultRateLimits(),
		Readiness:                ReadinessOptions{Enabled: true, ObjectACLSample: DefaultObjectACLSample},
	}
}

var (
	accountIDPattern   = regexp.MustCompile(`^[0-9]{12}$`)
	ouIDPattern        = regexp.MustCompile(`^ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}$`)
	rootIDPattern      = regexp.MustCompile(`^r-[0-9a-z]{4,32}$`)
	roleNamePattern    = regexp.MustCompile(`^[\w+=,.@/-]{1,64}$`)
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	externalIDPattern  = regexp.MustCompile(`^[\w+=,.@:/-]+$`) // and 2..1224 long
	roleARNPattern     = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc):iam::([0-9]{12}):role/[\w+=,.@/-]{1,512}$`)
	regionPattern      = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	// OrganizationIDPattern is the form of an organization ID
	// (Organizations API reference, Organization.Id).
	OrganizationIDPattern = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
)

// Validate checks every option. Each message names the configuration key,
// e.g. `concurrency: must be 1..4096, got 0`.
func (o Options) Validate() error {
	if o.OrganizationRoleARN != "" && !roleARNPattern.MatchString(o.OrganizationRoleARN) {
		return fmt.Errorf("organization_role_arn: %q is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)", o.OrganizationRoleARN)
	}
	if !roleNamePattern.MatchString(o.MemberRoleName) {
		return fmt.Errorf("member_role_name: %q is not a valid IAM role name (1-64 of letters, digits and +=,.@_-)", o.MemberRoleName)
	}
	if o.ExternalID != "" && (len(o.ExternalID) < 2 || len(o.ExternalID) > 1224 || !externalIDPattern.MatchString(o.ExternalID)) {
		return fmt.Errorf("external_id: must be 2-1224 of letters, digits and +=,.@:/_-")
	}
	if !sessionNamePattern.MatchString(o.SessionName) {
		return fmt.Errorf("session_name: %q must be 2-64 of letters, digits and +=,.@_-", o.SessionName)
	}
	if _, ok := awspartition.Lookup(o.Partition); o.Partition != "" && !ok {
		return fmt.Errorf("partition: %q is not a partition ownerscan supports (%s)", o.Partition, strings.Join(awspartition.Names(), ", "))
	}
	if o.ExpectedOrganizationID != "" && !OrganizationIDPattern.MatchString(o.ExpectedOrganizationID) {
		return fmt.Errorf("expected organization ID %q is not an organization ID (o- and 10-32 lowercase letters or digits)", o.ExpectedOrganizationID)
	}
	if err := validateRegions("regions", o.Regions); err != nil {
		return err
	}
	if err := validateAccountFilters("accounts.include", o.AccountsInclude); err != nil {
		return err
	}
	if err := validateAccountFilters("accounts.exclude", o.AccountsExclude); err != nil {
		return err
	}
	if err := validateGlobs("buckets.include", o.BucketsInclude); err != nil {
		return err
	}
	if err := validateGlobs("buckets.exclude", o.BucketsExclude); err != nil {
		return err
	}
	switch o.ObjectsMode {
	case ObjectsModeFull, ObjectsModeOff:
	default:
		return fmt.Errorf("objects.mode: must be %q or %q, got %q", ObjectsModeFull, ObjectsModeOff, o.ObjectsMode)
	}
	if o.MaxObjectsPerBucket < 0 {
		return fmt.Errorf("objects.max_per_bucket: must be 0 (no limit) or more, got %d", o.MaxObjectsPerBucket)
	}
	for acct, id := range o.KnownCanonicalIDs {
		if !accountIDPattern.MatchString(acct) || id == "" || len(id) > 256 {
			return fmt.Errorf("known canonical IDs: %q -> %q is not an account ID and a canonical ID", acct, id)
		}
	}
	if o.Readiness.ObjectACLSample < 0 || o.Readiness.ObjectACLSample > MaxObjectACLSample {
		return fmt.Errorf("readiness.object_acl_sample: must be 0 (none) to %d, got %d", MaxObjectACLSample, o.Readiness.ObjectACLSample)
	}
	if o.Concurrency < 1 || o.Concurrency > MaxConcurrency {
		return fmt.Errorf("concurrency: must be 1..%d, got %d", MaxConcurrency, o.Concurrency)
	}
	for _, r := range []struct {
		service string
		rate    float64
	}{{ServiceOrganizations, o.RateLimits.Organizations}, {ServiceSTS, o.RateLimits.STS}, {ServiceS3, o.RateLimits.S3}} {
		// !(r >= MinRate) also catches NaN.
		if r.rate != 0 && (!(r.rate >= MinRate) || r.rate > MaxRate) {
			return fmt.Errorf("rate_limits.%s: must be 0 (no limit) or %v to %d requests per second, got %v", r.service, MinRate, MaxRate, r.rate)
		}
	}
	return nil
}

func validateAccountFilters(key string, entries []string) error {
	for i, e := range entries {
		switch {
		case e == "":
			return fmt.Errorf("%s[%d]: empty entry", key, i)
		case accountIDPattern.MatchString(e), ouIDPattern.MatchString(e), rootIDPattern.MatchString(e):
		case (strings.HasPrefix(e, "ou-") || strings.HasPrefix(e, "r-")) && !strings.ContainsAny(e, "*?[\\"):
			return fmt.Errorf("%s[%d]: %q looks like an OU or root ID but is malformed", key, i, e)
		default:
			if _, err := path.Match(e, ""); err != nil {
				return fmt.Errorf("%s[%d]: %q is not a valid name glob: %v", key, i, e, err)
			}
		}
	}
	return nil
}

func validateGlobs(key string, globs []string) error {
	for i, g := range globs {
		if g == "" {
			return fmt.Errorf("%s[%d]: empty glob", key, i)
		}
		if _, err := path.Match(g, ""); err != nil {
			return fmt.Errorf("%s[%d]: %q is not a valid glob: %v", key, i, g, err)
		}
	}
	return nil
}
