package s3report

import (
	"strings"
	"testing"
)

// FuzzParseLatest: whatever a bucket holds at latest.json, parseLatest
// never panics, and what it accepts names a complete run's report.json in
// a run folder of the prefix it was found under.
func FuzzParseLatest(f *testing.F) {
	f.Add([]byte(`{"schema_version":1,"tool":{"name":"ownerscan"},"run_prefix":"p/2026/01/02/030405Z/","report_key":"p/2026/01/02/030405Z/report.json","complete":true,"organization_id":"o-abcdefghij"}`), "p")
	f.Add([]byte(`{"schema_version":1,"tool":{"name":"ownerscan"},"run_prefix":"2026/01/02/030405Z/","report_key":"2026/01/02/030405Z/report.json","complete":true,"organization_id":"o-abcdefghij"}`), "")
	f.Add([]byte(`{"run_prefix":"../x/"}`), "p")
	f.Fuzz(func(t *testing.T, data []byte, prefix string) {
		l, err := parseLatest(data, prefix)
		if err != nil {
			return
		}
		folder := strings.TrimPrefix(l.RunPrefix, prefix)
		if prefix != "" && !strings.HasPrefix(l.RunPrefix, prefix+"/") {
			t.Fatalf("accepted run_prefix %q outside prefix %q", l.RunPrefix, prefix)
		}
		if !runFolderRe.MatchString(strings.TrimPrefix(folder, "/")) || l.ReportKey != l.RunPrefix+"report.json" || !l.Complete {
			t.Fatalf("accepted %+v under %q", l, prefix)
		}
	})
}
