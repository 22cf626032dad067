package scanner

import (
	"fmt"
	"time"
)

// An Option tunes a Scanner beyond Options (which holds what the
// configuration file sets): how it pages and how it stops, for a program
// that embeds the scanner.
type Option func(*tuning) error

// tuning is what the Option arguments of New set.
type tuning struct {
	// listBucketsPage is the MaxBuckets of every ListBuckets request.
	listBucketsPage int64
	// stopGrace is how long calls in flight may still run after a
	// graceful stop (ScanUntil) before they are cancelled.
	stopGrace time.Duration
}

func defaultTuning() tuning {
	return tuning{listBucketsPage: listBucketsPageSize, stopGrace: StopGrace}
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
