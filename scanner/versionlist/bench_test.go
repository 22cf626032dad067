//go:build unix

package versionlist

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The decode benchmarks serve the canned page from a child process (this
// test binary re-executed), so that the CPU time they report is the
// scanning side's alone: HTTP client, signing, reading and decoding.
const cannedServerEnv = "VERSIONLIST_CANNED_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(cannedServerEnv) != "" {
		serveCannedForever()
		return
	}
	os.Exit(m.Run())
}

// serveCannedForever serves genPageFixed(1000) on loopback, prints the
// address, and exits when its stdin closes (the parent went away).
func serveCannedForever() {
	body := genPageFixed(1000)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	go func() {
		buf := make([]byte, 1)
		os.Stdin.Read(buf)
		os.Exit(0)
	}()
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.Write(body)
	}))
}

func startCannedProcess(b *testing.B) string {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), cannedServerEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.HasPrefix(line, "ERR") {
		b.Fatalf("canned server: %q %v", line, err)
	}
	return "http://" + strings.TrimSpace(line)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchDecode lists the canned 1,000-version page end to end through a real
// SDK client: signing, HTTP over loopback, body read, decoding.
func benchDecode(b *testing.B, sdkOnly bool) {
	url := startCannedProcess(b)
	c := newTestClient(url)
	in := &s3.ListObjectVersionsInput{Bucket: aws.String("bucket")}
	ctx := context.Background()
	p := new(Page)
	if _, err := listPageInto(ctx, c, in, p, sdkOnly); err != nil || len(p.Entries) != 1000 {
		b.Fatalf("warm-up: %d entries, %v", len(p.Entries), err)
	}
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		fast, err := listPageInto(ctx, c, in, p, sdkOnly)
		if err != nil || len(p.Entries) != 1000 || fast == sdkOnly {
			b.Fatalf("%d entries, fast %v, %v", len(p.Entries), fast, err)
		}
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	versions := float64(b.N) * 1000
	b.ReportMetric(versions/b.Elapsed().Seconds(), "versions/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/versions, "ns/version")
	b.ReportMetric(versions/cpu.Seconds(), "versions/cpu-s")
}

func BenchmarkDecodeFast(b *testing.B) { benchDecode(b, false) }
func BenchmarkDecodeSDK(b *testing.B)  { benchDecode(b, true) }

// BenchmarkDecodeOnly is the decoder alone on the same page, in memory.
func BenchmarkDecodeOnly(b *testing.B) {
	body := genPageFixed(1000)
	var d Decoder
	var p Page
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := d.Decode(body, &p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/(float64(b.N)*1000), "ns/version")
}

// BenchmarkListAllParallel lists a 20,000-version bucket in 100-version
// pages (200 pages) from a server answering each request after 2 ms:
// serially that is >= 400 ms; with 16 requests in flight the bound is
// 200 x 2 ms / 16 = 25 ms.
func BenchmarkListAllParallel(b *testing.B) {
	fb := newFakeBucket(generatedKeys(20000, "data/", 1))
	fb.latency = latency()
	srv := fb.serve(b)
	c := newTestClient(srv.URL)
	b.ReportAllocs()
	var calls int64
	for b.Loop() {
		n := 0
		st, err := ListAllStats(context.Background(), c, "b", Options{Parallelism: 16, MaxKeys: 100}, func(p *Page) error {
			n += len(p.Entries)
			return nil
		})
		if err != nil || n != 20000 {
			b.Fatalf("%d entries, %v", n, err)
		}
		calls += st.Calls
	}
	b.ReportMetric(float64(b.N)*20000/b.Elapsed().Seconds(), "versions/s")
	b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
}

// latency is the injected per-request latency of BenchmarkListAllParallel
// (VERSIONLIST_BENCH_LATENCY, default 2ms).
func latency() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("VERSIONLIST_BENCH_LATENCY")); err == nil {
		return d
	}
	return 2 * time.Millisecond
}
