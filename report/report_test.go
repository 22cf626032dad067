package report

import (
	"slices"
	"strings"
	"testing"
)

func TestParseFormats(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Format
		err  string
	}{
		{in: "csv,json", want: []Format{FormatCSV, FormatJSON}},
		{in: "json", want: []Format{FormatJSON}},
		{in: " json , csv ", want: []Format{FormatJSON, FormatCSV}},
		{in: "csv,csv,json,csv", want: []Format{FormatCSV, FormatJSON}},
		{in: "", err: "empty format name (known: json, csv, ocsf, asff, html)"},
		{in: "csv,", err: "empty format name"},
		{in: "xml", err: `unknown format "xml" (known: json, csv, ocsf, asff, html)`},
		{in: "JSON", err: `unknown format "JSON"`},
	} {
		got, err := ParseFormats(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseFormats(%q) error = %v, want one containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseFormats(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// TestFormatsListIsComplete: every file a format promises is produced,
// either by a writer of Write or by ObjectsCSV, and every writer belongs to
// a format, so the --format help cannot drift from what is written.
func TestFormatsListIsComplete(t *testing.T) {
	promised := map[string]bool{}
	for _, f := range Formats {
		if f.Name == "" || f.Description == "" || len(f.Files) == 0 {
			t.Errorf("format %+v is incomplete", f)
		}
		for _, name := range f.Files {
			promised[name] = true
			if _, ok := fileWriters[name]; !ok && name != ObjectsCSVFile {
				t.Errorf("format %s promises %s, which nothing writes", f.Name, name)
			}
		}
	}
	for name := range fileWriters {
		if !promised[name] {
			t.Errorf("%s has a writer but no format lists it", name)
		}
	}
}
