package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ownerscan/ownerscan/scanner"
)

// How often progress is shown: a terminal line is redrawn about five times a
// second; elsewhere (a file, a CI log, journald) a log record every five
// seconds is plenty and keeps logs small.
const (
	progressRedraw   = 200 * time.Millisecond
	progressLogEvery = 5 * time.Second
)

// progressDisplay shows a scan's Progress on stderr while it runs.
type progressDisplay struct {
	p       *scanner.Progress
	status  *statusWriter // nil: not a terminal, log records instead
	width   int           // terminal width, for cutting the line
	logger  *slog.Logger
	every   time.Duration
	started time.Time
	now     func() time.Time

	// rate is the smoothed objects per second.
	rate        float64
	lastObjects int64
	lastAt      time.Time
}

// startProgress shows p until the returned stop function is called: a live
// line when stderr is a terminal (status non-nil), a log record every
// progressLogEvery otherwise, nothing when quiet.
func startProgress(ctx context.Context, p *scanner.Progress, status *statusWriter, width int, quiet bool, logger *slog.Logger, now func() time.Time) (stop func()) {
	if quiet {
		return func() {}
	}
	d := &progressDisplay{p: p, status: status, width: width, logger: logger, now: now, started: now(), every: progressLogEvery}
	if status != nil {
		d.every = progressRedraw
	}
	d.lastAt = d.started
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		d.loop(ctx)
	}()
	return func() {
		cancel()
		wg.Wait()
		if d.status != nil {
			d.status.clearStatus()
		}
	}
}

func (d *progressDisplay) loop(ctx context.Context) {
	t := time.NewTicker(d.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.tick()
		}
	}
}

func (d *progressDisplay) tick() {
	now := d.now()
	objects := d.p.Objects.Load()
	if dt := now.Sub(d.lastAt).Seconds(); dt > 0 {
		inst := float64(objects-d.lastObjects) / dt
		if d.rate == 0 {
			d.rate = inst
		} else {
			d.rate = 0.7*d.rate + 0.3*inst // smooth the bursts of whole listing pages
		}
	}
	d.lastObjects, d.lastAt = objects, now
	if d.status == nil {
		d.logger.Info("progress",
			"accounts_done", d.p.AccountsDone.Load(), "accounts_total", d.p.AccountsTotal.Load(),
			"buckets_done", d.p.BucketsDone.Load(), "buckets_found", d.p.BucketsFound.Load(),
			"objects", objects, "findings", d.p.Findings.Load(),
			"objects_per_s", int64(d.rate), "elapsed", now.Sub(d.started).Round(time.Second).String())
		return
	}
	d.status.setStatus(cut(d.line(objects, now), d.width-1))
}

// line is the live progress line.
func (d *progressDisplay) line(objects int64, now time.Time) string {
	return fmt.Sprintf("accounts %d/%d  buckets %d/%d  objects %s  findings %d  %s objects/s  %s",
		d.p.AccountsDone.Load(), d.p.AccountsTotal.Load(),
		d.p.BucketsDone.Load(), d.p.BucketsFound.Load(),
		thousands(objects), d.p.Findings.Load(), thousands(int64(d.rate)),
		now.Sub(d.started).Round(time.Second))
}

// cut shortens s to at most n bytes (the line is ASCII), so the terminal
// never wraps it and "\r" keeps redrawing the same line.
func cut(s string, n int) string {
	if n > 0 && len(s) > n {
		return s[:n]
	}
	return s
}

// thousands formats n with comma separators: 1234567 -> "1,234,567".
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
