package scanner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/metrics"
	"runtime/pprof"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/middleware"
)

// TestPerfScanEndpoint scans the emulator (or any endpoint) named by
// OWNERSCAN_PERF_ENDPOINT with the credentials of AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY, for profiling the scanning side alone with the
// emulator in its own process:
//
//	ownerscan emulate --scenario cmd/ownerscan/testdata/perf/bucket-1m.yaml --addr 127.0.0.1:4566 &
//	OWNERSCAN_PERF_ENDPOINT=http://127.0.0.1:4566 AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \
//	  go test -run TestPerfScanEndpoint -cpuprofile cpu.out -memprofile mem.out ./scanner/
//
// OWNERSCAN_PERF_CONCURRENCY sets the concurrency (default 64),
// OWNERSCAN_PERF_TRACE=50ms prints when calls were on the wire,
// OWNERSCAN_PERF_HEAP=FILE writes a heap profile at the peak.
//
// Without OWNERSCAN_PERF_ENDPOINT (as in CI) it runs the same harness,
// trace and heap profile included, against an emulator of its own, and
// checks what the harness reports: the scan is complete, every call is in
// the trace, the budget was used, the profile was written.
func TestPerfScanEndpoint(t *testing.T) {
	endpoint := os.Getenv("OWNERSCAN_PERF_ENDPOINT")
	if endpoint != "" {
		perfScan(t, endpoint, os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("OWNERSCAN_PERF_TRACE"), os.Getenv("OWNERSCAN_PERF_HEAP"))
		return
	}
	srv := emulateYAML(t, `
management_account: "111111111111"
accounts: [{id: "111111111111", name: Mgmt}]
generate: {accounts: 20, buckets_per_account: 4, not_enforced_fraction: 0.25, objects_per_bucket: 2500, foreign_fraction: 0.01}
faults: {latency: 2ms}
`)
	ak, sk := srv.Emulator.ManagementCredentials()
	heap := filepath.Join(t.TempDir(), "heap.out")
	res, trace, fill := perfScan(t, srv.URL, ak, sk, "10ms", heap)
	if !res.Complete || res.Summary.ObjectsScanned != 20*2500 {
		t.Errorf("complete %v, %d versions scanned, want 50000", res.Complete, res.Summary.ObjectsScanned)
	}
	if traced, n := trace.count(), srv.Emulator.Counters().Total; traced != n {
		t.Errorf("the trace holds %d calls, the emulator answered %d", traced, n)
	}
	if fill <= 0 {
		t.Errorf("mean requests in flight %v", fill)
	}
	if st, err := os.Stat(heap); err != nil || st.Size() == 0 {
		t.Errorf("heap profile: %v", err)
	}
}

// perfScan scans endpoint as the given access key and logs the figures;
// traceWindow (a duration) turns the call trace on, heapPath the heap
// profile at the peak.
func perfScan(t *testing.T, endpoint, accessKey, secretKey, traceWindow, heapPath string) (*Result, *callTrace, float64) {
	t.Helper()
	opts := DefaultOptions()
	if n, err := strconv.Atoi(os.Getenv("OWNERSCAN_PERF_CONCURRENCY")); err == nil {
		opts.Concurrency = n
	}
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
		BaseEndpoint: aws.String(endpoint),
	}
	trace := &callTrace{start: time.Now()}
	if traceWindow != "" {
		cfg.APIOptions = append(cfg.APIOptions, trace.install)
	}
	s, err := New(cfg, opts, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	fill := make(chan float64, 1)
	inner := s.newRun
	s.newRun = func() (clientFactory, *budget) {
		c, b := inner()
		go func() { fill <- sampleInFlight(b.inFlight.Load, stop) }()
		return c, b
	}
	heapDone := make(chan struct{})
	if heapPath != "" {
		go func() { defer close(heapDone); profileHeapAtPeak(t, heapPath, stop) }()
	} else {
		close(heapDone)
	}
	start := time.Now()
	trace.start = start
	res, err := s.Scan(context.Background(), nil, nil)
	wall := time.Since(start)
	close(stop)
	<-heapDone
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	meanFill := <-fill
	t.Logf("wall %v, buckets %d, objects %d, min calls %d, critical path %d, mean in flight %.1f of %d",
		wall, len(res.Buckets), res.Summary.ObjectsScanned, res.Calls.MinCalls, res.Calls.CriticalPath, meanFill, opts.Concurrency)
	trace.print(t, traceWindow)
	return res, trace, meanFill
}

// callTrace records when each call's attempts were on the wire (from
// after the budget slot was taken to the decoded response), for
// OWNERSCAN_PERF_TRACE: where a scan waits on a chain of calls.
type callTrace struct {
	start time.Time
	mu    sync.Mutex
	calls []tracedCall
}

type tracedCall struct {
	op         string
	begin, end time.Duration
}

func (c *callTrace) install(s *middleware.Stack) error {
	return s.Deserialize.Add(middleware.DeserializeMiddlewareFunc("perfTrace", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
		begin := time.Since(c.start)
		out, md, err := next.HandleDeserialize(ctx, in)
		end := time.Since(c.start)
		c.mu.Lock()
		c.calls = append(c.calls, tracedCall{middleware.GetOperationName(ctx), begin, end})
		c.mu.Unlock()
		return out, md, err
	}), middleware.After)
}

// count is the number of calls traced.
func (c *callTrace) count() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return int64(len(c.calls))
}

// print logs the first calls one by one, then per window (a duration,
// default 50 ms) how many calls were on the wire on average and how long
// they took.
func (c *callTrace) print(t *testing.T, window string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.calls) == 0 {
		return
	}
	sort.Slice(c.calls, func(i, j int) bool { return c.calls[i].begin < c.calls[j].begin })
	for _, k := range c.calls[:min(len(c.calls), 24)] {
		t.Logf("%-28s %7.1f ms .. %7.1f ms (%5.1f)", k.op, ms(k.begin), ms(k.end), ms(k.end-k.begin))
	}
	win := 50 * time.Millisecond
	if d, err := time.ParseDuration(window); err == nil && d > 0 {
		win = d
	}
	last := c.calls[0].end
	for _, k := range c.calls {
		last = max(last, k.end)
	}
	for w := time.Duration(0); w < last; w += win {
		var busy, took time.Duration
		n := 0
		for _, k := range c.calls {
			b, e := max(k.begin, w), min(k.end, w+win)
			if e > b {
				busy += e - b
			}
			if k.begin >= w && k.begin < w+win {
				n++
				took += k.end - k.begin
			}
		}
		avg := 0.0
		if n > 0 {
			avg = ms(took) / float64(n)
		}
		t.Logf("%5.0f ms: on the wire %5.1f, started %3d, mean %5.1f ms", ms(w), float64(busy)/float64(win), n, avg)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// sampleInFlight averages n() every millisecond until stop closes, and
// with OWNERSCAN_PERF_TIMELINE set prints the average of every 100 ms.
func sampleInFlight(n func() int64, stop <-chan struct{}) float64 {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	timeline := os.Getenv("OWNERSCAN_PERF_TIMELINE") != ""
	var sum, count, winSum, winCount float64
	start := time.Now()
	for {
		select {
		case <-stop:
			if count == 0 {
				return 0
			}
			return sum / count
		case <-tick.C:
			v := float64(n())
			sum += v
			count++
			winSum += v
			winCount++
			if timeline && winCount >= 100 {
				fmt.Fprintf(os.Stderr, "%6.1fs in flight %5.1f\n", time.Since(start).Seconds(), winSum/winCount)
				winSum, winCount = 0, 0
			}
		}
	}
}

// profileHeapAtPeak writes a heap profile to path each time the live heap
// (as of the last GC) grows by a tenth past the last profile, until stop
// closes: the file ends up showing who holds memory at the peak, not after
// the scan. It logs the peak it saw.
func profileHeapAtPeak(t *testing.T, path string, stop <-chan struct{}) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/total:bytes"}}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var profiled, peakLive, peakTotal uint64
	var atPeak []metrics.Sample
	classes := []string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes", "/memory/classes/heap/free:bytes", "/memory/classes/heap/stacks:bytes", "/memory/classes/heap/released:bytes", "/gc/heap/goal:bytes"}
	detail := make([]metrics.Sample, len(classes))
	for i, c := range classes {
		detail[i].Name = c
	}
	for {
		select {
		case <-stop:
			t.Logf("peak live heap %.1f MiB, peak memory from the runtime %.1f MiB", float64(peakLive)/(1<<20), float64(peakTotal)/(1<<20))
			for _, d := range atPeak {
				t.Logf("  at that peak: %s %.1f MiB", d.Name, float64(d.Value.Uint64())/(1<<20))
			}
			return
		case <-tick.C:
		}
		metrics.Read(sample)
		live, total := sample[0].Value.Uint64(), sample[1].Value.Uint64()
		if total > peakTotal {
			metrics.Read(detail)
			atPeak = append(atPeak[:0], detail...)
		}
		peakLive, peakTotal = max(peakLive, live), max(peakTotal, total)
		if live < profiled+profiled/10 {
			continue
		}
		profiled = live
		f, err := os.Create(path)
		if err != nil {
			t.Error(err)
			return
		}
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			t.Error(err)
		}
		f.Close()
	}
}
