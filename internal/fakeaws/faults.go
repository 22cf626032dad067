package fakeaws

import (
	"context"
	"errors"
	"net"
	"net/http"
	"path"
	"slices"
	"sync/atomic"
	"time"
)

// errConnectionReset means the connection was closed without an answer.
var errConnectionReset = errors.New("connection reset injected")

// faults injects the scenario's latency, throttling, denials and resets.
// Random draws are deterministic: draw n of a kind is a hash of the seed,
// the kind and n, so a single-threaded run always fails the same calls.
type faults struct {
	spec  FaultsSpec
	draws atomic.Uint64
	burst burstCounter // for ThrottleSpec.Burst
}

func newFaults(spec FaultsSpec) *faults { return &faults{spec: spec} }

// random returns a deterministic pseudo-random number in [0, 1).
func (f *faults) random() float64 {
	n := f.draws.Add(1)
	x := uint64(f.spec.Seed)*0x9E3779B97F4A7C15 + n*0xBF58476D1CE4E5B9
	// splitmix64 finaliser
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

// delay is the latency of one call: latency plus a uniform jitter in
// [-jitter, +jitter], never negative.
func (f *faults) delay() time.Duration {
	d := time.Duration(f.spec.Latency)
	if j := time.Duration(f.spec.Jitter); j > 0 {
		d += time.Duration((f.random()*2 - 1) * float64(j))
	}
	return max(d, 0)
}

// sleep waits for the call's latency or until ctx ends.
func (f *faults) sleep(ctx context.Context) error {
	d := f.delay()
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// hit decides a rate-based fault for an operation: ops limits it to some
// operations (empty = all). With a rate of 0 and listed operations, every
// call of those operations is hit.
func (f *faults) hit(rate float64, ops []string, operation string) bool {
	if len(ops) > 0 && !slices.Contains(ops, operation) {
		return false
	}
	switch {
	case rate <= 0:
		return len(ops) > 0
	case rate >= 1:
		return true
	default:
		return f.random() < rate
	}
}

func (f *faults) reset(operation string) bool {
	r := f.spec.Reset
	return r != nil && f.hit(r.Rate, r.Operations, operation)
}

// throttle decides whether to throttle a call; request identifies it for
// a burst (computed only when the spec has one).
func (f *faults) throttle(operation string, request func() uint64) bool {
	t := f.spec.Throttle
	if t == nil {
		return false
	}
	if t.Burst > 0 {
		if len(t.Operations) > 0 && !slices.Contains(t.Operations, operation) {
			return false
		}
		if f.burst.arrival(request()) <= t.Burst {
			return true
		}
		if t.Rate <= 0 {
			return false
		}
	}
	return f.hit(t.Rate, t.Operations, operation)
}

// denied reports whether a deny rule matches the call.
func (f *faults) denied(account, bucket, key, operation string) bool {
	for _, d := range f.spec.Deny {
		if (d.Account == "" || d.Account == account) &&
			(d.Bucket == "" || d.Bucket == bucket) &&
			(d.Operation == "" || d.Operation == operation) &&
			(d.Object == "" || key != "" && objectNameMatches(d.Object, key)) {
			return true
		}
	}
	return false
}

// objectNameMatches matches a glob (path.Match syntax) against the name
// of an object: its key after the last slash.
func objectNameMatches(glob, key string) bool {
	ok, _ := path.Match(glob, path.Base(key))
	return ok
}

// applyFaults runs the fault pipeline for an authenticated call: latency,
// reset, throttle, deny. It returns errConnectionReset when it closed the
// connection, an *apiError to answer with, or nil to carry on.
func (e *Emulator) applyFaults(w http.ResponseWriter, r *http.Request, req *request, c *Caller) error {
	f := e.faults
	if err := f.sleep(r.Context()); err != nil {
		return errConnectionReset // the client is gone; nothing to answer
	}
	if f.reset(req.operation) {
		resetConnection(w)
		return errConnectionReset
	}
	if f.throttle(req.operation, func() uint64 { return requestIdentity(r, req, c) }) {
		return throttleErr(req.service)
	}
	if len(f.spec.Deny) > 0 && f.denied(e.targetAccount(req, c), req.bucket, req.key, req.operation) {
		return denyErr(req.service)
	}
	return nil
}

// targetAccount is the account a call is made into, for deny rules: the
// bucket owner for S3 bucket calls, the role's account for AssumeRole, and
// the caller's account otherwise.
func (e *Emulator) targetAccount(req *request, c *Caller) string {
	switch {
	case req.service == "s3" && req.bucket != "":
		if owner, _, ok := e.s3.bucketInfo(req.bucket); ok {
			return owner
		}
	case req.service == "sts" && req.operation == "AssumeRole":
		if acct, _, ok := parseRoleARN(req.form.Get("RoleArn")); ok {
			return acct
		}
	}
	if c == nil {
		return "" // anonymous
	}
	return c.AccountID
}

func throttleErr(service string) *apiError {
	switch service {
	case "s3":
		return &apiError{503, "SlowDown", "Please reduce your request rate."}
	case "sts":
		return &apiError{400, "Throttling", "Rate exceeded"}
	default:
		return &apiError{400, "TooManyRequestsException", "AWS Organizations can't complete your request because another request is already in progress or the request rate is too high. Try again later."}
	}
}

func denyErr(service string) *apiError {
	switch service {
	case "organizations":
		return &apiError{400, "AccessDeniedException", "You don't have permissions to access this resource."}
	case "sts":
		return &apiError{403, "AccessDenied", "User is not authorized to perform: sts:AssumeRole (denied by fakeaws fault rule)"}
	default:
		return &apiError{403, "AccessDenied", "Access Denied"}
	}
}

// resetConnection closes the client connection abruptly (TCP RST where the
// connection can be hijacked), without an HTTP answer.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}
