package main

import (
	"log/slog"
	"sync"
)

// watchInterrupts turns SIGINT/SIGTERM into the shutdown the README
// describes ("Interrupting"). The first signal calls stop: the scanner starts no new
// work, lets the calls in flight finish for up to scanner.StopGrace, and
// returns what it has; the caller writes the reports marked incomplete
// (exit 3). A second signal, at any time until unwatch is called (report
// writing included), runs onAbort, which gives up the reports of the run
// unless they are already in place and says which, and ends the process at
// once with exit code 130. interrupted reports whether the first signal
// came.
func (a *app) watchInterrupts(stop func(), logger *slog.Logger, onAbort func() (outcome string)) (interrupted func() bool, unwatch func()) {
	var mu sync.Mutex
	got := false
	interrupted = func() bool {
		mu.Lock()
		defer mu.Unlock()
		return got
	}
	if a.signals == nil {
		return interrupted, func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case sig := <-a.signals:
				mu.Lock()
				first := !got
				got = true
				mu.Unlock()
				if first {
					logger.Warn("interrupted: starting no new calls, letting those in flight finish, then writing partial reports; interrupt again to quit at once",
						"signal", sig.String())
					stop()
					continue
				}
				outcome := "no new report"
				if onAbort != nil {
					outcome = onAbort()
				}
				logger.Error("interrupted twice: quitting at once; "+outcome, "signal", sig.String())
				a.hardExit(exitAborted)
				return
			}
		}
	}()
	return interrupted, func() {
		close(done)
		wg.Wait()
	}
}
