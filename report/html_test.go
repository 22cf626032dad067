package report

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/ownerscan/ownerscan/scanner"
)

// parsedPage is report.html parsed by an HTML5 parser (the one browsers'
// algorithm is written down for), with what the tests look at.
type parsedPage struct {
	root *html.Node
}

func parsePage(t *testing.T, doc *Document) *parsedPage {
	t.Helper()
	return parseRendered(t, buildPage(doc))
}

func parseRendered(t *testing.T, page *htmlPage) *parsedPage {
	t.Helper()
	var buf bytes.Buffer
	if err := renderHTML(&buf, page); err != nil {
		t.Fatal(err)
	}
	root, err := html.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return &parsedPage{root: root}
}

// elements returns every element named tag ("" = every element).
func (p *parsedPage) elements(tag string) []*html.Node {
	var out []*html.Node
	for n := range p.root.Descendants() {
		if n.Type == html.ElementNode && (tag == "" || n.Data == tag) {
			out = append(out, n)
		}
	}
	return out
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

// rows returns the body rows of the table with the given id, each as its
// cells' text.
func (p *parsedPage) rows(t *testing.T, id string) (rows [][]string, elems []*html.Node) {
	t.Helper()
	for _, table := range p.elements("table") {
		if v, _ := attr(table, "id"); v != id {
			continue
		}
		for tr := range table.Descendants() {
			if tr.Type != html.ElementNode || tr.Data != "tr" || tr.Parent.Data != "tbody" {
				continue
			}
			var cells []string
			for td := tr.FirstChild; td != nil; td = td.NextSibling {
				if td.Type == html.ElementNode && td.Data == "td" {
					cells = append(cells, text(td))
				}
			}
			rows = append(rows, cells)
			elems = append(elems, tr)
		}
		return rows, elems
	}
	t.Fatalf("no table %s", id)
	return nil, nil
}

// TestHTMLLoadsNothing: the page is self-contained. No element may load or
// link anything (no src, href, srcset, action, poster, data, manifest or
// background attribute; no link, base, iframe, frame, object, embed, img,
// form, audio, video or source element), no inline event handler, the style
// has no @import or url(), and the Content-Security-Policy allows no source
// but the page's own style and script, by hash, which match.
func TestHTMLLoadsNothing(t *testing.T) {
	for name, doc := range exportDocs(t) {
		t.Run(name, func(t *testing.T) {
			p := parsePage(t, doc)
			loading := []string{"src", "href", "srcset", "action", "formaction", "poster", "data", "manifest", "background", "xlink:href", "ping"}
			for _, n := range p.elements("") {
				if slices.Contains([]string{"link", "base", "iframe", "frame", "object", "embed", "img", "form", "audio", "video", "source", "track", "svg", "math"}, n.Data) {
					t.Errorf("element <%s> on the page", n.Data)
				}
				for _, a := range n.Attr {
					if slices.Contains(loading, a.Key) || strings.HasPrefix(a.Key, "on") {
						t.Errorf("<%s %s=%q>", n.Data, a.Key, a.Val)
					}
				}
			}
			styles, scripts := p.elements("style"), p.elements("script")
			if len(styles) != 1 || len(scripts) != 1 {
				t.Fatalf("%d style and %d script elements, want one of each", len(styles), len(scripts))
			}
			css, js := text(styles[0]), text(scripts[0])
			lower := strings.ToLower(css)
			if strings.Contains(lower, "@import") || strings.Contains(lower, "url(") {
				t.Error("the style imports or loads something")
			}
			if strings.Contains(js, "http:") || strings.Contains(js, "https:") || strings.Contains(js, "fetch(") || strings.Contains(js, "XMLHttpRequest") {
				t.Error("the script names a URL or makes a request")
			}
			var policy string
			for _, m := range p.elements("meta") {
				if v, _ := attr(m, "http-equiv"); strings.EqualFold(v, "Content-Security-Policy") {
					policy, _ = attr(m, "content")
				}
			}
			for _, want := range []string{"default-src 'none'", "style-src '" + sha256Source(css) + "'", "script-src '" + sha256Source(js) + "'"} {
				if !strings.Contains(policy, want) {
					t.Errorf("Content-Security-Policy %q lacks %q", policy, want)
				}
			}
		})
	}
}

// TestHTMLShowsEverything: every account, bucket and finding of the report
// is a row of its table, with its text as written (so nothing was lost to
// escaping and nothing a name holds became markup), and with a baseline
// the resolved and unverified findings too.
func TestHTMLShowsEverything(t *testing.T) {
	for name, doc := range exportDocs(t) {
		t.Run(name, func(t *testing.T) {
			p := parsePage(t, doc)
			accounts, _ := p.rows(t, "accounts-table")
			if len(accounts) != len(doc.Accounts) {
				t.Fatalf("%d account rows, want %d", len(accounts), len(doc.Accounts))
			}
			status := 3 // without OU paths, the OU path column is left out
			if buildPage(doc).HasOUPaths {
				status = 4
			}
			for i, a := range doc.Accounts {
				if accounts[i][0] != a.ID || accounts[i][1] != replaceInvalidUTF8(a.Name) || accounts[i][status] != string(a.Status) {
					t.Errorf("account row %d = %q, want %s %q %s", i, accounts[i], a.ID, a.Name, a.Status)
				}
			}
			buckets, _ := p.rows(t, "buckets-table")
			if len(buckets) != len(doc.Buckets) {
				t.Fatalf("%d bucket rows, want %d", len(buckets), len(doc.Buckets))
			}
			for i, b := range doc.Buckets {
				if buckets[i][1] != b.Name || buckets[i][4] != string(b.Status) || !strings.HasPrefix(buckets[i][0], b.AccountID) {
					t.Errorf("bucket row %d = %q, want %s/%s %s", i, buckets[i][:5], b.AccountID, b.Name, b.Status)
				}
			}
			checkFindingRows(t, p, "findings-table", doc.Findings)
			if doc.Baseline != nil {
				checkFindingRows(t, p, "resolved-table", doc.ResolvedFindings)
				checkFindingRows(t, p, "unverified-table", doc.UnverifiedFindings)
			}
		})
	}
}

func checkFindingRows(t *testing.T, p *parsedPage, table string, findings []scanner.Finding) {
	t.Helper()
	rows, elems := p.rows(t, table)
	if len(rows) != len(findings) {
		t.Fatalf("%s: %d rows, want %d", table, len(rows), len(findings))
	}
	for i, f := range findings {
		id, _ := attr(elems[i], "id")
		row := strings.Join(rows[i], "\n")
		if id != f.ID || rows[i][0] != string(f.Severity) || rows[i][1] != string(f.Type) {
			t.Errorf("%s row %d: id %q %q, want %s %s %s", table, i, id, rows[i][:2], f.ID, f.Severity, f.Type)
		}
		for _, want := range []string{f.Title, f.Detail, f.Remediation} {
			if !strings.Contains(row, replaceInvalidUTF8(want)) {
				t.Errorf("%s row %d lacks %q", table, i, want)
			}
		}
		if f.Change != "" && !slices.Contains(rows[i], string(f.Change)) {
			t.Errorf("%s row %d does not say %s", table, i, f.Change)
		}
	}
}

// TestHTMLShowsReadiness: buckets with a readiness get a Readiness column
// with their verdict, blockers with their fixes, and the migration policy;
// a report without any readiness has no such column.
func TestHTMLShowsReadiness(t *testing.T) {
	res := fixtureResult()
	var none []scanner.Bucket
	for _, b := range res.Buckets {
		b.Readiness = nil
		none = append(none, b)
	}
	bare := *res
	bare.Buckets = none
	for _, th := range parsePage(t, NewDocument(&bare, fixtureTool, nil)).elements("th") {
		if text(th) == "Readiness" {
			t.Error("a Readiness column without any readiness in the report")
		}
	}

	rows, _ := parsePage(t, NewDocument(res, fixtureTool, nil)).rows(t, "buckets-table")
	col := -1
	for i, th := range parsePage(t, NewDocument(res, fixtureTool, nil)).elements("th") {
		if text(th) == "Readiness" && col < 0 {
			col = i
		}
	}
	if col < 0 {
		t.Fatal("no Readiness column although buckets have a readiness")
	}
	seen := 0
	for i, b := range res.Buckets {
		rd := b.Readiness
		cell := rows[i][12]
		if rd == nil {
			if cell != "" {
				t.Errorf("bucket %s without readiness shows %q", b.Name, cell)
			}
			continue
		}
		seen++
		if !strings.HasPrefix(cell, string(rd.Verdict)) {
			t.Errorf("bucket %s: readiness cell %q does not start with %s", b.Name, cell, rd.Verdict)
		}
		for _, bl := range rd.Blockers {
			if !strings.Contains(cell, string(bl.Kind)) || !strings.Contains(cell, bl.Fix) {
				t.Errorf("bucket %s: readiness cell lacks blocker %s or its fix", b.Name, bl.Kind)
			}
		}
		if rd.MigrationPolicy != "" && !strings.Contains(cell, rd.MigrationPolicy) {
			t.Errorf("bucket %s: readiness cell lacks the migration policy", b.Name)
		}
	}
	if seen == 0 {
		t.Fatal("the fixture has no bucket with a readiness")
	}
}

func ExampleFormats() {
	for _, f := range Formats {
		fmt.Println(f.Name, f.Files)
	}
	// Output:
	// json [report.json]
	// csv [findings.csv buckets.csv readiness.csv objects.csv]
	// ocsf [findings.ocsf.json]
	// asff [findings.asff.json]
	// html [report.html]
}
