package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ownerscan/ownerscan/scanner"
)

func TestProgressLogLine(t *testing.T) {
	var buf bytes.Buffer
	logger, err := newLogger(&buf, logFormatJSON, false)
	if err != nil {
		t.Fatal(err)
	}
	p := &scanner.Progress{}
	p.AccountsTotal.Store(10)
	p.AccountsDone.Store(3)
	p.BucketsFound.Store(40)
	p.BucketsDone.Store(12)
	p.Objects.Store(5000)
	p.Findings.Store(7)
	clock := time.Unix(0, 0)
	d := &progressDisplay{p: p, logger: logger, now: func() time.Time { return clock }, started: clock, lastAt: clock}
	clock = clock.Add(5 * time.Second)
	d.tick()
	want := `"msg":"progress","accounts_done":3,"accounts_total":10,"buckets_done":12,"buckets_found":40,"objects":5000,"findings":7,"objects_per_s":1000,"elapsed":"5s"`
	if !strings.Contains(buf.String(), want) {
		t.Errorf("log line %s\nlacks %s", buf.String(), want)
	}
}

func TestProgressTerminalLine(t *testing.T) {
	var screen bytes.Buffer
	sw := &statusWriter{w: &screen}
	logger := slog.New(slog.NewTextHandler(sw, nil))
	p := &scanner.Progress{}
	p.AccountsTotal.Store(2)
	p.Objects.Store(1234567)
	clock := time.Unix(0, 0)
	d := &progressDisplay{p: p, status: sw, width: 200, logger: logger, now: func() time.Time { return clock }, started: clock, lastAt: clock}
	clock = clock.Add(time.Second)
	d.tick()
	line := "accounts 0/2  buckets 0/0  objects 1,234,567  findings 0  1,234,567 objects/s  1s"
	if got := screen.String(); got != eraseLine+line {
		t.Fatalf("screen %q", got)
	}
	// A log record erases the line, prints, and redraws the line below it.
	screen.Reset()
	logger.Info("hello")
	if got := screen.String(); !strings.HasPrefix(got, eraseLine+"time=") || !strings.HasSuffix(got, "msg=hello\n"+line) {
		t.Errorf("log while progress shows: %q", got)
	}
	screen.Reset()
	sw.clearStatus()
	if screen.String() != eraseLine {
		t.Errorf("clear: %q", screen.String())
	}
	if d.line(0, clock) == "" || cut("abcdef", 3) != "abc" {
		t.Error("cut")
	}
}

func TestProgressQuietAndStop(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	stop := startProgress(context.Background(), &scanner.Progress{}, nil, 0, true, logger, time.Now)
	stop()
	stop = startProgress(context.Background(), &scanner.Progress{}, nil, 0, false, logger, time.Now)
	stop() // returns at once, well before the first 5s record
	if buf.Len() != 0 {
		t.Errorf("output %q", buf.String())
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestExitCodeMapping(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errFindings, 1},
		{usagef("--out: bad"), 2},
		{&usageError{&configError{key: "concurrency", msg: "x"}}, 2},
		{errIncomplete, 3},
		{errInterrupted, 3},
		{context.Canceled, 3},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestLatencyBound(t *testing.T) {
	for _, tc := range []struct {
		latency     time.Duration
		path, calls int64
		concurrency int
		want        time.Duration
	}{
		{0, 10, 1000, 64, 0},
		{20 * time.Millisecond, 5, 6400, 64, 2 * time.Second},     // calls x L / concurrency
		{20 * time.Millisecond, 200, 6400, 64, 4 * time.Second},   // the critical path
		{10 * time.Millisecond, 3, 10, 1, 100 * time.Millisecond}, // serial
	} {
		if got := latencyBound(tc.latency, tc.path, tc.calls, tc.concurrency); got != tc.want {
			t.Errorf("latencyBound(%v, %d, %d, %d) = %v, want %v", tc.latency, tc.path, tc.calls, tc.concurrency, got, tc.want)
		}
	}
}
