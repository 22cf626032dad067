package fakeaws

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const principalsScenario = `
management_account: "111111111111"
accounts:
  - id: "111111111111"
    name: Mgmt
    users:
      - {name: scanner, permissions: ["organizations:ListAccounts", "organizations:DescribeOrganization", "sts:AssumeRole", "s3:ListAllMyBuckets"]}
      - {name: nobody, permissions: []}
      - {name: s3-reader, permissions: ["S3:Get*", "s3:List*"]}
  - id: "222222222222"
    name: Member
    roles:
      - {name: Narrow, trust: ["111111111111"], permissions: ["s3:ListAllMyBuckets", "s3:GetBucketOwnershipControls"]}
      - {name: Everything, trust: ["111111111111"]}
  - id: "999999999999"
    name: Delegated
    users:
      - {name: auditor, permissions: ["organizations:List*", "organizations:Describe*"]}
  - id: "888888888888"
    name: Plain
delegated_administrators: ["999999999999"]
buckets:
  - {name: member-bucket, account: "222222222222", ownership: ObjectWriter}
  - {name: mgmt-bucket, account: "111111111111", ownership: ObjectWriter}
`

// userConfig signs as a scenario user.
func userConfig(t *testing.T, srv *Server, account, user string) aws.Config {
	t.Helper()
	id, secret, ok := srv.Emulator.UserCredentials(account, user)
	if !ok {
		t.Fatalf("no user %s/%s", account, user)
	}
	return coreConfig(srv, id, secret, "")
}

// A user may call what its permissions name, and gets each service's own
// AccessDenied for anything else; GetCallerIdentity needs no permission.
func TestUserPermissionsEnforcedPerOperation(t *testing.T) {
	srv := coreServe(t, coreScenario(t, principalsScenario))
	ctx := context.Background()
	scanner := userConfig(t, srv, "111111111111", "scanner")

	id, err := coreSTS(userConfig(t, srv, "111111111111", "nobody")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != "arn:aws:iam::111111111111:user/nobody" {
		t.Fatalf("GetCallerIdentity of a user without permissions: %v, %v", id, err)
	}
	if _, err := coreOrgs(scanner).ListAccounts(ctx, &organizations.ListAccountsInput{}); err != nil {
		t.Errorf("ListAccounts allowed: %v", err)
	}
	_, err = coreOrgs(scanner).ListRoots(ctx, &organizations.ListRootsInput{})
	if code := coreErrCode(t, err); code != "AccessDeniedException" || !strings.Contains(err.Error(), "organizations:ListRoots") {
		t.Errorf("ListRoots: %v", err)
	}
	if _, err := coreS3(scanner).ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
		t.Errorf("ListBuckets allowed: %v", err)
	}
	_, err = coreS3(scanner).GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("mgmt-bucket")})
	if code := coreErrCode(t, err); code != "AccessDenied" || coreHTTPStatus(err) != 403 || !strings.Contains(err.Error(), "s3:GetBucketAcl") {
		t.Errorf("GetBucketAcl: %v", err)
	}
	// HeadBucket is authorized as s3:ListBucket; denied, S3 still names the region.
	_, err = coreS3(scanner).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("mgmt-bucket")})
	if coreHTTPStatus(err) != 403 || responseHeader(err, "x-amz-bucket-region") != "us-east-1" {
		t.Errorf("HeadBucket: %v (region header %q)", err, responseHeader(err, "x-amz-bucket-region"))
	}
	// Wildcards, matched case-insensitively as IAM does.
	reader := coreS3(userConfig(t, srv, "111111111111", "s3-reader"))
	if _, err := reader.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("mgmt-bucket")}); err != nil {
		t.Errorf("s3:Get* allows GetBucketAcl: %v", err)
	}
	if _, err := reader.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("mgmt-bucket")}); err != nil {
		t.Errorf("s3:List* allows ListObjectVersions (s3:ListBucketVersions): %v", err)
	}
	_, err = reader.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("mgmt-bucket"), Key: aws.String("k"), Body: strings.NewReader("x")})
	if coreErrCode(t, err) != "AccessDenied" {
		t.Errorf("PutObject: %v", err)
	}
	_, err = coreSTS(userConfig(t, srv, "111111111111", "s3-reader")).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::222222222222:role/Everything"), RoleSessionName: aws.String("x1")})
	if coreErrCode(t, err) != "AccessDenied" || coreHTTPStatus(err) != 403 || !strings.Contains(err.Error(), "sts:AssumeRole") {
		t.Errorf("AssumeRole without sts:AssumeRole: %v", err)
	}
}

// A role session holds the role's permissions; a role without a
// permissions key keeps every action.
func TestRolePermissions(t *testing.T) {
	srv := coreServe(t, coreScenario(t, principalsScenario))
	ctx := context.Background()
	scanner := userConfig(t, srv, "111111111111", "scanner")
	narrow := coreS3(coreAssume(t, srv, scanner, "arn:aws:iam::222222222222:role/Narrow"))
	if _, err := narrow.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("member-bucket")}); err != nil {
		t.Errorf("GetBucketOwnershipControls allowed: %v", err)
	}
	_, err := narrow.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("member-bucket")})
	if coreErrCode(t, err) != "AccessDenied" || !strings.Contains(err.Error(), "s3:ListBucketVersions") {
		t.Errorf("ListObjectVersions without s3:ListBucketVersions: %v", err)
	}
	everything := coreS3(coreAssume(t, srv, scanner, "arn:aws:iam::222222222222:role/Everything"))
	if _, err := everything.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("member-bucket")}); err != nil {
		t.Errorf("a role without permissions keeps every action: %v", err)
	}
}

// A delegated administrator lists the organization; another member may
// only describe it.
func TestDelegatedAdministrator(t *testing.T) {
	srv := coreServe(t, coreScenario(t, principalsScenario))
	ctx := context.Background()
	out, err := coreOrgs(userConfig(t, srv, "999999999999", "auditor")).ListAccounts(ctx, &organizations.ListAccountsInput{})
	if err != nil || len(out.Accounts) != 4 {
		t.Fatalf("delegated ListAccounts: %v, %v", out, err)
	}
	plain := coreOrgs(coreAccountConfig(t, srv, "888888888888"))
	if _, err := plain.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{}); err != nil {
		t.Errorf("any member may describe the organization: %v", err)
	}
	_, err = plain.ListAccounts(ctx, &organizations.ListAccountsInput{})
	if coreErrCode(t, err) != "AccessDeniedException" {
		t.Errorf("ListAccounts from a member that is no delegated administrator: %v", err)
	}
}

func TestPrincipalScenarioValidation(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"management_account: \"111111111111\"\naccounts:\n  - {id: \"111111111111\", users: [{name: fakeaws-admin}]}\n", "duplicate user"},
		{"management_account: \"111111111111\"\naccounts:\n  - {id: \"111111111111\", users: [{name: u, permissions: [\"ListBuckets\"]}]}\n", "is not an IAM action"},
		{"management_account: \"111111111111\"\ndelegated_administrators: [\"111111111111\"]\n", "needs no delegation"},
		{"management_account: \"111111111111\"\ndelegated_administrators: [\"222222222222\"]\n", "unknown account"},
	} {
		if _, err := ParseScenario([]byte(tc.doc)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.doc, err, tc.want)
		}
	}
}

// CopyObject reads its source as well as writing its destination: the
// caller's policies must allow s3:GetObject on the source (with a
// versionId, s3:GetObjectVersion), not only s3:PutObject
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html).
func TestCopyObjectNeedsReadOfSource(t *testing.T) {
	srv := coreServe(t, coreScenario(t, `
management_account: "111111111111"
accounts:
  - id: "111111111111"
    users:
      - {name: writer, permissions: ["s3:PutObject"]}
      - {name: copier, permissions: ["s3:PutObject", "s3:GetObject"]}
buckets:
  - {name: copy-bucket, account: "111111111111", ownership: ObjectWriter}
`))
	ctx := context.Background()
	admin := coreS3(coreAccountConfig(t, srv, "111111111111"))
	if _, err := admin.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("copy-bucket"), Key: aws.String("src"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	copyAs := func(user, source string) error {
		_, err := coreS3(userConfig(t, srv, "111111111111", user)).CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: aws.String("copy-bucket"), Key: aws.String("dst"), CopySource: aws.String(source)})
		return err
	}
	err := copyAs("writer", "copy-bucket/src")
	if coreErrCode(t, err) != "AccessDenied" || !strings.Contains(err.Error(), "s3:GetObject ") {
		t.Errorf("CopyObject without s3:GetObject on the source: %v", err)
	}
	err = copyAs("copier", "copy-bucket/src?versionId=null")
	if coreErrCode(t, err) != "AccessDenied" || !strings.Contains(err.Error(), "s3:GetObjectVersion") {
		t.Errorf("CopyObject of a version without s3:GetObjectVersion: %v", err)
	}
	if err := copyAs("copier", "copy-bucket/src"); err != nil {
		t.Errorf("CopyObject with s3:PutObject and s3:GetObject: %v", err)
	}
}
