package main

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// GOGC=100 would collect at twice the live heap plus what the runtime
// holds besides heap objects and free spans, and never below what it holds.
func TestGOGCTrigger(t *testing.T) {
	const mib = 1 << 20
	// 5 MiB live; held 30 - 5 = 25, of which 12 objects and 5 free: 8 other.
	small := memClasses{total: 30 * mib, objects: 12 * mib, free: 5 * mib, released: 5 * mib}
	if got := gogcTrigger(5*mib, small); got != 25*mib {
		t.Errorf("5 MiB live: %d MiB, want 25 (what is held)", got/mib)
	}
	if got := gogcTrigger(10*mib, small); got != 28*mib {
		t.Errorf("10 MiB live: %d MiB, want 2*10 + 8", got/mib)
	}
	if got := gogcTrigger(0, memClasses{total: 10 * mib, objects: 12 * mib}); got != 10*mib {
		t.Errorf("classes above the total: %d MiB, want 10", got/mib)
	}
}

// The budget follows the least live heap of the last three collections:
// one high reading is passed over, a lasting rise is followed.
func TestLiveHeaps(t *testing.T) {
	var h liveHeaps
	for i, c := range []struct{ live, want uint64 }{
		{0, 0}, {5, 5}, {6, 5}, {12, 5}, {6, 6}, {7, 6}, {20, 6}, {21, 7}, {22, 20},
	} {
		if got := h.add(c.live); got != c.want {
			t.Errorf("reading %d (%d): got %d, want %d", i, c.live, got, c.want)
		}
	}
}

// currentLimit reads the memory limit without changing it.
func currentLimit() int64 { return debug.SetMemoryLimit(-1) }

// currentGOGC reads GOGC without changing it.
func currentGOGC() int {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p
}

// startGCBudget starts at the floor (GOGC off, the floor as memory limit),
// hands over to the process's own GOGC once collections find a large live
// heap, and puts the runtime's settings back when stopped; a user's GOGC or
// GOMEMLIMIT wins over it.
func TestStartGCBudget(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	before := debug.SetGCPercent(77)
	defer debug.SetGCPercent(before)
	// Start from a small heap that holds nothing from earlier tests (or
	// runs of this one).
	debug.FreeOSMemory()
	stop := startGCBudget()
	if p := currentGOGC(); p != -1 {
		t.Errorf("GOGC %d at the floor, want -1 (off)", p)
	}
	if l := currentLimit(); l != gcBudgetFloor {
		t.Errorf("memory limit %d MiB at the floor, want %d", l>>20, gcBudgetFloor>>20)
	}
	live := make([][]byte, 48)
	for i := range live {
		live[i] = make([]byte, 1<<20)
		live[i][0] = 1
	}
	deadline := time.Now().Add(5 * time.Second)
	for currentGOGC() != 77 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond) // the finalizer runs after the collection
	}
	if p, l := currentGOGC(), currentLimit(); p != 77 || l != math.MaxInt64 {
		t.Errorf("48 MiB live: GOGC %d, memory limit %d; want the process's own 77 and none", p, l)
	}
	runtime.KeepAlive(live)
	stop()
	if p := currentGOGC(); p != 77 {
		t.Errorf("GOGC %d after stop, want 77 back", p)
	}
	runtime.GC()
	time.Sleep(10 * time.Millisecond)
	if l := currentLimit(); l != math.MaxInt64 {
		t.Errorf("memory limit %d after stop and a collection, want none (the budget gone)", l)
	}

	t.Setenv("GOGC", "200")
	debug.SetGCPercent(77)
	stop = startGCBudget()
	if p := currentGOGC(); p != 77 {
		t.Errorf("GOGC set by the user: changed to %d", p)
	}
	stop()
}
