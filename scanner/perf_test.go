package scanner

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
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
// OWNERSCAN_PERF_CONCURRENCY sets the concurrency (default 64).
func TestPerfScanEndpoint(t *testing.T) {
	endpoint := os.Getenv("OWNERSCAN_PERF_ENDPOINT")
	if endpoint == "" {
		t.Skip("set OWNERSCAN_PERF_ENDPOINT to an emulator's URL")
	}
	opts := DefaultOptions()
	if n, err := strconv.Atoi(os.Getenv("OWNERSCAN_PERF_CONCURRENCY")); err == nil {
		opts.Concurrency = n
	}
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), ""),
		BaseEndpoint: aws.String(endpoint),
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
	start := time.Now()
	res, err := s.Scan(context.Background(), nil, nil)
	wall := time.Since(start)
	close(stop)
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	t.Logf("wall %v, buckets %d, objects %d, min calls %d, critical path %d, mean in flight %.1f of %d",
		wall, len(res.Buckets), res.Summary.ObjectsScanned, res.Calls.MinCalls, res.Calls.CriticalPath, <-fill, opts.Concurrency)
}

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
