package scanner

import (
	"os"
	"testing"
	"time"
)

// TestScaleFigures measures a generated organization against the latency
// bound of DESIGN.md's performance model. It is slow, so it only runs with
// SCANNER_SCALE=1:
//
//	SCANNER_SCALE=1 go test -run TestScaleFigures -v ./scanner/
func TestScaleFigures(t *testing.T) {
	if os.Getenv("SCANNER_SCALE") == "" {
		t.Skip("set SCANNER_SCALE=1 to measure")
	}
	const latency = 20 * time.Millisecond
	srv := emulateYAML(t, `
management_account: "111111111111"
accounts: [{id: "111111111111", name: Mgmt}]
generate: {accounts: 1000, buckets_per_account: 20, not_enforced_fraction: 0.2, objects_per_bucket: 100, foreign_fraction: 0.01}
faults: {latency: 20ms}
`)
	opts := DefaultOptions()
	start := time.Now()
	res := scanEmulator(t, srv, opts, nil)
	wall := time.Since(start)
	calls := srv.Emulator.Counters().Total
	bound := max(time.Duration(res.Calls.CriticalPath)*latency, time.Duration(calls)*latency/time.Duration(opts.Concurrency))
	t.Logf("accounts %d buckets %d objects %d calls %d min_calls %d critical_path %d wall %.2fs bound %.2fs ratio %.3f",
		len(res.Accounts), len(res.Buckets), res.Summary.ObjectsScanned, calls, res.Calls.MinCalls, res.Calls.CriticalPath,
		wall.Seconds(), bound.Seconds(), wall.Seconds()/bound.Seconds())
	if calls != res.Calls.MinCalls {
		t.Errorf("calls %d != min %d", calls, res.Calls.MinCalls)
	}
}
