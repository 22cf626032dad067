package main

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/scanner"
)

// TestBaselineOutsideTodaysScope scans the emulator with no filters, then
// scans it again, with one bucket deleted in between, under a narrower
// configuration: buckets.include leaving AccountB's buckets out, or a
// regions allow list leaving eu-west-1 out. The findings of the buckets
// the filters left out are unverified, not resolved (nobody fixed them),
// while the deleted bucket's findings are resolved: today's report records
// its scope, and the deleted bucket was in it. diff agrees.
//
// The emulator has no DeleteBucket, so the deletion is the second scan
// running against the same organization served without that bucket.
func TestBaselineOutsideTodaysScope(t *testing.T) {
	const deleted = "acme-a-vendor-drop" // AccountA, us-east-1: in both narrower scopes
	for _, tc := range []struct {
		name, config string
		scope        scanner.Scope
		outside      func(scanner.Finding) bool
	}{
		{
			name:   "buckets include",
			config: "buckets:\n  include: [\"acme-a-*\", \"acme-c-*\", \"our-*\"]\n",
			scope:  scanner.Scope{BucketsInclude: []string{"acme-a-*", "acme-c-*", "our-*"}, BucketsExclude: []string{}, Regions: []string{}},
			outside: func(f scanner.Finding) bool {
				return f.AccountID == "222222222222" && f.Bucket != "" && f.Bucket != "our-shared-widgets"
			},
		},
		{
			name:    "regions",
			config:  "regions: [us-east-1]\n",
			scope:   scanner.Scope{BucketsInclude: []string{}, BucketsExclude: []string{}, Regions: []string{"us-east-1"}},
			outside: func(f scanner.Finding) bool { return f.Bucket == "acme-b-eu-archive" },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			first, second := filepath.Join(dir, "first"), filepath.Join(dir, "second")
			startEmulator(t, completeDemoOrg(t))
			if code, _, stderr := runCLI(t, "scan", "--quiet", "--out", first); code != exitFindings {
				t.Fatalf("first scan: exit %d; stderr:\n%s", code, stderr)
			}
			before := readReport(t, first)
			if before.Scope == nil || len(before.Scope.BucketsInclude)+len(before.Scope.BucketsExclude)+len(before.Scope.Regions) != 0 {
				t.Fatalf("first scan: scope %+v, want one with no filters", before.Scope)
			}

			sc := completeDemoOrg(t)
			n := len(sc.Buckets)
			sc.Buckets = slices.DeleteFunc(sc.Buckets, func(b fakeaws.BucketSpec) bool { return b.Name == deleted })
			if len(sc.Buckets) != n-1 {
				t.Fatalf("the demo organization has no bucket %s to delete", deleted)
			}
			startEmulator(t, sc)
			cfg := writeFile(t, "config.yaml", tc.config)
			code, _, stderr := runCLI(t, "scan", "--quiet", "--config", cfg, "--out", second, "--baseline", first)
			if code != exitFindings {
				t.Fatalf("second scan: exit %d; stderr:\n%s", code, stderr)
			}
			after := readReport(t, second)
			if after.Scope == nil || !slices.Equal(after.Scope.BucketsInclude, tc.scope.BucketsInclude) ||
				!slices.Equal(after.Scope.BucketsExclude, tc.scope.BucketsExclude) || !slices.Equal(after.Scope.Regions, tc.scope.Regions) {
				t.Errorf("second scan: scope %+v, want %+v", after.Scope, tc.scope)
			}

			cur, resolved, unverified := findingsByID(t, after.Findings), findingsByID(t, after.ResolvedFindings), findingsByID(t, after.UnverifiedFindings)
			var nDeleted, nOutside int
			for id, f := range findingsByID(t, before.Findings) {
				var where string
				switch {
				case f.Bucket == deleted:
					nDeleted++
					if _, ok := resolved[id]; !ok {
						where = "resolved_findings"
					}
				case tc.outside(f):
					nOutside++
					if _, ok := unverified[id]; !ok {
						where = "unverified_findings"
					}
				default:
					if g, ok := cur[id]; !ok || g.Change != scanner.ChangeUnchanged {
						where = "findings, unchanged"
					}
				}
				if where != "" {
					t.Errorf("%s %s/%s (ID %s) is not in %s", f.Type, f.AccountID, f.Bucket, id, where)
				}
			}
			if nDeleted == 0 || nOutside == 0 {
				t.Fatalf("the baseline has %d findings of %s and %d outside today's scope: the test proves nothing", nDeleted, deleted, nOutside)
			}
			if b := after.Baseline; b == nil || b.Resolved != nDeleted || b.Unverified != nOutside || b.New != 0 {
				t.Errorf("baseline %+v, want %d resolved, %d unverified, none new", b, nDeleted, nOutside)
			}
			checkDiffAgrees(t, first, second, after, exitOK) // nothing new: diff exits 0
		})
	}
}
