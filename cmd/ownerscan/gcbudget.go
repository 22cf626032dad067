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

// gcBudgetSlack is how far above the floor GOGC=100 would have to collect
// before the budget hands over to it (see gcBudget.follow).
const gcBudgetSlack = gcBudgetFloor / 4

// gcBudget runs the collector in one of two modes, chosen after every
// collection: at the floor (GOGC off, memory limit gcBudgetFloor) while
// GOGC=100 would collect below it, and as GOGC=100 itself (the settings
// the process had) once the live heap is large, as in a scan of many
// thousands of buckets. The large heap is then collected exactly as by
// default: a limit that tried to stand for GOGC=100 made the collector of
// the 1000x20 organization's scan work a fifth more.
type gcBudget struct {
	mu        sync.Mutex
	stopped   bool
	atFloor   bool
	prevGOGC  int
	prevLimit int64
	samples   []metrics.Sample
	recent    liveHeaps
}

// liveHeaps are the live heaps the last few collections found. The budget
// follows their least: a collection that happens to find a few MiB more
// pages in flight than usual (a listing's decoded pages pile up while the
// handling goroutine waits for a core) must not end the floor for the
// cycle after it, since the peak would follow, while a heap that really
// grows is followed a few collections later. Under a floor too tight for
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

// startGCBudget starts a gcBudget at the floor, unless the user set GOGC
// or GOMEMLIMIT. The returned function stops it and restores the runtime's
// settings.
func startGCBudget() (stop func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	b := &gcBudget{atFloor: true, samples: []metrics.Sample{
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

// follow picks the mode from the last collection; false once stopped. It
// leaves the floor when GOGC=100 would collect more than gcBudgetSlack
// above it, and comes back when GOGC=100 would collect below it: in
// between, the mode stays, so a need that wavers around the floor does not
// switch it back and forth.
func (b *gcBudget) follow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return false
	}
	metrics.Read(b.samples)
	v := func(i int) uint64 { return b.samples[i].Value.Uint64() }
	need := gogcTrigger(b.recent.add(v(0)), memClasses{total: v(1), objects: v(2), free: v(3), released: v(4)})
	switch {
	case b.atFloor && need > gcBudgetFloor+gcBudgetSlack:
		debug.SetGCPercent(b.prevGOGC)
		debug.SetMemoryLimit(b.prevLimit)
		b.atFloor = false
	case !b.atFloor && need < gcBudgetFloor:
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(gcBudgetFloor)
		b.atFloor = true
	}
	return true
}

// gogcTrigger estimates how much memory the runtime would hold when
// GOGC=100 starts the next collection, after one that found live bytes
// live, given the runtime's memory classes then: heap objects grow to
// twice the live heap, the rest (fragmentation, stacks, metadata) comes on
// top, and it is never less than what the runtime holds already (the
// space the collection freed is reused first).
func gogcTrigger(live uint64, m memClasses) int64 {
	held := m.total - min(m.total, m.released)
	nonObjects := held - min(held, m.objects+m.free)
	return int64(max(held, 2*live+nonObjects))
}

// memClasses are the runtime's memory classes gogcTrigger needs
// (runtime/metrics /memory/classes/...): total, and the heap's objects,
// free and released spans; the rest of total is fragmentation, stacks and
// metadata.
type memClasses struct {
	total, objects, free, released uint64
}
