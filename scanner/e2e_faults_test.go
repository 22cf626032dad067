package scanner

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
)

// stripTimes blanks what legitimately differs between two runs.
func stripTimes(r *Result) *Result {
	c := *r
	c.StartedAt, c.FinishedAt = time.Time{}, time.Time{}
	c.Calls = CallStats{}
	return &c
}

// Throttling on every service and connection resets are retried away: the
// result equals the fault-free one.
func TestE2EFaultsRetriedWithoutLoss(t *testing.T) {
	clean := scanEmulator(t, emulate(t, fakeaws.BuiltinScenario()), DefaultOptions(), nil)
	for _, faults := range []string{
		"faults: {throttle: {rate: 0.3}, seed: 7}",
		"faults: {reset: {rate: 0.05}, seed: 3}",
	} {
		yml := string(fakeaws.BuiltinScenarioYAML()) + "\n" + faults + "\n"
		srv := emulateYAML(t, yml)
		got := scanEmulator(t, srv, DefaultOptions(), nil)
		if !reflect.DeepEqual(stripTimes(clean), stripTimes(got)) {
			t.Errorf("%s: result differs from the fault-free run:\n%+v\n%+v", faults, stripTimes(got).Buckets, stripTimes(clean).Buckets)
		}
		if c := srv.Emulator.Counters(); c.Total <= got.Calls.MinCalls {
			t.Errorf("%s: no retries seen (%d calls, min %d)", faults, c.Total, got.Calls.MinCalls)
		}
	}
}

// AccessDenied on one bucket's ACL fails exactly that bucket, with the code.
func TestE2EDeniedBucket(t *testing.T) {
	yml := string(fakeaws.BuiltinScenarioYAML()) + `
faults:
  deny: [{bucket: acme-b-public-assets, operation: GetBucketAcl}]
`
	res := scanEmulator(t, emulateYAML(t, yml), DefaultOptions(), nil)
	for _, b := range res.Buckets {
		failed := b.Status == BucketFailed
		// acme-c-restricted's own policy denies reading it: failed anyway.
		if failed != (b.Name == "acme-b-public-assets" || b.Name == "acme-c-restricted") {
			t.Errorf("bucket %s: %s %s", b.Name, b.Status, b.Error)
		}
	}
	b := bucketByName(t, res, "acme-b-public-assets")
	if !strings.HasPrefix(b.Error, "GetBucketAcl: AccessDenied") || b.ObjectOwnership != OwnershipObjectWriter {
		t.Errorf("denied bucket: %+v", b)
	}
	if f := findingsOf(res, FindingScanError, "acme-b-public-assets"); len(f) != 1 || f[0].Severity != SeverityError {
		t.Errorf("SCAN_ERROR: %+v", f)
	}
	if res.Complete {
		t.Error("a failed bucket makes the scan incomplete")
	}
}

// Cancelling mid-scan returns promptly with a partial, incomplete result in
// which everything not reached is listed as such.
func TestE2EInterrupted(t *testing.T) {
	yml := string(fakeaws.BuiltinScenarioYAML()) + "\nfaults: {latency: 40ms}\n"
	srv := emulateYAML(t, yml)
	ctx, cancel := context.WithCancel(context.Background())
	// Cancel once the first account is being listed: accounts are placed,
	// most buckets not yet checked (a fixed delay depends on the machine).
	go func() {
		for srv.Emulator.Counters().ByOperation["ListBuckets"] == 0 && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	opts := DefaultOptions()
	opts.Concurrency = 2
	start := time.Now()
	res, err := scanEmulatorErr(t, ctx, srv, opts, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %v after cancel", took)
	}
	if res.Complete {
		t.Error("interrupted scan marked complete")
	}
	interrupted := 0
	for _, a := range res.Accounts {
		if a.Status == AccountFailed && strings.Contains(a.Error, "interrupted") {
			interrupted++
		}
	}
	for _, b := range res.Buckets {
		if b.Status == BucketFailed && strings.Contains(b.Error, "interrupted") {
			interrupted++
		}
	}
	if interrupted == 0 {
		t.Errorf("nothing reported as interrupted: %+v %+v", res.Accounts, res.Buckets)
	}
}

// The budget holds every HTTP attempt: the peak never exceeds concurrency
// and every slot is back when the scan ends (no body left unclosed).
func TestE2EBudgetBoundsRequestsInFlight(t *testing.T) {
	srv := emulateYAML(t, pagingScenario()+"faults: {latency: 2ms}\n")
	opts := DefaultOptions()
	opts.Concurrency = 5
	var b *budget
	s := newScanner(opts, testLogger(), func() (clientFactory, *budget) {
		b = newBudget(opts.Concurrency)
		return newAWSClients(awsConfigFor(srv), newHTTPClient(opts.Concurrency, DefaultAttemptTimeout), b), b
	})
	res, err := s.Scan(context.Background(), nil, nil)
	if err != nil || !res.Complete {
		t.Fatalf("scan: %v", err)
	}
	if b.peak.Load() != 5 || b.inFlight.Load() != 0 {
		t.Errorf("peak %d (want 5), in flight after the scan %d", b.peak.Load(), b.inFlight.Load())
	}
}
