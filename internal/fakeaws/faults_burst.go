package fakeaws

import (
	"hash/fnv"
	"net/http"
	"sync"
)

// burstCounter counts the arrivals of each distinct request, for
// ThrottleSpec.Burst.
type burstCounter struct {
	mu   sync.Mutex
	seen map[uint64]int
}

// arrival records one more arrival of the request with identity id and
// returns how many there have been, this one included.
func (b *burstCounter) arrival(id uint64) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.seen == nil {
		b.seen = make(map[uint64]int)
	}
	b.seen[id]++
	return b.seen[id]
}

// requestIdentity hashes what stays the same when a client retries a call:
// the caller's access key, the method, host, path and query, and the body
// of STS and Organizations calls (S3 bodies are not read here). Signatures
// and dates, which change per attempt, are headers and not part of it.
func requestIdentity(r *http.Request, req *request, c *Caller) uint64 {
	h := fnv.New64a()
	for _, part := range []string{c.AccessKeyID, r.Method, r.Host, r.URL.Path, r.URL.RawQuery} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(req.body)
	return h.Sum64()
}
