package main

import (
	"encoding/json"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/scanner/remediate"
)

// The remediation files of deploy/.
const (
	remediationTemplatePath = "../../deploy/member-remediation-role.yaml"
	operatorPolicyPath      = "../../deploy/remediation-operator-policy.json"
)

// remediationActionFor maps every call apply and rollback can make (the
// SDK operation, as the emulator counts it) to the IAM action that
// authorizes it; "" needs none.
var remediationActionFor = map[string]string{
	"GetCallerIdentity":             "",
	"AssumeRole":                    "sts:AssumeRole",
	"DescribeOrganization":          "organizations:DescribeOrganization",
	"ListAccounts":                  "organizations:ListAccounts",
	"GetBucketOwnershipControls":    "s3:GetBucketOwnershipControls",
	"PutBucketOwnershipControls":    "s3:PutBucketOwnershipControls",
	"DeleteBucketOwnershipControls": "s3:PutBucketOwnershipControls", // as S3 authorizes it
	"GetBucketAcl":                  "s3:GetBucketAcl",
	"PutBucketAcl":                  "s3:PutBucketAcl",
	"GetBucketPolicy":               "s3:GetBucketPolicy",
	"PutBucketPolicy":               "s3:PutBucketPolicy",
	"DeleteBucketPolicy":            "s3:DeleteBucketPolicy",
}

// TestRemediationS3CallsAreMapped: every method of remediate.S3API, the
// whole S3 surface apply and rollback can call, has its IAM action.
func TestRemediationS3CallsAreMapped(t *testing.T) {
	for m := range reflect.TypeFor[remediate.S3API]().Methods() {
		if _, ok := remediationActionFor[m.Name]; !ok {
			t.Errorf("remediate.S3API.%s has no IAM action in remediationActionFor", m.Name)
		}
	}
}

// TestRemediationDeployGrantsExactlyWhatApplyAndRollbackCall runs plan,
// apply --migrate-acls and rollback on the demo organization (deployment
// 1: the management account's buckets with the caller's credentials) and
// holds deploy/ to the calls the emulator counted: the member remediation
// role grants exactly the S3 actions member accounts were called with;
// the operator policy (and the organization role's remediation policy)
// exactly those plus the organization check and sts:AssumeRole on the
// remediation role; the demo organization's role holds the template's
// actions. No scan call is made by apply or rollback.
func TestRemediationDeployGrantsExactlyWhatApplyAndRollbackCall(t *testing.T) {
	sc := fakeaws.BuiltinScenario()
	srv := startEmulator(t, sc)
	dir := t.TempDir()
	plan := filepath.Join(dir, "plan.json")
	if code, _, stderr := runCLI(t, "plan", "--out", plan, "--quiet"); code != exitIncomplete {
		t.Fatalf("plan: exit %d; stderr:\n%s", code, stderr)
	}
	before := srv.Emulator.Counters()
	if code, _, stderr := runCLI(t, "apply", "--plan", plan, "--migrate-acls", "--yes", "--quiet"); code != exitOK {
		t.Fatalf("apply: exit %d; stderr:\n%s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "rollback", "--journal", plan+".journal", "--yes", "--quiet"); code != exitOK {
		t.Fatalf("rollback: exit %d; stderr:\n%s", code, stderr)
	}
	called := countersSince(before, srv.Emulator.Counters())

	var memberWant, operatorWant []string
	for account, ops := range called {
		for op := range ops {
			action, known := remediationActionFor[op]
			if !known {
				t.Errorf("account %s was called with %s, which apply and rollback do not make", account, op)
				continue
			}
			if action == "" {
				continue
			}
			if account == sc.ManagementAccount {
				operatorWant = append(operatorWant, action)
			} else {
				memberWant = append(memberWant, action)
				if !strings.HasPrefix(action, "s3:") {
					t.Errorf("member account %s called %s", account, op)
				}
			}
		}
	}
	slices.Sort(memberWant)
	memberWant = slices.Compact(memberWant)
	// The operator's S3 actions are the member role's (the management
	// account's buckets are written with them in deployments 1 and 2),
	// though the demo organization's one bucket there needs fewer.
	for _, a := range operatorWant {
		if strings.HasPrefix(a, "s3:") && !slices.Contains(memberWant, a) {
			t.Errorf("the management account was called with %s, which members were not", a)
		}
	}
	operatorWant = append(slices.DeleteFunc(operatorWant, func(a string) bool { return strings.HasPrefix(a, "s3:") }), memberWant...)
	slices.Sort(operatorWant)
	operatorWant = slices.Compact(operatorWant)

	tmpl := readTemplate(t, remediationTemplatePath)
	if got := tmpl.actions(t); !slices.Equal(got, memberWant) {
		t.Errorf("%s grants %v, want exactly %v", remediationTemplatePath, got, memberWant)
	}
	op := readPolicy(t, operatorPolicyPath)
	if got := op.actions(); !slices.Equal(got, operatorWant) {
		t.Errorf("%s grants %v, want exactly %v", operatorPolicyPath, got, operatorWant)
	}
	roleName := tmpl.Parameters["RoleName"].Default
	if want := "arn:aws*:iam::*:role/" + roleName; !slices.Equal(op.resourcesOf("sts:AssumeRole"), []string{want}) {
		t.Errorf("%s lets sts:AssumeRole on %v, want only %s", operatorPolicyPath, op.resourcesOf("sts:AssumeRole"), want)
	}
	if roleName != DefaultRemediationRoleName {
		t.Errorf("the template's RoleName defaults to %q, remediation_role_name to %q", roleName, DefaultRemediationRoleName)
	}

	// The organization role's conditional policy is the operator policy.
	org := readTemplate(t, organizationTemplatePath)
	if got := conditionalActions(t, org, "AllowsRemediation"); !slices.Equal(got, operatorWant) {
		t.Errorf("%s with AllowRemediation grants %v more, want exactly the operator policy's %v", organizationTemplatePath, got, operatorWant)
	}
	if got := org.Parameters["RemediationRoleName"].Default; got != roleName {
		t.Errorf("%s RemediationRoleName defaults to %q, the template's role is %q", organizationTemplatePath, got, roleName)
	}

	// The demo organization's remediation role holds the template's actions.
	for _, a := range sc.Accounts {
		for _, r := range a.Roles {
			if r.Name == roleName {
				got := slices.Sorted(slices.Values(r.Permissions))
				if !slices.Equal(got, memberWant) {
					t.Errorf("builtin.yaml: %s of %s holds %v, want the template's %v", roleName, a.ID, got, memberWant)
				}
			}
		}
	}
}

// countersSince is the calls per account and operation made between two
// snapshots.
func countersSince(before, after fakeaws.CounterSnapshot) map[string]map[string]int64 {
	out := map[string]map[string]int64{}
	for account, ops := range after.ByAccountOperation {
		for op, n := range ops {
			if d := n - before.ByAccountOperation[account][op]; d > 0 {
				if out[account] == nil {
					out[account] = map[string]int64{}
				}
				out[account][op] = d
			}
		}
	}
	return out
}

// conditionalActions lists the actions of the inline policies a template
// adds under condition (Fn::If: [condition, policy, AWS::NoValue]).
func conditionalActions(t *testing.T, c *cfnTemplate, condition string) []string {
	t.Helper()
	var out []string
	for _, res := range c.Resources {
		policies, _ := res.Properties["Policies"].([]any)
		for _, p := range policies {
			branches, ok := p.(map[string]any)["Fn::If"].([]any)
			if !ok || len(branches) != 3 || branches[0] != condition {
				continue
			}
			out = append(out, documentActions(t, branches[1].(map[string]any)["PolicyDocument"])...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestRemediationTemplateShape: the template's StackSet parameters, trust
// of one account with an optional ExternalId, as the audit role's.
func TestRemediationTemplateShape(t *testing.T) {
	tmpl := readTemplate(t, remediationTemplatePath)
	audit := readTemplate(t, memberTemplatePath)
	if got, want := slices.Sorted(maps.Keys(tmpl.Parameters)), slices.Sorted(maps.Keys(audit.Parameters)); !slices.Equal(got, want) {
		t.Errorf("parameters %v, want the audit role's %v", got, want)
	}
	if _, ok := tmpl.Conditions["HasExternalId"]; !ok {
		t.Error("no HasExternalId condition: ExternalId must be optional")
	}
	role := tmpl.Resources["OwnerscanRemediationRole"]
	trust, _ := json.Marshal(role.Properties["AssumeRolePolicyDocument"])
	auditTrust, _ := json.Marshal(audit.Resources["OwnerscanAuditRole"].Properties["AssumeRolePolicyDocument"])
	if role.Type != "AWS::IAM::Role" || string(trust) != string(auditTrust) {
		t.Errorf("trust policy %s, want the audit role's %s", trust, auditTrust)
	}
	if tmpl.Parameters["RoleName"].Default == audit.Parameters["RoleName"].Default {
		t.Error("the remediation role has the audit role's default name")
	}
}
