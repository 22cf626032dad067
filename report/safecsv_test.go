package report

import (
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ownerscan/ownerscan/scanner"
)

// undoSafeCell reverses SafeCell's quote prefix, as its doc comment says a
// reader can: drop one leading single quote.
func undoSafeCell(cell string) string {
	return strings.TrimPrefix(cell, "'")
}

// expectedCell is what a cell holding s reads back as with encoding/csv:
// SafeCell's U+FFFD replacement, and encoding/csv's reader turning "\r\n"
// inside a quoted field into "\n" (the file itself keeps the "\r\n"; other
// RFC 4180 readers return it as written).
func expectedCell(s string) string {
	return strings.ReplaceAll(replaceInvalidUTF8(s), "\r\n", "\n")
}

func TestSafeCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain/key.txt", "plain/key.txt"},
		{"=1+1", "'=1+1"},
		{`=HYPERLINK("http://evil.example/","x")`, `'=HYPERLINK("http://evil.example/","x")`},
		{"+1-555-0100", "'+1-555-0100"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1:A2)", "'@SUM(A1:A2)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"'already", "''already"},
		{"a=1", "a=1"}, // only the first character matters
		{" =1", " =1"}, // not on OWASP's list: spreadsheets read it as text
		{"key\nwith\nlines", "key\nwith\nlines"},
		{"ctl\x00\x1b[31m", "ctl\x00\x1b[31m"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{"\xff=", "\uFFFD="},         // replacement first: U+FFFD starts no formula
		{"\xe2\x82", "\uFFFD\uFFFD"}, // one U+FFFD per invalid byte, like encoding/json
		{"caf\u00e9 \u2603", "caf\u00e9 \u2603"},
		{"=", "'="},
		{"-", "'-"},
	} {
		if got := SafeCell(tc.in); got != tc.want {
			t.Errorf("SafeCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if utf8.ValidString(tc.in) {
			if back := undoSafeCell(SafeCell(tc.in)); back != tc.in {
				t.Errorf("undoing SafeCell(%q) gives %q", tc.in, back)
			}
		}
	}
}

// hostileText are the values every text cell must survive.
var hostileText = []string{
	"=cmd|' /C calc'!A0", "+SUM(1)", "-1", "@A1", "\tTAB", "\rCR", "'quote",
	"line\nbreak", "crlf\r\nbreak", `quote " inside`, `"quoted"`, "comma,inside", "semi;colon",
	"nul\x00byte", "esc\x1b[2J", "del\x7f", "bad\xff\xfeutf8", "\xc3", longKey, "", " ", `\.`,
	"\u202egnp.exe", "emoji \U0001F600",
}

// TestEveryTextCellIsNeutralised fills every text field of each CSV report
// with hostile values and checks, through encoding/csv, that each row parses
// into exactly its fields, no cell starts a formula, each text cell reads back
// as the value written, and the numbers are plain numbers.
func TestEveryTextCellIsNeutralised(t *testing.T) {
	for _, v := range hostileText {
		doc := newDocument(&scanner.Result{
			Buckets: []scanner.Bucket{{
				AccountID: v, AccountName: v, Name: v, Region: v, ObjectOwnership: scanner.ObjectOwnership(v),
				Status: scanner.BucketStatus(v), OwnerCanonicalID: v, ObjectsScanned: 7, ObjectScan: scanner.ObjectScan(v),
				CrossAccountObjects: 8, CrossAccountBytes: 9, UnknownOwnerObjects: 10, Error: v,
			}},
			Findings: []scanner.Finding{{
				Type: scanner.FindingType(v), Severity: scanner.Severity(v), AccountID: v, Bucket: v,
				Region: v, Title: v, Detail: v, Remediation: v, ID: v, Change: scanner.FindingChange(v),
			}},
		}, Tool{})
		rec := scanner.ObjectRecord{
			AccountID: v, Bucket: v, Key: v, VersionID: v, IsLatest: true, OwnerCanonicalID: v,
			OwnerAccountID: v, OwnerAccountName: v, Size: 11, LastModified: time.Unix(0, 0),
		}
		files := map[string]struct {
			write   func(io.Writer) error
			numbers map[int]string // column -> expected cell
		}{
			"findings.csv": {func(w io.Writer) error { return writeFindingsCSV(w, doc) }, nil},
			"buckets.csv": {func(w io.Writer) error { return writeBucketsCSV(w, doc) },
				map[int]string{7: "", 8: "7", 10: "8", 11: "9", 12: "10", 13: ""}},
			"objects.csv": {func(w io.Writer) error {
				rw := newRowWriter(w, "")
				if err := rw.header(objectsHeader); err != nil {
					return err
				}
				if err := writeObjectRow(rw, rec); err != nil {
					return err
				}
				return rw.flush()
			}, map[int]string{4: "true", 5: "false", 9: "11", 10: "1970-01-01T00:00:00Z"}},
		}
		for name, file := range files {
			var buf bytes.Buffer
			if err := file.write(&buf); err != nil {
				t.Fatal(err)
			}
			rows := parseCSV(t, buf.Bytes())
			if len(rows) != 2 {
				t.Fatalf("%s with %q: %d rows, want header and one row", name, v, len(rows))
			}
			for col, cell := range rows[1] {
				if want, ok := file.numbers[col]; ok {
					if want != "" && cell != want {
						t.Errorf("%s with %q: column %s = %q, want %q", name, v, rows[0][col], cell, want)
					}
					continue
				}
				if cell != "" && strings.IndexByte("=+-@\t\r", cell[0]) >= 0 {
					t.Errorf("%s with %q: column %s starts a formula: %q", name, v, rows[0][col], cell)
				}
				if got := undoSafeCell(cell); got != expectedCell(v) {
					t.Errorf("%s with %q: column %s reads back as %q", name, v, rows[0][col], got)
				}
			}
		}
	}
}

// parseCSV reads a whole CSV document strictly: every row must have as many
// fields as the header.
func parseCSV(t testing.TB, data []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(data))
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v\n%q", err, data)
	}
	return rows
}

// TestObjectsCSVHostileKeys streams the fixture's hostile keys through a real
// objects.csv and reads the committed file back.
func TestObjectsCSVHostileKeys(t *testing.T) {
	dir := t.TempDir()
	o, err := NewObjectsCSV(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Abort()
	recs := fixtureObjects()
	for _, v := range hostileText {
		recs = append(recs, scanner.ObjectRecord{AccountID: "222222222222", Bucket: "b", Key: v, OwnerAccountName: v})
	}
	for _, rec := range recs {
		if err := o.WriteObject(rec); err != nil {
			t.Fatal(err)
		}
	}
	if o.Rows() != int64(len(recs)) {
		t.Errorf("Rows() = %d, want %d", o.Rows(), len(recs))
	}
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, ObjectsCSVFile))
	if err != nil {
		t.Fatal(err)
	}
	rows := parseCSV(t, data)
	if len(rows) != len(recs)+1 {
		t.Fatalf("%d rows, want %d and a header", len(rows)-1, len(recs))
	}
	if strings.Join(rows[0], ",") != strings.Join(objectsHeader, ",") {
		t.Errorf("header = %q", rows[0])
	}
	for i, rec := range recs {
		row := rows[i+1]
		if got := undoSafeCell(row[2]); got != expectedCell(rec.Key) {
			t.Errorf("row %d: key %q reads back as %q", i+1, rec.Key, got)
		}
		if got := undoSafeCell(row[8]); got != expectedCell(rec.OwnerAccountName) {
			t.Errorf("row %d: owner name %q reads back as %q", i+1, rec.OwnerAccountName, got)
		}
		if row[9] != strconv.FormatInt(rec.Size, 10) {
			t.Errorf("row %d: size %q, want %d", i+1, row[9], rec.Size)
		}
	}
	if !utf8.Valid(data) {
		t.Error("objects.csv is not valid UTF-8")
	}
}

// FuzzObjectsCSV: whatever bytes a key and an account name hold, objects.csv
// parses back with encoding/csv into exactly one row of eleven fields, no
// cell starts a formula, and key and name read back as written, apart from
// the documented quote prefix and U+FFFD replacement.
func FuzzObjectsCSV(f *testing.F) {
	for _, rec := range fixtureObjects() {
		f.Add([]byte(rec.Key), rec.OwnerAccountName)
	}
	for _, v := range hostileText {
		f.Add([]byte(v), v)
	}
	f.Add([]byte("\"\r\n\"\",\n"), "\r")
	f.Fuzz(func(t *testing.T, key []byte, name string) {
		var buf bytes.Buffer
		rw := newRowWriter(&buf, "")
		if err := rw.header(objectsHeader); err != nil {
			t.Fatal(err)
		}
		rec := scanner.ObjectRecord{
			AccountID: "222222222222", Bucket: "our-shared-widgets", Key: string(key), VersionID: "null",
			IsLatest: true, OwnerCanonicalID: canonC, OwnerAccountID: "333333333333", OwnerAccountName: name,
			Size: 42, LastModified: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		}
		if err := writeObjectRow(rw, rec); err != nil {
			t.Fatal(err)
		}
		if err := rw.flush(); err != nil {
			t.Fatal(err)
		}
		rows := parseCSV(t, buf.Bytes())
		if len(rows) != 2 {
			t.Fatalf("key %q: %d records, want header and one row", key, len(rows))
		}
		row := rows[1]
		if len(row) != len(objectsHeader) {
			t.Fatalf("key %q: %d fields, want %d", key, len(row), len(objectsHeader))
		}
		for _, cell := range []string{row[2], row[8]} {
			if cell != "" && strings.IndexByte("=+-@\t\r", cell[0]) >= 0 {
				t.Fatalf("cell starts a formula: %q", cell)
			}
			if !utf8.ValidString(cell) {
				t.Fatalf("cell is not valid UTF-8: %q", cell)
			}
		}
		if got, want := undoSafeCell(row[2]), expectedCell(string(key)); got != want {
			t.Fatalf("key %q reads back as %q, want %q", key, got, want)
		}
		if got, want := undoSafeCell(row[8]), expectedCell(name); got != want {
			t.Fatalf("name %q reads back as %q, want %q", name, got, want)
		}
		if row[9] != "42" || row[10] != "2024-01-01T00:00:00Z" || row[4] != "true" {
			t.Fatalf("generated cells changed: %q", row)
		}
	})
}
