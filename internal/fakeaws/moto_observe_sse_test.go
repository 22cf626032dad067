package fakeaws_test

import (
	"bytes"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// sseKeyARN is the KMS key the encryption observation writes with; neither
// side models KMS keys, both record and echo it.
const sseKeyARN = "arn:aws:kms:us-east-1:123456789012:key/0f0e0d0c-0b0a-0908-0706-050403020100"

// encryption writes SSE-KMS objects into bucketRoundTrip, once with
// PutObject and once as a multipart upload, and records the encryption
// every answer names: the write's, each part's, the completion's and
// HeadObject's. moto models this; it does not model SSE-S3 as the default
// of an object written without encryption headers (see the divergences).
func (o *observer) encryption() {
	client := o.s3For(bucketRoundTrip)
	bucket := aws.String(bucketRoundTrip)
	show := func(step string, alg s3types.ServerSideEncryption, key *string) {
		o.obs.Encryption = append(o.obs.Encryption, fmt.Sprintf("%s: %s %s", step, alg, aws.ToString(key)))
	}
	put, err := client.PutObject(o.ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("sse/put"), Body: bytes.NewReader([]byte("x")),
		ServerSideEncryption: s3types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(sseKeyARN)})
	if err != nil {
		o.fatalf("PutObject SSE-KMS: %v", err)
	}
	show("PutObject", put.ServerSideEncryption, put.SSEKMSKeyId)

	key := aws.String("sse/multipart")
	up, err := client.CreateMultipartUpload(o.ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: key,
		ServerSideEncryption: s3types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(sseKeyARN)})
	if err != nil {
		o.fatalf("CreateMultipartUpload SSE-KMS: %v", err)
	}
	show("CreateMultipartUpload", up.ServerSideEncryption, up.SSEKMSKeyId)
	part, err := client.UploadPart(o.ctx, &s3.UploadPartInput{Bucket: bucket, Key: key, UploadId: up.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("only part"))})
	if err != nil {
		o.fatalf("UploadPart: %v", err)
	}
	show("UploadPart", part.ServerSideEncryption, part.SSEKMSKeyId)
	done, err := client.CompleteMultipartUpload(o.ctx, &s3.CompleteMultipartUploadInput{Bucket: bucket, Key: key, UploadId: up.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: []s3types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}})
	if err != nil {
		o.fatalf("CompleteMultipartUpload: %v", err)
	}
	show("CompleteMultipartUpload", done.ServerSideEncryption, done.SSEKMSKeyId)
	for _, k := range []string{"sse/put", "sse/multipart"} {
		h, err := client.HeadObject(o.ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String(k)})
		if err != nil {
			o.fatalf("HeadObject %s: %v", k, err)
		}
		show("HeadObject "+k, h.ServerSideEncryption, h.SSEKMSKeyId)
	}
}
