package scanner

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
)

// TestPaceLimiter: after a burst of one second's worth, requests start at
// most rate per second, and a cancelled wait returns at once.
func TestPaceLimiter(t *testing.T) {
	if newPaceLimiter(0) != nil {
		t.Fatal("rate 0 must mean no limiter")
	}
	var none *paceLimiter
	if err := none.wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	l := newPaceLimiter(50) // burst 50, then 20ms apart
	start := time.Now()
	var wg sync.WaitGroup
	for range 60 {
		wg.Add(1)
		go func() { defer wg.Done(); _ = l.wait(context.Background()) }()
	}
	wg.Wait()
	if took := time.Since(start); took < 190*time.Millisecond || took > 400*time.Millisecond {
		t.Errorf("60 requests at 50/s with a burst of 50 took %v, want about 200ms", took)
	}
	if b := newPaceLimiter(0.5); b.burst != 1 || b.interval != 2*time.Second {
		t.Errorf("rate 0.5: burst %d interval %v", b.burst, b.interval)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range 200 { // queue far ahead
		_ = l.wait(ctx)
		cancel()
	}
	begin := time.Now()
	if err := l.wait(ctx); err == nil || time.Since(begin) > 50*time.Millisecond {
		t.Errorf("cancelled wait: %v after %v", err, time.Since(begin))
	}
}

// sigv4Service pulls the service out of a SigV4 credential scope.
var sigv4Service = regexp.MustCompile(`Credential=[^/]+/[0-9]{8}/[^/]+/([^/]+)/aws4_request`)

// recordingEndpoint serves the emulator behind a handler that records when
// each request of each service arrived, and that lets a test stall chosen
// requests. It returns the aws.Config a user would have against it.
type recordingEndpoint struct {
	srv *fakeaws.Server
	url string

	mu       sync.Mutex
	arrivals map[string][]time.Time // service -> arrival times
	// stall, when set, is asked about every request; true holds the request
	// until the client gives up on it, unanswered.
	stall func(r *http.Request) bool
}

func newRecordingEndpoint(t *testing.T, yml string) *recordingEndpoint {
	t.Helper()
	e := &recordingEndpoint{srv: emulateYAML(t, yml), arrivals: map[string][]time.Time{}}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		service := ""
		if m := sigv4Service.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			service = m[1]
		}
		e.mu.Lock()
		e.arrivals[service] = append(e.arrivals[service], now)
		stall := e.stall != nil && e.stall(r)
		e.mu.Unlock()
		if stall {
			// The server notices the client hanging up only once the body
			// is read.
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return
		}
		e.srv.Emulator.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	e.url = ts.URL
	return e
}

func (e *recordingEndpoint) config() aws.Config {
	ak, sk := e.srv.Emulator.ManagementCredentials()
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(ak, sk, ""),
		BaseEndpoint: aws.String(e.url),
	}
}

func (e *recordingEndpoint) times(service string) []time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	ts := append([]time.Time(nil), e.arrivals[service]...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	return ts
}

// rateScenario: 60 member accounts (3 ListAccounts pages, 60 AssumeRole)
// with one enforced bucket each.
const rateScenario = `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
generate: {accounts: 60, buckets_per_account: 1, not_enforced_fraction: 0, objects_per_bucket: 1}
`

// TestE2ERateLimitsPerService: each service's requests reach AWS no faster
// than its configured rate, retries included; an unlimited service is not
// slowed.
func TestE2ERateLimitsPerService(t *testing.T) {
	e := newRecordingEndpoint(t, rateScenario+"faults: {throttle: {rate: 0.2, operations: [AssumeRole, ListAccounts]}, seed: 5}\n")
	opts := DefaultOptions()
	opts.RateLimits = RateLimits{Organizations: 2, STS: 20, S3: 0}
	s, err := New(e.config(), opts, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Scan(context.Background(), nil, nil)
	if err != nil || !res.Complete {
		t.Fatalf("scan: %v %+v", err, res.Summary)
	}
	for service, rate := range map[string]float64{"organizations": 2, "sts": 20} {
		ts := e.times(service)
		// A token bucket of one second's worth: n requests need at least
		// (n - burst) / rate seconds, less a little transport jitter.
		burst := max(1, int(rate))
		minSpan := time.Duration(float64(len(ts)-burst) / rate * float64(time.Second) * 0.95)
		if span := ts[len(ts)-1].Sub(ts[0]); span < minSpan {
			t.Errorf("%s: %d requests in %v, want at least %v at %v/s", service, len(ts), span, minSpan, rate)
		}
		t.Logf("%s: %d requests over %v", service, len(ts), ts[len(ts)-1].Sub(ts[0]).Round(time.Millisecond))
	}
	// S3 is not limited: its calls follow the paced AssumeRoles closely
	// instead of trailing behind at some rate of their own.
	s3, sts := e.times("s3"), e.times("sts")
	if lag := s3[len(s3)-1].Sub(sts[len(sts)-1]); len(s3) < 120 || lag > 500*time.Millisecond {
		t.Errorf("s3 unlimited: %d requests, the last %v after the last STS call", len(s3), lag)
	}
}

// TestE2EStalledCallRetried: an attempt that gets no answer is given up
// after the per-attempt timeout and retried; the scan completes with the
// same result as without the stall, and does not wait for the stalled call.
func TestE2EStalledCallRetried(t *testing.T) {
	yml := string(fakeaws.BuiltinScenarioYAML())
	clean := scanEmulator(t, emulateYAML(t, yml), DefaultOptions(), nil)

	e := newRecordingEndpoint(t, yml)
	var mu sync.Mutex
	stalled := map[string]int{}
	e.stall = func(r *http.Request) bool {
		op := ""
		switch {
		case r.URL.Query().Has("ownershipControls"):
			op = "GetBucketOwnershipControls"
		case r.URL.Query().Has("versions"):
			op = "ListObjectVersions"
		case strings.Contains(r.Header.Get("Authorization"), "/sts/"):
			op = "sts"
		default:
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		stalled[op]++
		return stalled[op] <= 2 // the first two attempts of each kind hang
	}
	opts := DefaultOptions()
	const attempt = 300 * time.Millisecond
	s, err := New(e.config(), opts, testLogger(), WithAttemptTimeout(attempt))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err := s.Scan(context.Background(), nil, nil)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if !equalResults(clean, res) {
		t.Errorf("result differs from the run without stalls:\n%+v\n%+v", stripTimes(res).Buckets, stripTimes(clean).Buckets)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, op := range []string{"GetBucketOwnershipControls", "ListObjectVersions", "sts"} {
		if stalled[op] < 3 {
			t.Errorf("%s: %d attempts, want the two stalled ones and a retry", op, stalled[op])
		}
	}
	if took > 10*time.Second {
		t.Errorf("scan took %v: stalled attempts were waited on", took)
	}
	t.Logf("scan with stalled attempts took %v (attempt timeout %v)", took.Round(time.Millisecond), attempt)
}

// equalResults compares two results, timestamps and call figures aside.
func equalResults(a, b *Result) bool {
	return reflect.DeepEqual(stripTimes(a), stripTimes(b))
}

// stopScenario is slow to scan at concurrency 4 under 150ms latency: 20
// accounts, 60 buckets not enforced, 3 listing pages each.
const stopScenario = `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
generate: {accounts: 20, buckets_per_account: 3, not_enforced_fraction: 1, objects_per_bucket: 2500, foreign_fraction: 0.01}
faults: {latency: 150ms}
`

// scanStopped scans stopScenario and closes stop after `after`.
func scanStopped(t *testing.T, grace, after time.Duration) (*Result, error, time.Duration) {
	t.Helper()
	srv := emulateYAML(t, stopScenario)
	opts := DefaultOptions()
	opts.Concurrency = 4
	s, err := New(awsConfigFor(srv), opts, testLogger(), WithStopGrace(grace))
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var stoppedAt time.Time
	time.AfterFunc(after, func() { stoppedAt = time.Now(); close(stop) })
	res, err := s.ScanUntil(context.Background(), stop, nil, nil)
	if res == nil {
		t.Fatal("nil result")
	}
	return res, err, time.Since(stoppedAt)
}

// checkStoppedResult: everything in scope has a row; what was not reached is
// failed and says so; the result is incomplete.
func checkStoppedResult(t *testing.T, res *Result, allAccounts bool) (before, during, notScanned int) {
	t.Helper()
	if res.Complete {
		t.Error("a stopped scan is marked complete")
	}
	if allAccounts && len(res.Accounts) != 21 {
		t.Errorf("%d accounts, want all 21 in scope named", len(res.Accounts))
	}
	count := func(msg string) {
		switch {
		case strings.HasPrefix(msg, "interrupted before "):
			before++
		case strings.HasPrefix(msg, "interrupted during "):
			during++
		case msg == errNotScannedInterrupted:
			notScanned++
		default:
			t.Errorf("unexpected error %q", msg)
		}
	}
	for _, a := range res.Accounts {
		if a.Status == AccountFailed {
			count(a.Error)
		}
	}
	for _, b := range res.Buckets {
		if b.Status == BucketFailed {
			count(b.Error)
		}
	}
	if before+during+notScanned == 0 {
		t.Error("nothing reported as not reached")
	}
	return before, during, notScanned
}

// TestE2EGracefulStop: after a stop no new call starts, the calls in flight
// finish (none is cut: latency < grace), and the scan returns soon after.
func TestE2EGracefulStop(t *testing.T) {
	res, err, took := scanStopped(t, 2*time.Second, 1200*time.Millisecond)
	if !errors.Is(err, ErrStopped) {
		t.Fatalf("err = %v, want ErrStopped", err)
	}
	before, during, notScanned := checkStoppedResult(t, res, true)
	if during != 0 {
		t.Errorf("%d calls were cut although every call fits in the grace period", during)
	}
	// One call in flight per slot finishes (150ms), plus the ListAccounts
	// pages still underway.
	if took > time.Second {
		t.Errorf("returned %v after the stop", took)
	}
	t.Logf("returned %v after the stop: %d interrupted before a call, %d not scanned", took.Round(time.Millisecond), before, notScanned)
}

// TestE2EGracefulStopGraceOver: calls longer than the grace period are
// cancelled when it runs out.
func TestE2EGracefulStopGraceOver(t *testing.T) {
	res, err, took := scanStopped(t, 20*time.Millisecond, 1200*time.Millisecond)
	if !errors.Is(err, ErrStopped) {
		t.Fatalf("err = %v, want ErrStopped", err)
	}
	// The ListAccounts page underway may be cut too: not every account is
	// necessarily named.
	_, during, _ := checkStoppedResult(t, res, false)
	if during == 0 {
		t.Error("no call was cut although each takes longer than the grace period")
	}
	if took > 500*time.Millisecond {
		t.Errorf("returned %v after the stop, grace 20ms", took)
	}
}

// expiredProvider answers credentials that expired before they arrived.
type expiredProvider struct{}

func (expiredProvider) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "ASIAEXAMPLE", CanExpire: true, Expires: time.Now().Add(-time.Second)}, nil
}

// TestEarlyRefreshExpiredOnArrival: a session that is already over by our
// clock (slow answer, clock skew) is passed on unchanged, not a panic.
func TestEarlyRefreshExpiredOnArrival(t *testing.T) {
	c, err := earlyRefresh{expiredProvider{}}.Retrieve(context.Background())
	if err != nil || c.AccessKeyID != "ASIAEXAMPLE" {
		t.Fatalf("%+v %v", c, err)
	}
}
