package scanner

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
)

// scanWithQuickRetries scans srv through the scan's own clients and
// retryer (newRetryer: its attempts, retryables and retry quota), with only
// the waits between attempts cut to a millisecond so that a burst of
// throttles costs no test time.
func scanWithQuickRetries(t *testing.T, srv *fakeaws.Server, opts Options) *Result {
	t.Helper()
	s := newScanner(opts, testLogger(), func() (clientFactory, *budget) {
		b := newBudget(opts.Concurrency)
		c := newAWSClients(awsConfigFor(srv), newHTTPClient(opts.Concurrency, DefaultAttemptTimeout), b)
		c.base.Retryer = func() aws.Retryer {
			return retry.AddWithMaxBackoffDelay(newRetryer(DefaultMaxBackoff), time.Millisecond)
		}
		return c, b
	})
	res, err := s.Scan(context.Background(), nil, nil)
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	return res
}

// throttledTwin scans yml as it is, then again with every distinct request
// of ops (all operations when empty) throttled burst times before it is
// served, and checks that the second scan rode the bursts out: nothing
// failed, the same result, and exactly burst more calls per request of
// ops. It returns the call counters of the scan without faults.
func throttledTwin(t *testing.T, yml string, burst int, ops ...string) fakeaws.CounterSnapshot {
	t.Helper()
	clean := emulateYAML(t, yml)
	want := scanWithQuickRetries(t, clean, DefaultOptions())
	if !want.Complete {
		t.Fatalf("scan without faults incomplete: %+v", want.Buckets)
	}
	throttle := fmt.Sprintf("faults: {throttle: {burst: %d, operations: [%s]}}\n", burst, strings.Join(ops, ", "))
	throttled := emulateYAML(t, yml+throttle)
	got := scanWithQuickRetries(t, throttled, DefaultOptions())
	failed := 0
	for _, b := range got.Buckets {
		if b.Status == BucketFailed {
			if failed++; failed <= 3 {
				t.Errorf("bucket %s failed: %s", b.Name, b.Error)
			}
		}
	}
	for _, a := range got.Accounts {
		if a.Status == AccountFailed {
			t.Errorf("account %s failed: %s", a.ID, a.Error)
		}
	}
	if failed > 0 || !equalResults(want, got) {
		t.Fatalf("the throttled scan differs from the clean one (%d buckets failed)", failed)
	}
	counts := clean.Emulator.Counters()
	throttledRequests := counts.Total
	if len(ops) > 0 {
		throttledRequests = 0
		for _, op := range ops {
			throttledRequests += counts.ByOperation[op]
		}
	}
	wantCalls := counts.Total + int64(burst)*throttledRequests
	if n := throttled.Emulator.Counters().Total; n != wantCalls {
		t.Errorf("throttled scan made %d calls, want %d: %d without faults, plus %d throttles for each of %d requests",
			n, wantCalls, counts.Total, burst, throttledRequests)
	}
	return counts
}

// TestScanRidesOutThrottleBursts: every call is retried up to 10 attempts
// (README "Throttling, faults and long scans"), so a burst of 9 throttles
// on every single request of every service still ends in the same,
// complete result. With fewer attempts every call fails.
func TestScanRidesOutThrottleBursts(t *testing.T) {
	const burst = 9 // 10 attempts: 9 throttled, the 10th served
	throttledTwin(t, `
management_account: "111111111111"
accounts: [{id: "111111111111", name: Mgmt}]
generate: {accounts: 2, buckets_per_account: 2, not_enforced_fraction: 0.5, objects_per_bucket: 1500, foreign_fraction: 0.01}
`, burst)
}

// TestScanRetryQuotaIsOff: the SDK's client-side retry quota (500 tokens
// per client; a retry after throttling costs 5, refunded only when that
// retry succeeds) is off on purpose (README "Throttling, faults and long
// scans"). Here one account's S3 client makes 180 calls, each throttled 3
// times: with the quota on, each call keeps 10 of the tokens its retries
// took, the 500 are gone after about 50 calls (sooner with 64 in flight),
// and the next retries fail at once with "retry quota exceeded".
func TestScanRetryQuotaIsOff(t *testing.T) {
	const burst, buckets = 3, 60
	var yml strings.Builder
	yml.WriteString("management_account: \"111111111111\"\naccounts: [{id: \"111111111111\", name: Mgmt}]\nbuckets:\n")
	for i := range buckets {
		fmt.Fprintf(&yml, "  - {name: bucket-%02d, account: \"111111111111\", ownership: ObjectWriter, objects: [{key: k}]}\n", i)
	}
	ops := []string{"GetBucketOwnershipControls", "GetBucketAcl", "ListObjectVersions"}
	counts := throttledTwin(t, yml.String(), burst, ops...)
	for _, op := range ops {
		if n := counts.ByAccountOperation["111111111111"][op]; n != buckets {
			t.Errorf("%s: %d calls, want one per bucket", op, n)
		}
	}
}
