package scanner

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/aws/smithy-go/middleware"
)

// budget is the ONE limit on API requests in flight (Options.Concurrency),
// shared by the organization walk, role assumption, bucket checks and
// listings. It is enforced per attempt by budgetMiddleware, installed in
// every SDK client of a scan, so every call, retry included, holds exactly
// one slot from signing until its response is decoded.
//
// Waiters in the priority lane (see withPriority) are served before the
// others: account work (AssumeRole, ListBuckets, region lookups) goes first so
// that every account's canonical ID is known early and object owners resolve
// without waiting (see ownerDirectory), and so bucket work is fed steadily.
type budget struct {
	mu       sync.Mutex
	free     int
	high     []chan struct{} // FIFO waiters of the priority lane
	low      []chan struct{} // FIFO waiters of the normal lane
	inFlight atomic.Int64    // for tests and stats
	peak     atomic.Int64
}

func newBudget(size int) *budget { return &budget{free: size} }

type priorityKey struct{}

// withPriority marks calls made with ctx as priority-lane calls.
func withPriority(ctx context.Context) context.Context {
	return context.WithValue(ctx, priorityKey{}, true)
}

func isPriority(ctx context.Context) bool {
	v, _ := ctx.Value(priorityKey{}).(bool)
	return v
}

// acquire takes a slot, waiting in the lane ctx belongs to.
func (b *budget) acquire(ctx context.Context) error {
	b.mu.Lock()
	if b.free > 0 && len(b.high) == 0 && len(b.low) == 0 {
		b.free--
		b.mu.Unlock()
		b.track()
		return nil
	}
	ch := make(chan struct{})
	high := isPriority(ctx)
	if high {
		b.high = append(b.high, ch)
	} else {
		b.low = append(b.low, ch)
	}
	b.mu.Unlock()
	select {
	case <-ch:
		b.track()
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		if removeWaiter(&b.high, ch) || removeWaiter(&b.low, ch) {
			b.mu.Unlock()
			return ctx.Err()
		}
		b.mu.Unlock()
		// The slot was handed over while we gave up: pass it on.
		b.track()
		b.release()
		return ctx.Err()
	}
}

// spare is how many slots are free with nobody waiting: requests that
// could start now without delaying other work. A listing splits a bucket
// only into spare slots (versionlist.Options.Spare).
func (b *budget) spare() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.high) > 0 || len(b.low) > 0 {
		return 0
	}
	return b.free
}

func (b *budget) track() {
	n := b.inFlight.Add(1)
	for {
		p := b.peak.Load()
		if n <= p || b.peak.CompareAndSwap(p, n) {
			return
		}
	}
}

// release returns a slot, handing it straight to the next waiter.
func (b *budget) release() {
	b.inFlight.Add(-1)
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case len(b.high) > 0:
		close(b.high[0])
		b.high = b.high[1:]
	case len(b.low) > 0:
		close(b.low[0])
		b.low = b.low[1:]
	default:
		b.free++
	}
}

func removeWaiter(q *[]chan struct{}, ch chan struct{}) bool {
	for i, c := range *q {
		if c == ch {
			*q = append((*q)[:i], (*q)[i+1:]...)
			return true
		}
	}
	return false
}

// budgetMiddleware holds a budget slot for one attempt of an operation,
// from just before the request is signed until its response is
// deserialized. It sits in the Finalize step after the retry middleware
// (so every attempt counts) and after credential retrieval (so a refresh's
// own AssumeRole never waits behind the request that needs it), right
// before "Signing": a request that waited for a slot is signed when it
// leaves, never with a signature (or session) that aged in the queue.
type budgetMiddleware struct{ b *budget }

func (budgetMiddleware) ID() string { return "ownerscan.RequestBudget" }

func (m budgetMiddleware) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	if err := m.b.acquire(ctx); err != nil {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, err
	}
	defer m.b.release()
	return next.HandleFinalize(ctx, in)
}

// addBudget is an APIOptions entry installing budgetMiddleware.
func addBudget(b *budget) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Finalize.Insert(budgetMiddleware{b}, "Signing", middleware.Before)
	}
}
