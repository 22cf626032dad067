package main

import (
	"log/slog"
	"sync"
)

// watchInterrupts turns SIGINT/SIGTERM into the shutdown the README
// describes ("Interrupting"). The first signal closes stop: the scanner
// starts no new work, lets the calls in flight finish for up to
// scanner.StopGrace, and returns what it has; the caller writes the reports
// marked incomplete (exit 3). A second signal, at any time until unwatch is
// called (report writing included), runs onAbort, which gives up the
// reports of the run unless they are already in place and says which, and
// ends the process at once with exit code 130. interrupted reports whether
// the first signal came (stop is closed).
func (a *app) watchInterrupts(logger *slog.Logger, onAbort func() (outcome string)) (stop <-chan struct{}, interrupted func() bool, unwatch func()) {
	return a.watchSignals("interrupted: starting no new calls, letting those in flight finish, then writing partial reports; interrupt again to quit at once",
		logger, onAbort)
}

// watchSignals is watchInterrupts saying firstMessage at the first signal.
func (a *app) watchSignals(firstMessage string, logger *slog.Logger, onAbort func() (outcome string)) (stop <-chan struct{}, interrupted func() bool, unwatch func()) {
	stopped := make(chan struct{})
	interrupted = func() bool {
		select {
		case <-stopped:
			return true
		default:
			return false
		}
	}
	if a.signals == nil {
		return stopped, interrupted, func() {}
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
				if !interrupted() { // only this goroutine closes stopped
					logger.Warn(firstMessage, "signal", sig.String())
					close(stopped)
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
	return stopped, interrupted, func() {
		close(done)
		wg.Wait()
	}
}
