package scanner

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
)

// expectedCalls is what a full scan with opts of the emulator's
// organization must cost, per operation and in all, worked out by the
// emulator from its own contents (its accounts and what each bucket
// holds), not from anything the scan records: README "--stats" gives the
// model.
func expectedCalls(t *testing.T, srv *fakeaws.Server, opts Options) fakeaws.Minimum {
	t.Helper()
	m, err := srv.Emulator.Minimum(fakeaws.ScanShape{
		Caller:                   srv.Emulator.Scenario().ManagementAccount,
		IncludeManagementAccount: opts.IncludeManagementAccount,
		ListObjects:              opts.ObjectsMode == ObjectsModeFull,
		Readiness:                opts.Readiness.Enabled,
		ObjectACLSample:          opts.Readiness.ObjectACLSample,
		Concurrency:              opts.Concurrency,
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestScaleFigures scans a generated organization with latency and checks
// that the scan is complete and exact: every account and bucket, every
// version the emulator holds, and exactly the calls the emulator's
// contents require, per operation (a needless call, such as a HeadBucket
// per bucket, or a listing that stops early, fails it). It logs wall time
// against the latency bound and how full the request budget was kept.
//
// CI scans 200 accounts x 5 buckets at 5 ms, a tenth of them listed (two
// pages each). The figures of the README (1,000 accounts x 20 buckets at
// 20 ms, a fifth listed) come from
//
//	SCANNER_SCALE=1 go test -run TestScaleFigures -v ./scanner/
func TestScaleFigures(t *testing.T) {
	accounts, buckets, notEnforced, objects, latency := 200, 5, 0.1, 1001, 5*time.Millisecond
	if os.Getenv("SCANNER_SCALE") != "" {
		accounts, buckets, notEnforced, objects, latency = 1000, 20, 0.2, 100, 20*time.Millisecond
	}
	srv := emulateYAML(t, fmt.Sprintf(`
management_account: "111111111111"
accounts: [{id: "111111111111", name: Mgmt}]
generate: {accounts: %d, buckets_per_account: %d, not_enforced_fraction: %v, objects_per_bucket: %d, foreign_fraction: 0.01}
faults: {latency: %s}
`, accounts, buckets, notEnforced, objects, latency))
	opts := DefaultOptions()
	budgets := make(chan *budget, 1)
	s := newScanner(opts, testLogger(), func() (clientFactory, *budget) {
		b := newBudget(opts.Concurrency)
		budgets <- b
		return newAWSClients(awsConfigFor(srv), newHTTPClient(opts.Concurrency, DefaultAttemptTimeout), b), b
	})
	stop := make(chan struct{})
	fill := make(chan float64, 1)
	go func() { fill <- sampleInFlight((<-budgets).inFlight.Load, stop) }()
	start := time.Now()
	res, err := s.Scan(t.Context(), nil, nil)
	wall := time.Since(start)
	close(stop)
	if err != nil {
		t.Fatal(err)
	}

	versions := int64(0)
	for _, c := range srv.Emulator.Buckets() {
		if c.Ownership != "BucketOwnerEnforced" {
			versions += c.Versions
		}
	}
	if !res.Complete || len(res.Accounts) != accounts+1 || len(res.Buckets) != accounts*buckets || res.Summary.ObjectsScanned != versions {
		t.Errorf("complete %v, %d accounts, %d buckets, %d versions; want %d accounts, %d buckets, %d versions",
			res.Complete, len(res.Accounts), len(res.Buckets), res.Summary.ObjectsScanned, accounts+1, accounts*buckets, versions)
	}
	counts := srv.Emulator.Counters()
	want := expectedCalls(t, srv, opts)
	total := want.Calls
	for op, n := range want.ByOperation {
		if counts.ByOperation[op] != n {
			t.Errorf("%s: %d calls, the organization needs %d", op, counts.ByOperation[op], n)
		}
	}
	if counts.Total != total {
		t.Errorf("%d calls in all, the organization needs %d (by operation: %v)", counts.Total, total, counts.ByOperation)
	}
	if res.Calls.MinCalls != total {
		t.Errorf("the scan's own count of what it needed is %d, the organization needs %d", res.Calls.MinCalls, total)
	}
	if res.Calls.CriticalPath != want.CriticalPath {
		t.Errorf("the scan's own critical path is %d calls, the emulator's %d", res.Calls.CriticalPath, want.CriticalPath)
	}
	bound := max(time.Duration(want.CriticalPath)*latency, time.Duration(total)*latency/time.Duration(opts.Concurrency))
	t.Logf("accounts %d buckets %d objects %d calls %d (needed %d) critical_path %d wall %.2fs bound %.2fs ratio %.3f, mean requests in flight %.1f of %d",
		len(res.Accounts), len(res.Buckets), res.Summary.ObjectsScanned, counts.Total, total, want.CriticalPath,
		wall.Seconds(), bound.Seconds(), wall.Seconds()/bound.Seconds(), <-fill, opts.Concurrency)
}
