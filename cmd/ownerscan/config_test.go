package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/scanner"
)

// badConfigs are configuration files that must be refused, each with the
// one-line message that names the key and its line.
var badConfigs = []struct {
	name, yaml, want string
}{
	{"unknown top-level key", "concurency: 8\n",
		`config: line 1: concurency: unknown key (did you mean "concurrency"?)`},
	{"unknown key, no near match", "colour: blue\n",
		`config: line 1: colour: unknown key (known here: organization_role_arn, member_role_name, external_id, session_name, partition, regions, accounts, include_management_account, buckets, objects, readiness, concurrency, rate_limits, output, baseline)`},
	{"unknown nested key", "accounts:\n  inclde: [\"123456789012\"]\n",
		`config: line 2: accounts.inclde: unknown key (did you mean "include"?)`},
	{"duplicate key", "concurrency: 8\nconcurrency: 9\n",
		`config: line 2: concurrency: duplicate key (first set on line 1)`},
	{"top level is a list", "- a\n- b\n",
		`config: line 1: the top level must be a mapping of keys, got a list`},
	{"top level is a string", "hello\n",
		`config: line 1: the top level must be a mapping of keys, got the string "hello"`},
	{"broken YAML", "accounts: [\"123456789012\"\nconcurrency: 4\n",
		`config: line 1: invalid YAML: did not find expected ',' or ']'`},
	{"second document", "concurrency: 4\n---\nconcurrency: 5\n",
		`config: line 2: a second YAML document; the configuration is one document`},
	{"concurrency is a string", "concurrency: \"64\"\n",
		`config: line 1: concurrency: must be a whole number, got the string "64"`},
	{"concurrency is a float", "concurrency: 6.5\n",
		`config: line 1: concurrency: must be a whole number, got the number 6.5`},
	{"concurrency zero", "concurrency: 0\n",
		`config: line 1: concurrency: must be 1 to 4096, got 0`},
	{"concurrency too high", "\nconcurrency: 5000\n",
		`config: line 2: concurrency: must be 1 to 4096, got 5000`},
	{"concurrency overflows", "concurrency: 99999999999999999999\n",
		`config: line 1: concurrency: must be a whole number, got the number 99999999999999999999`},
	{"max_per_bucket negative", "objects:\n  max_per_bucket: -1\n",
		`config: line 2: objects.max_per_bucket: must be 0 (no limit) or more, got -1`},
	{"objects mode unknown", "objects:\n  mode: partial\n",
		`config: line 2: objects.mode: "partial" is not a mode (full or off)`},
	{"objects is a list", "objects: [full]\n",
		`config: line 1: objects: must be a mapping of mode, max_per_bucket, got a list`},
	{"include_management_account yes", "include_management_account: yes\n",
		`config: line 1: include_management_account: must be true or false, got the string "yes"`},
	{"include_management_account number", "include_management_account: 1\n",
		`config: line 1: include_management_account: must be true or false, got the integer 1`},
	{"short account ID", "accounts:\n  include:\n    - \"123456789012\"\n    - ou-ab12-cdefgh34\n    - \"12345\"\n",
		`config: line 5: accounts.include[2]: "12345" is not an account ID, OU ID or name glob (an account ID has 12 digits)`},
	{"malformed OU ID", "accounts:\n  exclude: [ou-xyz]\n",
		`config: line 2: accounts.exclude[0]: "ou-xyz" is not an account ID, OU ID or name glob (OU IDs look like ou-ab12-cdefgh34)`},
	{"bad account name glob", "accounts:\n  include: [\"Prod[\"]\n",
		`config: line 2: accounts.include[0]: "Prod[" is not an account ID, OU ID or name glob: syntax error in pattern`},
	{"empty account entry", "accounts:\n  include:\n    -\n",
		`config: line 3: accounts.include[0]: empty entry`},
	{"accounts.include is a string", "accounts:\n  include: \"123456789012\"\n",
		`config: line 2: accounts.include: must be a list, got the string "123456789012"`},
	{"account entry is a mapping", "accounts:\n  include:\n    - id: \"123456789012\"\n",
		`config: line 3: accounts.include[0]: must be a string, got a mapping`},
	{"bad bucket glob", "buckets:\n  exclude: [\"logs-\\\\\"]\n",
		`config: line 2: buckets.exclude[0]: "logs-\\" is not a valid name glob: syntax error in pattern`},
	{"empty bucket glob", "buckets:\n  include: [\"\"]\n",
		`config: line 2: buckets.include[0]: empty entry`},
	{"organization_role_arn not an ARN", "organization_role_arn: OwnerscanOrgRole\n",
		`config: line 1: organization_role_arn: "OwnerscanOrgRole" is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)`},
	{"organization_role_arn is a user", "organization_role_arn: arn:aws:iam::123456789012:user/alice\n",
		`config: line 1: organization_role_arn: "arn:aws:iam::123456789012:user/alice" is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)`},
	{"organization_role_arn other partition", "partition: aws\norganization_role_arn: arn:aws-cn:iam::123456789012:role/Audit\n",
		`config: line 2: organization_role_arn: "arn:aws-cn:iam::123456789012:role/Audit" is in partition "aws-cn", but partition is "aws"`},
	{"organization_role_arn short account", "organization_role_arn: arn:aws:iam::12345678901:role/Audit\n",
		`config: line 1: organization_role_arn: "arn:aws:iam::12345678901:role/Audit" is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)`},
	{"organization_role_arn bad role name", "organization_role_arn: arn:aws:iam::123456789012:role/Audit Role\n",
		`config: line 1: organization_role_arn: "arn:aws:iam::123456789012:role/Audit Role": "Audit Role" is not an IAM role name (1 to 64 characters of letters, digits and +=,.@_-)`},
	{"member_role_name with space", "member_role_name: Org Access\n",
		`config: line 1: member_role_name: "Org Access" is not an IAM role name (1 to 64 characters of letters, digits and +=,.@_-)`},
	{"member_role_name too long", "member_role_name: " + strings.Repeat("r", 65) + "\n",
		`config: line 1: member_role_name: "` + strings.Repeat("r", 65) + `" is not an IAM role name (1 to 64 characters of letters, digits and +=,.@_-)`},
	{"member_role_name empty path segment", "member_role_name: audit//Role\n",
		`config: line 1: member_role_name: "audit//Role" has an invalid path (segments of letters, digits and +=,.@_-, no empty segment)`},
	{"member_role_name empty string", "member_role_name: \"\"\n",
		`config: line 1: member_role_name: must not be empty`},
	{"external_id too short", "external_id: x\n",
		`config: line 1: external_id: must be 2 to 1224 characters of letters, digits and +=,.@:/_- (got 1 characters)`},
	{"external_id bad character", "external_id: \"secret id!\"\n",
		`config: line 1: external_id: must be 2 to 1224 characters of letters, digits and +=,.@:/_- (got 10 characters)`},
	{"session_name too long", "session_name: " + strings.Repeat("s", 65) + "\n",
		`config: line 1: session_name: "` + strings.Repeat("s", 65) + `" must be 2 to 64 characters of letters, digits and +=,.@_-`},
	{"session_name with slash", "session_name: ownerscan/nightly\n",
		`config: line 1: session_name: "ownerscan/nightly" must be 2 to 64 characters of letters, digits and +=,.@_-`},
	{"session_name boolean", "session_name: true\n",
		`config: line 1: session_name: must be a string, got the boolean true`},
	{"partition unknown", "partition: aws-iso\n",
		`config: line 1: partition: "aws-iso" is not a partition (one of aws, aws-cn, aws-us-gov)`},
	{"region malformed", "regions: [us-east-1, eu_west_1]\n",
		`config: line 1: regions[1]: "eu_west_1" is not a region name such as eu-west-1`},
	{"region of another partition", "partition: aws\nregions:\n  - cn-north-1\n",
		`config: line 3: regions[0]: region "cn-north-1" is not in partition "aws"`},
	{"regions is a mapping", "regions: {us-east-1: true}\n",
		`config: line 1: regions: must be a list, got a mapping`},
	{"output formats unknown", "output:\n  formats: [json, xml]\n",
		`config: line 2: output.formats[1]: "xml" is not a report format (one of json, csv, ocsf, asff, html)`},
	{"output formats empty", "output:\n  formats: []\n",
		`config: line 2: output.formats: needs at least one format (json, csv, ocsf, asff, html)`},
	{"output formats string with a hole", "output:\n  formats: \"json,,csv\"\n",
		`config: line 2: output.formats: "" is not a report format (one of json, csv, ocsf, asff, html)`},
	{"output dir is a number list", "output:\n  dir: [1]\n",
		`config: line 2: output.dir: must be a string, got a list`},
	{"custom tag", "session_name: !secret abc\n",
		`config: line 1: session_name: must be a string, got the !secret value "abc"`},
	{"key is a list", "[a]: 1\n",
		`config: line 1: keys must be plain names, got a list`},
	{"rate limit negative", "rate_limits:\n  organizations: -1\n",
		`config: line 2: rate_limits.organizations: must be 0 (no limit) or 0.1 to 100000 requests per second, got -1`},
	{"rate limit too small", "rate_limits:\n  sts: 0.01\n",
		`config: line 2: rate_limits.sts: must be 0 (no limit) or 0.1 to 100000 requests per second, got 0.01`},
	{"rate limit too large", "\nrate_limits: {s3: 1e6}\n",
		`config: line 2: rate_limits.s3: must be 0 (no limit) or 0.1 to 100000 requests per second, got 1e+06`},
	{"rate limit is a string", "rate_limits:\n  sts: \"50/s\"\n",
		`config: line 2: rate_limits.sts: must be a number of requests per second, got the string "50/s"`},
	{"rate limit not a number", "rate_limits:\n  sts: .nan\n",
		`config: line 2: rate_limits.sts: .nan is not a usable number`},
	{"rate limits is a number", "rate_limits: 10\n",
		`config: line 1: rate_limits: must be a mapping of organizations, sts, s3, got the integer 10`},
	{"rate limit unknown service", "rate_limits:\n  ec2: 5\n",
		`config: line 2: rate_limits.ec2: unknown key (known here: organizations, sts, s3)`},
	{"object ACL sample negative", "readiness:\n  object_acl_sample: -1\n",
		`config: line 2: readiness.object_acl_sample: must be 0 (none) to 1000, got -1`},
	{"object ACL sample too large", "readiness: {object_acl_sample: 5000}\n",
		`config: line 1: readiness.object_acl_sample: must be 0 (none) to 1000, got 5000`},
	{"readiness enabled not a boolean", "readiness:\n  enabled: yes please\n",
		`config: line 2: readiness.enabled: must be true or false, got the string "yes please"`},
}

func TestParseConfigRejects(t *testing.T) {
	if len(badConfigs) < 30 {
		t.Fatalf("only %d bad configurations; the issue asks for at least 30", len(badConfigs))
	}
	for _, tc := range badConfigs {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseConfig([]byte(tc.yaml))
			if err == nil {
				err = cfg.Validate()
			}
			if err == nil {
				t.Fatalf("accepted:\n%s", tc.yaml)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("message\n got: %s\nwant: %s", got, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("message spans lines: %q", err)
			}
		})
	}
}

// TestScanRejectsBadConfig runs every bad configuration through the command
// line: exit 2, exactly one line on stderr, that line naming key and line.
func TestScanRejectsBadConfig(t *testing.T) {
	for _, tc := range badConfigs {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runCLI(t, "scan", "--config", path, "--out", t.TempDir())
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitUsage, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout not empty: %q", stdout)
			}
			if want := "ownerscan: " + tc.want + "\n"; stderr != want {
				t.Errorf("stderr\n got: %q\nwant: %q", stderr, want)
			}
		})
	}
}

func TestParseConfigAcceptsEveryForm(t *testing.T) {
	const doc = `
organization_role_arn: arn:aws:iam::123456789012:role/audit/OwnerscanOrgRole
member_role_name: OwnerscanAuditRole
external_id: "ownerscan:2026"
session_name: nightly-audit
partition: aws
regions: [us-east-1, eu-west-1]
accounts:
  include:
    - 123456789012          # unquoted: taken as written
    - 012345678901          # leading zero kept
    - ou-ab12-cdefgh34
    - r-ab12
    - "Prod-*"
  exclude: ["Sandbox?"]
include_management_account: false
buckets:
  include: ["*"]
  exclude: [cdk-*, "*-logs"]
objects:
  mode: off
  max_per_bucket: 1_000
readiness: {enabled: false, object_acl_sample: 25}
concurrency: 0x20
rate_limits: {organizations: 2.5, sts: 0, s3: 1000}
output:
  dir: /var/tmp/ownerscan
  formats: json
`
	cfg, err := parseConfig([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	got := cfg.Options()
	want := scanner.Options{
		OrganizationRoleARN:      "arn:aws:iam::123456789012:role/audit/OwnerscanOrgRole",
		MemberRoleName:           "OwnerscanAuditRole",
		ExternalID:               "ownerscan:2026",
		SessionName:              "nightly-audit",
		Partition:                "aws",
		Regions:                  []string{"us-east-1", "eu-west-1"},
		AccountsInclude:          []string{"123456789012", "012345678901", "ou-ab12-cdefgh34", "r-ab12", "Prod-*"},
		AccountsExclude:          []string{"Sandbox?"},
		IncludeManagementAccount: false,
		BucketsInclude:           []string{"*"},
		BucketsExclude:           []string{"cdk-*", "*-logs"},
		ObjectsMode:              "off",
		MaxObjectsPerBucket:      1000,
		Concurrency:              32,
		RateLimits:               scanner.RateLimits{Organizations: 2.5, STS: 0, S3: 1000},
		Readiness:                scanner.ReadinessOptions{Enabled: false, ObjectACLSample: 25},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("options\n got: %+v\nwant: %+v", got, want)
	}
	if cfg.OutputDir != "/var/tmp/ownerscan" || !reflect.DeepEqual(cfg.OutputFormats, []report.Format{"json"}) {
		t.Errorf("output: dir %q formats %v", cfg.OutputDir, cfg.OutputFormats)
	}
}

func TestParseConfigEmptyIsDefaults(t *testing.T) {
	for _, doc := range []string{"", "# only a comment\n", "---\n", "~\n"} {
		cfg, err := parseConfig([]byte(doc))
		if err != nil {
			t.Fatalf("%q: %v", doc, err)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("%q: %v", doc, err)
		}
		if got, want := cfg.Options(), scanner.DefaultOptions(); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: options %+v, want the defaults %+v", doc, got, want)
		}
	}
}

// TestExampleConfig checks that config.example.yaml parses, validates,
// states exactly the defaults, and documents every key of the schema.
func TestExampleConfig(t *testing.T) {
	data, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := parseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.Options(), scanner.DefaultOptions(); !reflect.DeepEqual(normalizeOptions(got), normalizeOptions(want)) {
		t.Errorf("config.example.yaml does not state the defaults:\n got: %+v\nwant: %+v", got, want)
	}
	if got, want := cfg.OutputFormats, defaultConfig().OutputFormats; !reflect.DeepEqual(got, want) {
		t.Errorf("output.formats %v, want the default %v", got, want)
	}
	for _, key := range schemaPaths(configSchema, "") {
		if _, ok := cfg.origin[key]; !ok {
			t.Errorf("config.example.yaml does not set key %s", key)
		}
	}
}

// normalizeOptions treats nil and empty lists alike.
func normalizeOptions(o scanner.Options) scanner.Options {
	for _, l := range []*[]string{&o.Regions, &o.AccountsInclude, &o.AccountsExclude, &o.BucketsInclude, &o.BucketsExclude} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	return o
}

func schemaPaths(keys []configKey, prefix string) []string {
	var out []string
	for _, k := range keys {
		out = append(out, prefix+k.name)
		out = append(out, schemaPaths(k.children, prefix+k.name+".")...)
	}
	return out
}

func TestFlagsOverrideFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	doc := "concurrency: 7\noutput:\n  dir: " + filepath.Join(dir, "from-file") + "\n  formats: [json, csv]\n"
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	a := &app{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	for _, tc := range []struct {
		args                []string
		wantDir             string
		wantFormats         []report.Format
		wantConcurrency     int
		wantConcurrencyFrom string
	}{
		{nil, filepath.Join(dir, "from-file"), []report.Format{"json", "csv"}, 7, ""},
		{[]string{"--out", filepath.Join(dir, "from-flag"), "--format", "csv", "--concurrency", "3"},
			filepath.Join(dir, "from-flag"), []report.Format{"csv"}, 3, "--concurrency"},
	} {
		fs := flag.NewFlagSet("scan", flag.ContinueOnError)
		var f scanFlags
		f.register(fs)
		if err := fs.Parse(append([]string{"--config", path}, tc.args...)); err != nil {
			t.Fatal(err)
		}
		setup, cfg, err := f.setup(context.Background(), a, fs)
		if err != nil {
			t.Fatal(err)
		}
		if setup.outDir != tc.wantDir || !reflect.DeepEqual(setup.formats, tc.wantFormats) || setup.opts.Concurrency != tc.wantConcurrency {
			t.Errorf("%v: dir %q formats %v concurrency %d", tc.args, setup.outDir, setup.formats, setup.opts.Concurrency)
		}
		if got := cfg.origin["concurrency"].flag; got != tc.wantConcurrencyFrom {
			t.Errorf("%v: concurrency from %q, want %q", tc.args, got, tc.wantConcurrencyFrom)
		}
	}

	// A bad flag value is named by the flag, not by the key it overrides.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--concurrency", "0"}, "ownerscan: --concurrency: must be 1 to 4096, got 0\n"},
		{[]string{"--format", "json,xml"}, `ownerscan: --format: "xml" is not a report format (one of json, csv, ocsf, asff, html)` + "\n"},
		{[]string{"--format", ""}, `ownerscan: --format: "" is not a report format (one of json, csv, ocsf, asff, html)` + "\n"},
		{[]string{"--fail-on", "severe"}, `ownerscan: --fail-on: "severe" is not a severity (one of low, medium, high, critical)` + "\n"},
		{[]string{"--log-format", "xml"}, `ownerscan: --log-format: "xml" is not a log format (text or json)` + "\n"},
		{[]string{"--out", ""}, "ownerscan: --out: must not be empty\n"},
		{[]string{"--bogus"}, "ownerscan: scan: flag provided but not defined: -bogus (see 'ownerscan help scan')\n"},
		{[]string{"--concurrency", "many"}, "ownerscan: scan: invalid value \"many\" for flag -concurrency: parse error (see 'ownerscan help scan')\n"},
		{[]string{"extra"}, "ownerscan: scan: unexpected argument \"extra\" (see 'ownerscan help scan')\n"},
	} {
		code, _, stderr := runCLI(t, append([]string{"scan", "--config", path}, tc.args...)...)
		if code != exitUsage || stderr != tc.want {
			t.Errorf("%v: exit %d stderr %q, want exit 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

func TestConfigFileErrors(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCLI(t, "scan", "--config", filepath.Join(dir, "missing.yaml"))
	if want := "ownerscan: config: cannot read " + filepath.Join(dir, "missing.yaml") + ": no such file or directory\n"; code != exitUsage || stderr != want {
		t.Errorf("missing file: exit %d stderr %q, want %q", code, stderr, want)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, bytes.Repeat([]byte("# padding\n"), maxConfigBytes/10+1), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "scan", "--config", big)
	if code != exitUsage || !strings.Contains(stderr, "is larger than 1048576 bytes") {
		t.Errorf("huge file: exit %d stderr %q", code, stderr)
	}
}

func FuzzLoadConfig(f *testing.F) {
	for _, tc := range badConfigs {
		f.Add([]byte(tc.yaml))
	}
	if data, err := os.ReadFile("../../config.example.yaml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("accounts: &a {include: *a}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parseConfig(data)
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil {
			_ = cfg.Options()
			return
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "config: ") && !strings.HasPrefix(msg, "--") {
			t.Errorf("message does not start with config: %q", msg)
		}
		var ce *configError
		if !errors.As(err, &ce) {
			t.Errorf("not a configError: %T %v", err, err)
		}
		if strings.ContainsAny(msg, "\n\r") {
			t.Errorf("message spans lines: %q", msg)
		}
	})
}
