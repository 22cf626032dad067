package scanner

import (
	"context"
	"sync"
	"time"

	"github.com/aws/smithy-go/middleware"
)

// Services whose request rate Options.RateLimits caps (config key
// rate_limits.<service>).
const (
	ServiceOrganizations = "organizations"
	ServiceSTS           = "sts"
	ServiceS3            = "s3"
)

// Default client-side rate limits, in requests per second (0 = none).
//
// AWS publishes no per-API request rates for Organizations or STS (the
// Organizations quotas page, https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html,
// names throttling without figures); both throttle per account, and the
// caller's account shares its quota with every other tool that runs there.
// The defaults keep ownerscan well below what those services are known to
// sustain while costing a scan little: Organizations calls are a handful
// (DescribeOrganization and one ListAccounts page per 20 accounts, which
// follow each other anyway); STS calls are one AssumeRole per member account
// and per session refresh. S3 scales per bucket prefix (3,500-5,500
// requests/s, https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html)
// and the concurrency limit already bounds
// it. Throttling that still happens is retried (clients.go).
const (
	DefaultOrganizationsRate = 10
	DefaultSTSRate           = 100
	DefaultS3Rate            = 0
	// MinRate and MaxRate bound a rate limit other than 0: below one
	// request every 10 seconds a scan would never end; above 100,000 per
	// second it limits nothing.
	MinRate = 0.1
	MaxRate = 100000
)

// RateLimits caps the requests per second sent to each service; 0 means no
// limit. Every attempt counts, retries included.
type RateLimits struct {
	Organizations float64 // rate_limits.organizations
	STS           float64 // rate_limits.sts
	S3            float64 // rate_limits.s3
}

// DefaultRateLimits returns the documented defaults.
func DefaultRateLimits() RateLimits {
	return RateLimits{Organizations: DefaultOrganizationsRate, STS: DefaultSTSRate, S3: DefaultS3Rate}
}

// paceLimiter is a token bucket: requests start at most rate per second on
// average, with bursts of up to one second's worth (at least one request)
// after a quiet spell, as AWS's own throttling buckets allow. Each request
// reserves its start time (GCRA: a theoretical arrival time advanced by one
// interval per request) and sleeps until then. It holds nothing while a
// request waits, so a waiting request never blocks another service, and a
// cancelled wait returns at once.
type paceLimiter struct {
	interval time.Duration
	burst    int

	mu  sync.Mutex
	tat time.Time // theoretical arrival time of the next request
}

// newPaceLimiter returns nil (no limit) for a rate of 0.
func newPaceLimiter(rate float64) *paceLimiter {
	if rate <= 0 {
		return nil
	}
	return &paceLimiter{
		interval: time.Duration(float64(time.Second) / rate),
		burst:    max(1, int(rate)),
	}
}

// wait blocks until the request may start, or ctx ends.
func (l *paceLimiter) wait(ctx context.Context) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	now := time.Now()
	if l.tat.Before(now) {
		l.tat = now
	}
	start := l.tat.Add(-time.Duration(l.burst-1) * l.interval)
	l.tat = l.tat.Add(l.interval)
	l.mu.Unlock()
	d := start.Sub(now)
	if d <= 0 {
		return ctx.Err()
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

// rateLimiters are the limiters of one scan, one per service, shared by
// every client of that service.
type rateLimiters struct {
	organizations, sts, s3 *paceLimiter
}

func newRateLimiters(r RateLimits) *rateLimiters {
	return &rateLimiters{
		organizations: newPaceLimiter(r.Organizations),
		sts:           newPaceLimiter(r.STS),
		s3:            newPaceLimiter(r.S3),
	}
}

// rateMiddleware waits for the service's limiter before each attempt. It
// sits in the Finalize step after the retry middleware, so retries are
// paced too, and before the request budget, so a paced request does not
// hold a budget slot while it waits.
type rateMiddleware struct{ l *paceLimiter }

func (rateMiddleware) ID() string { return "ownerscan.RateLimit" }

func (m rateMiddleware) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	if err := m.l.wait(ctx); err != nil {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, err
	}
	return next.HandleFinalize(ctx, in)
}

// addRateLimit is an APIOptions entry installing rateMiddleware for l (none
// when l is nil), right before the request budget (or signing, without one).
func addRateLimit(l *paceLimiter) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		if l == nil {
			return nil
		}
		if _, ok := s.Finalize.Get(budgetMiddleware{}.ID()); ok {
			return s.Finalize.Insert(rateMiddleware{l}, budgetMiddleware{}.ID(), middleware.Before)
		}
		return s.Finalize.Insert(rateMiddleware{l}, "Signing", middleware.Before)
	}
}
