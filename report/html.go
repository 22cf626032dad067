package report

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"slices"
	"time"

	"github.com/ownerscan/ownerscan/scanner"
)

// report.html: one page a person opens in a browser, with everything in
// it: the summary, what changed since the baseline, the accounts, the
// buckets and the findings with their remediation, each table sortable (click
// a column) and filterable. It loads nothing: the style and the script are
// inline, and its Content-Security-Policy allows no other source, so the
// page makes no request even if a value from AWS tried to. Every value is
// escaped by html/template for where it appears.

//go:embed html/page.tmpl html/page.css html/page.js
var htmlFiles embed.FS

// htmlTemplate, htmlCSS and htmlJS are parsed and read once; the policy
// allows exactly this style and this script, by hash.
var (
	htmlCSS      = mustRead("html/page.css")
	htmlJS       = mustRead("html/page.js")
	htmlPolicy   = "default-src 'none'; style-src '" + sha256Source(htmlCSS) + "'; script-src '" + sha256Source(htmlJS) + "'; img-src data:; base-uri 'none'; form-action 'none'"
	htmlTemplate = template.Must(template.New("page.tmpl").Funcs(template.FuncMap{
		"bytes": humanBytes,
		"dash":  orDash,
	}).ParseFS(htmlFiles, "html/page.tmpl"))
)

func mustRead(name string) string {
	data, err := htmlFiles.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(data)
}

// sha256Source is a CSP source expression allowing exactly the inline text.
func sha256Source(text string) string {
	sum := sha256.Sum256([]byte(text))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// htmlPage is what the template renders.
type htmlPage struct {
	Doc          *Document
	Started      string
	Counts       []htmlCount
	Accounts     []htmlAccount
	HasOUPaths   bool // OU paths are known only when the scan walked the OU tree
	Buckets      []htmlBucket
	HasReadiness bool
	Findings     []htmlFinding
	Types        []string // the finding types present, for the type filter
	Resolved     []htmlFinding
	Unverified   []htmlFinding
	Generated    string
	CSS          template.CSS
	JS           template.JS
	Policy       string
}

type htmlCount struct {
	Label string
	Count int
}

// The rows the template renders hold plain fields, not the scanner's
// types embedded: text/template looks a field up by name on every use, and
// through an embedded struct that lookup was most of the time it took to
// write the page of a large organization.

type htmlAccount struct {
	ID, Name, OUPath, State, Status, CanonicalID, Error string
	Buckets, Noncompliant                               int
}

type htmlBucket struct {
	AccountID, AccountName, Name, Region, ObjectOwnership, Status, ObjectScan, Error string
	ObjectsScanned, CrossAccountObjects, CrossAccountBytes, UnknownOwnerObjects      int64
	Grants, Owners                                                                   []string
	Readiness                                                                        *scanner.Readiness
}

type htmlFinding struct {
	ID, Type, Severity, AccountID, Bucket, Title, Detail, Remediation, Change string
	Rank                                                                      int // severity order for sorting: scan errors first
}

// writeHTML writes report.html.
func writeHTML(w io.Writer, doc *Document) error {
	return renderHTML(w, buildPage(doc))
}

func renderHTML(w io.Writer, page *htmlPage) error {
	if err := htmlTemplate.Execute(w, page); err != nil {
		return fmt.Errorf("report: write html: %w", err)
	}
	return nil
}

// buildPage gathers what the page shows from doc.
func buildPage(doc *Document) *htmlPage {
	page := &htmlPage{
		Doc:       doc,
		Counts:    severityCounts(doc.Summary.Findings),
		Started:   timing(doc.Result),
		Generated: reportTime(doc).Format(time.RFC3339),
		CSS:       template.CSS(htmlCSS),
		JS:        template.JS(htmlJS),
		Policy:    htmlPolicy,
	}
	perAccount := map[string]*htmlAccount{}
	page.Accounts = make([]htmlAccount, len(doc.Accounts))
	for i, a := range doc.Accounts {
		page.Accounts[i] = htmlAccount{
			ID: a.ID, Name: a.Name, OUPath: a.OUPath, State: a.State, Status: string(a.Status),
			CanonicalID: a.CanonicalID, Error: a.Error,
		}
		page.HasOUPaths = page.HasOUPaths || a.OUPath != ""
		perAccount[a.ID] = &page.Accounts[i]
	}
	page.Buckets = make([]htmlBucket, len(doc.Buckets))
	for i, b := range doc.Buckets {
		hb := htmlBucket{
			AccountID: b.AccountID, AccountName: b.AccountName, Name: b.Name, Region: b.Region,
			ObjectOwnership: string(b.ObjectOwnership), Status: string(b.Status), ObjectScan: string(b.ObjectScan), Error: b.Error,
			ObjectsScanned: b.ObjectsScanned, CrossAccountObjects: b.CrossAccountObjects,
			CrossAccountBytes: b.CrossAccountBytes, UnknownOwnerObjects: b.UnknownOwnerObjects,
			Grants: grantItems(b.ACLGrants), Owners: foreignOwnerItems(b.ForeignOwners),
		}
		if b.Readiness != nil && b.Readiness.Verdict != "" {
			hb.Readiness = b.Readiness
		}
		page.HasReadiness = page.HasReadiness || hb.Readiness != nil
		page.Buckets[i] = hb
		if a := perAccount[b.AccountID]; a != nil {
			a.Buckets++
			if b.Status == scanner.BucketNoncompliant {
				a.Noncompliant++
			}
		}
	}
	page.Findings = htmlFindings(doc.Findings)
	for _, f := range doc.Findings {
		if !slices.Contains(page.Types, string(f.Type)) {
			page.Types = append(page.Types, string(f.Type))
		}
	}
	slices.Sort(page.Types)
	page.Resolved = htmlFindings(doc.ResolvedFindings)
	page.Unverified = htmlFindings(doc.UnverifiedFindings)
	return page
}

func htmlFindings(list []scanner.Finding) []htmlFinding {
	out := make([]htmlFinding, len(list))
	for i, f := range list {
		out[i] = htmlFinding{
			ID: f.ID, Type: string(f.Type), Severity: string(f.Severity), AccountID: f.AccountID, Bucket: f.Bucket,
			Title: f.Title, Detail: f.Detail, Remediation: f.Remediation, Change: string(f.Change),
			Rank: severityRank(f.Severity),
		}
	}
	return out
}

// severityRank orders severities for sorting, as the scanner does: scan
// errors first, then critical down to low.
func severityRank(s scanner.Severity) int {
	if s == scanner.SeverityError {
		return 5
	}
	return s.Rank()
}

// severityCounts lists the findings per severity, in the summary's order.
func severityCounts(counts map[string]int) []htmlCount {
	out := make([]htmlCount, 0, len(severityOrder))
	for _, sev := range severityOrder {
		out = append(out, htmlCount{Label: string(sev), Count: counts[string(sev)]})
	}
	return out
}
