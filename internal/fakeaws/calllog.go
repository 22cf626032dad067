package fakeaws

import (
	"io"
	"net/http"
	"strings"
	"sync"
)

// S3Call is one S3 request a CallLog saw.
type S3Call struct {
	Operation, Bucket, Key string
	Status                 int         // of the answer
	Header                 http.Header // of the request
}

// CallLog is an http.Handler in front of an Emulator (or any handler) that
// records the S3 calls it passes on, in the order they were answered, and
// can answer chosen calls itself: with an S3 error, or after holding them.
// It is for tests of what a client writes in which order, and of how it
// comes through a failure at an exact point (a part of an upload, one
// file). Calls of other services pass through unrecorded.
type CallLog struct {
	next http.Handler

	mu        sync.Mutex
	calls     []S3Call
	intercept func(S3Call) (status int, code string)
}

// NewCallLog puts a CallLog in front of next.
func NewCallLog(next http.Handler) *CallLog { return &CallLog{next: next} }

// Intercept sets the function that sees each S3 call before it is served
// (nil: none). A status other than 0 answers the call with that status and
// an S3 error of that code, unserved; the function may block, to hold the
// call until the test lets it go.
func (l *CallLog) Intercept(f func(S3Call) (status int, code string)) {
	l.mu.Lock()
	l.intercept = f
	l.mu.Unlock()
}

// Take returns the calls recorded since the last Take.
func (l *CallLog) Take() []S3Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.calls
	l.calls = nil
	return out
}

// ServeHTTP records and passes on (or answers) one request.
func (l *CallLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.Contains(r.Header.Get("Authorization"), "/s3/aws4_request") {
		l.next.ServeHTTP(w, r)
		return
	}
	op, bucket, key := classifyS3(r, r.URL.Query())
	call := S3Call{Operation: op, Bucket: bucket, Key: key, Header: r.Header.Clone()}
	l.mu.Lock()
	intercept := l.intercept
	l.mu.Unlock()
	if intercept != nil {
		if status, code := intercept(call); status != 0 {
			_, _ = io.Copy(io.Discard, r.Body)
			newS3Error(status, code, "answered by a test's CallLog").write(w, r)
			call.Status = status
			l.add(call)
			return
		}
	}
	sw := &statusWriter{ResponseWriter: w}
	l.next.ServeHTTP(sw, r)
	call.Status = sw.status
	if call.Status == 0 { // nothing written, or the connection reset: net/http's default
		call.Status = http.StatusOK
	}
	l.add(call)
}

func (l *CallLog) add(c S3Call) {
	l.mu.Lock()
	l.calls = append(l.calls, c)
	l.mu.Unlock()
}
