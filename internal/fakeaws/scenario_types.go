package fakeaws

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Scenario is the organization state an Emulator serves, as read from YAML
// (the package documentation and README "The emulator from a shell"). Every field is optional except where Validate
// says otherwise.
type Scenario struct {
	ManagementAccount   string        `yaml:"management_account"`
	OrganizationID      string        `yaml:"organization_id"`      // default derived from the management account
	OrganizationalUnits []string      `yaml:"organizational_units"` // paths under the root: "Workloads", "Workloads/Dev"
	Accounts            []AccountSpec `yaml:"accounts"`
	Buckets             []BucketSpec  `yaml:"buckets"`
	Generate            *GenerateSpec `yaml:"generate"`
	Faults              FaultsSpec    `yaml:"faults"`
	// SessionDuration caps the lifetime of AssumeRole sessions (default: the
	// DurationSeconds asked for). Short values exercise credential refresh.
	SessionDuration Duration `yaml:"session_duration"`

	// Partitions and delegation (added with the documented deployments).
	//
	// Partition is the AWS partition the organization lives in: aws
	// (default), aws-cn or aws-us-gov. It decides every ARN the emulator
	// answers with and the regions a request may be signed for; a request
	// signed for a region of another partition, or for an opt-in region the
	// caller's account has not enabled, finds no such access key there.
	Partition string `yaml:"partition"`
	// DelegatedAdministrators are member accounts that may call the
	// Organizations read operations (List*, Describe*) as the management
	// account can: AWS Organizations' resource-based delegation policy.
	DelegatedAdministrators []string `yaml:"delegated_administrators"`
}

// AccountSpec is one account of the organization.
type AccountSpec struct {
	ID     string     `yaml:"id"`
	Name   string     `yaml:"name"`
	OU     string     `yaml:"ou"`     // OU path; "" = directly under the root
	Status string     `yaml:"status"` // ACTIVE (default) | SUSPENDED | PENDING_CLOSURE | CLOSED
	Email  string     `yaml:"email"`  // default <id>@example.invalid
	Roles  []RoleSpec `yaml:"roles"`  // nil = OrganizationAccountAccessRole trusting the management account

	// Least-privilege principals and regions (added with the documented
	// deployments).
	//
	// Users are IAM users with long-term keys (Emulator.UserCredentials)
	// holding only the permissions they are given. The account's
	// administrator (fakeaws-admin) keeps every permission.
	Users []UserSpec `yaml:"users"`
	// OptInRegions are the opt-in regions the account has enabled (e.g.
	// ap-east-1). Its keys work only in default regions and these; a bucket
	// of the account may live only in them.
	OptInRegions []string `yaml:"opt_in_regions"`
}

// UserSpec is an IAM user of an account.
type UserSpec struct {
	Name string `yaml:"name"`
	// Permissions are the IAM actions the user's policies allow
	// ("s3:ListAllMyBuckets", "organizations:ListAccounts", "s3:*", "*").
	// Every other action is denied with the service's AccessDenied.
	Permissions []string `yaml:"permissions"`
}

// RoleSpec is an IAM role in an account, as far as AssumeRole cares.
type RoleSpec struct {
	Name       string   `yaml:"name"`
	Trust      []string `yaml:"trust"`       // account IDs allowed to assume it
	ExternalID string   `yaml:"external_id"` // required ExternalId, if any
	// Permissions are the IAM actions the role's policies allow, as for
	// UserSpec. Absent (nil): every action, as before this key existed; an
	// empty list allows nothing.
	Permissions []string `yaml:"permissions"`
}

// BucketSpec is one bucket and the writes that made its objects.
type BucketSpec struct {
	Name       string         `yaml:"name"`
	Account    string         `yaml:"account"`
	Region     string         `yaml:"region"`     // default us-east-1
	Ownership  string         `yaml:"ownership"`  // BucketOwnerEnforced | BucketOwnerPreferred | ObjectWriter | unset (default BucketOwnerEnforced)
	ACL        []GrantSpec    `yaml:"acl"`        // grants beyond the owner's FULL_CONTROL
	Versioning string         `yaml:"versioning"` // Enabled | Suspended | unset
	Writers    []string       `yaml:"writers"`    // other accounts the bucket policy lets put objects
	Objects    []ObjectSpec   `yaml:"objects"`    // applied in order, as writes
	Generated  *GeneratedSpec `yaml:"generated"`

	// Added for readiness. Policy is the bucket policy, as JSON text:
	// served by GetBucketPolicy and enforced on access. Writers is
	// shorthand for a policy of one statement letting those accounts
	// s3:PutObject; a bucket has one or the other. Logging turns on server
	// access logging into a target bucket of the same account and region
	// (Emulator.DeliverAccessLogs writes the logs).
	Policy  string       `yaml:"policy"`
	Logging *LoggingSpec `yaml:"logging"`
}

// LoggingSpec is a bucket's server access logging configuration.
type LoggingSpec struct {
	TargetBucket string `yaml:"target_bucket"`
	TargetPrefix string `yaml:"target_prefix"`
}

// GrantSpec is one bucket ACL grant. Grantee is an account ID of the
// scenario, "external:<canonical-id>", or AllUsers | AuthenticatedUsers | LogDelivery.
type GrantSpec struct {
	Grantee    string `yaml:"grantee"`
	Permission string `yaml:"permission"` // FULL_CONTROL | READ | WRITE | READ_ACP | WRITE_ACP
}

// ObjectSpec is one write. Entries with the same key in a versioned bucket
// add versions in order; in an unversioned bucket the last one wins.
type ObjectSpec struct {
	Key      string `yaml:"key"`
	Uploader string `yaml:"uploader"` // account ID or "external:<canonical-id>"; default the bucket owner
	ACL      string `yaml:"acl"`      // canned ACL sent with the write, e.g. bucket-owner-full-control
	Size     int64  `yaml:"size"`
	Versions int    `yaml:"versions"` // write this many versions at once (default 1)
	Delete   bool   `yaml:"delete"`   // a DeleteObject by Uploader instead of a put
}

// GeneratedSpec describes objects computed on demand from their index: key
// i is KeyPrefix + a fixed-width decimal index (or a name of another
// KeyShape); its owner, size and versions follow from i alone, so the
// bucket costs no memory per object.
type GeneratedSpec struct {
	Count          int64              `yaml:"count"`
	KeyPrefix      string             `yaml:"key_prefix"`
	VersionsPerKey int                `yaml:"versions_per_key"` // default 1
	Foreign        map[string]float64 `yaml:"foreign"`          // uploader (account ID or external:<id>) -> fraction of keys

	// KeyShape is how keys look after KeyPrefix: padded (default),
	// random, deep, skewed or unicode (see the KeyShape constants).
	KeyShape string `yaml:"key_shape"`
}

// GenerateSpec builds a whole synthetic organization, for scale.
type GenerateSpec struct {
	Accounts            int      `yaml:"accounts"`
	BucketsPerAccount   int      `yaml:"buckets_per_account"`
	NotEnforcedFraction float64  `yaml:"not_enforced_fraction"`
	ObjectsPerBucket    int64    `yaml:"objects_per_bucket"`
	ForeignFraction     float64  `yaml:"foreign_fraction"`
	Regions             []string `yaml:"regions"` // spread buckets over these (default us-east-1)
	OUs                 int      `yaml:"ous"`     // spread accounts over this many OUs (default 0: all under root)
}

// FaultsSpec injects latency and failures.
type FaultsSpec struct {
	Latency  Duration      `yaml:"latency"`
	Jitter   Duration      `yaml:"jitter"`
	Throttle *ThrottleSpec `yaml:"throttle"`
	Deny     []DenySpec    `yaml:"deny"`
	Reset    *ResetSpec    `yaml:"reset"`
	Seed     int64         `yaml:"seed"` // random seed for rates (default 1)
	// EmptyPages makes Organizations List* calls answer an empty page that
	// still carries a NextToken after every full page, as AWS may; clients
	// must keep paging until NextToken is absent.
	EmptyPages bool `yaml:"empty_pages"`

	// DropOwner lists versions and delete markers without their Owner
	// element (added with owner identity).
	DropOwner *DropOwnerSpec `yaml:"drop_owner"`
}

// DropOwnerSpec makes ListObjectVersions leave out the Owner of some
// entries. Whether an entry loses it depends only on the seed, the bucket,
// the key and the version, never on paging or timing, so every listing of
// the same state drops the same entries.
type DropOwnerSpec struct {
	// Rate is the fraction of entries without Owner; 0 with Buckets set
	// means every entry of those buckets (as for throttle).
	Rate    float64  `yaml:"rate"`
	Buckets []string `yaml:"buckets"` // empty = every bucket
}

// ThrottleSpec throttles a fraction of calls, optionally only some operations.
type ThrottleSpec struct {
	Rate       float64  `yaml:"rate"`
	Operations []string `yaml:"operations"` // empty = every operation

	// Burst throttles each distinct request (same caller, method, host,
	// URL and body: a client's retries of one call are the same request)
	// on its first Burst arrivals, then lets Rate decide: a sustained
	// throttling burst that every call must ride out with retries, the
	// same for every run whatever the order of the calls. 0 = off. The
	// emulator remembers one counter per distinct request throttled.
	Burst int `yaml:"burst"`
}

// DenySpec answers AccessDenied for matching calls; empty fields match all.
type DenySpec struct {
	Account   string `yaml:"account"` // the account called into (S3: bucket owner / caller; STS: role's account)
	Bucket    string `yaml:"bucket"`
	Operation string `yaml:"operation"`
	// Object is a glob (path.Match syntax) matched against the name of
	// the object an S3 call is about, its key after the last slash
	// ("report.json", "*.csv"); calls about no object do not match.
	Object string `yaml:"object"`
}

// ResetSpec closes the connection without an answer on a fraction of calls.
type ResetSpec struct {
	Rate       float64  `yaml:"rate"`
	Operations []string `yaml:"operations"`
	// AfterEffect is the fraction of those resets that come after the
	// call was served, not before it arrived: a write then took effect
	// and only its answer is lost, as when a connection drops on the way
	// back (added with remediation, whose writes must be idempotent and
	// verified). 0: every reset comes before the call is served.
	AfterEffect float64 `yaml:"after_effect"`
}

// Duration is a time.Duration written in YAML as "20ms", "1.5s".
type Duration time.Duration

// Caller is the authenticated principal of a request, after SigV4 checks.
type Caller struct {
	AccessKeyID string
	AccountID   string
	CanonicalID string // of AccountID
	ARN         string // arn:<partition>:iam::<acct>:user/<name>, or arn:<partition>:sts::<acct>:assumed-role/<role>/<session>
	Region      string // the region of the SigV4 credential scope
	Service     string // s3 | sts | organizations
}

// CanonicalIDFor is the S3 canonical user ID the emulator gives an account:
// 64 hex characters, stable and unique per account ID.
func CanonicalIDFor(accountID string) string {
	sum := sha256.Sum256([]byte("fakeaws canonical user " + accountID))
	return hex.EncodeToString(sum[:])
}
