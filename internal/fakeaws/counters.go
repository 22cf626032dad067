package fakeaws

import (
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
)

// CounterSnapshot is the number of calls the emulator received, including
// those answered with an injected fault or an authentication error.
type CounterSnapshot struct {
	Total              int64                       `json:"total"`
	ByOperation        map[string]int64            `json:"by_operation"`         // SDK operation name -> calls
	ByAccount          map[string]int64            `json:"by_account"`           // caller's account ("" unauthenticated) -> calls
	ByAccountOperation map[string]map[string]int64 `json:"by_account_operation"` // account -> operation -> calls
}

type counterKey struct{ operation, account string }

// counters counts calls without a global lock: one atomic per (operation,
// account) pair, created once and then only incremented.
type counters struct {
	total atomic.Int64
	cells sync.Map // counterKey -> *atomic.Int64
}

func newCounters() *counters { return &counters{} }

func (c *counters) add(operation, account string) {
	c.total.Add(1)
	k := counterKey{operation, account}
	cell, ok := c.cells.Load(k)
	if !ok {
		cell, _ = c.cells.LoadOrStore(k, new(atomic.Int64))
	}
	cell.(*atomic.Int64).Add(1)
}

func (c *counters) snapshot() CounterSnapshot {
	s := CounterSnapshot{
		Total:              c.total.Load(),
		ByOperation:        map[string]int64{},
		ByAccount:          map[string]int64{},
		ByAccountOperation: map[string]map[string]int64{},
	}
	c.cells.Range(func(key, value any) bool {
		k, n := key.(counterKey), value.(*atomic.Int64).Load()
		s.ByOperation[k.operation] += n
		s.ByAccount[k.account] += n
		m := s.ByAccountOperation[k.account]
		if m == nil {
			m = map[string]int64{}
			s.ByAccountOperation[k.account] = m
		}
		m[k.operation] += n
		return true
	})
	return s
}

// serveCounters answers GET /_fakeaws/counters with the snapshot as JSON.
// It is not counted itself.
func (e *Emulator) serveCounters(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(e.counters.snapshot())
}
