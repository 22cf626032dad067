package report

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ownerscan/ownerscan/scanner"
)

// TestSummaryLargeOrganization: with more accounts than the table shows, the
// accounts with something to report are listed and the rest counted.
func TestSummaryLargeOrganization(t *testing.T) {
	res := &scanner.Result{Complete: true}
	for i := range 120 {
		id := fmt.Sprintf("%012d", 100000000000+i)
		res.Accounts = append(res.Accounts, scanner.Account{ID: id, Name: "acct", Status: scanner.AccountScanned})
		status := scanner.BucketCompliant
		if i%40 == 7 {
			status = scanner.BucketNoncompliant
		}
		res.Buckets = append(res.Buckets, scanner.Bucket{AccountID: id, Name: "b" + id, Status: status})
	}
	var buf bytes.Buffer
	if err := WriteSummary(&buf, res, ""); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"100000000007", "100000000047", "100000000087", "117 more accounts not shown", "Scan complete.", "No findings."} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "100000000000 ") || strings.Contains(out, "Reports:") {
		t.Errorf("summary lists a clean account or a Reports line:\n%s", out)
	}
	var again bytes.Buffer
	if err := WriteSummary(&again, res, ""); err != nil || again.String() != out {
		t.Error("two summaries of the same result differ")
	}
}

func TestSummaryInterrupted(t *testing.T) {
	res := &scanner.Result{
		StartedAt:  time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC),
		FinishedAt: time.Date(2024, 5, 1, 10, 0, 1, 234_567_000, time.UTC),
	}
	var buf bytes.Buffer
	if err := WriteSummary(&buf, res, "out"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Scan INCOMPLETE: not everything in scope was scanned", "took 1.235s", "No account in scope.", "Reports: out"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, buf.String())
		}
	}
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n--; w.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestSummaryWriteError(t *testing.T) {
	for n := range 6 {
		err := WriteSummary(&failingWriter{n: n}, fixtureResult(), "out")
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("after %d writes: error = %v, want disk full", n, err)
		}
	}
	if err := WriteSummary(&bytes.Buffer{}, nil, ""); err == nil {
		t.Error("WriteSummary(nil) succeeded")
	}
}

func TestCleanForTerminal(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"AccountA", "AccountA"},
		{"red\x1b[31m", `red\x1b[31m`},
		{"a\tb\nc\rd", `a\tb\nc\rd`},
		{"nul\x00", `nul\x00`},
		{"c1\u009b", `c1\u009b`},
		{"rtl\u202eexe", `rtl\u202eexe`},
		{"bad\xff", "bad\uFFFD"},
		{"caf\u00e9", "caf\u00e9"},
		{strings.Repeat("x", 150), strings.Repeat("x", 100) + "..."},
		{strings.Repeat("x", 100), strings.Repeat("x", 100)},
	} {
		if got := clean(tc.in); got != tc.want {
			t.Errorf("clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestHumanBytes(t *testing.T) {
	for _, tc := range []struct {
		in   int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {3410, "3.3 KiB"},
		{5 << 20, "5.0 MiB"}, {3 << 40, "3.0 TiB"}, {1 << 62, "4.0 EiB"},
	} {
		if got := humanBytes(tc.in); got != tc.want {
			t.Errorf("humanBytes(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
