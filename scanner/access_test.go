package scanner

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// accessScenario: Mgmt (111), an audit account (999) that is a delegated
// administrator, and a member (222). Mgmt holds an organization role
// trusting the audit account and a role "Fixer" trusting it; the audit
// account and the member hold "Fixer" roles trusting Mgmt and the audit
// account. Each account has one bucket.
const accessScenario = `
management_account: "111111111111"
delegated_administrators: ["999999999999"]
accounts:
  - id: "111111111111"
    name: Mgmt
    roles:
      - {name: OrgRole, trust: ["999999999999"]}
      - {name: Fixer, trust: ["999999999999"]}
  - id: "999999999999"
    name: Audit
    users: [{name: runner, permissions: ["sts:AssumeRole", "organizations:*"]}]
    roles: [{name: Fixer, trust: ["111111111111", "999999999999"]}]
  - id: "222222222222"
    name: Member
    roles: [{name: Fixer, trust: ["111111111111", "999999999999"]}]
buckets:
  - {name: mgmt-bucket, account: "111111111111", ownership: ObjectWriter}
  - {name: audit-bucket, account: "999999999999", ownership: ObjectWriter}
  - {name: member-bucket, account: "222222222222", ownership: ObjectWriter}
`

// TestAccessReachesAccountsAsTheDeploymentSays: Connect describes the
// organization, and S3 reaches each account with the credentials its
// deployment gives: the management account with the caller's own
// (deployment 1) or the organization role's (deployment 2), or with the
// role deployed there (deployment 3); every other account, the caller's
// own included, through the role.
func TestAccessReachesAccountsAsTheDeploymentSays(t *testing.T) {
	srv := emulateYAML(t, accessScenario)
	mgmtKey, mgmtSecret := srv.Emulator.ManagementCredentials()
	auditKey, auditSecret, _ := srv.Emulator.UserCredentials("999999999999", "runner")
	cfg := func(key, secret string) aws.Config {
		return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider(key, secret, "")}
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		cfg       aws.Config
		orgRole   string
		mgmtRoute string
	}{
		{"deployment 1", cfg(mgmtKey, mgmtSecret), "", "the caller's own credentials"},
		{"deployment 2", cfg(auditKey, auditSecret), "arn:aws:iam::111111111111:role/OrgRole", "the organization role arn:aws:iam::111111111111:role/OrgRole"},
		{"deployment 3", cfg(auditKey, auditSecret), "", "the role arn:aws:iam::111111111111:role/Fixer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Connect(ctx, tc.cfg, AccessOptions{OrganizationRoleARN: tc.orgRole, Concurrency: 4})
			if err != nil {
				t.Fatal(err)
			}
			if org := a.Organization(); org.ManagementAccountID != "111111111111" || !OrganizationIDPattern.MatchString(org.ID) || org.Partition != "aws" {
				t.Errorf("organization %+v", org)
			}
			if got := a.Route("111111111111", "Fixer"); got != tc.mgmtRoute {
				t.Errorf("management account route %q, want %q", got, tc.mgmtRoute)
			}
			if got := a.Route("999999999999", "Fixer"); got != "the role arn:aws:iam::999999999999:role/Fixer" {
				t.Errorf("audit account route %q", got)
			}
			for account, bucket := range map[string]string{"111111111111": "mgmt-bucket", "999999999999": "audit-bucket", "222222222222": "member-bucket"} {
				c, err := a.S3(ctx, account, "us-east-1", "Fixer")
				if err != nil {
					t.Fatalf("S3 of %s: %v", account, err)
				}
				if _, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(bucket)}); err != nil {
					t.Errorf("%s through %s: %v", bucket, a.Route(account, "Fixer"), err)
				}
			}
			// A role that does not exist fails before any S3 call, with
			// the AWS error code and the role.
			if _, err := a.S3(ctx, "222222222222", "us-east-1", "NoSuchRole"); err == nil ||
				!strings.Contains(err.Error(), "AccessDenied") || !strings.Contains(err.Error(), "role/NoSuchRole") {
				t.Errorf("a missing role: %v", err)
			}
		})
	}
}
