package fakeaws

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"sync"
)

// refusalKey names a call the emulator refused for good: the operation,
// the account called into (a bucket's owner, an AssumeRole's target, else
// the caller's) and the bucket, if any.
type refusalKey struct{ operation, account, bucket string }

// refusals records the calls answered with a denial (HTTP 403, or
// Organizations' AccessDeniedException): what a client cannot get however
// it asks. Minimum reads it to know where a scan had to stop. Throttles,
// resets and 5xx answers are not refusals: a retry gets past them. Safe for
// concurrent use.
type refusals struct{ seen sync.Map } // refusalKey -> struct{}

func (r *refusals) add(k refusalKey) { r.seen.Store(k, struct{}{}) }

func (r *refusals) has(operation, account, bucket string) bool {
	_, ok := r.seen.Load(refusalKey{operation, account, bucket})
	return ok
}

// statusWriter remembers the status a handler answered with (0 while it
// has answered nothing), for refusals and CallLog. It passes Hijack through (the
// reset fault closes the connection) and Unwrap for http.ResponseController.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := s.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("fakeaws: the connection cannot be taken over")
	}
	return hj.Hijack()
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// refused reports whether the answer was a denial.
func (s *statusWriter) refused() bool {
	return s.status == http.StatusForbidden ||
		(s.status == http.StatusBadRequest && s.Header().Get("X-Amzn-ErrorType") == "AccessDeniedException")
}

// noteRefusal records req as refused when w answered it with a denial.
func (e *Emulator) noteRefusal(w *statusWriter, req *request) {
	if !w.refused() {
		return
	}
	k := refusalKey{operation: req.operation}
	if req.principal != nil {
		k.account = req.principal.AccountID
	}
	switch {
	case req.service == "s3" && req.bucket != "":
		k.bucket = req.bucket
		if owner, _, ok := e.s3.bucketInfo(req.bucket); ok {
			k.account = owner
		}
	case req.service == "sts" && req.operation == "AssumeRole":
		if account, _, ok := parseRoleARN(req.form.Get("RoleArn")); ok {
			k.account = account
		}
	}
	e.refused.add(k)
}
