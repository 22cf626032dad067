package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ownerscan/ownerscan/scanner"
)

// writtenFixture is the fixture's report.json as Write writes it.
func writtenFixture(t testing.TB) []byte {
	t.Helper()
	dir := t.TempDir()
	if err := Write(dir, fixtureResult(), fixtureTool, []Format{FormatJSON}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, ReportJSONFile))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestLoadSnapshot reads a written report.json back, from the file and
// from its folder, and finds what SnapshotOf takes from the result.
func TestLoadSnapshot(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, fixtureResult(), fixtureTool, []Format{FormatJSON, FormatCSV}); err != nil {
		t.Fatal(err)
	}
	want := SnapshotOf(normalize(fixtureResult()))
	details := want.Details
	want.Details = nil // only a detailed snapshot holds the bucket rows
	for _, path := range []string{dir, filepath.Join(dir, ReportJSONFile)} {
		got, err := LoadSnapshot(path)
		if err != nil {
			t.Fatalf("LoadSnapshot(%s): %v", path, err)
		}
		if !got.StartedAt.Equal(want.StartedAt) {
			t.Errorf("started_at %v, want %v", got.StartedAt, want.StartedAt)
		}
		got.StartedAt = want.StartedAt
		if !reflect.DeepEqual(got, want) {
			t.Errorf("LoadSnapshot(%s):\n got %+v\nwant %+v", path, got, want)
		}
	}
	detailed, err := LoadDetailedSnapshot(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(detailed.Buckets, want.Buckets) {
		t.Errorf("LoadDetailedSnapshot: buckets\n got %+v\nwant %+v", detailed.Buckets, want.Buckets)
	}
	// Compared as decoded JSON: report.json holds invalid UTF-8 as U+FFFD.
	asJSON := func(v any) any {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var out any
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got, want := asJSON(detailed.Details), asJSON(details); !reflect.DeepEqual(got, want) || len(details) == 0 {
		t.Errorf("LoadDetailedSnapshot: details\n got %v\nwant %v", got, want)
	}
	ids := want.CanonicalIDs()
	if len(ids) != 4 || ids["222222222222"] != canonB {
		t.Errorf("CanonicalIDs = %v, want the four accounts with one", ids)
	}
}

func TestCanonicalIDsKeepsOnlyWellFormedEntries(t *testing.T) {
	snap := &Snapshot{Accounts: []scanner.Account{
		{ID: "111111111111", CanonicalID: canonA},
		{ID: "22222222222", CanonicalID: canonB},                   // 11 digits
		{ID: "333333333333", CanonicalID: strings.ToUpper(canonC)}, // S3 gives lowercase hex
		{ID: "444444444444", CanonicalID: ""},
		{ID: "555555555555", CanonicalID: canonG + "00"},
	}}
	if got := snap.CanonicalIDs(); !reflect.DeepEqual(got, map[string]string{"111111111111": canonA}) {
		t.Errorf("CanonicalIDs = %v", got)
	}
}

func TestLoadSnapshotRejects(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadSnapshot(dir); err == nil || !strings.Contains(err.Error(), "report.json") {
		t.Errorf("a folder without report.json: %v", err)
	}
	if _, err := LoadSnapshot(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("a missing file: %v", err)
	}
}

// TestReadSnapshotRejects: anything but a whole report.json of ownerscan,
// schema 1, with IDs on its findings, is ErrNotAReport with a reason.
func TestReadSnapshotRejects(t *testing.T) {
	good := string(writtenFixture(t))
	replace := func(old, new string) string {
		if !strings.Contains(good, old) {
			t.Fatalf("fixture report has no %q", old)
		}
		return strings.Replace(good, old, new, 1)
	}
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "not a JSON object"},
		{"garbage", "\x00\x01garbage", "not a JSON object"},
		{"a list", "[]", "not a JSON object"},
		{"another tool's JSON", `{"findings": []}`, "no schema_version"},
		{"truncated at a quarter", good[:len(good)/4], "unexpected EOF"},
		{"truncated at the end", good[:len(good)-3], ""},
		{"schema 2", replace(`"schema_version": 1`, `"schema_version": 2`), "schema_version 2, want 1"},
		{"another tool", replace(`"name": "ownerscan"`, `"name": "prowler"`), `written by "prowler"`},
		{"no organization id", replace(`"id": "o-a1b2c3d4e5"`, `"id": ""`), "is not an organization ID"},
		{"finding without id", replace(`"id": "BUCKET_ACL_GRANT/`, `"old_id": "BUCKET_ACL_GRANT/`), "has no id"},
		{"no findings", replace(`"findings": [`, `"findingz": [`), "no findings"},
		{"key twice", replace(`"complete": false`, `"complete": false, "complete": true`), `key "complete" given twice`},
		{"wrong type", replace(`"accounts": [`, `"accounts": {"x": [`), "accounts"},
		{"bad scope glob", replace(`"buckets_exclude": [`, `"buckets_exclude": ["[", `), `scope.buckets_exclude[0]: "[" is not a valid glob`},
		{"bad scope region", replace(`"regions": []`, `"regions": ["Mars"]`), `scope.regions[0]: "Mars" is not a region name`},
		{"trailing data", good + "{}", "data after the document"},
		{"two documents", good + good, "data after the document"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadSnapshot(strings.NewReader(tc.in))
			if !errors.Is(err, ErrNotAReport) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want ErrNotAReport containing %q", err, tc.want)
			}
		})
	}
	t.Run("too large", func(t *testing.T) {
		_, err := readSnapshot(strings.NewReader(good), int64(len(good)-1), false)
		if !errors.Is(err, ErrNotAReport) || !strings.Contains(err.Error(), "larger than") {
			t.Errorf("error = %v, want too large", err)
		}
		if _, err := readSnapshot(strings.NewReader(good), int64(len(good)), false); err != nil {
			t.Errorf("a report of exactly the limit: %v", err)
		}
	})
}

// smallReport is the smallest report.json a comparison accepts, with a
// field of each kind the reader skips or keeps.
var smallReport = `{"schema_version":1,"tool":{"name":"ownerscan","version":"v1"},"started_at":"2024-01-01T00:00:00Z","complete":true,` +
	`"organization":{"id":"o-aaaaaaaaaa"},"summary":{"findings":{}},"accounts":[{"id":"111111111111","status":"scanned","canonical_id":"` + canonA + `"}],` +
	`"buckets":[{"account_id":"111111111111","name":"b","status":"failed","object_scan":"failed"}],` +
	`"findings":[{"type":"ACLS_ENABLED","account_id":"111111111111","bucket":"b","id":"x"},{"id":"y","change":"new"}],` +
	`"baseline":{"new":1},"resolved_findings":[{"id":"z"}]}`

func TestReadSmallReport(t *testing.T) {
	snap, err := ReadSnapshot(strings.NewReader(smallReport))
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Findings) != 2 || len(snap.Buckets) != 1 || snap.CanonicalIDs()["111111111111"] != canonA {
		t.Errorf("read %+v", snap)
	}
	// A report written before report.json had a scope: none, so that a
	// comparison keeps its old reading of a bucket with no row.
	if snap.Scope != nil {
		t.Errorf("scope %+v read from a report without one", snap.Scope)
	}
	withScope := strings.Replace(smallReport, `"accounts":`, `"scope":{"buckets_include":["b*"],"buckets_exclude":[],"regions":["eu-west-1"]},"accounts":`, 1)
	if snap, err = ReadSnapshot(strings.NewReader(withScope)); err != nil {
		t.Fatal(err)
	}
	if want := (&scanner.Scope{BucketsInclude: []string{"b*"}, BucketsExclude: []string{}, Regions: []string{"eu-west-1"}}); !reflect.DeepEqual(snap.Scope, want) {
		t.Errorf("scope %+v, want %+v", snap.Scope, want)
	}
	nullScope := strings.Replace(smallReport, `"accounts":`, `"scope":null,"accounts":`, 1)
	if snap, err = ReadSnapshot(strings.NewReader(nullScope)); err != nil || snap.Scope != nil {
		t.Errorf("scope null: %v, scope %+v; want no scope", err, snap)
	}
}

// FuzzReadSnapshot feeds the baseline reader arbitrary bytes. It must never
// panic, and whatever it accepts must be a baseline a comparison can use:
// findings with IDs, a well-formed organization, and compared with itself,
// nothing new and nothing gone.
func FuzzReadSnapshot(f *testing.F) {
	// Small seeds: the fuzzer minimizes each input it finds interesting,
	// and minimizing the whole fixture report (15 KB) takes minutes. The
	// fixture itself is read in TestLoadSnapshot.
	f.Add([]byte(smallReport))
	f.Add([]byte(smallReport[:len(smallReport)/2]))
	f.Add([]byte(`{"schema_version":1,"x":[[[[{}]]]],"findings":[{"id":""}]}`))
	f.Add([]byte(`[1,2,3]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		snap, err := readSnapshot(bytes.NewReader(data), 1<<20, false)
		if err != nil {
			if !errors.Is(err, ErrNotAReport) {
				t.Fatalf("error does not wrap ErrNotAReport: %v", err)
			}
			return
		}
		if !scanner.OrganizationIDPattern.MatchString(snap.Organization.ID) {
			t.Fatalf("accepted organization ID %q", snap.Organization.ID)
		}
		for _, f := range snap.Findings {
			if f.ID == "" {
				t.Fatal("accepted a finding without ID")
			}
		}
		cmp, err := Compare(snap, snap)
		if err != nil {
			t.Fatal(err)
		}
		if cmp.Baseline.New != 0 || len(cmp.Resolved) != 0 || len(cmp.Unverified) != 0 {
			t.Fatalf("a snapshot compared with itself: %+v", cmp.Baseline)
		}
	})
}
