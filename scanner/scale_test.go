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
	var b *budget
	s := newScanner(opts, testLogger(), func() (clientFactory, *budget) {
		b = newBudget(opts.Concurrency)
		return newAWSClients(awsConfigFor(srv), newHTTPClient(opts.Concurrency, opts.attemptTimeout()), b), b
	})
	// Sample how full the budget is kept.
	stop := make(chan struct{})
	samples, sum := 0, int64(0)
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if b != nil {
					samples++
					sum += b.inFlight.Load()
				}
			}
		}
	}()
	start := time.Now()
	res, err := s.Scan(t.Context(), nil, nil)
	wall := time.Since(start)
	close(stop)
	<-sampled
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("mean requests in flight %.1f of %d", float64(sum)/float64(max(samples, 1)), opts.Concurrency)
	calls := srv.Emulator.Counters().Total
	bound := max(time.Duration(res.Calls.CriticalPath)*latency, time.Duration(calls)*latency/time.Duration(opts.Concurrency))
	t.Logf("accounts %d buckets %d objects %d calls %d min_calls %d critical_path %d wall %.2fs bound %.2fs ratio %.3f",
		len(res.Accounts), len(res.Buckets), res.Summary.ObjectsScanned, calls, res.Calls.MinCalls, res.Calls.CriticalPath,
		wall.Seconds(), bound.Seconds(), wall.Seconds()/bound.Seconds())
	if calls != res.Calls.MinCalls {
		t.Errorf("calls %d != min %d", calls, res.Calls.MinCalls)
	}
}
