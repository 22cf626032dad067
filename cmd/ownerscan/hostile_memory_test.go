//go:build linux

package main

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/internal/sabotage"
)

// maxHostileRSSMiB is the peak memory a scan may reach while a server
// answers bodies that never end.
const maxHostileRSSMiB = 100

// wideOrg has 100 buckets not enforced in 20 accounts: with every listing
// answered by a page that never ends, 64 requests in flight meet 100 of
// them.
const wideOrg = `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
generate: {accounts: 20, buckets_per_account: 5, not_enforced_fraction: 1, objects_per_bucket: 10, foreign_fraction: 0.1}
`

// TestHostileEndlessAnswersMemory: bodies that never end, junk or pages
// whose every entry is well formed, on every operation that lists, keep
// the scan's peak memory (measured on the ownerscan process alone, the
// emulator and proxy run in the test's) under maxHostileRSSMiB; the scan
// ends, exit 3 (4 when no account could be listed), stderr naming the
// operation. Under the race detector only the outcome is checked.
func TestHostileEndlessAnswersMemory(t *testing.T) {
	demo := string(fakeaws.BuiltinScenarioYAML())
	for _, tc := range []struct {
		name  string
		yml   string
		rules []sabotage.Rule
		op    string // the operation every failure names
		code  int
	}{
		{"demo organization, endless versions pages and ACL bodies", demo, []sabotage.Rule{
			{Operation: "ListObjectVersions", Mode: sabotage.EndlessPage}, {Operation: "GetBucketAcl", Mode: sabotage.EndlessBody}}, "", exitIncomplete},
		{"demo organization, endless junk in versions pages", demo, []sabotage.Rule{{Operation: "ListObjectVersions", Mode: sabotage.EndlessBody}}, "ListObjectVersions", exitIncomplete},
		{"demo organization, endless ListBuckets pages", demo, []sabotage.Rule{{Operation: "ListBuckets", Mode: sabotage.EndlessPage}}, "ListBuckets", exitIncomplete},
		{"demo organization, endless ListAccounts page", demo, []sabotage.Rule{{Operation: "ListAccounts", Mode: sabotage.EndlessPage}}, "ListAccounts", exitNoReport},
		{"100 buckets, every versions page endless", wideOrg, []sabotage.Rule{{Operation: "ListObjectVersions", Mode: sabotage.EndlessPage}}, "ListObjectVersions", exitIncomplete},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if raceEnabled && tc.yml == wideOrg {
				t.Skip("under the race detector this one takes half a minute, and its memory is not checked")
			}
			out := filepath.Join(t.TempDir(), "reports")
			child, p := startHostileChild(t, tc.yml, tc.rules, "--out", out, "--quiet")
			code := child.wait(t)
			rssMiB := child.cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss >> 10
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, child.stderr.String())
			}
			if rssMiB >= maxHostileRSSMiB && !raceEnabled {
				t.Errorf("peak RSS %d MiB, want under %d", rssMiB, maxHostileRSSMiB)
			}
			if tc.op != "" && !strings.Contains(child.stderr.String(), tc.op+": ") {
				t.Errorf("stderr does not name %s:\n%s", tc.op, child.stderr.String())
			}
			if code == exitIncomplete && readReport(t, out).Complete {
				t.Error("report complete")
			}
			t.Logf("peak RSS %d MiB; %d MiB of endless bodies sent", rssMiB, p.BytesSent()>>20)
		})
	}
}
