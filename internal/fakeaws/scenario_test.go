package fakeaws

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseScenarioDefaults(t *testing.T) {
	sc := coreScenario(t, `
management_account: "111111111111"
organizational_units: [Workloads/Dev]
accounts:
  - {id: "222222222222", ou: Workloads/Dev}
buckets:
  - name: bucket-one
    account: "222222222222"
    objects: [{key: k}]
    generated: {count: 10}
  - {name: bucket-two, account: "222222222222", ownership: unset, versioning: unset}
faults: {latency: 20ms}
session_duration: 90s
`)
	if sc.OrganizationID != deriveOrganizationID("111111111111") || len(sc.OrganizationID) != 12 {
		t.Errorf("organization id %q", sc.OrganizationID)
	}
	if len(sc.Accounts) != 2 || sc.Accounts[1].ID != "111111111111" || sc.Accounts[1].Name != "management" {
		t.Fatalf("management account not added: %+v", sc.Accounts)
	}
	if got := sc.OrganizationalUnits; len(got) != 2 || got[0] != "Workloads" || got[1] != "Workloads/Dev" {
		t.Errorf("OUs %v, want the parent added", got)
	}
	a := sc.Accounts[0]
	if a.Status != "ACTIVE" || a.Name != "account-222222222222" || a.Email != "222222222222@example.invalid" ||
		len(a.Roles) != 1 || a.Roles[0].Name != "OrganizationAccountAccessRole" || a.Roles[0].Trust[0] != "111111111111" {
		t.Errorf("account defaults %+v", a)
	}
	b1, b2 := sc.Buckets[0], sc.Buckets[1]
	if b1.Region != "us-east-1" || b1.Ownership != "BucketOwnerEnforced" || b1.Versioning != "" {
		t.Errorf("bucket defaults %+v", b1)
	}
	if o := b1.Objects[0]; o.Uploader != "222222222222" || o.Versions != 1 {
		t.Errorf("object defaults %+v", o)
	}
	if b1.Generated.VersionsPerKey != 1 {
		t.Errorf("generated defaults %+v", b1.Generated)
	}
	if b2.Ownership != "unset" || b2.Versioning != "" {
		t.Errorf("unset bucket %+v", b2)
	}
	if sc.Faults.Seed != 1 || sc.Faults.Latency.D() != 20*time.Millisecond || sc.SessionDuration.D() != 90*time.Second {
		t.Errorf("faults %+v session %v", sc.Faults, sc.SessionDuration)
	}
	// An explicit empty role list means no roles at all.
	sc = coreScenario(t, "management_account: \"111111111111\"\naccounts: [{id: \"111111111111\", roles: []}]\n")
	if len(sc.Accounts[0].Roles) != 0 {
		t.Errorf("roles: [] gave %+v", sc.Accounts[0].Roles)
	}
	// Unquoted IDs are read as text, digits intact.
	sc = coreScenario(t, "management_account: 111111111111\n")
	if sc.ManagementAccount != "111111111111" {
		t.Errorf("unquoted id read as %q", sc.ManagementAccount)
	}
}

func TestParseScenarioErrors(t *testing.T) {
	const head = "management_account: \"111111111111\"\n"
	tests := []struct{ name, doc, want string }{
		{"empty", "", "scenario: empty document"},
		{"not yaml", "a: [1, 2", "scenario: line"},
		{"two documents", head + "---\n" + head, "more than one YAML document"},
		{"top level list", "- a\n", "line 1: must be a mapping of keys, got a list"},
		{"unknown top key", head + "acounts: []\n", `scenario: line 2: unknown key "acounts" in top level`},
		{"unknown bucket key", head + "buckets:\n  - name: abc\n    account: \"111111111111\"\n    writer: []\n", `scenario: line 5: unknown key "writer" in buckets[0]`},
		{"unknown object key", head + "buckets:\n  - name: abc\n    account: \"111111111111\"\n    objects: [{key: a, owner: x}]\n", `unknown key "owner" in buckets[0].objects[0]`},
		{"duplicate key", head + "management_account: \"222222222222\"\n", `line 2: duplicate key "management_account" in top level (first at line 1)`},
		{"missing management", "accounts: []\n", "management_account: is required"},
		{"bad management id", "management_account: \"1234\"\n", `line 1: management_account: "1234" is not a 12-digit account ID`},
		{"bad account id", head + "accounts: [{id: \"12345678901x\"}]\n", `line 2: accounts[0].id: "12345678901x" is not a 12-digit account ID`},
		{"duplicate account", head + "accounts: [{id: \"222222222222\"}, {id: \"222222222222\"}]\n", `accounts[1].id: duplicate account ID "222222222222"`},
		{"bad status", head + "accounts:\n  - id: \"222222222222\"\n    status: active\n", `line 4: accounts[0].status: "active" is not one of ACTIVE | SUSPENDED | PENDING_CLOSURE | CLOSED`},
		{"unknown ou", head + "accounts: [{id: \"222222222222\", ou: Nope}]\n", `accounts[0].ou: unknown OU "Nope"`},
		{"bad ou path", head + "organizational_units: [\"a//b\"]\n", `organizational_units[0]: "a//b" is not an OU path`},
		{"roles not a list", head + "accounts: [{id: \"222222222222\", roles: x}]\n", "accounts[0].roles: must be a list"},
		{"bad trust", head + "accounts: [{id: \"222222222222\", roles: [{name: R, trust: [\"abc\"]}]}]\n", `accounts[0].roles[0].trust[0]: "abc" is not a 12-digit account ID`},
		{"bad bucket name", head + "buckets: [{name: My_Bucket, account: \"111111111111\"}]\n", `line 2: buckets[0].name: "My_Bucket" is not a valid bucket name`},
		{"ip bucket name", head + "buckets: [{name: 192.168.1.1, account: \"111111111111\"}]\n", "formatted like an IP address"},
		{"duplicate bucket", head + "buckets: [{name: abc, account: \"111111111111\"}, {name: abc, account: \"111111111111\"}]\n", `buckets[1].name: duplicate bucket name "abc"`},
		{"bucket unknown account", head + "buckets: [{name: abc, account: \"999999999999\"}]\n", `buckets[0].account: unknown account "999999999999"`},
		{"bad ownership", head + "buckets: [{name: abc, account: \"111111111111\", ownership: BucketOwner}]\n", `buckets[0].ownership: "BucketOwner" is not one of BucketOwnerEnforced | BucketOwnerPreferred | ObjectWriter | unset`},
		{"bad versioning", head + "buckets: [{name: abc, account: \"111111111111\", versioning: on}]\n", `buckets[0].versioning: "on" is not one of Enabled | Suspended | unset`},
		{"bad region", head + "buckets: [{name: abc, account: \"111111111111\", region: moon}]\n", `buckets[0].region: "moon" is not a region name`},
		{"bad permission", head + "buckets: [{name: abc, account: \"111111111111\", ownership: ObjectWriter, acl: [{grantee: AllUsers, permission: READWRITE}]}]\n", `buckets[0].acl[0].permission: "READWRITE" is not one of`},
		{"bad grantee", head + "buckets: [{name: abc, account: \"111111111111\", ownership: ObjectWriter, acl: [{grantee: Everyone, permission: READ}]}]\n", `buckets[0].acl[0].grantee: "Everyone" is not an account of the scenario`},
		{"acl on enforced", head + "buckets: [{name: abc, account: \"111111111111\", acl: [{grantee: AllUsers, permission: READ}]}]\n", "BucketOwnerEnforced bucket cannot have ACL grants"},
		{"short external id", head + "buckets: [{name: abc, account: \"111111111111\", objects: [{key: k, uploader: \"external:abc\"}]}]\n", `buckets[0].objects[0].uploader: "external:abc": an external canonical ID must be 64 lowercase hex characters`},
		{"uploader not writer", head + "accounts: [{id: \"222222222222\"}]\nbuckets: [{name: abc, account: \"111111111111\", objects: [{key: k, uploader: \"222222222222\"}]}]\n", `account "222222222222" may not write to this bucket (add it to writers)`},
		{"negative size", head + "buckets:\n  - name: abc\n    account: \"111111111111\"\n    objects:\n      - key: k\n        size: -1\n", `line 7: buckets[0].objects[0].size: must not be negative`},
		{"size not a number", head + "buckets: [{name: abc, account: \"111111111111\", objects: [{key: k, size: big}]}]\n", `buckets[0].objects[0].size: must be a whole number, got "big"`},
		{"empty key", head + "buckets: [{name: abc, account: \"111111111111\", objects: [{size: 1}]}]\n", `buckets[0].objects[0].key: must be 1..1024 bytes`},
		{"bad canned acl", head + "buckets: [{name: abc, account: \"111111111111\", objects: [{key: k, acl: owner-full}]}]\n", `"owner-full" is not a canned ACL`},
		{"foreign fraction", head + "buckets: [{name: abc, account: \"111111111111\", generated: {count: 5, foreign: {\"external:" + strings.Repeat("a", 64) + "\": 1.5}}}]\n", "must be a fraction between 0 and 1, got 1.5"},
		{"foreign sum", head + "accounts: [{id: \"222222222222\"}]\nbuckets: [{name: abc, account: \"111111111111\", writers: [\"222222222222\"], generated: {count: 5, foreign: {\"222222222222\": 0.6, \"external:" + strings.Repeat("b", 64) + "\": 0.6}}}]\n", "fractions add up to 1.2"},
		{"negative generated count", head + "buckets: [{name: abc, account: \"111111111111\", generated: {count: -5}}]\n", "buckets[0].generated.count: must not be negative"},
		{"generate negative", head + "generate: {accounts: -1}\n", "line 2: generate.accounts: must be 0..100000, got -1"},
		{"generate fraction", head + "generate: {accounts: 2, not_enforced_fraction: 2}\n", "generate.not_enforced_fraction: must be a fraction between 0 and 1, got 2"},
		{"bad duration", head + "faults: {latency: fast}\n", `line 2: faults.latency: "fast" is not a duration like "20ms" or "1.5s"`},
		{"negative duration", head + "faults: {jitter: -5ms}\n", "faults.jitter: must not be negative"},
		{"throttle rate", head + "faults: {throttle: {rate: -0.1}}\n", "faults.throttle.rate: must be a fraction between 0 and 1"},
		{"throttle burst", head + "faults: {throttle: {burst: 101}}\n", "faults.throttle.burst: must be 0..100, got 101"},
		{"bad operation", head + "faults: {throttle: {operations: [list-accounts]}}\n", `"list-accounts" is not an API operation name`},
		{"empty deny", head + "faults: {deny: [{}]}\n", "faults.deny[0]: set at least one of account, bucket, operation, object"},
		{"deny bad object glob", head + "faults: {deny: [{object: \"[\"}]}\n", `faults.deny[0].object: "[" is not a glob`},
		{"deny unknown account", head + "faults: {deny: [{account: \"999999999999\"}]}\n", `faults.deny[0].account: unknown account "999999999999"`},
		{"bool type", head + "buckets: [{name: abc, account: \"111111111111\", objects: [{key: k, delete: maybe}]}]\n", `delete: must be true or false, got "maybe"`},
		{"org id", head + "organization_id: o-short\n", `organization_id: "o-short" is not an organization ID`},
		{"management suspended", head + "accounts: [{id: \"111111111111\", status: SUSPENDED}]\n", "the management account must be ACTIVE"},
		{"several problems", head + "accounts: [{id: \"1\"}, {id: \"2\"}]\n", "accounts[0].id: \"1\" is not a 12-digit account ID\nscenario: line 2: accounts[1].id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseScenario([]byte(tt.doc))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n%v\nwant it to contain:\n%s", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "scenario: ") || strings.Contains(err.Error(), "goroutine") {
				t.Errorf("error does not start with scenario: %q", err)
			}
		})
	}
}

func TestLoadScenarioNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte("management_account: \"111111111111\"\nbukets: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadScenario(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+": scenario: line 2: unknown key \"bukets\"") {
		t.Errorf("LoadScenario error %v", err)
	}
	if _, err := LoadScenario(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestNewValidatesHandBuiltScenario(t *testing.T) {
	if _, err := New(&Scenario{ManagementAccount: "111111111111", Buckets: []BucketSpec{{Name: "x", Account: "111111111111"}}}); err == nil ||
		!strings.Contains(err.Error(), `buckets[0].name: "x" is not a valid bucket name`) {
		t.Errorf("New with a bad bucket: %v", err)
	}
	sc := &Scenario{ManagementAccount: "111111111111", Generate: &GenerateSpec{Accounts: 3, BucketsPerAccount: 2}}
	e, err := New(sc)
	if err != nil {
		t.Fatal(err)
	}
	// Running the preparation again (New on the same value) adds nothing.
	if _, err := New(sc); err != nil {
		t.Fatal(err)
	}
	if len(e.Scenario().Accounts) != 4 || len(e.Scenario().Buckets) != 6 {
		t.Errorf("%d accounts, %d buckets after two News", len(e.Scenario().Accounts), len(e.Scenario().Buckets))
	}
}

func FuzzParseScenario(f *testing.F) {
	f.Add(builtinYAML)
	f.Add([]byte("management_account: \"111111111111\"\ngenerate: {accounts: 3, buckets_per_account: 2, ous: 2, not_enforced_fraction: 0.5, objects_per_bucket: 10, foreign_fraction: 0.1}\n"))
	f.Add([]byte("management_account: 111111111111\nfaults: {latency: 1ms, deny: [{operation: X}]}\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("management_account: \"111111111111\"\naccounts: [{id: \"222222222222\", ou: a/b}]\norganizational_units: [a/b]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := ParseScenario(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "scenario: ") {
				t.Errorf("error without the scenario: prefix: %v", err)
			}
			return
		}
		if g := sc.Generate; g != nil && g.Accounts*g.BucketsPerAccount > 2000 {
			return // valid but too big to serve inside a fuzz iteration
		}
		for _, b := range sc.Buckets {
			for _, o := range b.Objects {
				if o.Versions > 100 {
					return
				}
			}
		}
		if _, err := New(sc); err != nil {
			t.Errorf("ParseScenario accepted a scenario New rejects: %v", err)
		}
	})
}
