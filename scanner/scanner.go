package scanner

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Progress is read by the CLI while a scan runs; all counters only grow.
type Progress struct {
	AccountsTotal atomic.Int64 // accounts in scope, known so far
	AccountsDone  atomic.Int64 // accounts whose buckets are all found (or that failed / were skipped)
	BucketsFound  atomic.Int64 // buckets in scope found so far
	BucketsDone   atomic.Int64 // buckets checked (or failed)
	Objects       atomic.Int64 // object versions and delete markers listed
	Findings      atomic.Int64 // findings raised so far
}

// Scanner scans one organization. It holds no per-scan state: Scan may be
// called again.
type Scanner struct {
	opts   Options
	log    *slog.Logger
	newRun func() (clientFactory, *budget) // fresh clients and budget per scan
	tune   tuning                          // set by the Option arguments of New
	// region is the region of the caller's AWS configuration (see
	// run.configRegion).
	region string
}

// New validates opts and prepares a scanner that reaches AWS through cfg
// (its credentials are the caller's; its HTTP client and retryer are
// replaced by the scan's own budgeted client and retryer). A nil logger
// discards logs. tune, if any, adjusts paging and stopping (Option).
func New(cfg aws.Config, opts Options, logger *slog.Logger, tune ...Option) (*Scanner, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("scanner: %w", err)
	}
	if cfg.Credentials == nil {
		return nil, fmt.Errorf("scanner: aws config has no credentials")
	}
	t, err := applyOptions(tune)
	if err != nil {
		return nil, fmt.Errorf("scanner: %w", err)
	}
	var s *Scanner
	s = newScanner(opts, logger, func() (clientFactory, *budget) {
		b := newBudget(opts.Concurrency)
		return newAWSClients(cfg, newHTTPClient(opts.Concurrency, t.attemptTimeout), b).
			withRateLimits(opts.RateLimits).withMaxBackoff(t.maxBackoff).withLogger(s.log), b
	})
	s.tune = t
	s.region = cfg.Region
	return s, nil
}

func newScanner(opts Options, logger *slog.Logger, newRun func() (clientFactory, *budget)) *Scanner {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Scanner{opts: opts, log: logger.With("component", "scanner"), newRun: newRun, tune: defaultTuning()}
}

// Scan scans the organization. Cross-account object records go to sink (nil
// discards them) as they are found, from one goroutine. progress may be nil.
//
// Scan always returns a non-nil Result. Complete is false when anything in
// scope failed or ctx ended. The error is non-nil only when the scan could
// not start (GetCallerIdentity, the organization role, DescribeOrganization
// or ListAccounts failed), when the sink failed, or when ctx ended (it then
// wraps ctx.Err(), e.g. context.Canceled); accounts and buckets not reached
// are in the Result as failed with "not scanned: interrupted".
func (s *Scanner) Scan(ctx context.Context, sink ObjectSink, progress *Progress) (*Result, error) {
	return s.ScanUntil(ctx, nil, sink, progress)
}

// ScanUntil is Scan with a graceful stop, for an interrupted run (SIGINT):
// once stop is closed, the scan starts no new work (no account, bucket,
// check or listing page; the ListAccounts pages already underway go on, so
// that every account in scope is named) and lets the calls in flight finish
// for up to StopGrace (or WithStopGrace); then it cancels them. It returns
// as Scan does, the error wrapping ErrStopped, and the Result lists every
// account and bucket not reached as failed: "not scanned: interrupted",
// "interrupted before OP" (its next call was not started), or "interrupted during OP" (a call
// outlived the grace period). Cancelling ctx still cancels everything at once. A nil stop never
// closes.
func (s *Scanner) ScanUntil(ctx context.Context, stop <-chan struct{}, sink ObjectSink, progress *Progress) (*Result, error) {
	if sink == nil {
		sink = discardSink{}
	}
	if progress == nil {
		progress = &Progress{}
	}
	clients, b := s.newRun()
	r := newRun(s.opts, s.log, clients, b, sink, progress)
	r.listBucketsPage = s.tune.listBucketsPage
	r.stop, r.stopGrace = stop, s.tune.stopGrace
	r.configRegion = s.region
	r.col.facts.listBucketsPage = s.tune.listBucketsPage
	return r.scan(ctx)
}

type discardSink struct{}

func (discardSink) WriteObject(ObjectRecord) error { return nil }
