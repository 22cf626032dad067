package scanner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go/middleware"
)

// maxTimedOutAttempts is how many attempts of one call may time out
// (WithAttemptTimeout) before the call gives up, whatever attempts are
// left: an endpoint that stalls or drips its answer a byte at a time does
// so again, and ten such attempts would hold a bucket for five minutes.
const maxTimedOutAttempts = 3

// newHTTPClient builds the one HTTP client of a scan: a transport that keeps
// as many idle connections per host as requests may be in flight (the
// default of 10 would close and reopen connections at concurrency 64), no
// redirect ever followed (the SDK's own client follows 307 and 308), and a
// deadline on each attempt, answer included.
func newHTTPClient(concurrency int, attempt time.Duration) *timeoutClient {
	tr := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConns = concurrency * 2
		tr.MaxIdleConnsPerHost = concurrency * 2
		tr.MaxConnsPerHost = 0
	}).GetTransport()
	inner := &http.Client{
		Transport: tr,
		// The 3xx answer itself reaches the SDK, and answerGuard turns it
		// into an error naming the operation.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &timeoutClient{next: inner, attemptTimeout: attempt}
}

// httpDoer is aws.HTTPClient.
type httpDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// timeoutClient is the aws.HTTPClient of every SDK client of a scan: it
// bounds each attempt, from sending the request to the end of the answer
// (attemptTimeout). An attempt still waiting for headers or still reading
// its body when the time is up is cancelled and fails with
// attemptTimeoutError, which the SDK's retryer retries as a connection
// error. The scan's own cancellation reaches the attempt through the
// request's context, body reads included: a body still streaming is
// abandoned when the scan stops.
type timeoutClient struct {
	next           httpDoer
	attemptTimeout time.Duration
}

// attemptTimeoutError is returned when an attempt did not complete in
// time. ConnectionError makes the SDK's standard retryer retry it.
type attemptTimeoutError struct{ after time.Duration }

func (e attemptTimeoutError) Error() string {
	return "no complete answer within " + e.after.String()
}
func (attemptTimeoutError) ConnectionError() bool { return true }
func (attemptTimeoutError) Timeout() bool         { return true }

func (c *timeoutClient) Do(req *http.Request) (*http.Response, error) {
	parent := req.Context()
	ctx, cancel := context.WithCancel(parent)
	a := &attempt{cancel: cancel, parent: parent, limit: c.attemptTimeout}
	a.timer = time.AfterFunc(c.attemptTimeout, func() { a.timedOut.Store(true); cancel() })
	resp, err := c.next.Do(req.WithContext(ctx))
	if err != nil {
		a.end()
		return nil, a.translate(err)
	}
	resp.Body = &attemptBody{ReadCloser: resp.Body, a: a}
	return resp, nil
}

// attempt is the deadline of one HTTP attempt.
type attempt struct {
	timer    *time.Timer
	cancel   context.CancelFunc
	parent   context.Context
	limit    time.Duration
	timedOut atomic.Bool
}

// end stops the deadline and frees the attempt's context.
func (a *attempt) end() {
	a.timer.Stop()
	a.cancel()
}

// translate names a failure the deadline caused (and not the scan's own
// cancellation) as attemptTimeoutError.
func (a *attempt) translate(err error) error {
	if a.timedOut.Load() && a.parent.Err() == nil {
		return attemptTimeoutError{a.limit}
	}
	return err
}

// attemptBody is an answer's body under its attempt's deadline; closing it
// ends the attempt.
type attemptBody struct {
	io.ReadCloser
	a *attempt
}

func (b *attemptBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = b.a.translate(err)
	}
	return n, err
}

func (b *attemptBody) Close() error {
	err := b.ReadCloser.Close()
	b.a.end()
	return err
}

// attemptLimits counts a call's attempts that timed out and, at
// maxTimedOutAttempts, ends the call (timedOutCallError is not retryable).
// It sits in the Finalize step right after the retry middleware, so it sees
// every attempt; a fresh one is installed for each call.
type attemptLimits struct{ timedOut int }

func (*attemptLimits) ID() string { return "ownerscan.AttemptLimits" }

func (m *attemptLimits) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
	middleware.FinalizeOutput, middleware.Metadata, error,
) {
	out, md, err := next.HandleFinalize(ctx, in)
	if err != nil && errors.As(err, new(attemptTimeoutError)) {
		if m.timedOut++; m.timedOut >= maxTimedOutAttempts {
			err = &timedOutCallError{attempts: m.timedOut, err: err}
		}
	}
	return out, md, err
}

// addAttemptLimits is an APIOptions entry installing attemptLimits.
func addAttemptLimits(s *middleware.Stack) error {
	return s.Finalize.Insert(&attemptLimits{}, "Retry", middleware.After)
}

// timedOutCallError ends a call whose attempts kept timing out.
type timedOutCallError struct {
	attempts int
	err      error
}

func (e *timedOutCallError) Error() string {
	return fmt.Sprintf("%d attempts timed out: %v", e.attempts, e.err)
}
func (e *timedOutCallError) Unwrap() error      { return e.err }
func (*timedOutCallError) RetryableError() bool { return false }
