package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/scanner"
)

// statsLine is the last line `demo --stats` and `scan --stats` print
// (README "--stats"): the calls the emulator counted, the minimum for the
// scenario and where it comes from, the wall time of the scan, its lower
// bound from latency and concurrency, the peak resident memory of the
// process, and the object versions scanned.
type statsLine struct {
	Calls    int64 `json:"calls"`
	MinCalls int64 `json:"min_calls"`
	// MinCallsFrom says who computed MinCalls: "emulator" (from its own
	// contents, independently of the scan) or "scan" (the scan's own
	// count; against AWS nothing else exists to hold it to).
	MinCallsFrom string  `json:"min_calls_from"`
	WallS        float64 `json:"wall_s"`
	BoundS       float64 `json:"bound_s"`
	PeakRSSMiB   float64 `json:"peak_rss_mib"`
	Objects      int64   `json:"objects"`
	// CPUS is the user+system CPU time of the whole process (emulator
	// included for demo), for comparing wall time with CPU-bound work.
	CPUS float64 `json:"cpu_s"`
	// ReportS is the wall time of writing the report files (all formats
	// but the streamed objects.csv, which is written during the scan).
	ReportS float64 `json:"report_s"`
}

// setMinimum takes the minimum and the bound from the emulator's Minimum.
func (s *statsLine) setMinimum(m fakeaws.Minimum, concurrency int) {
	s.MinCalls, s.MinCallsFrom = m.Calls, minFromEmulator
	s.BoundS = latencyBound(m.Latency, m.CriticalPath, m.Calls, concurrency).Seconds()
}

// setOwnCount takes the minimum from the scan's own count: no bound, since
// nothing independent backs it.
func (s *statsLine) setOwnCount(res *scanner.Result) {
	s.MinCalls, s.MinCallsFrom, s.BoundS = res.Calls.MinCalls, minFromScan, 0
}

// latencyBound is the lower bound on the wall time of a scan (README
// "--stats"): max(critical path x L, calls x L / concurrency).
func latencyBound(latency time.Duration, criticalPath, calls int64, concurrency int) time.Duration {
	if latency <= 0 || concurrency <= 0 {
		return 0
	}
	chain := time.Duration(criticalPath) * latency
	spread := time.Duration(float64(calls) * float64(latency) / float64(concurrency))
	return max(chain, spread)
}

// printStats writes the stats line on stdout, after everything else.
func (a *app) printStats(s statsLine) {
	s.WallS = round3(s.WallS)
	s.BoundS = round3(s.BoundS)
	s.PeakRSSMiB = round3(s.PeakRSSMiB)
	s.ReportS = round3(s.ReportS)
	if s.CPUS == 0 {
		s.CPUS = round3(cpuSeconds())
	}
	b, err := json.Marshal(s)
	if err != nil { // a struct of numbers always marshals
		panic(err)
	}
	fmt.Fprintln(a.stdout, string(b))
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// emulatorCalls reads the call counter of a fakeaws emulator at endpoint
// (GET /_fakeaws/counters, unsigned), for `scan --stats` against `ownerscan
// emulate`. ok is false when endpoint is not an emulator.
func emulatorCalls(ctx context.Context, endpoint string) (calls int64, ok bool) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(endpoint, "/")+"/_fakeaws/counters", nil)
	if err != nil {
		return 0, false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, false
	}
	var snap struct{ Total *int64 }
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&snap); err != nil || snap.Total == nil {
		return 0, false
	}
	return *snap.Total, true
}
