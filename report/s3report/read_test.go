package s3report

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ownerscan/ownerscan/report"
)

// TestOpenReport: every form of REPORT in S3 leads to the report.json it
// means, read through report.ReadSnapshot.
func TestOpenReport(t *testing.T) {
	env := newTestEnv(t)
	s := env.session(Options{})
	dest, _ := ParseURL("s3://reports/nightly")
	runReports(t, s, dest, night1, true, 3)
	night2 := night1.Add(24 * time.Hour)
	runReports(t, s, dest, night2, true, 3)
	runReports(t, s, dest, night2.Add(24*time.Hour), false, 3) // incomplete: never latest

	for _, tc := range []struct {
		ref     string
		started time.Time
		at      string
	}{
		{"s3://reports/nightly", night2, "nightly/2026/01/03/030405Z/report.json"},
		{"s3://reports/nightly/", night2, "nightly/2026/01/03/030405Z/report.json"},
		{"s3://reports/nightly/latest.json", night2, "nightly/2026/01/03/030405Z/report.json"},
		{"s3://reports/nightly/2026/01/02/030405Z", night1, "nightly/2026/01/02/030405Z/report.json"},
		{"s3://reports/nightly/2026/01/02/030405Z/report.json", night1, "nightly/2026/01/02/030405Z/report.json"},
	} {
		ref, err := ParseURL(tc.ref)
		if err != nil {
			t.Fatal(err)
		}
		body, at, err := s.OpenReport(context.Background(), ref)
		if err != nil {
			t.Errorf("OpenReport(%s): %v", tc.ref, err)
			continue
		}
		snap, err := report.ReadSnapshot(body)
		body.Close()
		if err != nil {
			t.Errorf("%s: %v", tc.ref, err)
			continue
		}
		if !snap.StartedAt.Equal(tc.started) || at.Key != tc.at {
			t.Errorf("%s: the report of %s at %s, want %s at %s", tc.ref, snap.StartedAt, at, tc.started, tc.at)
		}
	}

	for _, tc := range []struct{ ref, want string }{
		{"s3://reports/elsewhere", "no latest.json or report.json there"},
		{"s3://reports/elsewhere/latest.json", "s3://reports/elsewhere/latest.json does not exist"},
		{"s3://reports/nightly/2026/01/09/030405Z/report.json", "does not exist"},
		{"s3://no-such-reports/nightly", "does not exist"},
	} {
		ref, _ := ParseURL(tc.ref)
		_, _, err := s.OpenReport(context.Background(), ref)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("OpenReport(%s): %v, want %q", tc.ref, err, tc.want)
		}
		if tc.ref == "s3://reports/elsewhere" && !errors.Is(err, ErrNoReport) {
			t.Errorf("OpenReport(%s): %v does not wrap ErrNoReport", tc.ref, err)
		}
	}
}

// TestHostileLatest: a latest.json is read as untrusted input: one that
// points outside its prefix, at an incomplete run or at another file, or
// that is not one, is refused with the reason.
func TestHostileLatest(t *testing.T) {
	env := newTestEnv(t)
	s := env.session(Options{})
	good := `{"schema_version":1,"tool":{"name":"ownerscan"},"run_prefix":"p/2026/01/02/030405Z/","report_key":"p/2026/01/02/030405Z/report.json","complete":true,"organization_id":"o-abcdefghij"}`
	for _, tc := range []struct{ doc, want string }{
		{strings.Replace(good, `"run_prefix":"p/`, `"run_prefix":"q/`, 1), "not a run folder under this prefix"},
		{strings.Replace(good, `"run_prefix":"p/2026/01/02/030405Z/"`, `"run_prefix":"p/secrets/"`, 1), "not a run folder under this prefix"},
		{strings.Replace(good, `030405Z/report.json"`, `030405Z/other.json"`, 1), "is not the report.json of run_prefix"},
		{strings.Replace(good, `"complete":true`, `"complete":false`, 1), "names an incomplete run"},
		{strings.Replace(good, `"schema_version":1`, `"schema_version":2`, 1), "schema_version 2"},
		{strings.Replace(good, `"name":"ownerscan"`, `"name":"other"`, 1), `written by "other"`},
		{good + "{}", "data after the document"},
		{"[1,2]", "not an ownerscan latest.json"},
		{strings.Repeat(" ", maxLatestBytes) + good, "larger than"},
	} {
		_, err := env.s3("us-east-1").PutObject(context.Background(), &s3.PutObjectInput{
			Bucket: aws.String("reports"), Key: aws.String("p/latest.json"), Body: strings.NewReader(tc.doc),
		})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = s.OpenReport(context.Background(), URL{Bucket: "reports", Key: "p"})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("latest.json %.60q: %v, want %q", tc.doc, err, tc.want)
		}
	}
}
