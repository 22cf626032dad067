package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// taskCommand is the command deploy/scheduled-audit.yaml's task runs (the
// scan flags after the image's entrypoint), with its parameters set:
// stack in the management account, the README's ExternalId, the report
// bucket and prefix given.
func taskCommand(t *testing.T, bucket, prefix string) []string {
	t.Helper()
	command := dig(readScheduledTemplate(t), "Resources", "TaskDefinition", "Properties", "ContainerDefinitions").([]any)[0]
	split := dig(command, "Command", "Fn::Split").([]any)
	sub := dig(split[1], "Fn::Sub").([]any)
	line := strings.NewReplacer(
		"${ReportBucket}", bucket, "${ReportPrefix}", prefix, "${MemberRoleName}", "OwnerscanAuditRole",
		"${OrganizationRoleFlag}", "", "${ExternalIdFlag}", " --external-id "+deployXID,
	).Replace(sub[0].(string))
	if strings.Contains(line, "${") {
		t.Fatalf("a parameter of the task command is left: %s", line)
	}
	return strings.Split(line, split[0].(string))
}

// TestScheduledAuditTaskRoleWritesReports: the principal holds exactly
// what deploy/scheduled-audit.yaml gives its task role in the management
// account (the management policy, and s3:PutObject, s3:GetObject,
// s3:ListBucket and s3:AbortMultipartUpload on the report bucket), and runs
// the task's own command, night after night: two nights work, the second
// compared with the first. Without s3:AbortMultipartUpload the reports are still written (a
// warning says a failed upload would stay until the lifecycle rule); without
// s3:PutObject the run is exit 2 before the scan.
func TestScheduledAuditTaskRoleWritesReports(t *testing.T) {
	var taskActions []string
	for _, st := range taskStatements(t, readScheduledTemplate(t), false, false) {
		taskActions = append(taskActions, statementActions(st)...)
	}
	for _, tc := range []struct {
		name    string
		without string
		codes   []int // of each night
		want    string
	}{
		{name: "the task role", codes: []int{exitFindings, exitOK}},
		{name: "without s3:AbortMultipartUpload", without: "s3:AbortMultipartUpload", codes: []int{exitFindings}, want: "cannot abort a multipart upload in the report bucket"},
		{name: "without s3:PutObject", without: "s3:PutObject", codes: []int{exitUsage}, want: "cannot write to s3://" + reportBucket + "/ownerscan: start the upload of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := deployment{partition: "aws", callerAccount: mgmtID, memberTrust: mgmtID,
				callerActions: slices.DeleteFunc(slices.Clone(taskActions), func(a string) bool { return a == tc.without })}
			env := startS3Env(t, parseScenario(t, d.scenario(t)+reportBucketYAML))
			ak, sk, _ := env.em.UserCredentials(mgmtID, "ownerscan")
			t.Setenv("AWS_ACCESS_KEY_ID", ak)
			t.Setenv("AWS_SECRET_ACCESS_KEY", sk)
			command := append([]string{"scan"}, taskCommand(t, reportBucket, "ownerscan")...)
			for i, want := range tc.codes {
				before := env.em.Counters()
				code, _, stderr := runCLIAt(t, night.Add(time.Duration(i)*24*time.Hour), command...)
				if code != want {
					t.Fatalf("night %d: exit %d, want %d; stderr:\n%s", i+1, code, want, stderr)
				}
				if tc.want != "" && !strings.Contains(stderr, tc.want) {
					t.Errorf("night %d: stderr does not say %q:\n%s", i+1, tc.want, stderr)
				}
				if code == exitUsage && scanCalls(env.em.Counters()) != scanCalls(before) {
					t.Errorf("night %d: the scan started", i+1)
				}
			}
			if tc.codes[0] != exitUsage && env.latest("ownerscan").RunPrefix == "" {
				t.Error("no latest.json")
			}
			if len(tc.codes) == 2 {
				second := env.document(env.latest("ownerscan").ReportKey)
				if second.Baseline == nil || second.Baseline.New != 0 {
					t.Errorf("the second night's baseline: %+v", second.Baseline)
				}
			}
		})
	}
}
