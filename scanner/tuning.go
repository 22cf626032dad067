package scanner

import (
	"fmt"
	"time"
)

// An Option tunes a Scanner beyond Options (which holds what the
// configuration file sets): how it pages, how it stops and how long it
// waits for a server, for a program that embeds the scanner (and tests).
type Option func(*tuning) error

// tuning is what the Option arguments of New set.
type tuning struct {
	// listBucketsPage is the MaxBuckets of every ListBuckets request.
	listBucketsPage int64
	// stopGrace is how long calls in flight may still run after a
	// graceful stop (ScanUntil) before they are cancelled.
	stopGrace time.Duration

	// Bounds on what a server can make a scan wait for.

	// attemptTimeout bounds one attempt of a call, from sending the
	// request to the last byte of the answer.
	attemptTimeout time.Duration
	// maxBackoff is the longest wait between two attempts of a call.
	maxBackoff time.Duration
}

func defaultTuning() tuning {
	return tuning{listBucketsPage: listBucketsPageSize, stopGrace: StopGrace,
		attemptTimeout: DefaultAttemptTimeout, maxBackoff: DefaultMaxBackoff}
}

// WithListBucketsPageSize sets MaxBuckets of every ListBuckets request:
// 1 to 10,000 (the default, the API's maximum). Smaller pages cost more
// calls (CallStats counts them); it serves endpoints with a lower limit.
func WithListBucketsPageSize(n int) Option {
	return func(t *tuning) error {
		if n < 1 || n > listBucketsPageSize {
			return fmt.Errorf("ListBuckets page size must be 1..%d, got %d", listBucketsPageSize, n)
		}
		t.listBucketsPage = int64(n)
		return nil
	}
}

// WithStopGrace sets how long calls in flight may run after a graceful
// stop before they are cancelled (default StopGrace); 0 cancels them at
// once.
func WithStopGrace(d time.Duration) Option {
	return func(t *tuning) error {
		if d < 0 {
			return fmt.Errorf("stop grace must not be negative, got %v", d)
		}
		t.stopGrace = d
		return nil
	}
}

// WithAttemptTimeout sets how long one attempt of a call may take, from
// sending the request to the last byte of the answer (default
// DefaultAttemptTimeout): 10ms to 10 minutes. A call gives up after
// maxTimedOutAttempts attempts that timed out.
func WithAttemptTimeout(d time.Duration) Option {
	return func(t *tuning) error {
		if d < 10*time.Millisecond || d > 10*time.Minute {
			return fmt.Errorf("attempt timeout must be 10ms to 10m, got %v", d)
		}
		t.attemptTimeout = d
		return nil
	}
}

// WithMaxBackoff sets the longest wait between two attempts of a call
// (default DefaultMaxBackoff; waits grow exponentially up to it,
// jittered): 0 to a minute.
func WithMaxBackoff(d time.Duration) Option {
	return func(t *tuning) error {
		if d < 0 || d > time.Minute {
			return fmt.Errorf("max backoff must be 0 to 1m, got %v", d)
		}
		t.maxBackoff = d
		return nil
	}
}

// applyOptions returns the default tuning with opts applied.
func applyOptions(opts []Option) (tuning, error) {
	t := defaultTuning()
	for _, o := range opts {
		if err := o(&t); err != nil {
			return tuning{}, err
		}
	}
	return t, nil
}
