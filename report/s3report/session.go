package s3report

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"
)

// Retries and timeouts of the reports' own clients, apart from the scan's:
// a report that fails to upload loses a whole night's scan, so each call is
// tried a few times, and a connection that stops answering is given up on
// and retried rather than waited on.
const (
	maxAttempts = 5
	// responseTimeout bounds the wait for an answer once a request is sent
	// (a part of 8 MiB included); reading a body is not bounded by it.
	responseTimeout = 2 * time.Minute
)

// Options says how reports are written to and read from S3.
type Options struct {
	// ExpectedBucketOwner is the account every bucket written to or read
	// from must belong to; S3 refuses (403) any call on a bucket of
	// another account. Empty: the account of the credentials, found with
	// GetCallerIdentity before the first S3 call.
	ExpectedBucketOwner string
	// KMSKeyID, when set, encrypts every report written with SSE-KMS
	// under this key; otherwise the bucket's default encryption applies.
	KMSKeyID string
	// Logger receives warnings that do not stop the reports (nil: none).
	Logger *slog.Logger
	// Retryer, when set, replaces the standard retryer of maxAttempts
	// attempts (tests shorten its backoff).
	Retryer func() aws.Retryer
}

// Session is the S3 access of one command: its own clients (one per
// bucket region), not the scan's, with their own retries, and the account
// every bucket must belong to.
type Session struct {
	cfg    aws.Config
	opts   Options
	logger *slog.Logger

	mu      sync.Mutex
	owner   string                   // resolved expected owner
	buckets map[string]*bucketClient // by bucket name
}

// NewSession prepares a session; it makes no call. cfg gives the
// credentials, the caller's region and any endpoint override
// (AWS_ENDPOINT_URL, with which S3 is addressed path-style).
func NewSession(cfg aws.Config, opts Options) *Session {
	cfg = cfg.Copy()
	cfg.Retryer = opts.Retryer
	if cfg.Retryer == nil {
		cfg.Retryer = func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = maxAttempts })
		}
	}
	cfg.RetryMaxAttempts = 0
	cfg.RetryMode = ""
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			tr.ResponseHeaderTimeout = responseTimeout
		})
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// The SDK's own notes (such as a response without a checksum to
	// validate) go to the log at debug level, not straight to stderr.
	cfg.Logger = sdkLogger{logger}
	return &Session{cfg: cfg, opts: opts, logger: logger, buckets: map[string]*bucketClient{}}
}

// ExpectedOwner is the account every bucket must belong to: the one
// configured, else the account of the credentials (one GetCallerIdentity,
// remembered).
func (s *Session) ExpectedOwner(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.expectedOwnerLocked(ctx)
}

func (s *Session) expectedOwnerLocked(ctx context.Context) (string, error) {
	if s.owner != "" {
		return s.owner, nil
	}
	if s.opts.ExpectedBucketOwner != "" {
		s.owner = s.opts.ExpectedBucketOwner
		return s.owner, nil
	}
	out, err := sts.NewFromConfig(s.cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("s3report: find the account of the credentials (the expected owner of the report bucket): %s", describe(err))
	}
	s.owner = aws.ToString(out.Account)
	if s.owner == "" {
		return "", errors.New("s3report: GetCallerIdentity named no account")
	}
	return s.owner, nil
}

// sdkLogger passes the SDK's log lines to slog: warnings as warnings,
// everything else at debug level.
type sdkLogger struct{ l *slog.Logger }

func (s sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	level := slog.LevelDebug
	if c == logging.Warn {
		level = slog.LevelWarn
	}
	s.l.Log(context.Background(), level, "aws sdk: "+fmt.Sprintf(format, v...))
}

// bucketClient is an S3 client in a bucket's region, and what every call
// on the bucket carries.
type bucketClient struct {
	api    API
	bucket string
	region string
	owner  string // ExpectedBucketOwner of every call
	kmsKey string // "" : the bucket's default encryption
}

// bucket returns the client of a bucket, finding its region first with
// HeadBucket (which S3 answers with x-amz-bucket-region from any region,
// allowed or not; it needs s3:ListBucket on the bucket). A bucket that
// does not exist, or is not the expected owner's, or that the credentials
// may not list, is an error saying which.
func (s *Session) bucket(ctx context.Context, name string) (*bucketClient, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.buckets[name]; ok {
		return c, nil
	}
	owner, err := s.expectedOwnerLocked(ctx)
	if err != nil {
		return nil, err
	}
	region := s.cfg.Region
	head := func(region string) error {
		_, err := s.client(region).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name), ExpectedBucketOwner: aws.String(owner)})
		return err
	}
	err = head(region)
	if other := responseHeader(err, "X-Amz-Bucket-Region"); err != nil && other != "" && other != region {
		region = other
		err = head(region)
	}
	if err != nil {
		switch httpStatus(err) {
		case http.StatusNotFound:
			return nil, fmt.Errorf("s3report: bucket %s does not exist", name)
		case http.StatusForbidden:
			return nil, fmt.Errorf("s3report: bucket %s: access denied: it is not account %s's (the expected bucket owner), or these credentials may not list it (s3:ListBucket)", name, owner)
		}
		return nil, fmt.Errorf("s3report: bucket %s: HeadBucket: %s", name, describe(err))
	}
	c := &bucketClient{api: s.client(region), bucket: name, region: region, owner: owner, kmsKey: s.opts.KMSKeyID}
	s.buckets[name] = c
	return c, nil
}

// client is an S3 client of the session in region.
func (s *Session) client(region string) *s3.Client {
	return s3.NewFromConfig(s.cfg, func(o *s3.Options) {
		o.Region = region
		if s.cfg.BaseEndpoint != nil {
			o.UsePathStyle = true
		}
	})
}
