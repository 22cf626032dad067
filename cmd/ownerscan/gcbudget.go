package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// gcBudgetFloor is the memory the Go runtime of a scanning process may hold
// (heap, stacks and runtime metadata; not the program's text) while its
// live heap is small.
//
// The runtime's default (GOGC=100) collects when the heap doubles what the
// last collection found live, and a listing's live heap moves with the
// pages it happens to hold at that moment (up to a few MiB of them); freed
// pages then go back to the system only slowly. The peak came from the
// largest such moment, and a long scan met more of them: a
// 10-million-version scan peaked up to 15% above a 1-million one
// (must-show 4 of issue 4). A budget instead makes the collector run, and
// freed memory go back, so that the runtime holds about the budget,
// whatever the number of objects: memory depends on concurrency and
// buckets, not on objects (DESIGN.md "Performance model"). 24 MiB is about
// what a 64-request listing held at its peaks anyway, so the collector
// works about as often as before.
const gcBudgetFloor = 24 << 20

// gcBudget keeps the runtime's memory limit at max(gcBudgetFloor, where
// GOGC=100 would collect), with GOGC itself off: the floor while the live
// heap is small, and GOGC=100's own trigger once it is large (a scan of
// many thousands of buckets), so a growing heap never has to squeeze into
// the floor. The limit follows the live heap after every collection.
type gcBudget struct {
	mu        sync.Mutex
	stopped   bool
	prevGOGC  int
	prevLimit int64
	samples   []metrics.Sample
}

// startGCBudget starts a gcBudget, unless the user set GOGC or GOMEMLIMIT.
// The returned function stops it and restores the runtime's settings.
func startGCBudget() (stop func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	b := &gcBudget{samples: []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
	}}
	b.prevLimit = debug.SetMemoryLimit(gcBudgetFloor)
	b.prevGOGC = debug.SetGCPercent(-1)
	b.follow()
	b.arm()
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.stopped = true
		debug.SetGCPercent(b.prevGOGC)
		debug.SetMemoryLimit(b.prevLimit)
	}
}

// gcSentinel is garbage from birth: its finalizer runs after the next
// collection, and re-arms the budget for the one after.
type gcSentinel struct{ b *gcBudget }

func (b *gcBudget) arm() {
	runtime.SetFinalizer(&gcSentinel{b}, func(s *gcSentinel) {
		if s.b.follow() {
			s.b.arm()
		}
	})
}

// follow sets the limit from the last collection's live heap; false once
// stopped.
func (b *gcBudget) follow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return false
	}
	metrics.Read(b.samples)
	var heap uint64
	for _, c := range b.samples[2:] {
		heap += c.Value.Uint64()
	}
	debug.SetMemoryLimit(budgetFor(b.samples[0].Value.Uint64(), b.samples[1].Value.Uint64(), heap))
	return true
}

// budgetFor is the limit for a live heap of live bytes when the runtime
// holds total bytes, heap of them in its heap classes: GOGC=100 lets the
// heap grow to twice the live heap, and the rest of the runtime's memory
// (stacks, metadata) has to fit in the limit too.
func budgetFor(live, total, heap uint64) int64 {
	other := total - min(total, heap)
	return max(int64(gcBudgetFloor), int64(2*live+other))
}
