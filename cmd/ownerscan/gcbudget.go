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
	recent    liveHeaps
}

// liveHeaps are the live heaps the last few collections found. The budget
// follows their least: a collection that happens to find a few MiB more
// pages in flight than usual (a listing's decoded pages pile up while the
// handling goroutine waits for a core) must not lift the limit for the
// cycle after it, since the peak would follow, while a heap that really
// grows is followed a few collections later. Under a limit too tight for
// the live heap, collections come quickly, so those few take little time.
type liveHeaps [3]uint64

// add records live and returns the least of the recent live heaps.
func (h *liveHeaps) add(live uint64) uint64 {
	copy(h[1:], h[:len(h)-1])
	h[0] = live
	least := live
	for _, v := range h {
		if v != 0 {
			least = min(least, v)
		}
	}
	return least
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
	v := func(i int) uint64 { return b.samples[i].Value.Uint64() }
	live := b.recent.add(v(0))
	debug.SetMemoryLimit(budgetFor(live, memClasses{total: v(1), objects: v(2), free: v(3), released: v(4)}))
	return true
}

// budgetFor is the limit after a collection that found live bytes live,
// given the runtime's memory classes then (see memClasses). GOGC=100 would
// let the heap objects grow to twice the live heap; the memory limit
// counts everything the runtime holds and has not returned, so the rest
// (fragmentation, stacks, metadata) comes on top, and the limit is never
// below what the runtime holds already (the space freed by the collection
// is reused first). A need up to gcBudgetSlack above the floor still gets
// the floor: a collection that happens to find a few MiB of pages in
// flight (twice that in the trigger) must not lift the limit for the
// cycle after it, or the peak would follow; a heap of that size has room
// enough below the floor.
func budgetFor(live uint64, m memClasses) int64 {
	held := m.total - min(m.total, m.released)
	nonObjects := held - min(held, m.objects+m.free)
	need := int64(max(held, 2*live+nonObjects))
	if need <= gcBudgetFloor+gcBudgetSlack {
		return gcBudgetFloor
	}
	return need
}

// gcBudgetSlack: see budgetFor.
const gcBudgetSlack = gcBudgetFloor / 4

// memClasses are the runtime's memory classes budgetFor needs (runtime/metrics
// /memory/classes/...): total, and the heap's objects, free and released
// spans; the rest of total is fragmentation, stacks and metadata.
type memClasses struct {
	total, objects, free, released uint64
}
