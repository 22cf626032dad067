package scanner

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// StopGrace is how long calls already in flight may run after a graceful
// stop (ScanUntil) before they are cancelled.
const StopGrace = 2 * time.Second

// ErrStopped is wrapped by the error ScanUntil returns when its stop channel
// closed before the scan was over.
var ErrStopped = errors.New("scanner: stopped before the scan was over")

// errNotStarted is what a call refused after a graceful stop returns.
var errNotStarted = errors.New("not started: the scan is stopping")

// errGraceOver is the cancellation cause of calls still running when the
// grace period after a stop ran out.
var errGraceOver = errors.New("scanner: stop grace period over")

// stopping reports whether the scan should start no more work: a graceful
// stop was asked for, or the scan's context ended.
func (r *run) stopping(ctx context.Context) bool {
	return r.stopRequested() || ctx.Err() != nil
}

// stopRequested reports whether the stop channel closed.
func (r *run) stopRequested() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

// watchStop cancels the scan's calls StopGrace after the stop channel
// closes. It returns when done closes.
func (r *run) watchStop(cancel context.CancelCauseFunc, done <-chan struct{}) {
	select {
	case <-r.stop:
	case <-done:
		return
	}
	r.log.Info("stopping: no new calls; calls in flight get a grace period", "grace", r.stopGrace)
	t := time.NewTimer(r.stopGrace)
	defer t.Stop()
	select {
	case <-t.C:
		cancel(errGraceOver)
	case <-done:
	}
}

// stoppableS3 refuses to start any call once the scan is stopping, so that
// every step of an account or bucket (ListBuckets pages, the bucket checks,
// each listing page, versionlist's range requests included) ends at the
// next call boundary, while a call already sent runs to its end.
type stoppableS3 struct {
	S3API
	r *run
}

func (s stoppableS3) check(ctx context.Context) error {
	if s.r.stopping(ctx) {
		if err := ctx.Err(); err != nil {
			return err
		}
		return errNotStarted
	}
	return nil
}

func (s stoppableS3) ListBuckets(ctx context.Context, in *s3.ListBucketsInput, optFns ...func(*s3.Options)) (*s3.ListBucketsOutput, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	return s.S3API.ListBuckets(ctx, in, optFns...)
}

func (s stoppableS3) HeadBucket(ctx context.Context, in *s3.HeadBucketInput, optFns ...func(*s3.Options)) (*s3.HeadBucketOutput, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	return s.S3API.HeadBucket(ctx, in, optFns...)
}

func (s stoppableS3) GetBucketOwnershipControls(ctx context.Context, in *s3.GetBucketOwnershipControlsInput, optFns ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	return s.S3API.GetBucketOwnershipControls(ctx, in, optFns...)
}

func (s stoppableS3) GetBucketAcl(ctx context.Context, in *s3.GetBucketAclInput, optFns ...func(*s3.Options)) (*s3.GetBucketAclOutput, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	return s.S3API.GetBucketAcl(ctx, in, optFns...)
}

func (s stoppableS3) ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, optFns ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	return s.S3API.ListObjectVersions(ctx, in, optFns...)
}

func (s stoppableS3) GetBucketPolicy(ctx context.Context, in *s3.GetBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	return s.S3API.GetBucketPolicy(ctx, in, optFns...)
}

func (s stoppableS3) GetObjectAcl(ctx context.Context, in *s3.GetObjectAclInput, optFns ...func(*s3.Options)) (*s3.GetObjectAclOutput, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	return s.S3API.GetObjectAcl(ctx, in, optFns...)
}

// stoppedError says how a step was cut short, or "" when err is not about
// stopping: "interrupted before OP" when its next call was not started
// after a graceful stop, "interrupted during OP" when a call was cancelled
// while in flight.
func stoppedError(ctx context.Context, op string, err error) string {
	switch {
	case errors.Is(err, errNotStarted):
		return "interrupted before " + op
	case isInterrupted(ctx, err):
		return "interrupted during " + op
	}
	return ""
}
