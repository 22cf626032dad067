package report

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestRenderedFiles: the files of the formats asked for, in the order of
// the format list, report.json last; objects.csv is never rendered.
func TestRenderedFiles(t *testing.T) {
	for _, tc := range []struct {
		formats []Format
		want    []string
	}{
		{[]Format{FormatJSON}, []string{ReportJSONFile}},
		{[]Format{FormatCSV}, []string{FindingsCSVFile, BucketsCSVFile, ReadinessCSVFile}},
		{[]Format{FormatHTML, FormatJSON, FormatOCSF}, []string{FindingsOCSFFile, ReportHTMLFile, ReportJSONFile}},
		{[]Format{FormatJSON, FormatCSV, FormatOCSF, FormatASFF, FormatHTML},
			[]string{FindingsCSVFile, BucketsCSVFile, ReadinessCSVFile, FindingsOCSFFile, FindingsASFFFile, ReportHTMLFile, ReportJSONFile}},
		{nil, nil},
	} {
		if got := RenderedFiles(tc.formats); !slices.Equal(got, tc.want) {
			t.Errorf("RenderedFiles(%v) = %v, want %v", tc.formats, got, tc.want)
		}
	}
	if err := Render(&bytes.Buffer{}, ObjectsCSVFile, NewDocument(fixtureResult(), fixtureTool, nil)); err == nil {
		t.Error("Render of objects.csv succeeded; it is streamed, not rendered")
	}
}

// TestRenderMatchesTheFolder: Render and ObjectRows give, byte for byte,
// the files a folder gets, so reports written elsewhere (S3) are the same
// reports.
func TestRenderMatchesTheFolder(t *testing.T) {
	dir := t.TempDir()
	writeAll(t, dir)
	doc := NewDocument(fixtureResult(), fixtureTool, nil)
	for _, name := range RenderedFiles([]Format{FormatJSON, FormatCSV}) {
		var b bytes.Buffer
		if err := Render(&b, name, doc); err != nil {
			t.Fatal(err)
		}
		if want, _ := os.ReadFile(filepath.Join(dir, name)); !bytes.Equal(b.Bytes(), want) {
			t.Errorf("Render(%s) differs from the file written", name)
		}
	}
	var b bytes.Buffer
	rows, err := NewObjectRows(&b)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range fixtureObjects() {
		if err := rows.WriteObject(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := rows.Flush(); err != nil {
		t.Fatal(err)
	}
	if rows.Rows() != int64(len(fixtureObjects())) {
		t.Errorf("Rows() = %d, want %d", rows.Rows(), len(fixtureObjects()))
	}
	if want, _ := os.ReadFile(filepath.Join(dir, ObjectsCSVFile)); !bytes.Equal(b.Bytes(), want) {
		t.Errorf("ObjectRows differs from objects.csv:\n%s\nwant:\n%s", b.Bytes(), want)
	}
}
