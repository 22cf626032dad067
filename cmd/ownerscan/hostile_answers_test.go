package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/internal/sabotage"
	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/scanner"
)

// scanBehindSabotage runs `ownerscan scan` (in this process) against the
// demo organization served behind a sabotage proxy with rules.
func scanBehindSabotage(t *testing.T, rules ...sabotage.Rule) (code int, stderr, out string, p *sabotage.Proxy) {
	t.Helper()
	srv := startEmulator(t, fakeaws.BuiltinScenario())
	p = sabotage.Start(srv.Emulator, rules...)
	t.Cleanup(p.Close)
	t.Setenv("AWS_ENDPOINT_URL", p.URL)
	out = filepath.Join(t.TempDir(), "reports")
	code, _, stderr = runCLI(t, "scan", "--out", out, "--quiet")
	return code, stderr, out, p
}

// TestHostileAnswersExitIncomplete: an answer that is not the document its
// operation returns makes the scan incomplete (exit 3; 4 when no account
// could be listed), never clean: the report is marked incomplete, and
// stderr and the report name the operation and what came back.
func TestHostileAnswersExitIncomplete(t *testing.T) {
	t.Run("empty ListAccounts", func(t *testing.T) {
		// No account listed: no report replaces an earlier one (exit 4,
		// README "Exit codes"), and the one line says why.
		code, stderr, out, _ := scanBehindSabotage(t, sabotage.Rule{Operation: "ListAccounts", Mode: sabotage.Empty})
		if code != exitNoReport || !strings.Contains(stderr, "ListAccounts: an empty answer where a JSON object was expected") {
			t.Fatalf("exit %d, stderr:\n%s", code, stderr)
		}
		if _, err := os.Stat(filepath.Join(out, report.ReportJSONFile)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a report was written: %v", err)
		}
	})
	t.Run("HTML on GetBucketAcl", func(t *testing.T) {
		code, stderr, out, _ := scanBehindSabotage(t, sabotage.Rule{Operation: "GetBucketAcl", Mode: sabotage.HTML, Bucket: "acme-b-public-assets"})
		const want = "GetBucketAcl: an HTML page (Content-Type text/html; charset=utf-8) where a <AccessControlPolicy> document was expected"
		if code != exitIncomplete || !strings.Contains(stderr, want) {
			t.Fatalf("exit %d, stderr:\n%s", code, stderr)
		}
		doc := readReport(t, out)
		b := findBucket(t, doc.Result, "acme-b-public-assets")
		if doc.Complete || b.Status != scanner.BucketFailed || !strings.HasPrefix(b.Error, want) {
			t.Errorf("complete %v, bucket %+v", doc.Complete, b)
		}
		rows := readCSV(t, filepath.Join(out, report.BucketsCSVFile))
		failed := false
		for _, row := range rows[1:] {
			failed = failed || strings.Contains(strings.Join(row, ","), "acme-b-public-assets") && strings.Contains(strings.Join(row, ","), want)
		}
		if !failed {
			t.Error("buckets.csv does not show the bucket failed with the operation")
		}
	})
	t.Run("307 to itself on ListObjectVersions", func(t *testing.T) {
		code, stderr, out, p := scanBehindSabotage(t, sabotage.Rule{Operation: "ListObjectVersions", Mode: sabotage.RedirectSelf, Bucket: "our-shared-widgets"})
		if code != exitIncomplete || !strings.Contains(stderr, "ListObjectVersions: HTTP 307 redirect to") {
			t.Fatalf("exit %d, stderr:\n%s", code, stderr)
		}
		if b := findBucket(t, readReport(t, out).Result, "our-shared-widgets"); b.Status != scanner.BucketFailed {
			t.Errorf("bucket %+v", b)
		}
		if n := p.Sabotaged("ListObjectVersions"); n != 1 {
			t.Errorf("%d requests answered by the redirect, want 1: followed or retried", n)
		}
	})
}
