package scanner

import "time"

// AccountStatus says whether an account in scope was scanned.
type AccountStatus string

// Account statuses.
const (
	AccountScanned AccountStatus = "scanned"
	AccountFailed  AccountStatus = "failed"
	AccountSkipped AccountStatus = "skipped"
)

// BucketStatus is the verdict on one bucket.
type BucketStatus string

// Bucket statuses.
const (
	BucketCompliant    BucketStatus = "compliant"
	BucketNoncompliant BucketStatus = "noncompliant"
	BucketFailed       BucketStatus = "failed"
)

// ObjectOwnership is a bucket's Object Ownership setting as the scan saw it.
type ObjectOwnership string

// Object Ownership settings. NotSet means GetBucketOwnershipControls answered
// OwnershipControlsNotFoundError, which behaves as ObjectWriter.
const (
	OwnershipEnforced     ObjectOwnership = "BucketOwnerEnforced"
	OwnershipPreferred    ObjectOwnership = "BucketOwnerPreferred"
	OwnershipObjectWriter ObjectOwnership = "ObjectWriter"
	OwnershipNotSet       ObjectOwnership = "NotSet"
	OwnershipUnknown      ObjectOwnership = "" // the check itself failed
)

// ObjectScan says how far the object listing of a bucket went.
type ObjectScan string

// Object listing outcomes.
const (
	ObjectScanComplete  ObjectScan = "complete"
	ObjectScanTruncated ObjectScan = "truncated" // cut short by objects.max_per_bucket
	ObjectScanSkipped   ObjectScan = "skipped"   // enforced, objects.mode off, or never reached
	ObjectScanFailed    ObjectScan = "failed"    // the listing started and an error stopped it
)

// FindingType names a kind of finding.
type FindingType string

// Finding types (README "Findings").
const (
	FindingACLsEnabled         FindingType = "ACLS_ENABLED"
	FindingBucketACLGrant      FindingType = "BUCKET_ACL_GRANT"
	FindingCrossAccountObjects FindingType = "CROSS_ACCOUNT_OBJECTS"
	FindingScanError           FindingType = "SCAN_ERROR"
)

// Finding types added since the first schema.
const (
	// FindingFilterUnmatched: an entry of the scope filters
	// (accounts.include, buckets.include, an unknown region) matched
	// nothing, or the filters left nothing in scope. Severity error: the
	// report is incomplete, since the scan covered less than was asked.
	FindingFilterUnmatched FindingType = "FILTER_UNMATCHED"
)

// Severity ranks findings. SCAN_ERROR findings carry SeverityError, which is
// outside the low..critical scale and drives exit code 3 instead of --fail-on.
type Severity string

// Severities, lowest to highest.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
	SeverityError    Severity = "error"
)

// Rank orders severities: low 1 .. critical 4; error and unknown values 0.
func (s Severity) Rank() int {
	switch s {
	case SeverityLow:
		return 1
	case SeverityMedium:
		return 2
	case SeverityHigh:
		return 3
	case SeverityCritical:
		return 4
	}
	return 0
}

// Organization identifies the organization that was scanned.
type Organization struct {
	ID                  string `json:"id"`
	ManagementAccountID string `json:"management_account_id"`
	// Partition is the caller's AWS partition (aws, aws-cn, aws-us-gov),
	// for building ARNs of what was scanned.
	Partition string `json:"partition"`
}

// Account is one member account in scope and what became of it.
type Account struct {
	ID          string        `json:"id"`
	Name        string        `json:"name"`
	OUPath      string        `json:"ou_path"` // e.g. "Root/Workloads/Dev"
	State       string        `json:"state"`   // Organizations State (ACTIVE, SUSPENDED, ...)
	Status      AccountStatus `json:"status"`
	CanonicalID string        `json:"canonical_id"`
	Error       string        `json:"error"` // failure text or skip reason; "" when scanned
}

// GranteeKind classifies the grantee of a bucket ACL grant.
type GranteeKind string

// Grantee kinds.
const (
	GranteeMember             GranteeKind = "member"   // a canonical ID of another member account
	GranteeExternal           GranteeKind = "external" // a canonical ID outside the organization
	GranteeAllUsers           GranteeKind = "AllUsers"
	GranteeAuthenticatedUsers GranteeKind = "AuthenticatedUsers"
	GranteeLogDelivery        GranteeKind = "LogDelivery"
	GranteeOtherGroup         GranteeKind = "group" // a group URI not listed above

	// Added with readiness: the canonical ID CloudFront's legacy standard
	// logging writes as (awslogsdelivery), in the scan's partition.
	GranteeCloudFrontLogs GranteeKind = "CloudFrontLogDelivery"
	// The canonical ID ElastiCache exported backups through.
	GranteeElastiCache GranteeKind = "ElastiCacheBackupExport"
)

// Grant is one bucket ACL grant to someone other than the bucket owner.
type Grant struct {
	Kind        GranteeKind `json:"kind"`
	CanonicalID string      `json:"canonical_id,omitempty"`
	URI         string      `json:"uri,omitempty"`
	AccountID   string      `json:"account_id,omitempty"`   // member account resolved from CanonicalID
	AccountName string      `json:"account_name,omitempty"` // its name
	Permission  string      `json:"permission"`             // FULL_CONTROL, READ, WRITE, READ_ACP, WRITE_ACP
}

// ForeignOwner aggregates the object versions of one bucket owned by one
// canonical ID other than the bucket owner.
type ForeignOwner struct {
	CanonicalID string   `json:"canonical_id"`
	AccountID   string   `json:"account_id"`   // "" when external
	AccountName string   `json:"account_name"` // "" when external
	External    bool     `json:"external"`
	Objects     int64    `json:"objects"` // versions and delete markers
	Bytes       int64    `json:"bytes"`
	SampleKeys  []string `json:"sample_keys"` // the smallest keys, sorted, at most SampleKeyLimit

	// Owner identity (added with unidentified owners). An owner that
	// matches no member is External only when it can be nothing else:
	// every member's canonical ID is known and the organization listing
	// is complete. Otherwise it is Unidentified, and CandidateAccounts
	// names the members whose canonical ID is unknown (failed, suspended
	// or closed, never reached, out of scope and unreadable), sorted.
	Unidentified      bool     `json:"unidentified"`
	CandidateAccounts []string `json:"candidate_accounts"`
}

// SampleKeyLimit is how many sample keys a ForeignOwner keeps.
const SampleKeyLimit = 5

// Bucket is the result for one bucket.
type Bucket struct {
	AccountID           string          `json:"account_id"`
	AccountName         string          `json:"account_name"`
	Name                string          `json:"name"`
	Region              string          `json:"region"`
	ObjectOwnership     ObjectOwnership `json:"object_ownership"`
	Status              BucketStatus    `json:"status"`
	OwnerCanonicalID    string          `json:"owner_canonical_id"`
	ACLGrants           []Grant         `json:"acl_grants"`
	ObjectsScanned      int64           `json:"objects_scanned"` // versions and delete markers seen
	ObjectScan          ObjectScan      `json:"object_scan"`
	CrossAccountObjects int64           `json:"cross_account_objects"`
	CrossAccountBytes   int64           `json:"cross_account_bytes"`
	UnknownOwnerObjects int64           `json:"unknown_owner_objects"` // listed with no Owner: never counted compliant
	ForeignOwners       []ForeignOwner  `json:"foreign_owners"`        // sorted by canonical ID
	Error               string          `json:"error"`

	// Added with readiness: what stops or breaks a switch to
	// BucketOwnerEnforced (readiness_types.go). Set for every bucket not
	// enforced (and for one whose ownership check failed) when readiness
	// is on; nil otherwise.
	Readiness *Readiness `json:"readiness,omitempty"`

	// Added with remediation: the fingerprint of the bucket's ownership,
	// ACL and policy as this scan read them (BucketControls.Fingerprint).
	// Set for buckets not enforced whose three reads all succeeded, with
	// readiness on (the policy is a readiness read); "" otherwise. A plan
	// records it, and apply changes the bucket only while a fresh read
	// gives the same.
	StateFingerprint string `json:"state_fingerprint,omitempty"`
}

// Owner identity (added with unidentified owners and dropped owners).
const (
	// FindingOwnerUnknown: versions or delete markers listed without an
	// Owner, whose owner the scan therefore cannot tell.
	FindingOwnerUnknown FindingType = "OWNER_UNKNOWN"
	// GranteeUnidentified is a canonical ID grantee that matches no member
	// whose canonical ID is known, while some member's is unknown: it may
	// be that member or an outsider.
	GranteeUnidentified GranteeKind = "unidentified"
)

// Finding is one problem found, with the text to fix it.
type Finding struct {
	Type        FindingType `json:"type"`
	Severity    Severity    `json:"severity"`
	AccountID   string      `json:"account_id"`
	Bucket      string      `json:"bucket"` // "" for account-level findings
	Region      string      `json:"region"`
	Title       string      `json:"title"`
	Detail      string      `json:"detail"`
	Remediation string      `json:"remediation"`

	// Added for scheduled audits.

	// ID is the finding's stable identifier, the same in every scan for
	// the same finding (see FindingID).
	ID string `json:"id"`
	// Change is set when the report was compared with a baseline report
	// (--baseline): new or unchanged; in resolved_findings, resolved. Empty
	// without a baseline.
	Change FindingChange `json:"change,omitempty"`
}

// FindingChange says how a finding compares with a baseline report.
type FindingChange string

// Finding changes against a baseline.
const (
	ChangeNew       FindingChange = "new"       // not in the baseline
	ChangeUnchanged FindingChange = "unchanged" // in the baseline too (same ID)
	ChangeResolved  FindingChange = "resolved"  // in the baseline, gone now where the scan looked
	// ChangeUnverified: in the baseline, not raised now, but this scan did
	// not cover its account or bucket (failed, skipped, filtered out), so
	// it cannot be called resolved.
	ChangeUnverified FindingChange = "unverified"
)

// Summary counts the whole result.
type Summary struct {
	Accounts            int            `json:"accounts"`
	AccountsScanned     int            `json:"accounts_scanned"`
	AccountsFailed      int            `json:"accounts_failed"`
	AccountsSkipped     int            `json:"accounts_skipped"`
	Buckets             int            `json:"buckets"`
	BucketsCompliant    int            `json:"buckets_compliant"`
	BucketsNoncompliant int            `json:"buckets_noncompliant"`
	BucketsFailed       int            `json:"buckets_failed"`
	ObjectsScanned      int64          `json:"objects_scanned"`
	CrossAccountObjects int64          `json:"cross_account_objects"`
	CrossAccountBytes   int64          `json:"cross_account_bytes"`
	Findings            map[string]int `json:"findings"` // count per severity

	// Added with readiness: buckets per readiness verdict (absent when
	// readiness is off).
	Readiness map[string]int `json:"readiness,omitempty"`
}

// Result is everything one scan found. Accounts are sorted by ID, buckets by
// (account ID, name), findings by (severity rank desc, type, account, bucket,
// title), so the same organization state always gives the same result.
type Result struct {
	StartedAt    time.Time    `json:"started_at"`
	FinishedAt   time.Time    `json:"finished_at"`
	Complete     bool         `json:"complete"`
	Organization Organization `json:"organization"`
	Summary      Summary      `json:"summary"`
	// Added for baseline comparisons: what the scan had in scope (nil in
	// a Result not made by Run). It stands before the lists so that the
	// report's lists stay last.
	Scope    *Scope    `json:"scope,omitempty"`
	Accounts []Account `json:"accounts"`
	Buckets  []Bucket  `json:"buckets"`
	Findings []Finding `json:"findings"`
	// Calls is what the scan learned about its own cost: not part of the
	// report, used by `demo --stats`.
	Calls CallStats `json:"-"`
}

// CallStats is the scan's own count of what it needed (README "--stats"),
// applied to what it found: all there is against AWS. Against the emulator,
// fakeaws.Emulator.Minimum gives an independent figure.
type CallStats struct {
	// MinCalls is the minimum number of API calls for this organization state.
	MinCalls int64
	// CriticalPath is the longest chain of calls that must follow each other.
	CriticalPath int64
}

// ObjectRecord is one cross-account object version or delete marker, a row
// of objects.csv. Records are streamed to an ObjectSink as they are found.
type ObjectRecord struct {
	AccountID        string
	Bucket           string
	Key              string
	VersionID        string
	IsLatest         bool
	IsDeleteMarker   bool
	OwnerCanonicalID string
	OwnerAccountID   string // "" when external or unknown
	OwnerAccountName string
	Size             int64
	LastModified     time.Time
}

// ObjectSink receives cross-account object records. The scanner calls it
// from a single goroutine, so implementations need no locking.
type ObjectSink interface {
	WriteObject(ObjectRecord) error
}
