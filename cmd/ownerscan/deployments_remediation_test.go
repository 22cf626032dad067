package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ownerscan/ownerscan/scanner"
)

// TestRemediationDeployments: plan, apply and rollback in each deployment
// of the README with principals holding exactly what deploy/ grants them:
// the members through the remediation role, the management account as
// the deployment reaches it (the caller's own credentials, the
// organization role, or the remediation role deployed there). Every
// bucket not enforced is enforced, then put back. Without
// s3:PutBucketOwnershipControls for the principal that reaches the
// management account, exactly its bucket fails, with the AWS error code.
func TestRemediationDeployments(t *testing.T) {
	for _, tc := range []struct {
		d       deployment
		without string // a principal denied s3:PutBucketOwnershipControls
	}{
		{d: deployments[0]},
		{d: deployments[1]},
		{d: deployments[3]},
		{d: deployments[0], without: "caller"},
		{d: deployments[1], without: "org-role"},
		{d: deployments[3], without: "remediation-" + mgmtID},
	} {
		d := tc.d
		d.remediate = true
		name := d.name
		if tc.without != "" {
			d.without.principal, d.without.action = tc.without, "s3:PutBucketOwnershipControls"
			name += " without s3:PutBucketOwnershipControls for " + tc.without
		}
		t.Run(name, func(t *testing.T) {
			r := d.run(t)
			if r.code != exitFindings {
				t.Fatalf("scan: exit %d: %s", r.code, r.stderr)
			}
			original := readAllControls(t, r.srv)
			cfg := writeFile(t, "config.yaml", d.config())
			plan := filepath.Join(t.TempDir(), "plan.json")
			if code, stdout, stderr := runCLI(t, "plan", "--config", cfg, "--out", plan, "--quiet"); code != exitOK || !strings.Contains(stdout, "ready    4") {
				t.Fatalf("plan: exit %d\n%s\n%s", code, stdout, stderr)
			}
			code, stdout, stderr := runCLI(t, "apply", "--config", cfg, "--plan", plan, "--yes", "--quiet")
			now := readAllControls(t, r.srv)
			if tc.without != "" {
				line := lineWith(stdout, "mgmt-logs")
				if code != exitIncomplete || !strings.Contains(line, "failed") || !strings.Contains(line, "PutBucketOwnershipControls: AccessDenied") ||
					strings.Count(stdout, "  done ") != 3 {
					t.Fatalf("apply: exit %d\n%s\n%s", code, stdout, stderr)
				}
				sameControls(t, "the management account's bucket", now, original, "mgmt-logs")
				return
			}
			if code != exitOK {
				t.Fatalf("apply: exit %d\n%s\n%s", code, stdout, stderr)
			}
			for _, name := range []string{"mgmt-logs", "audit-reports", "b-shared", "c-data"} {
				if now[name].Ownership != string(scanner.OwnershipEnforced) {
					t.Errorf("%s after apply: %+v", name, now[name])
				}
			}
			if code, stdout, stderr := runCLI(t, "rollback", "--config", cfg, "--journal", plan+".journal", "--yes", "--quiet"); code != exitOK {
				t.Fatalf("rollback: exit %d\n%s\n%s", code, stdout, stderr)
			}
			sameControls(t, "after rollback", readAllControls(t, r.srv), original)
		})
	}
}
