package fakeaws

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// discardWriter is a ResponseWriter that keeps only the byte count.
type discardWriter struct {
	h http.Header
	n int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) WriteHeader(int)             {}
func (d *discardWriter) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }

func generatedBenchScenario(count int64) *Scenario {
	return s3TestScenario(BucketSpec{Name: "huge", Account: acctB, Ownership: ownershipWriter, Writers: []string{acctC},
		Generated: &GeneratedSpec{Count: count, KeyPrefix: "data/",
			Foreign: map[string]float64{acctC: 0.01, "external:" + externalOwner: 0.001}}})
}

// BenchmarkRenderListObjectVersions measures the server side of one
// ListObjectVersions page of 1000 generated versions, seeking from a key
// marker in the middle of a 10-million-key bucket (no HTTP, no SDK).
func BenchmarkRenderListObjectVersions(b *testing.B) {
	st, err := newS3Store(generatedBenchScenario(10_000_000))
	if err != nil {
		b.Fatal(err)
	}
	caller := &Caller{AccountID: acctB, CanonicalID: CanonicalIDFor(acctB), Region: "us-east-1"}
	r := httptest.NewRequest(http.MethodGet, "/huge?versions=&key-marker=data%2F5000000", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		clear(w.h)
		st.serve(w, r, caller)
	}
	b.ReportMetric(float64(w.n)/float64(b.N), "bytes/page")
}

// BenchmarkListGenerated10MVersions lists a generated bucket of 10 million
// versions end to end: SigV4-signed requests from the real SDK paginator,
// through the emulator's server, 10,000 pages. It reports versions/s and
// the peak live heap sampled after GCs, and fails if the heap grows (the
// bucket must cost no memory per object). Run with -benchtime=1x.
func BenchmarkListGenerated10MVersions(b *testing.B) {
	const total = 10_000_000
	env := newS3Env(b, generatedBenchScenario(total))
	client := env.client(acctB)
	ctx := context.Background()
	var baseline, peak uint64
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		baseline = heap()
		peak = baseline
		p := s3.NewListObjectVersionsPaginator(client, &s3.ListObjectVersionsInput{Bucket: aws.String("huge")})
		n, pages := 0, 0
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				b.Fatalf("page %d: %v", pages+1, err)
			}
			n += len(out.Versions) + len(out.DeleteMarkers)
			pages++
			if pages%1000 == 0 {
				peak = max(peak, heap())
			}
		}
		if n != total || pages != total/1000 {
			b.Fatalf("listed %d versions in %d pages, want %d in %d", n, pages, total, total/1000)
		}
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(total)*float64(b.N)/elapsed.Seconds(), "versions/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(peak-baseline)/(1<<20), "heap-growth-MiB")
	if growth := peak - baseline; growth > 64<<20 {
		b.Fatalf("heap grew by %d MiB while listing: memory is not flat", growth>>20)
	}
}
