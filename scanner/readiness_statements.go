package scanner

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ownerscan/ownerscan/scanner/policy"
)

// Bucket ACL permissions and the bucket policy actions that give the same
// access, as AWS maps them for disabling ACLs
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-ownership-migrating-acls-prerequisites.html):
// bucket READ is listing, bucket WRITE is writing objects, object READ is
// reading the object. READ_ACP and WRITE_ACP concern only the ACL calls,
// which stop mattering once ACLs are disabled, so they map to nothing.
//
// Bucket WRITE also lets the grantee delete objects: at the least those it
// wrote, which it owns while ACLs are enabled ("For the bucket and object
// owners of existing objects, also allows deletions and overwrites of those
// objects", https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#permissions).
// The switch makes the bucket owner the owner of every object, so without
// s3:DeleteObject the grantee could no longer delete even what it wrote.
// s3:DeleteObjectVersion is left out: the same page gives it through WRITE
// only to the bucket owner.
var (
	bucketReadActions  = []string{"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"}
	bucketWriteActions = []string{"s3:PutObject", "s3:DeleteObject"}
)

// grantsRead and grantsWrite tell what an ACL permission includes.
func grantsRead(permission string) bool { return permission == "READ" || permission == "FULL_CONTROL" }
func grantsWrite(permission string) bool {
	return permission == "WRITE" || permission == "FULL_CONTROL"
}

// logDeliveryService is the service principal that delivers S3 server
// access logs under a bucket policy
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
const logDeliveryService = "logging.s3.amazonaws.com"

// statementSet collects the statements a migration adds, by Sid.
type statementSet struct {
	partition string
	bucket    string
	list      []policy.NewStatement
}

func (s *statementSet) bucketARN() string { return "arn:" + s.partition + ":s3:::" + s.bucket }

func (s *statementSet) add(st policy.NewStatement) { s.list = append(s.list, st) }

// principalOf is the bucket policy principal standing for a grantee, and
// a name for it fit for a Sid: a member account's root (the account
// decides which of its principals use the access, as it did with the
// grant), else the canonical user itself, else anyone for AllUsers. ok is
// false for grantees no principal stands for exactly.
func principalOf(g Grant, partition string) (principal any, sidName string, ok bool) {
	switch g.Kind {
	case GranteeMember:
		if g.AccountID != "" {
			return policy.AWSPrincipal("arn:" + partition + ":iam::" + g.AccountID + ":root"), "Account" + g.AccountID, true
		}
		return policy.CanonicalUserPrincipal(g.CanonicalID), "CanonicalUser" + shortID(g.CanonicalID), true
	case GranteeExternal, GranteeUnidentified:
		return policy.CanonicalUserPrincipal(g.CanonicalID), "CanonicalUser" + shortID(g.CanonicalID), true
	case GranteeAllUsers:
		return policy.AnyPrincipal, "Public", true
	}
	return nil, "", false
}

// shortID is the start of a canonical ID, enough to tell grantees apart in
// a Sid (Sids are letters and digits only).
func shortID(id string) string {
	var b strings.Builder
	for _, r := range id {
		if b.Len() == 16 {
			break
		}
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// bucketGrantStatements adds the statements replacing one bucket ACL grant
// to a member or external account: listing for READ, writing and deleting
// objects for WRITE (both for FULL_CONTROL).
func (s *statementSet) bucketGrantStatements(g Grant) {
	principal, who, ok := principalOf(g, s.partition)
	if !ok {
		return
	}
	if grantsRead(g.Permission) {
		s.add(policy.NewStatement{Sid: "MigratedBucketAclRead" + who, Principal: principal,
			Actions: bucketReadActions, Resources: []string{s.bucketARN()}})
	}
	if grantsWrite(g.Permission) {
		s.add(policy.NewStatement{Sid: "MigratedBucketAclWrite" + who, Principal: principal,
			Actions: bucketWriteActions, Resources: []string{s.bucketARN() + "/*"}})
	}
}

// logDeliveryStatement replaces the LogDelivery group's grant: the logging
// service may write objects, for source buckets of the given accounts (S3
// delivers access logs only between buckets of one account and region, so
// the bucket owner's account is every source there can be).
func (s *statementSet) logDeliveryStatement(sourceAccounts []string) {
	s.add(policy.NewStatement{Sid: "MigratedLogDeliveryWrite", Principal: policy.ServicePrincipal(logDeliveryService),
		Actions: []string{"s3:PutObject"}, Resources: []string{s.bucketARN() + "/*"},
		Condition: map[string]map[string][]string{"StringEquals": {"aws:SourceAccount": sourceAccounts}}})
}

// objectReads are the sampled versions one grantee may read through
// object ACLs.
type objectReads struct {
	grant              Grant
	latest, noncurrent map[string][]string // key -> version IDs
}

// objectGrantStatements replaces object ACL READ grants of the sampled
// versions: for each grantee, s3:GetObject and s3:GetObjectVersion of the
// keys whose current version it may read, and s3:GetObjectVersion of the
// noncurrent versions it may read, each limited to those version IDs by
// s3:versionid (the key is absent from a GetObject of the current
// version, hence IfExists for it).
func (s *statementSet) objectGrantStatements(reads []objectReads) {
	for _, r := range reads {
		principal, who, ok := principalOf(r.grant, s.partition)
		if !ok {
			continue
		}
		if len(r.latest) > 0 {
			keys, ids := s.objectResources(r.latest)
			s.add(policy.NewStatement{Sid: "MigratedObjectAclRead" + who, Principal: principal,
				Actions: []string{"s3:GetObject", "s3:GetObjectVersion"}, Resources: keys,
				Condition: map[string]map[string][]string{"StringEqualsIfExists": {"s3:versionid": ids}}})
		}
		if len(r.noncurrent) > 0 {
			keys, ids := s.objectResources(r.noncurrent)
			s.add(policy.NewStatement{Sid: "MigratedObjectAclReadNoncurrent" + who, Principal: principal,
				Actions: []string{"s3:GetObjectVersion"}, Resources: keys,
				Condition: map[string]map[string][]string{"StringEquals": {"s3:versionid": ids}}})
		}
	}
}

// objectResources are the ARNs of keys (sorted) and their version IDs.
func (s *statementSet) objectResources(versions map[string][]string) (arns, ids []string) {
	keys := make([]string, 0, len(versions))
	for k := range versions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		arns = append(arns, s.bucketARN()+"/"+policy.ResourceKey(k))
		ids = append(ids, versions[k]...)
	}
	sort.Strings(ids)
	return arns, ids
}

// sids lists the Sids of the statements, for a remediation text.
func (s *statementSet) sids() string {
	names := make([]string, len(s.list))
	for i, st := range s.list {
		names[i] = st.Sid
	}
	return strings.Join(names, ", ")
}

// merge writes the migration policy, or says why it cannot be used.
func (s *statementSet) merge(existing *policy.Document) ([]byte, *Blocker) {
	text, err := policy.Merge(existing, s.list)
	if err != nil {
		return nil, &Blocker{Kind: BlockerPolicyConflict, Verdict: VerdictBlocked,
			Detail: "The migration policy cannot be written automatically: " + err.Error() + ".",
			Fix:    "Add the statements by hand (" + s.sids() + "), then reset the bucket ACL and switch."}
	}
	if len(text) > policy.MaxBucketPolicyBytes {
		return nil, &Blocker{Kind: BlockerPolicyTooLarge, Verdict: VerdictBlocked,
			Detail: fmt.Sprintf("The bucket policy with the migrated grants would be %d bytes, more than S3's %d-byte limit for a bucket policy.", len(text), policy.MaxBucketPolicyBytes),
			Fix:    "Shorten the existing policy, or grant some of the access another way (IAM policies in the grantee accounts, access points), then scan again."}
	}
	return text, nil
}
