// Package s3report writes a run's reports to Amazon S3 and reads reports
// back from it, for `scan --out s3://BUCKET/PREFIX`, `--baseline s3://...`
// and `diff s3://... s3://...`.
//
// Layout: each run writes its report files under PREFIX/YYYY/MM/DD/HHMMSSZ/
// (the time the run started, UTC), with report.json written last: it is
// the commit point, as in a folder. Then, and only for a complete run,
// PREFIX/latest.json is replaced with a small document naming that run.
// So latest.json only ever names a run whose every report is in place and
// whose scan was complete; a run that is incomplete, fails to upload or is
// killed leaves latest.json on the previous complete run.
//
// objects.csv is streamed while the scan runs, as a multipart upload of
// parts of 8 MiB (two buffers at most are held), and aborted when the run
// gives up. Every call carries ExpectedBucketOwner, so that nothing is
// written to or read from a bucket of another account, and, when a KMS key
// is configured, SSE-KMS with that key.
package s3report

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// API is what this package calls on S3, with the SDK's own signatures.
type API interface {
	HeadBucket(ctx context.Context, in *s3.HeadBucketInput, optFns ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPart(ctx context.Context, in *s3.UploadPartInput, optFns ...func(*s3.Options)) (*s3.UploadPartOutput, error)
	CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
}

var _ API = (*s3.Client)(nil)

// describe renders an SDK error on one short line: the service's error
// code, message and HTTP status where there is one, else the error.
func describe(err error) string {
	if errors.Is(err, context.Canceled) {
		return "cancelled"
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		msg := apiErr.ErrorCode()
		if m := apiErr.ErrorMessage(); m != "" && m != msg {
			msg += ": " + m
		}
		if status := httpStatus(err); status != 0 {
			msg += fmt.Sprintf(" (HTTP %d)", status)
		}
		return msg
	}
	return err.Error()
}

// httpStatus is the HTTP status of the answer an SDK error came from, or 0.
func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// responseHeader is a header of the answer an SDK error came from.
func responseHeader(err error, name string) string {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.Header.Get(name)
	}
	return ""
}

// isNoSuchKey says whether err is S3's answer for a key that does not
// exist: NoSuchKey (404), or NotFound for a HEAD request, which has no
// body to name its code.
func isNoSuchKey(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode() {
	case "NoSuchKey", "NotFound":
		return true
	}
	return false
}
