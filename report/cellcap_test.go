package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ownerscan/ownerscan/scanner"
)

// spreadsheetCellLimit is the most characters (UTF-16 units) Excel and
// Google Sheets hold in one cell.
const spreadsheetCellLimit = 32767

// TestHugeCellsAreCapped: a bucket with 5,000 external owners and 100
// grants, and a finding whose detail is a megabyte of multi-byte text,
// give CSV cells under a spreadsheet's limit that end with what is
// missing; report.json keeps everything.
func TestHugeCellsAreCapped(t *testing.T) {
	res := fixtureResult()
	b := &res.Buckets[2]
	b.ForeignOwners = nil
	for i := range 5000 {
		b.ForeignOwners = append(b.ForeignOwners, scanner.ForeignOwner{
			CanonicalID: fmt.Sprintf("%064x", i), External: true, Objects: 1, Bytes: 10,
			SampleKeys: []string{"k"},
		})
	}
	b.ACLGrants = nil
	for i := range 100 {
		b.ACLGrants = append(b.ACLGrants, scanner.Grant{Kind: scanner.GranteeExternal, CanonicalID: fmt.Sprintf("%064x", i), Permission: "READ"})
	}
	res.Findings[0].Detail = strings.Repeat("é漢", 1<<18) // 1.25 MB
	doc := newDocument(res, fixtureTool)

	var buckets, findings, js bytes.Buffer
	if err := writeBucketsCSV(&buckets, doc); err != nil {
		t.Fatal(err)
	}
	if err := writeFindingsCSV(&findings, doc); err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(&js, doc); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"buckets.csv": buckets.Bytes(), "findings.csv": findings.Bytes()} {
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, row := range rows {
			for _, cell := range row {
				if len(cell) > maxCellBytes || len(utf16.Encode([]rune(cell))) >= spreadsheetCellLimit || !utf8.ValidString(cell) {
					t.Errorf("%s: a cell of %d bytes (valid UTF-8: %v)", name, len(cell), utf8.ValidString(cell))
				}
			}
		}
	}

	rows, _ := csv.NewReader(bytes.NewReader(buckets.Bytes())).ReadAll()
	owners := rows[3][13]
	m := regexp.MustCompile(`;… and (\d+) more \(full list in report\.json\)$`).FindStringSubmatch(owners)
	if m == nil {
		t.Fatalf("foreign_owners cell does not end with the count of the owners left out: ...%q", owners[max(0, len(owners)-80):])
	}
	shown := strings.Count(owners, ";")
	if more, _ := strconv.Atoi(m[1]); shown+more != 5000 {
		t.Errorf("%d owners shown and %d more, want 5000 in all", shown, more)
	}
	if !strings.HasPrefix(owners, "external "+fmt.Sprintf("%064x", 0)+": 1 object, 10 bytes;") {
		t.Errorf("foreign_owners cell starts %q", owners[:100])
	}
	if grants := rows[3][7]; strings.Contains(grants, "more (") || strings.Count(grants, ";") != 99 {
		t.Errorf("100 grants (about 9 KB) fit in a cell, got %d separators", strings.Count(grants, ";"))
	}

	frows, _ := csv.NewReader(bytes.NewReader(findings.Bytes())).ReadAll()
	detail := frows[1][6]
	if !regexp.MustCompile(`^(é漢)+é?… and \d+ more characters \(full text in report\.json\)$`).MatchString(detail) {
		t.Errorf("detail cut badly: ...%q", detail[max(0, len(detail)-80):])
	}

	back, err := ReadJSON(&js)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(back.Buckets[2].ForeignOwners); n != 5000 {
		t.Errorf("report.json holds %d foreign owners, want all 5000", n)
	}
	if back.Findings[0].Detail != res.Findings[0].Detail {
		t.Error("report.json does not hold the whole detail")
	}
}

// TestCapList: lists that fit are joined as they are; the note always fits
// in the cell, whatever the size of the items.
func TestCapList(t *testing.T) {
	if got := capList([]string{"a", "b"}, ";"); got != "a;b" {
		t.Errorf("capList = %q", got)
	}
	if got := capList(nil, ";"); got != "" {
		t.Errorf("capList(nil) = %q", got)
	}
	for _, size := range []int{1, 7, 100, 3000, maxCellBytes - 1, maxCellBytes + 1} {
		items := make([]string, 3*maxCellBytes/max(size, 1)+2)
		for i := range items {
			items[i] = strings.Repeat("x", size)
		}
		got := capList(items, ";")
		if len(got) > maxCellBytes {
			t.Errorf("items of %d bytes: cell of %d bytes", size, len(got))
		}
		if !strings.Contains(got, "full list in report.json") {
			t.Errorf("items of %d bytes: no note in ...%q", size, got[max(0, len(got)-60):])
		}
	}
}

// FuzzCellCaps: whatever the text and list items (a hostile key, an AWS
// error text, owner names), a capped cell is at most maxCellBytes, starts
// with the text it cuts, and stays valid UTF-8 when the input was.
func FuzzCellCaps(f *testing.F) {
	f.Add("external 79a59df9: 1 object, 10 bytes", 3000, "é")
	f.Add(strings.Repeat("漢", 20000), 1, "")
	f.Fuzz(func(t *testing.T, item string, copies int, tail string) {
		copies = max(1, min(copies%5000, 5000))
		text := strings.Repeat(item, min(copies, 1+2*maxCellBytes/max(1, len(item)))) + tail
		got := capText(text, fullTextNote)
		if len(got) > maxCellBytes {
			t.Fatalf("capText: %d bytes", len(got))
		}
		if len(text) <= maxCellBytes && got != text {
			t.Fatalf("capText changed a text that fits")
		}
		if cut, _, _ := strings.Cut(got, "… and "); len(text) > maxCellBytes && !strings.HasPrefix(text, cut) {
			t.Fatalf("capText does not keep the start of the text")
		}
		if utf8.ValidString(text) && !utf8.ValidString(got) {
			t.Fatalf("capText made invalid UTF-8")
		}
		items := make([]string, copies)
		for i := range items {
			items[i] = item
		}
		items = append(items, tail)
		list := capList(items, cellSeparator)
		if len(list) > maxCellBytes {
			t.Fatalf("capList: %d bytes", len(list))
		}
		if utf8.ValidString(item) && utf8.ValidString(tail) && !utf8.ValidString(list) {
			t.Fatalf("capList made invalid UTF-8")
		}
	})
}
