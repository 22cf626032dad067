package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/ownerscan/ownerscan/scanner"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the current output")

// checkGolden compares got with testdata/<name>.golden, or rewrites the
// golden file when -update is given.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test ./report -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (run go test ./report -update if the change is intended)\n%s",
			name, path, firstDifference(got, want))
	}
}

// firstDifference shows the first line where got and want differ.
func firstDifference(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + quoteLine(gl) + "\nwant: " + quoteLine(wl)
		}
	}
	return "(same lines, different bytes)"
}

func quoteLine(s string) string {
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return strconv.Quote(s)
}

// TestGolden writes every report of the fixture through the public API
// (Write, NewObjectsCSV, WriteSummary) and compares each file byte for byte
// with its golden file.
func TestGolden(t *testing.T) {
	dir := t.TempDir()
	res := fixtureResult()
	if err := Write(dir, res, fixtureTool, allFormats()); err != nil {
		t.Fatal(err)
	}
	objects, err := NewObjectsCSV(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer objects.Abort()
	for _, rec := range fixtureObjects() {
		if err := objects.WriteObject(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := objects.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{ReportJSONFile, FindingsCSVFile, BucketsCSVFile, ReadinessCSVFile, ObjectsCSVFile, FindingsOCSFFile, FindingsASFFFile, ReportHTMLFile} {
		t.Run(name, func(t *testing.T) {
			got, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, name, got)
		})
	}
	t.Run("summary.txt", func(t *testing.T) {
		var buf bytes.Buffer
		if err := WriteSummary(&buf, res, "out/ownerscan-report-20240501T100000Z"); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, "summary.txt", buf.Bytes())
	})
	if !reflect.DeepEqual(res, fixtureResult()) {
		t.Error("Write or WriteSummary modified the result they were given")
	}
}

// allFormats lists every format of Formats.
func allFormats() []Format {
	var out []Format
	for _, f := range Formats {
		out = append(out, f.Name)
	}
	return out
}

// TestReportsAreDeterministic writes the reports twice into two folders and
// expects the same bytes: nothing but the Result decides the content.
func TestReportsAreDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if err := Write(dir, fixtureResult(), fixtureTool, allFormats()); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{ReportJSONFile, FindingsCSVFile, BucketsCSVFile, ReadinessCSVFile, FindingsOCSFFile, FindingsASFFFile, ReportHTMLFile} {
		x, _ := os.ReadFile(filepath.Join(a, name))
		y, _ := os.ReadFile(filepath.Join(b, name))
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s: two writes of the same result differ (or are empty)", name)
		}
	}
}

// TestReadJSONRoundTrip decodes the written report.json back into the model
// and expects the fixture, normalised as the writer documents: times in UTC,
// nil lists as empty lists, invalid UTF-8 as U+FFFD.
func TestReadJSONRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, fixtureResult(), fixtureTool, []Format{FormatJSON}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, ReportJSONFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if doc.SchemaVersion != 1 || doc.Tool != fixtureTool {
		t.Errorf("header = %d %+v, want 1 %+v", doc.SchemaVersion, doc.Tool, fixtureTool)
	}
	want := normalize(fixtureResult())
	for i := range want.Buckets {
		for j := range want.Buckets[i].ForeignOwners {
			keys := want.Buckets[i].ForeignOwners[j].SampleKeys
			for k := range keys {
				keys[k] = replaceInvalidUTF8(keys[k])
			}
		}
	}
	if !reflect.DeepEqual(doc.Result, want) {
		t.Errorf("decoded result differs from the fixture:\n got %+v\nwant %+v", doc.Result, want)
	}
	if !doc.StartedAt.Equal(fixtureResult().StartedAt) {
		t.Errorf("started_at = %v, want the same instant as %v", doc.StartedAt, fixtureResult().StartedAt)
	}
}

// TestJSONNeverWritesNull: an empty result still gives lists and objects a
// reader can iterate, and keeps the documented top-level field order.
func TestJSONNeverWritesNull(t *testing.T) {
	var buf bytes.Buffer
	res := &scanner.Result{Buckets: []scanner.Bucket{{Name: "b"}}}
	if err := writeJSON(&buf, newDocument(res, Tool{})); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "null") {
		t.Errorf("report.json contains null:\n%s", out)
	}
	order := []string{`"schema_version"`, `"tool"`, `"started_at"`, `"finished_at"`, `"complete"`,
		`"organization"`, `"summary"`, `"accounts"`, `"buckets"`, `"findings"`}
	last := -1
	for _, key := range order {
		i := strings.Index(out, key)
		if i < 0 || i < last {
			t.Fatalf("field %s missing or out of order in:\n%s", key, out)
		}
		last = i
	}
	if res.Accounts != nil || res.Buckets[0].ACLGrants != nil {
		t.Error("normalize modified the caller's result")
	}
}

func TestReadJSONRejects(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"not json", "{", "unexpected EOF"},
		{"wrong schema", `{"schema_version": 2}`, "schema_version 2, want 1"},
		{"no schema", `{"complete": true}`, "schema_version 0, want 1"},
		{"trailing data", `{"schema_version": 1} {}`, "data after the document"},
		{"wrong type", `{"schema_version": 1, "accounts": {}}`, "cannot unmarshal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadJSON(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadJSON(%q) error = %v, want one containing %q", tc.in, err, tc.want)
			}
		})
	}
}
