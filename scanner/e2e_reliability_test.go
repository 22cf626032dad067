package scanner

import (
	"context"
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

// TestPaceLimiter: requests start at most rate per second, evenly spaced,
// and a cancelled wait returns at once.
func TestPaceLimiter(t *testing.T) {
	if newPaceLimiter(0) != nil {
		t.Fatal("rate 0 must mean no limiter")
	}
	var none *paceLimiter
	if err := none.wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	l := newPaceLimiter(50) // 20ms apart
	start := time.Now()
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() { defer wg.Done(); _ = l.wait(context.Background()) }()
	}
	wg.Wait()
	if took := time.Since(start); took < 170*time.Millisecond {
		t.Errorf("10 requests at 50/s took %v, want >= 180ms", took)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range 100 { // queue far ahead
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
	opts.RateLimits = RateLimits{Organizations: 20, STS: 100, S3: 0}
	s, err := New(e.config(), opts, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Scan(context.Background(), nil, nil)
	if err != nil || !res.Complete {
		t.Fatalf("scan: %v %+v", err, res.Summary)
	}
	for service, rate := range map[string]float64{"organizations": 20, "sts": 100} {
		ts := e.times(service)
		// Starts are spaced 1/rate apart; arrivals may bunch by a little
		// transport jitter, never by a whole interval.
		interval := time.Duration(float64(time.Second) / rate)
		minSpan := time.Duration(len(ts)-1) * interval * 9 / 10
		if span := ts[len(ts)-1].Sub(ts[0]); span < minSpan {
			t.Errorf("%s: %d requests in %v, want at least %v at %v/s", service, len(ts), span, minSpan, rate)
		}
		for i := 2; i < len(ts); i++ {
			if gap := ts[i].Sub(ts[i-2]); gap < interval {
				t.Errorf("%s: requests %d and %d arrived %v apart, want >= %v (two intervals, less jitter)", service, i-2, i, gap, interval)
				break
			}
		}
		t.Logf("%s: %d requests over %v", service, len(ts), ts[len(ts)-1].Sub(ts[0]).Round(time.Millisecond))
	}
	s3 := e.times("s3")
	if span := s3[len(s3)-1].Sub(s3[0]); len(s3) < 120 || span > 2*time.Second {
		t.Errorf("s3 unlimited: %d requests over %v", len(s3), span)
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
	s := newScanner(opts, testLogger(), func() (clientFactory, *budget) {
		b := newBudget(opts.Concurrency)
		hc := newHTTPClient(opts.Concurrency)
		hc.attemptTimeout = attempt
		return newAWSClients(e.config(), hc, b).withRateLimits(opts.RateLimits), b
	})
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
