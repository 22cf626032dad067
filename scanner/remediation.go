package scanner

import (
	"fmt"
	"strings"
)

// remediationACLsEnabled tells how to switch a bucket to BucketOwnerEnforced,
// in each tool a team may manage the bucket with.
func remediationACLsEnabled(b Bucket) string {
	var sb strings.Builder
	if len(b.ACLGrants) > 0 {
		sb.WriteString("First move the access of every bucket ACL grant into the bucket policy and remove the grants (see the BUCKET_ACL_GRANT findings): S3 refuses BucketOwnerEnforced while they exist.\n")
	}
	if b.CrossAccountObjects > 0 || b.UnknownOwnerObjects > 0 {
		sb.WriteString("Check the CROSS_ACCOUNT_OBJECTS finding before switching: enforcing makes the bucket owner own every object.\n")
	}
	fmt.Fprintf(&sb, "Disable ACLs (Object Ownership BucketOwnerEnforced):\n"+
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
	return sb.String()
}

// grantActions maps an ACL permission to the bucket policy actions that
// replace it (bucket-level ACL permissions apply to the bucket itself).
func grantActions(permission string) []string {
	switch permission {
	case "READ":
		return []string{"s3:ListBucket", "s3:ListBucketVersions"}
	case "WRITE":
		return []string{"s3:PutObject", "s3:DeleteObject"}
	case "READ_ACP":
		return []string{"s3:GetBucketAcl"}
	case "WRITE_ACP":
		return []string{"s3:PutBucketAcl"}
	case "FULL_CONTROL":
		return []string{"s3:ListBucket", "s3:ListBucketVersions", "s3:PutObject", "s3:DeleteObject", "s3:GetBucketAcl", "s3:PutBucketAcl"}
	}
	return []string{"s3:ListBucket"}
}

// remediationGrant tells what to move into the bucket policy before the
// grant is removed, then how to remove it. ARNs are in partition.
func remediationGrant(b Bucket, g Grant, partition string) string {
	bucketARN := "arn:" + partition + ":s3:::" + b.Name
	actions := `"` + strings.Join(grantActions(g.Permission), `", "`) + `"`
	resource := fmt.Sprintf(`["%s", "%s/*"]`, bucketARN, bucketARN)
	var principal, note string
	switch g.Kind {
	case GranteeLogDelivery:
		principal = `{"Service": "logging.s3.amazonaws.com"}`
		actions = `"s3:PutObject"`
		resource = fmt.Sprintf(`"%s/*"`, bucketARN)
		note = "Server access logs are delivered through the LogDelivery group: grant the logging service principal instead (add an aws:SourceAccount condition with the source buckets' account).\n"
	case GranteeAllUsers:
		principal = `"*"`
		note = "AllUsers makes the bucket public. Remove the grant; only if public access is really intended, grant it in the bucket policy (Block Public Access must allow it).\n"
	case GranteeAuthenticatedUsers:
		principal = `"*"`
		note = "AuthenticatedUsers means ANY AWS account, not just yours. Remove the grant; if some accounts need access, name them in the bucket policy (or use an aws:PrincipalOrgID condition).\n"
	case GranteeMember:
		principal = fmt.Sprintf(`{"AWS": "arn:%s:iam::%s:root"}`, partition, g.AccountID)
	case GranteeExternal:
		principal = `{"AWS": "arn:` + partition + `:iam::<ACCOUNT-ID-OF-CANONICAL-ID-` + g.CanonicalID + `>:root"}`
		note = "The grantee is outside the organization: confirm who owns this canonical ID and whether it still needs access.\n"
	case GranteeUnidentified:
		principal = `{"AWS": "arn:` + partition + `:iam::<ACCOUNT-ID-OF-CANONICAL-ID-` + g.CanonicalID + `>:root"}`
		note = "The grantee may be a member whose canonical ID the scan could not read (see the finding) or an outsider: confirm who owns this canonical ID and whether it still needs access.\n"
	default:
		principal = `{"AWS": "<PRINCIPAL>"}`
		note = "The grantee is the group " + g.URI + ": decide which principals it stands for.\n"
	}
	return fmt.Sprintf("%sFirst move the access into the bucket policy (merge with the existing policy: aws s3api get-bucket-policy --bucket %s), statement:\n"+
		"  {\"Sid\": \"ReplacesAclGrant\", \"Effect\": \"Allow\", \"Principal\": %s, \"Action\": [%s], \"Resource\": %s}\n"+
		"Then remove the grant (this resets the bucket ACL to owner full control):\n"+
		"  aws s3api put-bucket-acl --bucket %s --expected-bucket-owner %s --acl private",
		note, b.Name, principal, actions, resource, b.Name, b.AccountID)
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
