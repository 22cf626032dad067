package s3report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Multipart sizes. S3 wants every part but the last to be at least 5 MiB,
// and at most 10,000 parts
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html).
// Parts of 8 MiB keep the memory of a stream at two parts (16 MiB); they
// double every 2,000 parts (16 GiB) up to 128 MiB, so one object can reach
// about 500 GiB.
const (
	basePartSize   = 8 << 20
	maxParts       = 10000
	partsPerDouble = 2000
	maxDoublings   = 4
)

// abortTimeout bounds giving up an upload: it runs on paths that already
// failed or were interrupted, and must not hold them up.
const abortTimeout = 10 * time.Second

// noETag says why an answer without an ETag is refused. S3 answers every
// PutObject, UploadPart and CompleteMultipartUpload that stored something
// with the ETag of what it stored (a header, or CompleteMultipartUpload's
// XML document). The SDK reads an empty 200 (a proxy's or load balancer's)
// as a success with every field absent; believed, it would put a report
// that is not there in latest.json.
const noETag = "the answer has no ETag, so it is not S3's word that the object was stored"

// errUploadClosed is returned by a Write after Close or Abort.
var errUploadClosed = errors.New("upload already closed")

// upload streams one object to S3. Writes fill a part buffer; each full
// buffer is sent as a part of a multipart upload (created with the first)
// while the next one fills, so at most two buffers are held whatever the
// size of the object. An object smaller than one part is sent by Close
// with one PutObject. Errors are sticky. An upload is not safe for
// concurrent use; cancelling its context makes a Write waiting on a part
// return at once.
type upload struct {
	ctx         context.Context
	c           *bucketClient
	key         string
	contentType string
	partSize    int // of the first parts; see sizeOfPart

	buf      []byte // part being filled
	spare    []byte // buffer of the last part sent, for reuse
	uploadID string
	parts    []types.CompletedPart
	inFlight chan partResult // the part being sent, nil if none
	size     int64
	err      error
	closed   bool
	abortErr error // AbortMultipartUpload's failure, if it failed
}

// partResult is the outcome of sending one part.
type partResult struct {
	part types.CompletedPart
	buf  []byte
	err  error
}

func newUpload(ctx context.Context, c *bucketClient, key, contentType string) *upload {
	return &upload{ctx: ctx, c: c, key: key, contentType: contentType, partSize: basePartSize}
}

// url is where the object goes.
func (u *upload) url() URL { return URL{Bucket: u.c.bucket, Key: u.key} }

// sizeOfPart is the size of part n (from 1).
func (u *upload) sizeOfPart(n int) int {
	return u.partSize << min((n-1)/partsPerDouble, maxDoublings)
}

// Write appends p to the object.
func (u *upload) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		if u.err != nil {
			return written, u.err
		}
		if u.closed {
			return written, errUploadClosed
		}
		if u.buf == nil {
			u.buf = u.takeBuffer(u.sizeOfPart(len(u.parts) + 1 + u.pending()))
		}
		n := copy(u.buf[len(u.buf):cap(u.buf)], p)
		u.buf = u.buf[:len(u.buf)+n]
		p = p[n:]
		written += n
		u.size += int64(n)
		if len(u.buf) == cap(u.buf) {
			u.err = u.sendPart()
		}
	}
	return written, u.err
}

// pending is the number of parts in flight (0 or 1).
func (u *upload) pending() int {
	if u.inFlight != nil {
		return 1
	}
	return 0
}

// takeBuffer returns an empty buffer of capacity size, reusing the spare
// one when it has that size.
func (u *upload) takeBuffer(size int) []byte {
	if b := u.spare; cap(b) == size {
		u.spare = nil
		return b[:0]
	}
	return make([]byte, 0, size)
}

// sendPart sends the filled buffer as the next part, once the part before
// it is through: one part in flight while the next one fills.
func (u *upload) sendPart() error {
	if u.uploadID == "" {
		if err := u.create(); err != nil {
			return err
		}
	}
	if err := u.wait(); err != nil {
		return err
	}
	n := len(u.parts) + 1
	if n > maxParts {
		return fmt.Errorf("%s is larger than %d parts", u.url(), maxParts)
	}
	buf := u.buf
	u.buf = nil
	done := make(chan partResult, 1)
	u.inFlight = done
	go func() {
		out, err := u.c.api.UploadPart(u.ctx, &s3.UploadPartInput{
			Bucket: aws.String(u.c.bucket), Key: aws.String(u.key), UploadId: aws.String(u.uploadID),
			PartNumber: aws.Int32(int32(n)), Body: bytes.NewReader(buf), ContentLength: aws.Int64(int64(len(buf))),
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc32, ExpectedBucketOwner: aws.String(u.c.owner),
		})
		r := partResult{buf: buf}
		switch {
		case err != nil:
			r.err = fmt.Errorf("upload part %d of %s: %s", n, u.url(), describe(err))
		case aws.ToString(out.ETag) == "":
			r.err = fmt.Errorf("upload part %d of %s: %s", n, u.url(), noETag)
		default:
			r.part = types.CompletedPart{PartNumber: aws.Int32(int32(n)), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32}
		}
		done <- r
	}()
	return nil
}

// wait waits for the part in flight, if any.
func (u *upload) wait() error {
	if u.inFlight == nil {
		return nil
	}
	r := <-u.inFlight
	u.inFlight = nil
	u.spare = r.buf
	if r.err != nil {
		return r.err
	}
	u.parts = append(u.parts, r.part)
	return nil
}

// create starts the multipart upload.
func (u *upload) create() error {
	in := &s3.CreateMultipartUploadInput{
		Bucket: aws.String(u.c.bucket), Key: aws.String(u.key), ContentType: aws.String(u.contentType),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32, ExpectedBucketOwner: aws.String(u.c.owner),
	}
	if u.c.kmsKey != "" {
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = aws.String(u.c.kmsKey)
	}
	out, err := u.c.api.CreateMultipartUpload(u.ctx, in)
	if err != nil {
		return fmt.Errorf("start the upload of %s: %s", u.url(), describe(err))
	}
	u.uploadID = aws.ToString(out.UploadId)
	if u.uploadID == "" {
		return fmt.Errorf("start the upload of %s: S3 gave no upload ID", u.url())
	}
	return nil
}

// Close sends what is left and completes the object: one PutObject when
// it never filled a part, else its last part and CompleteMultipartUpload.
// On error the multipart upload is aborted.
func (u *upload) Close() error {
	if u.closed {
		return errUploadClosed
	}
	if u.err == nil {
		u.err = u.finish()
	}
	u.closed = true
	if u.err != nil {
		u.abort()
	}
	return u.err
}

func (u *upload) finish() error {
	if u.uploadID == "" {
		in := &s3.PutObjectInput{
			Bucket: aws.String(u.c.bucket), Key: aws.String(u.key), ContentType: aws.String(u.contentType),
			Body: bytes.NewReader(u.buf), ContentLength: aws.Int64(int64(len(u.buf))),
			ExpectedBucketOwner: aws.String(u.c.owner),
		}
		if u.c.kmsKey != "" {
			in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
			in.SSEKMSKeyId = aws.String(u.c.kmsKey)
		}
		out, err := u.c.api.PutObject(u.ctx, in)
		if err != nil {
			return fmt.Errorf("upload %s: %s", u.url(), describe(err))
		}
		if aws.ToString(out.ETag) == "" {
			return fmt.Errorf("upload %s: %s", u.url(), noETag)
		}
		u.buf = nil
		return nil
	}
	if len(u.buf) > 0 {
		if err := u.sendPart(); err != nil {
			return err
		}
	}
	if err := u.wait(); err != nil {
		return err
	}
	out, err := u.c.api.CompleteMultipartUpload(u.ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(u.c.bucket), Key: aws.String(u.key), UploadId: aws.String(u.uploadID),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: u.parts}, ExpectedBucketOwner: aws.String(u.c.owner),
	})
	if err != nil {
		return fmt.Errorf("complete the upload of %s: %s", u.url(), describe(err))
	}
	if aws.ToString(out.ETag) == "" {
		return fmt.Errorf("complete the upload of %s: %s", u.url(), noETag)
	}
	u.uploadID = ""
	return nil
}

// Abort gives the object up: a multipart upload under way is aborted, so
// S3 keeps none of its parts (a bucket lifecycle rule removes it if even
// that fails). It does nothing after a successful Close.
func (u *upload) Abort() {
	u.closed = true
	if u.err == nil {
		u.err = errUploadClosed
	}
	u.abort()
}

func (u *upload) abort() {
	if u.inFlight != nil {
		<-u.inFlight // returns at once once the context is cancelled
		u.inFlight = nil
	}
	u.buf, u.spare = nil, nil
	if u.uploadID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(u.ctx), abortTimeout)
	defer cancel()
	_, err := u.c.api.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: aws.String(u.c.bucket), Key: aws.String(u.key), UploadId: aws.String(u.uploadID),
		ExpectedBucketOwner: aws.String(u.c.owner),
	})
	u.abortErr = err
	u.uploadID = ""
}
