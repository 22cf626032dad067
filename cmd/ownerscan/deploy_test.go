package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/scanner"
)

// iamActionFor maps every API operation the scanner can call (the SDK
// operation name, as the emulator counts it) to the IAM action that
// authorizes it; "" means none is needed. README.md "IAM permissions" prints
// the same table.
var iamActionFor = map[string]string{
	"GetCallerIdentity":                "", // needs no permission and cannot be denied
	"AssumeRole":                       "sts:AssumeRole",
	"DescribeOrganization":             "organizations:DescribeOrganization",
	"ListAccounts":                     "organizations:ListAccounts",
	"ListRoots":                        "organizations:ListRoots",
	"ListOrganizationalUnitsForParent": "organizations:ListOrganizationalUnitsForParent",
	"ListAccountsForParent":            "organizations:ListAccountsForParent",
	"ListBuckets":                      "s3:ListAllMyBuckets",
	"HeadBucket":                       "s3:ListBucket",
	"GetBucketOwnershipControls":       "s3:GetBucketOwnershipControls",
	"GetBucketAcl":                     "s3:GetBucketAcl",
	"ListObjectVersions":               "s3:ListBucketVersions",
	"GetBucketPolicy":                  "s3:GetBucketPolicy",
	// The scanner names the version of every sampled object, which S3
	// authorizes as s3:GetObjectVersionAcl, not s3:GetObjectAcl.
	"GetObjectAcl": "s3:GetObjectVersionAcl",
}

// fallbackOperations are operations the scanner calls only in a case the
// emulator (like AWS) does not produce, with the reason; the scan tests
// below cannot observe them.
var fallbackOperations = map[string]string{
	"HeadBucket": "region lookup for a bucket whose ListBuckets entry has no BucketRegion; ListBuckets with MaxBuckets always gives one",
}

// writeVerbs start the names of AWS operations that change something.
var writeVerbs = []string{"Put", "Delete", "Create", "Update", "Tag", "Untag", "Restore", "Copy", "Complete",
	"Abort", "Upload", "Attach", "Detach", "Enable", "Disable", "Invite", "Accept", "Decline", "Leave", "Move",
	"Register", "Deregister", "Remove", "Close", "Set", "Write", "Modify", "Select"}

// TestIAMMapCoversScannerAPI: the operations in iamActionFor are exactly the
// methods of the scanner's AWS interfaces, the whole surface it can call.
func TestIAMMapCoversScannerAPI(t *testing.T) {
	var methods []string
	for _, iface := range []reflect.Type{
		reflect.TypeFor[scanner.OrganizationsAPI](),
		reflect.TypeFor[scanner.STSAPI](),
		reflect.TypeFor[scanner.S3API](),
	} {
		for m := range iface.Methods() {
			methods = append(methods, m.Name)
		}
	}
	slices.Sort(methods)
	if want := slices.Sorted(maps.Keys(iamActionFor)); !slices.Equal(methods, want) {
		t.Errorf("scanner interfaces have methods %v, iamActionFor maps %v", methods, want)
	}
}

// TestDeployGrantsExactlyWhatTheScanCalls scans the demo organization (and
// once more with an OU filter, which walks the OU tree) and checks from the
// emulator's counters that the scan is read-only and that deploy/ grants
// exactly the actions of the operations it called: no more, no less.
func TestDeployGrantsExactlyWhatTheScanCalls(t *testing.T) {
	sc := fakeaws.BuiltinScenario()
	srv := startEmulator(t, sc)
	// The second scan excludes an OU that does not exist: every account stays
	// in scope and the scanner must walk the OU tree to resolve the filter.
	ouFilter := writeFile(t, "config.yaml", "accounts:\n  exclude: [ou-zzzz-zzzzzzzz]\n")
	for _, args := range [][]string{nil, {"--config", ouFilter}} {
		code, _, stderr := runCLI(t, append([]string{"scan", "--quiet", "--out", t.TempDir()}, args...)...)
		if code != exitFindings && code != exitIncomplete {
			t.Fatalf("scan %v: exit %d; stderr:\n%s", args, code, stderr)
		}
	}
	counters := srv.Emulator.Counters()

	observed := map[string]bool{}
	for op := range counters.ByOperation {
		observed[op] = true
		if _, known := iamActionFor[op]; !known {
			t.Errorf("the scan called %s, which is not a known read operation", op)
		}
		for _, verb := range writeVerbs {
			if strings.HasPrefix(op, verb) {
				t.Errorf("the scan called %s: a write operation", op)
			}
		}
	}
	for op, why := range fallbackOperations {
		if observed[op] {
			t.Errorf("%s is listed as a fallback (%s) but the scan called it: drop it from fallbackOperations", op, why)
		}
		observed[op] = true
	}
	if got, want := slices.Sorted(maps.Keys(observed)), slices.Sorted(maps.Keys(iamActionFor)); !slices.Equal(got, want) {
		t.Errorf("operations called (with fallbacks) %v, want every operation of iamActionFor %v", got, want)
	}
	// Member accounts are only ever called into by S3: their role needs
	// nothing but S3 read actions.
	for account, ops := range counters.ByAccountOperation {
		if account == sc.ManagementAccount {
			continue
		}
		for op := range ops {
			if !strings.HasPrefix(iamActionFor[op], "s3:") {
				t.Errorf("member account %s called %s", account, op)
			}
		}
	}

	var memberWant, managementWant, delegatedWant, orgReadsWant []string
	for op := range observed {
		action := iamActionFor[op]
		if action == "" {
			continue
		}
		managementWant = append(managementWant, action) // the management account is scanned with its own credentials
		if strings.HasPrefix(action, "s3:") {
			memberWant = append(memberWant, action)
		} else {
			delegatedWant = append(delegatedWant, action) // scans its own account through its member role
		}
		if strings.HasPrefix(action, "organizations:") {
			orgReadsWant = append(orgReadsWant, action)
		}
	}
	for _, l := range [][]string{memberWant, managementWant, delegatedWant, orgReadsWant} {
		slices.Sort(l)
	}

	tmpl := readTemplate(t, memberTemplatePath)
	if got := tmpl.actions(t); !slices.Equal(got, memberWant) {
		t.Errorf("%s grants %v, want exactly %v", memberTemplatePath, got, memberWant)
	}
	roleName := tmpl.Parameters["RoleName"].Default
	for path, want := range map[string][]string{
		managementPolicyPath: managementWant,
		delegatedPolicyPath:  delegatedWant,
		delegationPolicyPath: orgReadsWant,
	} {
		pol := readPolicy(t, path)
		if got := pol.actions(); !slices.Equal(got, want) {
			t.Errorf("%s grants %v, want exactly %v", path, got, want)
		}
		if path == delegationPolicyPath {
			continue
		}
		// Any partition's member role of that name, and nothing else.
		if want := "arn:aws*:iam::*:role/" + roleName; !slices.Equal(pol.resourcesOf("sts:AssumeRole"), []string{want}) {
			t.Errorf("%s lets sts:AssumeRole on %v, want only %s (the member template's role)", path, pol.resourcesOf("sts:AssumeRole"), want)
		}
	}
	// The organization role holds exactly the management policy, and may
	// assume the member template's role.
	org := readTemplate(t, organizationTemplatePath)
	if got := org.actions(t); !slices.Equal(got, managementWant) {
		t.Errorf("%s grants %v, want exactly the management policy's %v", organizationTemplatePath, got, managementWant)
	}
	if got := org.Parameters["MemberRoleName"].Default; got != roleName {
		t.Errorf("%s MemberRoleName defaults to %q, the member template's role is %q", organizationTemplatePath, got, roleName)
	}
}

// TestDeployUsesThePartition: no file of deploy/ names the aws partition
// outright, so each works in aws-cn and aws-us-gov as it is. Templates
// build ARNs with ${AWS::Partition}; JSON policies match every partition
// (arn:aws*:, a wildcard IAM allows in the partition segment:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html)
// or, where IAM allows no wildcard (a principal), carry a PARTITION
// placeholder the README's recipe replaces.
func TestDeployUsesThePartition(t *testing.T) {
	entries, err := os.ReadDir("../../deploy")
	if err != nil {
		t.Fatal(err)
	}
	arnRe := regexp.MustCompile(`arn:(\$\{AWS::Partition\}|[^:"]*):`)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("../../deploy", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		// An AllowedPattern validates a parameter; it names no resource.
		text := regexp.MustCompile(`(?m)^\s*AllowedPattern:.*$`).ReplaceAllString(string(data), "")
		for _, arn := range arnRe.FindAllString(text, -1) {
			switch arn {
			case "arn:${AWS::Partition}:", "arn:aws*:", "arn:PARTITION:", "arn:<partition>:":
			default:
				t.Errorf("%s: %q names a partition; use ${AWS::Partition}, arn:aws*: or the PARTITION placeholder", e.Name(), arn)
			}
		}
	}
}

// TestMemberTemplateShape checks the parts of the template that the action
// test does not: StackSet parameters, trust of one account, ExternalId.
func TestMemberTemplateShape(t *testing.T) {
	tmpl := readTemplate(t, memberTemplatePath)
	for name, want := range map[string]string{"ManagementAccountId": "", "AuditPrincipalAccountId": "", "ExternalId": "", "RoleName": "OwnerscanAuditRole"} {
		p, ok := tmpl.Parameters[name]
		if !ok {
			t.Errorf("no parameter %s", name)
			continue
		}
		if p.Default != want {
			t.Errorf("parameter %s default %q, want %q", name, p.Default, want)
		}
	}
	if _, ok := tmpl.Conditions["HasExternalId"]; !ok {
		t.Error("no HasExternalId condition: ExternalId must be optional")
	}
	role := tmpl.Resources["OwnerscanAuditRole"]
	if role.Type != "AWS::IAM::Role" {
		t.Fatalf("resource type %q", role.Type)
	}
	trust, err := json.Marshal(role.Properties["AssumeRolePolicyDocument"])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"Action":"sts:AssumeRole"`, `"sts:ExternalId":{"Ref":"ExternalId"}`, `:root`, `"Effect":"Allow"`} {
		if !strings.Contains(string(trust), want) {
			t.Errorf("trust policy lacks %s: %s", want, trust)
		}
	}
	if strings.Contains(string(trust), `"*"`) {
		t.Errorf("trust policy trusts everyone: %s", trust)
	}
}

// externalIDScenario has one member whose audit role is deployed with a
// RoleName and an ExternalId, and one enforced bucket.
const externalIDScenario = `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
  - id: "222222222222"
    name: Member
    roles:
      - {name: OwnerscanAuditRole, trust: ["111111111111"], external_id: "ownerscan-2026"}
buckets:
  - {name: member-enforced, account: "222222222222", ownership: BucketOwnerEnforced}
`

// TestExternalIDEndToEnd: a member role deployed with a RoleName and an
// ExternalId is entered with the same member_role_name and external_id, and
// refused with a wrong one.
func TestExternalIDEndToEnd(t *testing.T) {
	path := writeFile(t, "scenario.yaml", externalIDScenario)
	for _, tc := range []struct {
		externalID string
		want       int
	}{
		{"ownerscan-2026", exitOK},
		{"wrong-id", exitIncomplete},
	} {
		cfg := writeFile(t, "config.yaml", "member_role_name: OwnerscanAuditRole\nexternal_id: "+tc.externalID+"\n")
		code, _, stderr := runCLI(t, "demo", "--scenario", path, "--config", cfg, "--out", t.TempDir(), "--quiet")
		if code != tc.want {
			t.Errorf("external_id %s: exit %d, want %d; stderr:\n%s", tc.externalID, code, tc.want, stderr)
		}
	}
}

// cfnTemplate is the part of a CloudFormation template the tests read.
type cfnTemplate struct {
	Parameters map[string]struct {
		Default string `yaml:"Default"`
	} `yaml:"Parameters"`
	Conditions map[string]any `yaml:"Conditions"`
	Resources  map[string]struct {
		Type       string         `yaml:"Type"`
		Properties map[string]any `yaml:"Properties"`
	} `yaml:"Resources"`
}

// The files of deploy/, as the README names them.
const (
	memberTemplatePath       = "../../deploy/member-audit-role.yaml"
	organizationTemplatePath = "../../deploy/organization-role.yaml"
	managementPolicyPath     = "../../deploy/management-policy.json"
	delegatedPolicyPath      = "../../deploy/delegated-admin-policy.json"
	delegationPolicyPath     = "../../deploy/organizations-delegation-policy.json"
)

func readTemplate(t *testing.T, path string) *cfnTemplate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var tmpl cfnTemplate
	if err := yaml.Unmarshal(data, &tmpl); err != nil {
		t.Fatal(err)
	}
	return &tmpl
}

// actions lists the actions the template's inline policies allow, sorted.
func (c *cfnTemplate) actions(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, res := range c.Resources {
		policies, _ := res.Properties["Policies"].([]any)
		for _, p := range policies {
			doc, err := json.Marshal(p.(map[string]any)["PolicyDocument"])
			if err != nil {
				t.Fatal(err)
			}
			var pd policyDocument
			if err := json.Unmarshal(doc, &pd); err != nil {
				t.Fatal(err)
			}
			out = append(out, pd.actions()...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// policyDocument is an IAM policy; Action and Resource may be a string or a
// list, and Resource may be a CloudFormation function.
type policyDocument struct {
	Version   string `json:"Version"`
	Statement []struct {
		Effect   string          `json:"Effect"`
		Action   stringOrList    `json:"Action"`
		Resource json.RawMessage `json:"Resource"`
	} `json:"Statement"`
}

type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*s = []string{one}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(s))
}

func (p *policyDocument) actions() []string {
	var out []string
	for _, st := range p.Statement {
		if st.Effect == "Allow" {
			out = append(out, st.Action...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (p *policyDocument) resourcesOf(action string) []string {
	var out []string
	for _, st := range p.Statement {
		if slices.Contains(st.Action, action) {
			var res stringOrList
			if err := json.Unmarshal(st.Resource, &res); err == nil {
				out = append(out, res...)
			}
		}
	}
	return out
}

func readPolicy(t *testing.T, path string) *policyDocument {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p policyDocument
	dec := json.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.Version != "2012-10-17" {
		t.Errorf("policy version %q", p.Version)
	}
	return &p
}
