package scanner

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/ownerscan/ownerscan/scanner/fastdecode"
)

// Retry and timeout settings of every client (README, "Throttling, faults
// and long scans").
const (
	// maxAttempts per call: throttling bursts of a busy organization are
	// ridden out rather than turned into failed buckets.
	maxAttempts = 10
	// DefaultMaxBackoff caps the (jittered, exponential) wait between
	// attempts (WithMaxBackoff).
	DefaultMaxBackoff = 5 * time.Second
	// DefaultAttemptTimeout bounds one attempt, from sending the request
	// to the last byte of the answer (WithAttemptTimeout): a stalled
	// or dripping answer is given up and retried, at most
	// maxTimedOutAttempts times per call (guard_transport.go).
	DefaultAttemptTimeout = 30 * time.Second
)

// newRetryer is the retryer of every client: standard mode with more
// attempts and WITHOUT the client-side retry quota (ratelimit.None): with
// 64 calls in flight, a throttling burst would drain the 500-token quota in
// seconds and every later retry would fail at once with "retry quota
// exceeded", losing buckets. The server's throttling is the rate limit.
func newRetryer(maxBackoff time.Duration) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts
		o.MaxBackoff = maxBackoff
		o.RateLimiter = ratelimit.None
		// A session that expired between signing and arrival (a long
		// queue, a clock step) is retried: the next attempt fetches fresh
		// credentials.
		o.Retryables = append(o.Retryables, retry.RetryableErrorCode{Codes: map[string]struct{}{
			"ExpiredToken": {}, "ExpiredTokenException": {}, "RequestExpired": {},
		}})
	})
}

// awsClients is the real clientFactory: SDK clients sharing one budgeted
// HTTP client. S3 clients are cached per (account, region) and reused for
// every bucket of that account in that region.
type awsClients struct {
	base   aws.Config    // Credentials: the caller's
	limits *rateLimiters // per-service request pacing; nil = none
	log    *slog.Logger  // for the fast decoders' warning

	mu sync.Mutex
	s3 map[s3ClientKey]*s3.Client
	// fastDecoding is the S3 clients' APIOptions entry swapping in the
	// fast decoders of ACL answers (fastdecode), made with the first
	// client so that a changed SDK is warned about once per scan; nil
	// with OWNERSCAN_SDK_DECODER=1.
	fastDecoding func(*middleware.Stack) error
}

type s3ClientKey struct{ account, region string }

// newAWSClients builds the factory of one scan: every client shares
// httpClient, holds a slot of b per attempt, and checks every answer before
// it is believed (guard_answers.go).
func newAWSClients(cfg aws.Config, httpClient aws.HTTPClient, b *budget) *awsClients {
	base := cfg.Copy()
	base.HTTPClient = httpClient
	base.APIOptions = append(append([]func(*middleware.Stack) error(nil), cfg.APIOptions...),
		addBudget(b), addAnswerGuards(newLargeAnswerSlots()), addAttemptLimits)
	base.Retryer = func() aws.Retryer { return newRetryer(DefaultMaxBackoff) }
	base.RetryMaxAttempts = 0
	base.RetryMode = ""
	return &awsClients{base: base, log: slog.New(slog.DiscardHandler), s3: make(map[s3ClientKey]*s3.Client)}
}

// withLogger sets the logger that warns when a fast decoder cannot stand
// in for the SDK's (fastdecode.APIOption).
func (c *awsClients) withLogger(l *slog.Logger) *awsClients {
	c.log = l
	return c
}

// withMaxBackoff sets the longest wait between two attempts of a call
// (WithMaxBackoff).
func (c *awsClients) withMaxBackoff(d time.Duration) *awsClients {
	c.base.Retryer = func() aws.Retryer { return newRetryer(d) }
	return c
}

// withRateLimits paces every client's requests by service (Options.RateLimits).
func (c *awsClients) withRateLimits(r RateLimits) *awsClients {
	c.limits = newRateLimiters(r)
	return c
}

// config is the configuration of one client of a service: the caller's
// (creds nil) or the given credentials, and that service's rate limiter.
func (c *awsClients) config(creds aws.CredentialsProvider, limiter func(*rateLimiters) *paceLimiter) aws.Config {
	cfg := c.base.Copy()
	if creds != nil {
		cfg.Credentials = creds
	}
	if c.limits != nil {
		// A fresh slice: clients are built concurrently from one base.
		cfg.APIOptions = append(slices.Clip(cfg.APIOptions), addRateLimit(limiter(c.limits)))
	}
	return cfg
}

// STS returns an STS client of region: a regional endpoint, whose session
// tokens work in every region of the partition.
func (c *awsClients) STS(region string, creds aws.CredentialsProvider) STSAPI {
	return sts.NewFromConfig(c.config(creds, func(l *rateLimiters) *paceLimiter { return l.sts }), func(o *sts.Options) {
		o.Region = region
	})
}

// Organizations returns an Organizations client of region, the partition's
// home region: the SDK's endpoint rules send every region of a partition
// there anyway, and with an overridden endpoint it is also the region the
// requests are signed for.
func (c *awsClients) Organizations(region string, creds aws.CredentialsProvider) OrganizationsAPI {
	return organizations.NewFromConfig(c.config(creds, func(l *rateLimiters) *paceLimiter { return l.organizations }), func(o *organizations.Options) {
		o.Region = region
	})
}

// S3 returns the S3 client of accountID in region, creating it once.
// With an overridden endpoint (BaseEndpoint) it uses path-style addressing.
func (c *awsClients) S3(accountID, region string, creds aws.CredentialsProvider) S3API {
	key := s3ClientKey{accountID, region}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.s3[key]; ok {
		return cl
	}
	if c.fastDecoding == nil && !sdkDecoderForced() {
		c.fastDecoding = fastdecode.APIOption(c.log)
	}
	cl := s3.NewFromConfig(c.config(creds, func(l *rateLimiters) *paceLimiter { return l.s3 }), func(o *s3.Options) {
		o.Region = region
		o.ExpressCredentials = noExpressCredentials{}
		if c.base.BaseEndpoint != nil {
			o.UsePathStyle = true
		}
		if c.fastDecoding != nil {
			// A fresh slice: the base's may be shared with other clients.
			o.APIOptions = append(slices.Clip(o.APIOptions), c.fastDecoding)
		}
	})
	c.s3[key] = cl
	return cl
}

// noExpressCredentials stands in for the SDK's S3 Express One Zone session
// provider, which every S3 client would otherwise build with its own LRU
// session cache (a map sized for 100 sessions): with one client per
// account and region, 1,000 accounts held about 3 MB of empty caches. A
// scan never calls a directory bucket (ListBuckets does not list them), so
// a request that would need an Express session fails instead.
type noExpressCredentials struct{}

func (noExpressCredentials) Retrieve(context.Context, string) (aws.Credentials, error) {
	return aws.Credentials{}, errors.New("scanner: S3 Express One Zone directory buckets are not scanned")
}
