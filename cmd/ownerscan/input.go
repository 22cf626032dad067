package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// maxScenarioBytes bounds a --scenario file, as maxConfigBytes bounds the
// configuration: a scenario describes an organization in a few kilobytes
// (a generated one of any size in a few lines), and parsing YAML costs many
// times its size in memory.
const maxScenarioBytes = 4 << 20

// errInputTooLarge is returned by readInput for a file over its limit.
var errInputTooLarge = errors.New("too large")

// interruptedError is a signal that arrived before the scan started, while
// an input file was still being read: nothing was scanned or written.
type interruptedError struct {
	signal string
	what   string // what was being read: "--config FILE"
}

func (e *interruptedError) Error() string {
	return fmt.Sprintf("interrupted (%s) while reading %s: nothing was scanned and no report was written", e.signal, e.what)
}

func (e *interruptedError) Unwrap() error { return errStoppedEarly }

// readInput reads the file at path whole, up to limit bytes (more is
// errInputTooLarge), and gives up as soon as SIGINT/SIGTERM arrives or ctx
// ends, whatever the file is: a named pipe whose writer never comes, or
// /dev/stdin that never ends, must not keep the process from stopping.
// what names the input in the interruption error.
//
// The read runs in a goroutine; given up, it is unblocked where the system
// allows (a pipe's read is cut short by closing it) and otherwise left to
// end with the process (opening a named pipe waits for a writer in the
// kernel, where nothing can cut it short).
func (a *app) readInput(ctx context.Context, what, path string, limit int64) ([]byte, error) {
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	var mu sync.Mutex
	var open *os.File
	abandoned := false
	go func() {
		f, err := os.Open(path)
		if err != nil {
			done <- result{nil, err}
			return
		}
		defer f.Close()
		mu.Lock()
		if abandoned {
			mu.Unlock()
			done <- result{nil, context.Canceled}
			return
		}
		open = f
		mu.Unlock()
		data, err := io.ReadAll(io.LimitReader(f, limit+1))
		if err == nil && int64(len(data)) > limit {
			err = errInputTooLarge
		}
		done <- result{data, err}
	}()
	abandon := func() {
		mu.Lock()
		defer mu.Unlock()
		abandoned = true
		if open != nil {
			_ = open.Close()
		}
	}
	select {
	case r := <-done:
		return r.data, r.err
	case sig := <-a.signals: // a nil channel (no signals) never delivers
		abandon()
		return nil, &interruptedError{signal: sig.String(), what: what}
	case <-ctx.Done():
		abandon()
		return nil, &interruptedError{signal: context.Cause(ctx).Error(), what: what}
	}
}
