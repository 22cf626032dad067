package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/scanner"
)

// The organization of the deployment tests: Mgmt runs the organization,
// Audit is where an audit team runs ownerscan (deployments 2 and 3),
// AccountB and AccountC are workloads, AccountD is suspended. Every
// account but AccountD has buckets, including Mgmt and Audit.
const (
	mgmtID    = "111111111111"
	auditID   = "999999999999"
	acctB     = "222222222222"
	acctC     = "333333333333"
	acctD     = "444444444444"
	deployXID = "ownerscan-2026" // the README's ExternalId / external_id
)

// deployment is one of the README's three recipes, as the emulator models
// it: who holds which of deploy/'s files. The permissions come from the
// files themselves, so the tests grant exactly what the README tells users
// to grant.
type deployment struct {
	name      string
	partition string
	// caller: the account and the policy file of the principal running
	// ownerscan; callerActions overrides the file (the audit principal of
	// deployment 2 holds only sts:AssumeRole on the organization role).
	callerAccount string
	callerPolicy  string
	callerActions []string
	// memberTrust: the account the member roles trust (the StackSet's
	// ManagementAccountId, or AuditPrincipalAccountId).
	memberTrust string
	// memberInMgmt: the member role is deployed in Mgmt as a plain stack.
	memberInMgmt bool
	orgRole      bool // deploy/organization-role.yaml in Mgmt, trusting Audit
	delegated    bool // Audit is a delegated administrator of Organizations
	excludeMgmt  bool // include_management_account: false
	// without removes one permission from one principal, for the negative
	// cases: "caller", "org-role" or an account ID (its member role).
	without struct{ principal, action string }
}

func (d deployment) arn(account, role string) string {
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", d.partition, account, role)
}

// scenario builds the emulated organization of a deployment.
func (d deployment) scenario(t *testing.T) string {
	t.Helper()
	memberActions := readTemplate(t, memberTemplatePath).actions(t)
	orgActions := readTemplate(t, organizationTemplatePath).actions(t)
	callerActions := d.callerActions
	if callerActions == nil {
		callerActions = readPolicy(t, d.callerPolicy).actions()
	}
	drop := func(principal string, actions []string) string {
		if d.without.principal == principal {
			actions = slices.DeleteFunc(slices.Clone(actions), func(a string) bool { return a == d.without.action })
		}
		return `["` + strings.Join(actions, `", "`) + `"]`
	}
	region := "us-east-1"
	if d.partition == "aws-us-gov" {
		region = "us-gov-west-1"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "partition: %s\nmanagement_account: %q\n", d.partition, mgmtID)
	if d.delegated {
		fmt.Fprintf(&b, "delegated_administrators: [%q]\n", auditID)
	}
	b.WriteString("accounts:\n")
	for _, a := range []struct{ id, name string }{{mgmtID, "Mgmt"}, {auditID, "Audit"}, {acctB, "AccountB"}, {acctC, "AccountC"}, {acctD, "AccountD"}} {
		fmt.Fprintf(&b, "  - id: %q\n    name: %s\n", a.id, a.name)
		if a.id == acctD {
			b.WriteString("    status: SUSPENDED\n")
		}
		if a.id == d.callerAccount {
			fmt.Fprintf(&b, "    users: [{name: ownerscan, permissions: %s}]\n", drop("caller", callerActions))
		}
		var roles []string
		if a.id != mgmtID || d.memberInMgmt {
			roles = append(roles, fmt.Sprintf("{name: OwnerscanAuditRole, trust: [%q], external_id: %s, permissions: %s}", d.memberTrust, deployXID, drop(a.id, memberActions)))
		}
		if a.id == mgmtID && d.orgRole {
			roles = append(roles, fmt.Sprintf("{name: OwnerscanOrganizationRole, trust: [%q], external_id: %s, permissions: %s}", auditID, deployXID, drop("org-role", orgActions)))
		}
		fmt.Fprintf(&b, "    roles: [%s]\n", strings.Join(roles, ", "))
	}
	fmt.Fprintf(&b, `buckets:
  - {name: mgmt-logs, account: %[1]q, region: %[5]s, ownership: ObjectWriter, writers: [%[3]q], objects: [{key: own.log}, {key: from-b.log, uploader: %[3]q}]}
  - {name: mgmt-enforced, account: %[1]q, region: %[5]s}
  - {name: audit-reports, account: %[2]q, region: %[5]s, ownership: ObjectWriter, objects: [{key: r.json}]}
  - {name: b-shared, account: %[3]q, region: %[5]s, ownership: ObjectWriter, writers: [%[4]q], objects: [{key: own}, {key: from-c, uploader: %[4]q}]}
  - {name: b-enforced, account: %[3]q, region: %[5]s}
  - {name: c-data, account: %[4]q, region: %[5]s, ownership: BucketOwnerPreferred, objects: [{key: x}]}
`, mgmtID, auditID, acctB, acctC, region)
	return b.String()
}

// config is the README's config.yaml of the deployment.
func (d deployment) config() string {
	c := "member_role_name: OwnerscanAuditRole\nexternal_id: " + deployXID + "\n"
	if d.orgRole {
		c += "organization_role_arn: " + d.arn(mgmtID, "OwnerscanOrganizationRole") + "\n"
	}
	if d.excludeMgmt {
		c += "include_management_account: false\n"
	}
	return c
}

// run serves the deployment's organization and runs `ownerscan scan --stats`
// as its principal with the README's config.yaml, and returns what came of
// it.
func (d deployment) run(t *testing.T) *deploymentRun {
	t.Helper()
	srv := startEmulator(t, parseScenario(t, d.scenario(t)))
	ak, sk, ok := srv.Emulator.UserCredentials(d.callerAccount, "ownerscan")
	if !ok {
		t.Fatal("no caller")
	}
	t.Setenv("AWS_ACCESS_KEY_ID", ak)
	t.Setenv("AWS_SECRET_ACCESS_KEY", sk)
	t.Setenv("AWS_REGION", srv.Emulator.HomeRegion())
	out := filepath.Join(t.TempDir(), "reports")
	code, stdout, stderr := runCLI(t, "scan", "--config", writeFile(t, "config.yaml", d.config()), "--out", out, "--quiet", "--stats")
	if code == exitUsage {
		t.Fatalf("exit 2: %s", stderr)
	}
	return &deploymentRun{code: code, doc: readReport(t, out), stats: lastStatsLine(t, stdout), stderr: stderr, srv: srv}
}

// deploymentRun is what one run of a deployment produced.
type deploymentRun struct {
	code   int
	doc    *report.Document
	stats  statsLine
	stderr string
	srv    *fakeaws.Server
}

var deployments = []deployment{
	{name: "1 management account", partition: "aws", callerAccount: mgmtID, callerPolicy: managementPolicyPath, memberTrust: mgmtID},
	{name: "2 audit account through the organization role", partition: "aws", callerAccount: auditID,
		callerActions: []string{"sts:AssumeRole"}, memberTrust: mgmtID, orgRole: true},
	{name: "2 in GovCloud", partition: "aws-us-gov", callerAccount: auditID,
		callerActions: []string{"sts:AssumeRole"}, memberTrust: mgmtID, orgRole: true},
	{name: "3 delegated administrator", partition: "aws", callerAccount: auditID, callerPolicy: delegatedPolicyPath,
		memberTrust: auditID, memberInMgmt: true, delegated: true},
	{name: "3 delegated administrator, management account excluded", partition: "aws", callerAccount: auditID, callerPolicy: delegatedPolicyPath,
		memberTrust: auditID, delegated: true, excludeMgmt: true},
}

// TestDeploymentsAsDocumented runs each deployment of the README with
// principals that hold exactly what deploy/ grants them (a principal
// without a permission is denied by the emulator): complete, exit 1 for
// the organization's findings (never 3), every account in scope scanned
// (the caller's own through its member role, the management account as the
// deployment says), and exactly the calls of the performance model.
func TestDeploymentsAsDocumented(t *testing.T) {
	for _, d := range deployments {
		t.Run(d.name, func(t *testing.T) {
			r := d.run(t)
			if r.code != exitFindings || !r.doc.Complete {
				t.Fatalf("exit %d, complete %v; stderr:\n%s\naccounts %+v\nbuckets %+v", r.code, r.doc.Complete, r.stderr, r.doc.Accounts, r.doc.Buckets)
			}
			want := map[string]scanner.AccountStatus{mgmtID: scanner.AccountScanned, auditID: scanner.AccountScanned,
				acctB: scanner.AccountScanned, acctC: scanner.AccountScanned, acctD: scanner.AccountSkipped}
			if d.excludeMgmt {
				want[mgmtID] = scanner.AccountSkipped
			}
			for _, a := range r.doc.Accounts {
				if a.Status != want[a.ID] {
					t.Errorf("account %s: %s (%s), want %s", a.ID, a.Status, a.Error, want[a.ID])
				}
				if a.ID == mgmtID && d.excludeMgmt && !strings.Contains(a.Error, "include_management_account: false") {
					t.Errorf("the excluded management account must say why: %+v", a)
				}
			}
			buckets := 6
			if d.excludeMgmt {
				buckets = 4
			}
			if len(r.doc.Buckets) != buckets || r.doc.Summary.BucketsFailed != 0 {
				t.Errorf("buckets: %+v", r.doc.Buckets)
			}
			// Member roles assumed: Audit, AccountB, AccountC, plus Mgmt where
			// the member role is deployed there, plus the organization role.
			assumes := int64(3)
			if d.memberInMgmt {
				assumes++
			}
			if d.orgRole {
				assumes++
			}
			c := r.srv.Emulator.Counters()
			if c.ByOperation["AssumeRole"] != assumes {
				t.Errorf("AssumeRole %d, want %d: %v", c.ByOperation["AssumeRole"], assumes, c.ByOperation)
			}
			if r.stats.Calls != c.Total || r.stats.Calls != r.stats.MinCalls || r.stats.MinCallsFrom != minFromEmulator {
				t.Errorf("calls %d, min_calls %d (from %s), emulator counted %d", r.stats.Calls, r.stats.MinCalls, r.stats.MinCallsFrom, c.Total)
			}
			if r.doc.Organization.Partition != d.partition {
				t.Errorf("partition %q", r.doc.Organization.Partition)
			}
		})
	}
}

// TestDeploymentMissingPermission: the same deployments with one
// permission missing fail exactly the account or bucket that needed it,
// with AWS's error code in the report; everything else is scanned.
func TestDeploymentMissingPermission(t *testing.T) {
	for _, tc := range []struct {
		d                 deployment
		principal, action string
		failedAccount     string // or
		failedBucket      string
		wantError         string
	}{
		{deployments[0], "caller", "s3:ListBucketVersions", "", "mgmt-logs", "ListObjectVersions: AccessDenied"},
		{deployments[1], acctC, "s3:ListAllMyBuckets", acctC, "", "ListBuckets: AccessDenied"},
		{deployments[1], "org-role", "s3:GetBucketAcl", "", "mgmt-logs", "GetBucketAcl: AccessDenied"},
		{deployments[3], acctB, "s3:GetBucketAcl", "", "b-shared", "GetBucketAcl: AccessDenied"},
		{deployments[3], "caller", "sts:AssumeRole", "", "", "AssumeRole: AccessDenied"},
	} {
		d := tc.d
		d.without.principal, d.without.action = tc.principal, tc.action
		t.Run(d.name+" without "+tc.action+" for "+tc.principal, func(t *testing.T) {
			r := d.run(t)
			if r.code != exitIncomplete || r.doc.Complete {
				t.Fatalf("exit %d, complete %v", r.code, r.doc.Complete)
			}
			var failedAccounts, failedBuckets []string
			for _, a := range r.doc.Accounts {
				if a.Status == scanner.AccountFailed {
					failedAccounts = append(failedAccounts, a.ID)
					if !strings.HasPrefix(a.Error, tc.wantError) {
						t.Errorf("account %s: %q, want %s", a.ID, a.Error, tc.wantError)
					}
				}
			}
			for _, b := range r.doc.Buckets {
				if b.Status == scanner.BucketFailed {
					failedBuckets = append(failedBuckets, b.Name)
					if !strings.HasPrefix(b.Error, tc.wantError) {
						t.Errorf("bucket %s: %q, want %s", b.Name, b.Error, tc.wantError)
					}
				}
			}
			switch {
			case tc.failedBucket != "":
				if !slices.Equal(failedBuckets, []string{tc.failedBucket}) || len(failedAccounts) != 0 {
					t.Errorf("failed accounts %v, buckets %v; want only bucket %s", failedAccounts, failedBuckets, tc.failedBucket)
				}
			case tc.failedAccount != "":
				if !slices.Equal(failedAccounts, []string{tc.failedAccount}) || len(failedBuckets) != 0 {
					t.Errorf("failed accounts %v, buckets %v; want only account %s", failedAccounts, failedBuckets, tc.failedAccount)
				}
			default: // the caller cannot assume any member role: every account but the skipped one
				if len(failedAccounts) != 4 || len(failedBuckets) != 0 {
					t.Errorf("failed accounts %v, buckets %v", failedAccounts, failedBuckets)
				}
			}
		})
	}
}
