package main

import (
	"context"
	"log/slog"
	"sync"
)

// watchInterrupts turns SIGINT/SIGTERM into the shutdown DESIGN.md and
// issue 5 ask for. The first signal cancels the scan with cause
// errInterrupted: the scanner stops starting work and returns what it has,
// and the caller writes the reports marked incomplete (exit 3). A second
// signal runs onAbort (removing half-written temporary files) and ends the
// process at once with exit code 130. stop ends the watch.
func (a *app) watchInterrupts(cancel context.CancelCauseFunc, logger *slog.Logger, onAbort func()) (stop func()) {
	if a.signals == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		interrupted := false
		for {
			select {
			case <-done:
				return
			case sig := <-a.signals:
				if !interrupted {
					interrupted = true
					logger.Warn("interrupted: stopping the scan and writing partial reports; interrupt again to quit at once",
						"signal", sig.String())
					cancel(errInterrupted)
					continue
				}
				logger.Error("interrupted twice: quitting without reports", "signal", sig.String())
				if onAbort != nil {
					onAbort()
				}
				a.hardExit(exitAborted)
				return
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}
