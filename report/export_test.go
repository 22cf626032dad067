package report

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ownerscan/ownerscan/scanner"
)

// exportDocs are the documents every export test writes: the fixture, the
// fixture compared with a baseline (resolved findings), and a hostile one.
func exportDocs(t *testing.T) map[string]*Document {
	t.Helper()
	return map[string]*Document{
		"fixture":  NewDocument(fixtureResult(), fixtureTool, nil),
		"baseline": NewDocument(fixtureResult(), fixtureTool, fixtureComparison(t)),
		"hostile":  NewDocument(hostileResult(), fixtureTool, nil),
	}
}

// hostileResult has what an export must survive: an organization-level
// finding, texts past every ASFF limit, markup and control characters in
// names and details (an object key can hold anything and lands in the
// detail of a CROSS_ACCOUNT_OBJECTS finding), and another partition.
func hostileResult() *scanner.Result {
	res := fixtureResult()
	res.Organization.Partition = "aws-cn"
	res.Accounts[1].Name = `<script>alert("name")</script>`
	res.Buckets[3].ForeignOwners[1].SampleKeys = []string{`"><img src=x onerror=alert(1)>`, "</td></tr><tr><td>x", "&amp;\x00\u202e"}
	long := strings.Repeat("é", 1500) // 2 bytes each: limits count characters
	steps := strings.Repeat("aws s3api put-bucket-acl --bucket x --acl private\n", 30)
	res.Findings = append(res.Findings,
		scanner.Finding{Type: scanner.FindingScanError, Severity: scanner.SeverityError,
			Title: "the organization could not be listed completely", Detail: "ListAccounts: throttled",
			Remediation: "Re-run the scan."},
		scanner.Finding{Type: scanner.FindingCrossAccountObjects, Severity: scanner.SeverityHigh,
			AccountID: "222222222222", Bucket: "our-shared-widgets", Region: "cn-north-1",
			Title: long, Detail: `keys: "><img src=x onerror=alert(1)> <script>alert(2)</script> ` + long, Remediation: steps},
	)
	for i := range res.Findings {
		f := &res.Findings[i]
		f.ID = scanner.FindingID(f.Type, f.AccountID, f.Bucket, f.Region, fixtureGrantSubjects[f.Title]+f.Title[:min(len(f.Title), 40)])
	}
	return res
}

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"ééé", 2, "é…"},
		{"a\xffb", 2, "a…"},
	} {
		if got := truncateText(tc.in, tc.max); got != tc.want {
			t.Errorf("truncateText(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
	got := truncateLines("one\ntwo\nthree\n", 12, " (more)")
	if got != "one (more)" {
		t.Errorf("truncateLines = %q", got)
	}
	if got := truncateLines(strings.Repeat("x", 20), 10, " (more)"); utf8.RuneCountInString(got) != 10 {
		t.Errorf("truncateLines of one long line = %q", got)
	}
}

// TestWriteJSONArrayStreams: an empty array, and elements written one by
// one into a valid array.
func TestWriteJSONArray(t *testing.T) {
	var buf bytes.Buffer
	if err := writeJSONArray(&buf, 0, func(int) any { return nil }); err != nil || buf.String() != "[]\n" {
		t.Errorf("empty: %q %v", buf.String(), err)
	}
	buf.Reset()
	if err := writeJSONArray(&buf, 2, func(i int) any { return map[string]int{"i": i} }); err != nil {
		t.Fatal(err)
	}
	if want := "[\n  {\n    \"i\": 0\n  },\n  {\n    \"i\": 1\n  }\n]\n"; buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}
