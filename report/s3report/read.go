package s3report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ownerscan/ownerscan/report"
)

// ErrNoReport marks a prefix that holds neither latest.json nor
// report.json: no run has completed there yet.
var ErrNoReport = errors.New("no " + LatestFile + " or " + report.ReportJSONFile + " there")

// OpenReport opens the report.json that ref names, as --baseline and diff
// take it: the key of a report.json; the key of a latest.json (the run it
// names); or a prefix holding latest.json (the newest complete run under
// it) or, failing that, report.json (a run's folder). It returns the
// report's body, to be read with report.ReadSnapshot (which bounds it),
// and where it was found. Every call carries ExpectedBucketOwner; a
// report larger than report.MaxReportBytes is refused before it is read.
func (s *Session) OpenReport(ctx context.Context, ref URL) (io.ReadCloser, URL, error) {
	c, err := s.bucket(ctx, ref.Bucket)
	if err != nil {
		return nil, URL{}, err
	}
	key := ref.Key
	switch path.Base(key) {
	case report.ReportJSONFile:
	case LatestFile:
		l, err := readLatest(ctx, c, parentKey(key))
		if errors.Is(err, errNoLatest) {
			return nil, URL{}, fmt.Errorf("s3report: %s does not exist", ref)
		}
		if err != nil {
			return nil, URL{}, fmt.Errorf("s3report: %w", err)
		}
		key = l.ReportKey
	default:
		l, err := readLatest(ctx, c, key)
		switch {
		case err == nil:
			key = l.ReportKey
		case errors.Is(err, errNoLatest):
			key = joinKey(key, report.ReportJSONFile)
			body, err := openObject(ctx, c, key)
			if isNoSuchKey(err) {
				return nil, URL{}, fmt.Errorf("s3report: %s: %w", ref, ErrNoReport)
			}
			return body, URL{c.bucket, key}, err
		default:
			return nil, URL{}, fmt.Errorf("s3report: %w", err)
		}
	}
	body, err := openObject(ctx, c, key)
	if isNoSuchKey(err) {
		return nil, URL{}, fmt.Errorf("s3report: %s does not exist", URL{c.bucket, key})
	}
	return body, URL{c.bucket, key}, err
}

// openObject opens a report.json for reading, refusing one too large to
// be a report. A missing key's error is S3's, for isNoSuchKey.
func openObject(ctx context.Context, c *bucketClient, key string) (io.ReadCloser, error) {
	out, err := c.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(c.bucket), Key: aws.String(key), ExpectedBucketOwner: aws.String(c.owner)})
	if isNoSuchKey(err) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("s3report: read %s: %s", URL{c.bucket, key}, describe(err))
	}
	if n := aws.ToInt64(out.ContentLength); n > report.MaxReportBytes {
		out.Body.Close()
		return nil, fmt.Errorf("s3report: %s: %w: larger than %d bytes", URL{c.bucket, key}, report.ErrNotAReport, int64(report.MaxReportBytes))
	}
	return out.Body, nil
}

// parentKey is the key prefix a key is in, "" at the top of the bucket.
func parentKey(key string) string {
	if dir := path.Dir(key); dir != "." {
		return dir
	}
	return ""
}
