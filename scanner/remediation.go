package scanner

import (
	"fmt"
	"strings"
)

// remediationACLsEnabled tells how to switch a bucket to BucketOwnerEnforced:
// with readiness, what its verdict says to do (remediationReadiness);
// without, the switch itself with the checks to make first.
func remediationACLsEnabled(b Bucket) string {
	if b.Readiness != nil {
		return remediationReadiness(b)
	}
	var sb strings.Builder
	if len(b.ACLGrants) > 0 {
		sb.WriteString("First move the access of every bucket ACL grant into the bucket policy and remove the grants (see the BUCKET_ACL_GRANT findings): S3 refuses BucketOwnerEnforced while they exist.\n")
	}
	if b.CrossAccountObjects > 0 || b.UnknownOwnerObjects > 0 {
		sb.WriteString("Check the CROSS_ACCOUNT_OBJECTS finding before switching: enforcing makes the bucket owner own every object.\n")
	}
	sb.WriteString(enforceCommands(b))
	return sb.String()
}

// enforceCommands is the switch to BucketOwnerEnforced, in each tool a
// team may manage the bucket with.
func enforceCommands(b Bucket) string {
	return fmt.Sprintf("Disable ACLs (Object Ownership BucketOwnerEnforced):\n"+
		"  aws s3api put-bucket-ownership-controls --bucket %s --expected-bucket-owner %s --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'\n"+
		"CloudFormation (AWS::S3::Bucket):\n"+
		"  OwnershipControls: {Rules: [{ObjectOwnership: BucketOwnerEnforced}]}\n"+
		"CDK (s3.Bucket props):\n"+
		"  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED\n"+
		"Terraform:\n"+
		"  resource \"aws_s3_bucket_ownership_controls\" \"this\" {\n"+
		"    bucket = %q\n"+
		"    rule { object_ownership = \"BucketOwnerEnforced\" }\n"+
		"  }",
		b.Name, b.AccountID, b.Name)
}

// remediationReadiness is the bucket's own way to BucketOwnerEnforced, by
// its readiness verdict: the switch for ready; the policy, the ACL reset
// and the switch for migrate; what to change first for blocked; what to
// fix for unknown.
func remediationReadiness(b Bucket) string {
	rd := b.Readiness
	var sb strings.Builder
	switch rd.Verdict {
	case VerdictReady:
		fmt.Fprintf(&sb, "Ready: nothing found that stops the switch or breaks access through it (checked: the bucket ACL, the bucket policy, %s).\n", sampleChecked(rd.ObjectACLSample))
		sb.WriteString(enforceCommands(b))
	case VerdictMigrate:
		sb.WriteString("Migrate, in this order:\n")
		step := 1
		if len(rd.MigrationPolicy) > 0 {
			fmt.Fprintf(&sb, "%d. Put the bucket policy (report.json readiness.migration_policy: the existing statements unchanged, plus the access the ACLs gave):\n"+
				"  cat > policy.json <<'EOF'\n  %s\n  EOF\n"+
				"  aws s3api put-bucket-policy --bucket %s --expected-bucket-owner %s --policy file://policy.json\n",
				step, rd.MigrationPolicy, b.Name, b.AccountID)
			step++
		}
		if len(b.ACLGrants) > 0 {
			fmt.Fprintf(&sb, "%d. Reset the bucket ACL (its grants are now in the policy, or concerned only the ACL calls):\n"+
				"  aws s3api put-bucket-acl --bucket %s --expected-bucket-owner %s --acl private\n", step, b.Name, b.AccountID)
			step++
		}
		fmt.Fprintf(&sb, "%d. %s", step, enforceCommands(b))
	case VerdictBlocked:
		sb.WriteString("Blocked: change these first, then scan again:")
		writeBlockers(&sb, rd, VerdictBlocked)
	default:
		sb.WriteString("Unknown: a read the verdict needs failed or could not be understood; fix it and scan again:")
		writeBlockers(&sb, rd, VerdictUnknown)
	}
	return sb.String()
}

// writeBlockers lists the blockers of one verdict with their fixes.
func writeBlockers(sb *strings.Builder, rd *Readiness, verdict ReadinessVerdict) {
	for _, bl := range rd.Blockers {
		if bl.Verdict == verdict {
			fmt.Fprintf(sb, "\n- %s: %s\n  Fix: %s", bl.Kind, bl.Detail, bl.Fix)
		}
	}
}

// sampleChecked says what the object ACL sample covered.
func sampleChecked(s ObjectACLSample) string {
	if s.Skipped != "" {
		return "no object ACLs (" + s.Skipped + ")"
	}
	return fmt.Sprintf("%d sampled object ACLs", s.Read+s.Denied)
}

// remediationGrant tells what to move into the bucket policy before the
// grant is removed, then how to remove it. ARNs are in partition. The
// bucket ACL permissions map to the actions AWS gives for disabling ACLs
// (readiness_statements.go).
func remediationGrant(b Bucket, g Grant, partition string) string {
	bucketARN := "arn:" + partition + ":s3:::" + b.Name
	actions := actionsOf(g.Permission)
	resource := fmt.Sprintf(`"%s"`, bucketARN)
	if grantsWrite(g.Permission) {
		resource = fmt.Sprintf(`["%s", "%s/*"]`, bucketARN, bucketARN)
	}
	var principal, note, condition string
	switch g.Kind {
	case GranteeLogDelivery:
		principal = `{"Service": "` + logDeliveryService + `"}`
		actions = []string{"s3:PutObject"}
		resource = fmt.Sprintf(`"%s/*"`, bucketARN)
		condition = fmt.Sprintf(`, "Condition": {"StringEquals": {"aws:SourceAccount": "%s"}}`, b.AccountID)
		note = "Server access logs are delivered through the LogDelivery group: grant the logging service principal instead (scoped by aws:SourceAccount " + b.AccountID + ": logs come only from buckets of the same account).\n"
	case GranteeAllUsers:
		principal = `"*"`
		note = "AllUsers makes the bucket public, and ownerscan never moves public access into a policy on its own. Remove the grant; only if public access is really intended, grant it in the bucket policy (Block Public Access must allow it).\n"
	case GranteeAuthenticatedUsers:
		principal = `"*"`
		note = "AuthenticatedUsers means ANY AWS account, not just yours, and ownerscan never moves it into a policy on its own. Remove the grant; if some accounts need access, name them in the bucket policy (or use an aws:PrincipalOrgID condition).\n"
	case GranteeMember:
		principal = fmt.Sprintf(`{"AWS": "arn:%s:iam::%s:root"}`, partition, g.AccountID)
	case GranteeExternal:
		principal = fmt.Sprintf(`{"CanonicalUser": "%s"}`, g.CanonicalID)
		note = "The grantee is outside the organization: confirm who owns this canonical ID and whether it still needs access.\n"
	case GranteeUnidentified:
		principal = fmt.Sprintf(`{"CanonicalUser": "%s"}`, g.CanonicalID)
		note = "The grantee may be a member whose canonical ID the scan could not read (see the finding) or an outsider: confirm who owns this canonical ID and whether it still needs access.\n"
	case GranteeElastiCache:
		principal = fmt.Sprintf(`{"Service": "%s.elasticache-snapshot.amazonaws.com"}`, b.Region)
		note = "ElastiCache exports backups through this grant: grant its service principal instead, with the actions ElastiCache documents (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/backups-exporting.html).\n"
	case GranteeCloudFrontLogs:
		return "CloudFront legacy standard logging writes into this bucket and needs ACLs on it; no bucket policy replaces the grant. Move the distributions that log here to standard logging v2 or to another bucket, then remove the grant:\n" +
			fmt.Sprintf("  aws s3api put-bucket-acl --bucket %s --expected-bucket-owner %s --acl private", b.Name, b.AccountID)
	default:
		principal = `{"AWS": "<PRINCIPAL>"}`
		note = "The grantee is the group " + g.URI + ": decide which principals it stands for.\n"
	}
	removal := fmt.Sprintf("Then remove the grant (this resets the bucket ACL to owner full control):\n"+
		"  aws s3api put-bucket-acl --bucket %s --expected-bucket-owner %s --acl private", b.Name, b.AccountID)
	if len(actions) == 0 {
		return g.Permission + " concerns only the ACL calls, which stop mattering once ACLs are disabled: nothing moves into the bucket policy.\n" + removal
	}
	return fmt.Sprintf("%sFirst move the access into the bucket policy (merge with the existing policy: aws s3api get-bucket-policy --bucket %s; with readiness on, the ACLS_ENABLED finding has the merged policy), statement:\n"+
		"  {\"Sid\": \"ReplacesAclGrant\", \"Effect\": \"Allow\", \"Principal\": %s, \"Action\": [\"%s\"], \"Resource\": %s%s}\n%s",
		note, b.Name, principal, strings.Join(actions, `", "`), resource, condition, removal)
}

// remediationCrossAccount tells how to take ownership of foreign objects.
func remediationCrossAccount(b Bucket) string {
	return fmt.Sprintf("Enabling BucketOwnerEnforced makes the bucket owner (%s) own every existing object and version, with no copy. Before switching:\n"+
		"  1. Check that nobody relies on object ACLs: look for aclRequired=Yes in CloudTrail data events (additionalEventData.aclRequired) or as the last field of server access logs for this bucket.\n"+
		"  2. Make sure the writing accounts can still write: they need a bucket policy Allow for s3:PutObject and must send no ACL, or only bucket-owner-full-control.\n"+
		"  3. Then: aws s3api put-bucket-ownership-controls --bucket %s --expected-bucket-owner %s --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'\n"+
		"The objects file (objects.csv) lists every version concerned.",
		b.AccountID, b.Name, b.AccountID)
}

// remediationAccountError tells how to make an account scannable.
func remediationAccountError(a Account) string {
	if strings.HasPrefix(a.Error, "AssumeRole") {
		return fmt.Sprintf("Make sure account %s has the member audit role (deploy/ StackSet), that it trusts the scanning account, and that external_id matches; then re-run the scan.", a.ID)
	}
	return "Check the error, the scanning role's permissions and any SCP on the account, then re-run the scan."
}

// remediationBucketError tells how to make a bucket scannable.
func remediationBucketError(b Bucket) string {
	return fmt.Sprintf("Check that the audit role in account %s may call the failed operation on %s (bucket policy, SCPs, KMS/region opt-in), then re-run the scan.", b.AccountID, b.Name)
}
