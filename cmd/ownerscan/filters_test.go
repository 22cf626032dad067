package main

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/ownerscan/ownerscan/scanner"
)

// filteredOrg has an OU with one member and buckets in two regions.
const filteredOrg = `
management_account: "111111111111"
organizational_units: [Workloads]
accounts:
  - {id: "111111111111", name: Mgmt}
  - {id: "222222222222", name: Member, ou: Workloads}
buckets:
  - {name: app-data, account: "222222222222", region: eu-west-1, ownership: BucketOwnerEnforced}
  - {name: app-logs, account: "222222222222", region: us-east-1, ownership: BucketOwnerEnforced}
`

// orgIDs asks the emulator, through the real Organizations client, for
// the root's ID and the Workloads OU's.
func orgIDs(t *testing.T) (root, ou string) {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	api := organizations.NewFromConfig(cfg)
	roots, err := api.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	root = aws.ToString(roots.Roots[0].Id)
	ous, err := api.ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(root)})
	if err != nil {
		t.Fatal(err)
	}
	return root, aws.ToString(ous.OrganizationalUnits[0].Id)
}

// TestFiltersThatMatchNothing: a scope filter entry that matches nothing
// in the organization is never a clean scan. Where the configuration alone
// shows it (a region of no partition, an entry both included and excluded,
// an exclude of every bucket) it is exit 2 before any call; where only the
// organization can tell (an account, OU or root ID it does not have, a
// name or bucket glob that matches nothing, a region this build does not
// know with no bucket in it, filters that leave nothing in scope) the scan
// runs, warns, and exits 3 with a FILTER_UNMATCHED finding naming the
// entry and report.json complete: false.
func TestFiltersThatMatchNothing(t *testing.T) {
	srv := startEmulator(t, parseScenario(t, filteredOrg))
	root, ou := orgIDs(t)
	for _, tc := range []struct {
		name, config string
		code         int
		want         string // in stderr's last line; for exit 3, a finding's title too
	}{
		{"account ID not in the organization", `accounts: {include: ["999999999999"]}`, exitIncomplete,
			`accounts.include[0] "999999999999" matched no account of the organization`},
		{"root ID of another organization", `accounts: {include: ["r-zz99"]}`, exitIncomplete,
			`accounts.include[0] "r-zz99" matched no account of the organization`},
		{"OU ID not in the organization", `accounts: {include: ["ou-zz99-zzzzzzzz"]}`, exitIncomplete,
			`accounts.include[0] "ou-zz99-zzzzzzzz" matched no account of the organization`},
		{"account name glob", `accounts: {include: ["Prod*"]}`, exitIncomplete,
			`accounts.include[0] "Prod*" matched no account of the organization`},
		{"filters that leave no account", `accounts: {include: [Member], exclude: ["Mem*"]}`, exitIncomplete,
			"the account filters leave no account in scope"},
		{"bucket glob", `buckets: {include: ["app-*", "logz-*"]}`, exitIncomplete,
			`buckets.include[1] "logz-*" matched no bucket`},
		{"region this build does not know", `regions: [eu-wset-1]`, exitIncomplete,
			`regions[0] "eu-wset-1" matched no bucket and is not a region this build knows`},
		{"known region with no bucket, nothing else in scope", `regions: [ap-south-2]`, exitIncomplete,
			"the bucket filters leave no bucket in scope"},
		{"region of no partition", `regions: [xx-east-1]`, exitUsage,
			`config: line 1: regions[0]: "xx-east-1" is not a region of any partition ownerscan supports (aws, aws-cn, aws-us-gov)`},
		{"included and excluded", "accounts:\n  include: [\"222222222222\"]\n  exclude: [\"222222222222\"]", exitUsage,
			`config: line 2: accounts.include[0]: "222222222222" is also accounts.exclude[0], and exclude wins: it selects nothing`},
		{"every bucket excluded", `buckets: {exclude: ["**"]}`, exitUsage,
			`config: line 1: buckets.exclude[0]: "**" excludes every bucket: nothing would be scanned`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := srv.Emulator.Counters().Total
			out := t.TempDir()
			code, stdout, stderr := runCLI(t, "scan", "--config", writeFile(t, "config.yaml", tc.config+"\n"), "--out", out, "--quiet")
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if last := lines[len(lines)-1]; !strings.HasPrefix(last, "ownerscan: ") || !strings.Contains(last, tc.want) {
				t.Errorf("stderr's last line %q does not say %q", last, tc.want)
			}
			if tc.code == exitUsage {
				if n := srv.Emulator.Counters().Total - calls; n != 0 {
					t.Errorf("%d API calls before a usage error", n)
				}
				return
			}
			if !strings.Contains(stderr, "level=WARN msg="+`"`+strings.ReplaceAll(tc.want, `"`, `\"`)) {
				t.Errorf("no warning names the entry:\n%s", stderr)
			}
			doc := readReport(t, out)
			if doc.Complete || !strings.Contains(stdout, "Scan INCOMPLETE: a scope filter matched nothing") {
				t.Errorf("report.json complete: %v; summary:\n%s", doc.Complete, stdout)
			}
			var titles []string
			for _, f := range doc.Findings {
				if f.Type == scanner.FindingFilterUnmatched {
					titles = append(titles, f.Title)
					if f.Severity != scanner.SeverityError || f.Detail == "" || f.Remediation == "" {
						t.Errorf("finding %+v", f)
					}
				}
			}
			if len(titles) != 1 || titles[0] != tc.want {
				t.Errorf("FILTER_UNMATCHED findings %q, want exactly %q", titles, tc.want)
			}
		})
	}

	// Filters that match: no such finding, and the usual exit code.
	for _, cfg := range []string{
		`accounts: {include: ["222222222222"]}`,
		`accounts: {include: ["` + root + `"]}`,
		`accounts: {include: ["` + ou + `"], exclude: ["nobody-*"]}`, // an exclude that matches nothing only warns
		`accounts: {include: ["Mem*"]}`,
		`buckets: {include: ["app-*"]}`,
		`regions: [eu-west-1, ap-south-2]`, // a known region with no bucket, beside one with buckets
	} {
		out := t.TempDir()
		code, _, stderr := runCLI(t, "scan", "--config", writeFile(t, "config.yaml", cfg+"\n"), "--out", out, "--quiet")
		if code != exitOK {
			t.Errorf("%s: exit %d, want 0; stderr:\n%s", cfg, code, stderr)
			continue
		}
		if doc := readReport(t, out); !doc.Complete || doc.Summary.Buckets == 0 {
			t.Errorf("%s: complete %v, %d buckets", cfg, doc.Complete, doc.Summary.Buckets)
		}
		if strings.Contains(cfg, "nobody-*") && !strings.Contains(stderr, `accounts.exclude[1] \"nobody-*\" matched no account`) && !strings.Contains(stderr, `accounts.exclude[0] \"nobody-*\" matched no account`) {
			t.Errorf("%s: no warning about the exclude entry:\n%s", cfg, stderr)
		}
	}
}

// TestUnknownRegionWithBuckets: a region this build does not know, in
// which buckets are found, is a real region opened since the build: it is
// warned about at the start and scanned like any other.
func TestUnknownRegionWithBuckets(t *testing.T) {
	startEmulator(t, parseScenario(t, `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt, opt_in_regions: [eu-east-9]} # every region opened since 2019 is opt-in
buckets:
  - {name: new-region-bucket, account: "111111111111", region: eu-east-9, ownership: BucketOwnerEnforced}
`))
	out := t.TempDir()
	code, _, stderr := runCLI(t, "scan", "--config", writeFile(t, "config.yaml", "regions: [eu-east-9]\n"), "--out", out, "--quiet")
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, `regions[0] \"eu-east-9\" is not a region this build of ownerscan knows`) {
		t.Errorf("no warning at the start:\n%s", stderr)
	}
	if doc := readReport(t, out); !doc.Complete || doc.Summary.Buckets != 1 {
		t.Errorf("complete %v, %d buckets; want the bucket of the new region scanned", doc.Complete, doc.Summary.Buckets)
	}
}
