package scanner

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ownerscan/ownerscan/scanner/policy"
)

// CloudFront legacy standard logging writes log files as the awslogsdelivery
// account, which the log bucket's ACL must grant FULL_CONTROL; its canonical
// ID per partition is the one the Terraform AWS provider's
// aws_cloudfront_log_delivery_canonical_user_id data source gives
// (https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/cloudfront/log_delivery_canonical_user_id_data_source.go,
// citing https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/AccessLogs.html#AccessLogsBucketAndFileOwnership).
const (
	cloudFrontLogDeliveryID   = "c4c1ede66af53448b93c283ce9448c4ba468c9432aa01d700d3878632f77d2d0"
	cloudFrontLogDeliveryIDCN = "a52cb28745c0c06e84ec548334e44bfa7fc2a85c54af20cd59e4969344b7af56"
)

// cloudFrontLogDelivery returns the awslogsdelivery canonical ID of a
// partition (the provider gives aws-cn its own and every other partition
// the commercial one).
func cloudFrontLogDelivery(partition string) string {
	if partition == "aws-cn" {
		return cloudFrontLogDeliveryIDCN
	}
	return cloudFrontLogDeliveryID
}

// elastiCacheExportID is the canonical ID ElastiCache backup exports to S3
// were granted ACL access as, before a bucket policy for the service
// principal <region>.elasticache-snapshot.amazonaws.com replaced it
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-ownership-migrating-acls-prerequisites.html).
const elastiCacheExportID = "540804c33a284a299d2547575ce1010f2312ef3da9b3a053c8bc45bf233e4353"

// classifyCloudFront marks a canonical-user grant to an AWS service's
// account (CloudFront's log delivery, ElastiCache's backup export), which
// no member account or outsider stands behind.
func classifyCloudFront(g rawGrant, partition string) rawGrant {
	switch {
	case g.kind != "":
	case g.canonicalID == cloudFrontLogDelivery(partition):
		g.kind = GranteeCloudFrontLogs
	case g.canonicalID == elastiCacheExportID:
		g.kind = GranteeElastiCache
	}
	return g
}

// assessment builds one bucket's Readiness.
type assessment struct {
	b         Bucket
	f         *readinessFacts      // nil when the bucket failed before readiness started
	grantee   func(rawGrant) Grant // classifies and resolves a grantee
	rd        *Readiness
	stmts     statementSet
	aclGrants bool // the bucket ACL has grants to remove
}

// assessReadiness answers, for a bucket not enforced (or whose ownership
// check failed), whether it can be switched to BucketOwnerEnforced and
// what that breaks (README "Readiness"). b has its grants resolved;
// grantee resolves the grantees of the sampled object ACLs the same way.
func assessReadiness(b Bucket, f *readinessFacts, partition string, grantee func(rawGrant) Grant) *Readiness {
	a := &assessment{b: b, f: f, grantee: grantee,
		rd:    &Readiness{Blockers: []Blocker{}, Changes: []string{}, ObjectACLSample: ObjectACLSample{Grants: []ObjectGrant{}}},
		stmts: statementSet{partition: partition, bucket: b.Name}}
	if b.Status == BucketFailed {
		a.block(BlockerReadFailed, VerdictUnknown, "The bucket could not be fully scanned: "+b.Error+".",
			"Fix what failed (see the bucket's SCAN_ERROR finding) and scan again.")
	}
	a.bucketGrants()
	a.bucketPolicy()
	a.objectSample()
	a.changes()
	a.rd.Verdict = VerdictReady
	for _, bl := range a.rd.Blockers {
		if verdictRank(bl.Verdict) > verdictRank(a.rd.Verdict) {
			a.rd.Verdict = bl.Verdict
		}
	}
	if a.rd.Verdict == VerdictMigrate && len(a.stmts.list) > 0 {
		text, bl := a.stmts.merge(a.existingPolicy())
		if bl != nil {
			a.rd.Blockers = append(a.rd.Blockers, *bl)
			a.rd.Verdict = bl.Verdict
		} else {
			a.rd.MigrationPolicy = string(text)
		}
	}
	return a.rd
}

func (a *assessment) block(kind BlockerKind, verdict ReadinessVerdict, detail, fix string) {
	a.rd.Blockers = append(a.rd.Blockers, Blocker{Kind: kind, Verdict: verdict, Detail: detail, Fix: fix})
}

// existingPolicy is the parsed policy the migration keeps, or nil.
func (a *assessment) existingPolicy() *policy.Document {
	if a.f == nil {
		return nil
	}
	return a.f.doc
}

// bucketGrants turns each bucket ACL grant into a blocker: migrate for an
// account (with the statements giving it the same access) and for the log
// delivery group; blocked for public groups, unknown groups and CloudFront
// logging.
func (a *assessment) bucketGrants() {
	var logDelivery []string
	for _, g := range a.b.ACLGrants {
		a.aclGrants = true
		who := granteeLabel(g)
		switch g.Kind {
		case GranteeMember, GranteeExternal, GranteeUnidentified:
			a.stmts.bucketGrantStatements(g)
			detail := fmt.Sprintf("The bucket ACL grants %s to %s; S3 refuses BucketOwnerEnforced while it exists (InvalidBucketAclWithObjectOwnership).", g.Permission, who)
			fix := fmt.Sprintf("The migration policy gives %s the same access (%s); put it, then reset the bucket ACL to private.", who, accessOf(g.Permission))
			if !grantsRead(g.Permission) && !grantsWrite(g.Permission) {
				detail += " " + g.Permission + " concerns only the ACL calls, which stop mattering once ACLs are disabled: ACL reads then show the owner's full control and ACL writes fail."
				fix = "Reset the bucket ACL to private: nothing needs to move into the bucket policy."
			}
			a.block(BlockerBucketACLGrant, VerdictMigrate, detail, fix)
		case GranteeLogDelivery:
			logDelivery = append(logDelivery, g.Permission)
		case GranteeCloudFrontLogs:
			a.block(BlockerCloudFrontLogTarget, VerdictBlocked,
				fmt.Sprintf("The bucket ACL grants %s to CloudFront's log delivery account (awslogsdelivery, canonical ID %s): CloudFront legacy standard logging writes here, and it needs ACLs on its bucket; no bucket policy replaces the grant.", g.Permission, g.CanonicalID),
				"Move the distributions that log here to CloudFront standard logging v2 (delivered under a bucket policy) or to another bucket that keeps ACLs, then remove the grant (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html).")
		case GranteeElastiCache:
			a.block(BlockerBucketACLGrant, VerdictBlocked,
				fmt.Sprintf("The bucket ACL grants %s to ElastiCache's backup export account (canonical ID %s): ElastiCache exports backups here through ACLs.", g.Permission, g.CanonicalID),
				fmt.Sprintf("Grant the service principal %s.elasticache-snapshot.amazonaws.com the access ElastiCache documents for exports to a bucket with ACLs disabled (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/backups-exporting.html) in the bucket policy, then reset the bucket ACL to private and scan again.", a.b.Region))
		case GranteeAllUsers, GranteeAuthenticatedUsers:
			a.block(BlockerBucketACLGrant, VerdictBlocked,
				fmt.Sprintf("The bucket ACL grants %s to %s (%s). ownerscan never moves public access into a bucket policy on its own: whether the bucket should be public is a decision.", g.Permission, who, publicMeaning(g.Kind)),
				fmt.Sprintf("Decide whether anyone outside needs %s. If not, reset the bucket ACL to private. If so, grant exactly that in the bucket policy (Principal \"*\", %s; Block Public Access must allow it), then reset the ACL.", accessOf(g.Permission), strings.Join(actionsOf(g.Permission), ", ")))
		default:
			a.block(BlockerBucketACLGrant, VerdictBlocked,
				fmt.Sprintf("The bucket ACL grants %s to the group %s, which no bucket policy principal stands for.", g.Permission, g.URI),
				"Find out which principals the group stands for, grant them in the bucket policy, then reset the bucket ACL to private.")
		}
	}
	if len(logDelivery) > 0 {
		sort.Strings(logDelivery)
		detail := fmt.Sprintf("The bucket ACL grants %s to the S3 log delivery group: server access logs are delivered here through ACLs.", strings.Join(logDelivery, ", "))
		if slicesContainWrite(logDelivery) {
			a.stmts.logDeliveryStatement([]string{a.b.AccountID})
			a.block(BlockerLogDeliveryGrant, VerdictMigrate, detail,
				fmt.Sprintf("The migration policy lets %s write objects for source buckets of account %s (S3 delivers access logs only within one account and region; add an aws:SourceArn condition naming the source buckets to narrow it further); put it, then reset the bucket ACL to private.", logDeliveryService, a.b.AccountID))
		} else {
			a.block(BlockerLogDeliveryGrant, VerdictMigrate, detail+" It does not let the group write, so no log delivery depends on it.",
				"Reset the bucket ACL to private.")
		}
	}
}

func slicesContainWrite(perms []string) bool {
	for _, p := range perms {
		if grantsWrite(p) {
			return true
		}
	}
	return false
}

// publicMeaning says who a public group is.
func publicMeaning(k GranteeKind) string {
	if k == GranteeAllUsers {
		return "anyone, signed or not"
	}
	return "any AWS account, not only those of the organization"
}

// actionsOf are the bucket policy actions a bucket ACL permission maps to.
func actionsOf(permission string) []string {
	var out []string
	if grantsRead(permission) {
		out = append(out, bucketReadActions...)
	}
	if grantsWrite(permission) {
		out = append(out, bucketWriteActions...)
	}
	return out
}

// accessOf names, for a person, what a bucket ACL permission lets do.
func accessOf(permission string) string {
	switch {
	case grantsRead(permission) && grantsWrite(permission):
		return "listing the bucket and writing and deleting objects: " + strings.Join(actionsOf(permission), ", ")
	case grantsRead(permission):
		return "listing the bucket: " + strings.Join(actionsOf(permission), ", ")
	case grantsWrite(permission):
		return "writing and deleting objects: " + strings.Join(actionsOf(permission), ", ")
	}
	return "only the ACL calls"
}

// bucketPolicy turns the policy read into blockers: unreadable (unknown),
// or statements demanding ACLs (blocked).
func (a *assessment) bucketPolicy() {
	f := a.f
	if f == nil || !f.policyRead {
		return
	}
	if f.policyBad != "" {
		a.block(BlockerPolicyUnreadable, VerdictUnknown,
			"The bucket policy could not be understood, so whether it demands ACLs on writes is unknown: "+f.policyBad+".",
			fmt.Sprintf("Read it (aws s3api get-bucket-policy --bucket %s) and check by hand that no statement requires an s3:x-amz-acl other than bucket-owner-full-control, or an s3:x-amz-grant-* header, on s3:PutObject.", a.b.Name))
	}
	for _, d := range f.demands {
		a.block(BlockerPolicyRequiresACL, VerdictBlocked,
			"The bucket policy's "+d.Detail+".",
			"Change statement "+d.Statement+" so that writes need no ACL, or only bucket-owner-full-control (which a bucket with ACLs disabled accepts), then scan again.")
	}
}

// changes lists what the switch does that is its point.
func (a *assessment) changes() {
	b := a.b
	add := func(format string, args ...any) { a.rd.Changes = append(a.rd.Changes, fmt.Sprintf(format, args...)) }
	if b.CrossAccountObjects > 0 {
		add("%d object version(s) owned by %d other account(s) become the bucket owner's; those accounts keep access to them only through the bucket policy.",
			b.CrossAccountObjects, len(b.ForeignOwners))
	}
	if b.UnknownOwnerObjects > 0 {
		add("%d object version(s) listed without an owner become the bucket owner's too.", b.UnknownOwnerObjects)
	}
	if s := a.rd.ObjectACLSample; s.Denied > 0 {
		add("%d of the sampled versions are owned by other accounts and deny the bucket owner even their ACL (the 403 ACLs cause): after the switch the bucket owner owns and can read them.", s.Denied)
	}
	for _, g := range b.ACLGrants {
		if g.Kind == GranteeLogDelivery && grantsWrite(g.Permission) {
			add("Server access logs keep arriving through the logging service's bucket policy statement; PutBucketLogging can then no longer carry target grants.")
			break
		}
	}
	add("The switch is reversible: going back to ObjectWriter or BucketOwnerPreferred restores every old bucket and object ACL, and gives the objects written before the switch back to the accounts that wrote them.")
}
