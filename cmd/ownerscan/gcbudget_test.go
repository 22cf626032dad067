package main

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// The limit is the floor while the live heap is small, and GOGC=100's
// trigger (twice the live heap) plus the runtime's non-heap memory once
// that is larger.
func TestBudgetFor(t *testing.T) {
	const mib = 1 << 20
	if got := budgetFor(5*mib, 30*mib, 25*mib); got != gcBudgetFloor {
		t.Errorf("small live heap: limit %d MiB, want the floor", got/mib)
	}
	if got := budgetFor(100*mib, 230*mib, 220*mib); got != 210*mib {
		t.Errorf("live heap of 100 MiB: limit %d MiB, want 210", got/mib)
	}
	if got := budgetFor(0, 10*mib, 12*mib); got != gcBudgetFloor {
		t.Errorf("heap classes above the total: limit %d MiB, want the floor", got/mib)
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
