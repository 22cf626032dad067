package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// parseCFN parses a CloudFormation YAML template into plain values, with
// the short-form intrinsic functions (!Ref, !Sub, !GetAtt, !If, ...) turned
// into their long form ({"Ref": ...}, {"Fn::Sub": ...}), as CloudFormation
// reads them.
func parseCFN(data []byte) (map[string]any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) != 1 {
		return nil, fmt.Errorf("want one YAML document")
	}
	v, err := cfnValue(doc.Content[0])
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the template is not a mapping")
	}
	return m, nil
}

func cfnValue(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.AliasNode:
		return cfnValue(n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			val, err := cfnValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = val
		}
		v = m
	case yaml.SequenceNode:
		list := []any{}
		for _, c := range n.Content {
			val, err := cfnValue(c)
			if err != nil {
				return nil, err
			}
			list = append(list, val)
		}
		v = list
	case yaml.ScalarNode:
		if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
			v = n.Value // a tagged scalar is a string argument
		} else if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
	}
	if !strings.HasPrefix(n.Tag, "!") || strings.HasPrefix(n.Tag, "!!") {
		return v, nil
	}
	name := strings.TrimPrefix(n.Tag, "!")
	switch name {
	case "Ref", "Condition":
		return map[string]any{name: v}, nil
	case "GetAtt":
		if s, ok := v.(string); ok {
			resource, attribute, _ := strings.Cut(s, ".")
			v = []any{resource, attribute}
		}
	case "Base64", "Cidr", "FindInMap", "GetAZs", "ImportValue", "Join", "Select", "Split", "Sub", "Transform",
		"And", "Equals", "If", "Not", "Or":
	default:
		return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
	}
	return map[string]any{"Fn::" + name: v}, nil
}

// resolveConditions evaluates every Fn::If of v with the given condition
// values, dropping the branches that resolve to AWS::NoValue from lists and
// mappings, as CloudFormation does.
func resolveConditions(v any, conditions map[string]bool) any {
	switch x := v.(type) {
	case map[string]any:
		if args, ok := x["Fn::If"].([]any); ok && len(x) == 1 && len(args) == 3 {
			if conditions[args[0].(string)] {
				return resolveConditions(args[1], conditions)
			}
			return resolveConditions(args[2], conditions)
		}
		if x["Ref"] == "AWS::NoValue" && len(x) == 1 {
			return noValue{}
		}
		out := map[string]any{}
		for k, val := range x {
			if r := resolveConditions(val, conditions); r != (noValue{}) {
				out[k] = r
			}
		}
		return out
	case []any:
		out := []any{}
		for _, val := range x {
			if r := resolveConditions(val, conditions); r != (noValue{}) {
				out = append(out, r)
			}
		}
		return out
	}
	return v
}

type noValue struct{}

func readScheduledTemplate(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile("../../deploy/scheduled-audit.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := parseCFN(data)
	if err != nil {
		t.Fatalf("deploy/scheduled-audit.yaml: %v", err)
	}
	return tmpl
}

// dig follows keys through mappings.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// asJSON is v in JSON, for comparing and searching intrinsic functions.
func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// reportBucketActions are what the task may do with its own report bucket
// (and its KMS key, when it has one): write and read back reports, give up
// a multipart upload, list its reports.
var reportBucketActions = []string{"kms:Decrypt", "kms:GenerateDataKey", "s3:AbortMultipartUpload", "s3:GetObject", "s3:ListBucket", "s3:PutObject"}

// taskStatements returns the statements of the task role's policies with
// the organization role parameter set or not.
func taskStatements(t *testing.T, tmpl map[string]any, orgRole, kms bool) []map[string]any {
	t.Helper()
	role := resolveConditions(dig(tmpl, "Resources", "TaskRole"), map[string]bool{
		"UseOrganizationRole": orgRole, "UseManagementPolicy": !orgRole, "HasKmsKey": kms, "HasExternalId": false,
	})
	var out []map[string]any
	for _, p := range dig(role, "Properties", "Policies").([]any) {
		for _, st := range dig(p, "PolicyDocument", "Statement").([]any) {
			out = append(out, st.(map[string]any))
		}
	}
	return out
}

func statementActions(st map[string]any) []string {
	switch a := st["Action"].(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, x := range a {
			out = append(out, x.(string))
		}
		return out
	}
	return nil
}

// TestScheduledAuditTaskRole holds the task role to exactly the management
// policy (deploy/management-policy.json, with the partition and member role
// name as parameters) plus writes to its own report bucket; or, when it
// runs from an audit account, to assuming the organization role and the
// member roles plus the same writes. Nothing else, and nothing on another
// bucket.
func TestScheduledAuditTaskRole(t *testing.T) {
	tmpl := readScheduledTemplate(t)
	mgmt := readPolicy(t, "../../deploy/management-policy.json")
	for _, tc := range []struct {
		name         string
		orgRole, kms bool
	}{{"management account", false, false}, {"management account, KMS", false, true}, {"audit account", true, false}, {"audit account, KMS", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, st := range taskStatements(t, tmpl, tc.orgRole, tc.kms) {
				if st["Effect"] != "Allow" {
					t.Errorf("statement %v is not an Allow", st["Sid"])
				}
				actions := statementActions(st)
				got = append(got, actions...)
				res := asJSON(t, st["Resource"])
				switch {
				case slices.Contains(reportBucketActions, actions[0]):
					for _, a := range actions {
						if !slices.Contains(reportBucketActions, a) {
							t.Errorf("statement %v mixes %s with report bucket actions", st["Sid"], a)
						}
					}
					if !strings.Contains(res, "ReportBucket") && res != `{"Ref":"KmsKeyArn"}` {
						t.Errorf("statement %v allows %v on %s, not on the report bucket", st["Sid"], actions, res)
					}
				case tc.orgRole:
					want := `[{"Ref":"OrganizationRoleArn"},{"Fn::Sub":"arn:${AWS::Partition}:iam::*:role/${MemberRoleName}"}]`
					if !slices.Equal(actions, []string{"sts:AssumeRole"}) || res != want {
						t.Errorf("audit account: statement %v allows %v on %s, want only sts:AssumeRole on %s", st["Sid"], actions, res, want)
					}
				default:
					// A statement of the management policy, word for word once
					// the parameters take their defaults.
					if sub, ok := dig(st, "Resource", "Fn::Sub").(string); ok {
						res = asJSON(t, sub)
					}
					// The template names its own partition where the shared
					// policy file says arn:aws*: (any partition).
					res = strings.NewReplacer("${AWS::Partition}", "aws*", "${MemberRoleName}", "OwnerscanAuditRole").Replace(res)
					// A list of substitutions reads as the list of strings.
					res = regexp.MustCompile(`\{"Fn::Sub":("[^"]*")\}`).ReplaceAllString(res, "$1")
					var wantRes string
					for _, ms := range mgmt.Statement {
						if slices.Equal(ms.Action, actions) {
							var compact bytes.Buffer
							if err := json.Compact(&compact, ms.Resource); err != nil {
								t.Fatal(err)
							}
							wantRes = compact.String()
						}
					}
					if wantRes == "" || res != wantRes {
						t.Errorf("statement %v (%v on %s) is not a statement of deploy/management-policy.json", st["Sid"], actions, res)
					}
				}
			}
			slices.Sort(got)
			want := []string{"s3:AbortMultipartUpload", "s3:GetObject", "s3:ListBucket", "s3:PutObject"}
			if tc.kms {
				want = append(want, "kms:Decrypt", "kms:GenerateDataKey")
			}
			if tc.orgRole {
				want = append(want, "sts:AssumeRole")
			} else {
				want = append(want, mgmt.actions()...)
			}
			slices.Sort(want)
			want = slices.Compact(want)
			if got = slices.Compact(got); !slices.Equal(got, want) {
				t.Errorf("task role allows %v, want exactly %v", got, want)
			}
		})
	}
}

// TestScheduledAuditShape checks the rest of what the README promises of
// the stack: the bucket, the log group, the schedule, the task, the roles
// that start it, ARNs in the stack's own partition, and a command the CLI
// understands.
func TestScheduledAuditShape(t *testing.T) {
	tmpl := readScheduledTemplate(t)
	res := func(name string) map[string]any {
		r, ok := dig(tmpl, "Resources", name).(map[string]any)
		if !ok {
			t.Fatalf("no resource %s", name)
		}
		return r
	}
	types := map[string]string{}
	for name, r := range dig(tmpl, "Resources").(map[string]any) {
		types[name] = dig(r, "Type").(string)
	}
	for name, typ := range map[string]string{
		"ReportBucket": "AWS::S3::Bucket", "LogGroup": "AWS::Logs::LogGroup", "Cluster": "AWS::ECS::Cluster",
		"TaskDefinition": "AWS::ECS::TaskDefinition", "TaskRole": "AWS::IAM::Role", "Schedule": "AWS::Scheduler::Schedule",
		"SchedulerRole": "AWS::IAM::Role",
	} {
		if types[name] != typ {
			t.Errorf("resource %s is %q, want %s", name, types[name], typ)
		}
	}

	bucket := dig(res("ReportBucket"), "Properties")
	if got := asJSON(t, dig(bucket, "OwnershipControls")); got != `{"Rules":[{"ObjectOwnership":"BucketOwnerEnforced"}]}` {
		t.Errorf("report bucket ownership %s", got)
	}
	if dig(bucket, "VersioningConfiguration", "Status") != "Enabled" {
		t.Error("report bucket not versioned")
	}
	if dig(bucket, "BucketEncryption", "ServerSideEncryptionConfiguration") == nil {
		t.Error("report bucket not encrypted")
	}
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		if dig(bucket, "PublicAccessBlockConfiguration", k) != true {
			t.Errorf("report bucket: %s not true", k)
		}
	}
	if dig(res("ReportBucket"), "DeletionPolicy") != "Retain" {
		t.Error("deleting the stack would delete the reports")
	}

	task := dig(res("TaskDefinition"), "Properties")
	if asJSON(t, dig(task, "RequiresCompatibilities")) != `["FARGATE"]` || asJSON(t, dig(task, "TaskRoleArn")) != `{"Fn::GetAtt":["TaskRole","Arn"]}` {
		t.Errorf("task definition: %s, task role %s", asJSON(t, dig(task, "RequiresCompatibilities")), asJSON(t, dig(task, "TaskRoleArn")))
	}
	container := dig(task, "ContainerDefinitions").([]any)[0]
	if asJSON(t, dig(container, "LogConfiguration", "Options", "awslogs-group")) != `{"Ref":"LogGroup"}` {
		t.Error("the container does not log to the stack's log group")
	}
	checkContainerCommand(t, asJSON(t, dig(container, "Command")))

	target := dig(res("Schedule"), "Properties", "Target")
	if asJSON(t, dig(target, "Arn")) != `{"Fn::GetAtt":["Cluster","Arn"]}` || dig(target, "EcsParameters", "LaunchType") != "FARGATE" ||
		asJSON(t, dig(target, "EcsParameters", "TaskDefinitionArn")) != `{"Ref":"TaskDefinition"}` {
		t.Errorf("schedule target %s", asJSON(t, target))
	}
	if !strings.Contains(asJSON(t, dig(res("SchedulerRole"), "Properties")), `"Action":"ecs:RunTask"`) {
		t.Error("the scheduler role cannot run the task")
	}

	// Every ARN outside the parameters' patterns is in the stack's own
	// partition.
	body := asJSON(t, dig(tmpl, "Resources")) + asJSON(t, dig(tmpl, "Outputs"))
	arns := regexp.MustCompile(`arn:(\$\{AWS::Partition\}|[^:"]*):`).FindAllStringSubmatch(body, -1)
	if len(arns) < 3 {
		t.Errorf("only %d ARNs found in the template", len(arns))
	}
	for _, m := range arns {
		if m[1] != "${AWS::Partition}" {
			t.Errorf("ARN %s... does not use ${AWS::Partition}", m[0])
		}
	}
	params := dig(tmpl, "Parameters").(map[string]any)
	if dig(params, "MemberRoleName", "Default") != readTemplate(t, "../../deploy/member-audit-role.yaml").Parameters["RoleName"].Default {
		t.Error("the default member role name differs from deploy/member-audit-role.yaml's")
	}
	for _, name := range slices.Sorted(maps.Keys(params)) {
		if !strings.Contains(body, "${"+name+"}") && !strings.Contains(body, `"Ref":"`+name+`"`) {
			t.Errorf("parameter %s is never used", name)
		}
	}
}

// checkContainerCommand: every flag the task passes is a flag of scan.
func checkContainerCommand(t *testing.T, command string) {
	t.Helper()
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	var f scanFlags
	f.register(fs)
	flags := regexp.MustCompile(`--[a-z-]+`).FindAllString(command, -1)
	for _, want := range []string{"--out", "--baseline", "--fail-on-new", "--member-role-name", "--organization-role-arn", "--external-id"} {
		if !slices.Contains(flags, want) {
			t.Errorf("the task command %s lacks %s", command, want)
		}
	}
	for _, fl := range flags {
		if fs.Lookup(strings.TrimPrefix(fl, "--")) == nil {
			t.Errorf("the task command passes %s, which scan does not know", fl)
		}
	}
	// The README's nightly recipe: the same location for the reports and
	// the baseline (latest.json of the previous complete night).
	if !strings.Contains(command, "--out s3://${ReportBucket}/${ReportPrefix} --baseline s3://${ReportBucket}/${ReportPrefix} ") {
		t.Errorf("the task does not write to its report bucket and compare with its previous night: %s", command)
	}
}

// TestDockerfile reads deploy/Dockerfile (docker itself is not available to
// the tests): a static build with the module's Go version, an image that
// runs `ownerscan scan` as an unprivileged user, with CA certificates.
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("../../deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(data)
	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(string(gomod))[1]
	for _, want := range []string{
		"ARG GO_VERSION=" + goVersion,
		"CGO_ENABLED=0",
		"COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt",
		"USER 65532:65532",
		`ENTRYPOINT ["/usr/local/bin/ownerscan", "scan"]`,
	} {
		if !strings.Contains(df, want) {
			t.Errorf("deploy/Dockerfile lacks %q", want)
		}
	}
	if n := len(regexp.MustCompile(`(?m)^FROM `).FindAllString(df, -1)); n != 2 {
		t.Errorf("%d stages, want a build stage and the final one", n)
	}
	var cmd []string
	if m := regexp.MustCompile(`(?m)^CMD (.+)$`).FindStringSubmatch(df); m == nil || json.Unmarshal([]byte(m[1]), &cmd) != nil {
		t.Fatal("no CMD in exec form")
	}
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	var f scanFlags
	f.register(fs)
	if err := fs.Parse(cmd); err != nil || fs.NArg() != 0 {
		t.Errorf("CMD %v is not a set of scan flags: %v", cmd, err)
	}
}
