package main

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// The limit is the floor while the live heap is small (or only a little
// above it), and otherwise GOGC=100's trigger (twice the live heap) plus
// what the runtime holds besides heap objects, never below what it holds.
func TestBudgetFor(t *testing.T) {
	const mib = 1 << 20
	// 5 MiB live; held 30 - 5 = 25, of which 12 objects and 5 free: 8 other.
	small := memClasses{total: 30 * mib, objects: 12 * mib, free: 5 * mib, released: 5 * mib}
	if got := budgetFor(5*mib, small); got != gcBudgetFloor {
		t.Errorf("small live heap: limit %d MiB, want the floor", got/mib)
	}
	// 10 MiB live: 2*10 + 8 = 28 MiB, within the slack: still the floor.
	if got := budgetFor(10*mib, small); got != gcBudgetFloor {
		t.Errorf("10 MiB live: limit %d MiB, want the floor", got/mib)
	}
	// 100 MiB live; held 230, of which 120 objects and 90 free: 20 other.
	large := memClasses{total: 230 * mib, objects: 120 * mib, free: 90 * mib}
	if got := budgetFor(100*mib, large); got != 230*mib {
		t.Errorf("100 MiB live, 230 held: limit %d MiB, want 230 (what is held)", got/mib)
	}
	if got := budgetFor(150*mib, large); got != 320*mib {
		t.Errorf("150 MiB live: limit %d MiB, want 2*150 + 20", got/mib)
	}
	if got := budgetFor(0, memClasses{total: 10 * mib, objects: 12 * mib}); got != gcBudgetFloor {
		t.Errorf("classes above the total: limit %d MiB, want the floor", got/mib)
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

// startGCBudget turns GOGC off for the floor, raises the limit after a
// collection finds a large live heap, and puts the runtime's settings back
// when stopped; a user's GOGC or GOMEMLIMIT wins over it.
func TestStartGCBudget(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	before := debug.SetGCPercent(77)
	defer debug.SetGCPercent(before)
	stop := startGCBudget()
	if p := debug.SetGCPercent(-1); p != -1 {
		t.Errorf("GOGC %d while the budget runs, want -1 (off)", p)
	}
	if l := currentLimit(); l < gcBudgetFloor || l > 2*gcBudgetFloor {
		t.Errorf("memory limit %d MiB with a small heap, want about the floor", l>>20)
	}
	live := make([][]byte, 48)
	for i := range live {
		live[i] = make([]byte, 1<<20)
		live[i][0] = 1
	}
	deadline := time.Now().Add(5 * time.Second)
	for currentLimit() < 96<<20 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond) // the finalizer runs after the collection
	}
	if l := currentLimit(); l < 96<<20 {
		t.Errorf("memory limit %d MiB with 48 MiB live, want at least 96", l>>20)
	}
	runtime.KeepAlive(live)
	stop()
	if p := debug.SetGCPercent(77); p != 77 {
		t.Errorf("GOGC %d after stop, want 77 back", p)
	}
	runtime.GC()
	time.Sleep(10 * time.Millisecond)
	if l := currentLimit(); l < 1<<62 {
		t.Errorf("memory limit %d after stop and a collection, want none (the budget gone)", l)
	}

	t.Setenv("GOGC", "200")
	stop = startGCBudget()
	if p := debug.SetGCPercent(77); p != 77 {
		t.Errorf("GOGC set by the user: changed to %d", p)
	}
	stop()
}
