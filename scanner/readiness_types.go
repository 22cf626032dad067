package scanner

// ReadinessVerdict answers "can this bucket be switched to
// BucketOwnerEnforced now, and what breaks?" (README "Readiness").
type ReadinessVerdict string

// Verdicts, from the one that needs nothing to the one that says nothing.
const (
	// VerdictReady: nothing found that stops the switch or breaks access
	// through it.
	VerdictReady ReadinessVerdict = "ready"
	// VerdictMigrate: access must first move into the bucket policy;
	// Readiness.MigrationPolicy (and the blockers' fixes) say exactly how.
	VerdictMigrate ReadinessVerdict = "migrate"
	// VerdictBlocked: something outside what ownerscan can migrate must
	// change first (a public grant, CloudFront legacy logging, a policy
	// demanding ACLs, a policy that would not fit).
	VerdictBlocked ReadinessVerdict = "blocked"
	// VerdictUnknown: a read needed for the verdict failed, or its answer
	// could not be understood; the blockers say which.
	VerdictUnknown ReadinessVerdict = "unknown"
)

// verdictRank orders verdicts by how much they settle: a blocked bucket is
// blocked whatever an unreadable policy would add; an unknown one cannot
// be called migrate or ready.
func verdictRank(v ReadinessVerdict) int {
	switch v {
	case VerdictBlocked:
		return 3
	case VerdictUnknown:
		return 2
	case VerdictMigrate:
		return 1
	}
	return 0
}

// BlockerKind names what stands in the way of the switch.
type BlockerKind string

// Blocker kinds.
const (
	// BlockerBucketACLGrant: a bucket ACL grant to anyone but the owner;
	// S3 refuses enforcement while it exists.
	BlockerBucketACLGrant BlockerKind = "BUCKET_ACL_GRANT"
	// BlockerLogDeliveryGrant: the S3 log delivery group's grant.
	BlockerLogDeliveryGrant BlockerKind = "LOG_DELIVERY_GRANT"
	// BlockerCloudFrontLogTarget: CloudFront legacy standard logging
	// writes here, which needs ACLs.
	BlockerCloudFrontLogTarget BlockerKind = "CLOUDFRONT_LOG_TARGET"
	// BlockerPolicyRequiresACL: a bucket policy statement demands on
	// writes an ACL an enforced bucket refuses.
	BlockerPolicyRequiresACL BlockerKind = "POLICY_REQUIRES_ACL"
	// BlockerObjectACLGrants: sampled object ACLs grant access that stops
	// at the switch.
	BlockerObjectACLGrants BlockerKind = "OBJECT_ACL_GRANTS"
	// BlockerPolicyTooLarge: the migration policy would exceed S3's
	// 20 KB bucket policy limit.
	BlockerPolicyTooLarge BlockerKind = "MIGRATION_POLICY_TOO_LARGE"
	// BlockerPolicyConflict: the migration statements cannot be added to
	// the existing policy without changing its meaning.
	BlockerPolicyConflict BlockerKind = "MIGRATION_POLICY_CONFLICT"
	// BlockerPolicyUnreadable: the bucket policy could not be understood.
	BlockerPolicyUnreadable BlockerKind = "POLICY_UNREADABLE"
	// BlockerReadFailed: a read the verdict needs failed.
	BlockerReadFailed BlockerKind = "READ_FAILED"
)

// Blocker is one thing that stops or breaks the switch.
type Blocker struct {
	Kind BlockerKind `json:"kind"`
	// Verdict is what this blocker alone makes of the bucket; the
	// bucket's verdict is the weightiest of its blockers'.
	Verdict ReadinessVerdict `json:"verdict"`
	Detail  string           `json:"detail"`
	Fix     string           `json:"fix"`
}

// Readiness is a bucket's answer to "can it be switched to
// BucketOwnerEnforced now, and what breaks?".
type Readiness struct {
	Verdict  ReadinessVerdict `json:"verdict"`
	Blockers []Blocker        `json:"blockers"`
	// Changes are what the switch does that is its point, not a blocker.
	Changes []string `json:"changes"`
	// MigrationPolicy is, for a migrate verdict whose access moves into
	// the bucket policy, the complete policy to put, as the JSON text to
	// send (compact, measured against S3's size limit): the existing
	// statements unchanged plus the new ones.
	MigrationPolicy string `json:"migration_policy,omitempty"`
	// ObjectACLSample is what the sampled object ACLs showed.
	ObjectACLSample ObjectACLSample `json:"object_acl_sample"`
}

// ObjectACLSample describes the object ACLs read for readiness: a
// deterministic sample of the bucket's versions (delete markers have no
// ACL), chosen by a hash of key and version ID, so the same bucket state
// gives the same sample and the sample is spread over the key space.
type ObjectACLSample struct {
	Size    int    `json:"size"`              // readiness.object_acl_sample asked for
	Read    int    `json:"read"`              // versions whose ACL was read
	Denied  int    `json:"denied"`            // owned by another account that denies the bucket owner its ACL
	Gone    int    `json:"gone"`              // deleted between the listing and the read
	Skipped string `json:"skipped,omitempty"` // why no sample was taken
	// Grants are the sampled ACL grants to anyone but the object's owner
	// and the bucket owner, by grantee and permission, public ones first.
	Grants []ObjectGrant `json:"grants"`
}

// ObjectGrant counts the sampled versions whose ACL grants one grantee
// one permission.
type ObjectGrant struct {
	Grant
	Versions   int      `json:"versions"`
	SampleKeys []string `json:"sample_keys"` // sorted, at most SampleKeyLimit
}
