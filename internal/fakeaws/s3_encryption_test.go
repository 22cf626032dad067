package fakeaws

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const testKeyARN = "arn:aws:kms:us-east-1:222222222222:key/11111111-2222-3333-4444-555555555555"

// TestServerSideEncryption: every object reports its encryption, SSE-S3
// unless the write asked for SSE-KMS, on the write's answer and on every
// read; a multipart upload carries the encryption of its
// CreateMultipartUpload to each part and to the object.
func TestServerSideEncryption(t *testing.T) {
	env := newS3Env(t, objectScenario())
	ctx := context.Background()
	b := env.client(acctB)

	plain := put(t, b, "plain", "default", "x")
	if plain.ServerSideEncryption != types.ServerSideEncryptionAes256 || plain.SSEKMSKeyId != nil {
		t.Errorf("PutObject without encryption headers: %q %v, want AES256 and no key", plain.ServerSideEncryption, plain.SSEKMSKeyId)
	}
	kms := put(t, b, "plain", "kms", "y", func(in *s3.PutObjectInput) {
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = aws.String(testKeyARN)
	})
	if kms.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(kms.SSEKMSKeyId) != testKeyARN {
		t.Errorf("PutObject with SSE-KMS answers %q %q", kms.ServerSideEncryption, aws.ToString(kms.SSEKMSKeyId))
	}
	managed := put(t, b, "plain", "managed", "z", func(in *s3.PutObjectInput) {
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
	})
	if k := aws.ToString(managed.SSEKMSKeyId); !strings.HasPrefix(k, "arn:aws:kms:us-east-1:"+acctB+":key/") {
		t.Errorf("aws:kms without a key uses %q, want the account's aws/s3 key", k)
	}
	for key, want := range map[string][2]string{
		"default": {"AES256", ""},
		"kms":     {"aws:kms", testKeyARN},
		"managed": {"aws:kms", aws.ToString(managed.SSEKMSKeyId)},
	} {
		h, err := b.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("plain"), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		if string(h.ServerSideEncryption) != want[0] || aws.ToString(h.SSEKMSKeyId) != want[1] {
			t.Errorf("HeadObject %s: %q %q, want %q %q", key, h.ServerSideEncryption, aws.ToString(h.SSEKMSKeyId), want[0], want[1])
		}
		g, err := b.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("plain"), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		g.Body.Close()
		if string(g.ServerSideEncryption) != want[0] || aws.ToString(g.SSEKMSKeyId) != want[1] {
			t.Errorf("GetObject %s: %q %q, want %q %q", key, g.ServerSideEncryption, aws.ToString(g.SSEKMSKeyId), want[0], want[1])
		}
	}

	bucket, key := aws.String("plain"), aws.String("multi")
	up, err := b.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: key,
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(testKeyARN)})
	if err != nil {
		t.Fatal(err)
	}
	if up.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(up.SSEKMSKeyId) != testKeyARN {
		t.Errorf("CreateMultipartUpload answers %q %q", up.ServerSideEncryption, aws.ToString(up.SSEKMSKeyId))
	}
	var parts []types.CompletedPart
	for n, body := range [][]byte{bytes.Repeat([]byte("a"), minPartSize), []byte("tail")} {
		p, err := b.UploadPart(ctx, &s3.UploadPartInput{Bucket: bucket, Key: key, UploadId: up.UploadId,
			PartNumber: aws.Int32(int32(n + 1)), Body: bytes.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		if p.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(p.SSEKMSKeyId) != testKeyARN {
			t.Errorf("UploadPart %d answers %q %q", n+1, p.ServerSideEncryption, aws.ToString(p.SSEKMSKeyId))
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(n + 1)), ETag: p.ETag})
	}
	done, err := b.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: bucket, Key: key, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		t.Fatal(err)
	}
	if done.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(done.SSEKMSKeyId) != testKeyARN {
		t.Errorf("CompleteMultipartUpload answers %q %q", done.ServerSideEncryption, aws.ToString(done.SSEKMSKeyId))
	}
	h, err := b.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: key})
	if err != nil || h.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(h.SSEKMSKeyId) != testKeyARN {
		t.Errorf("HeadObject of the completed upload: %v %v", h, err)
	}

	copied, err := b.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("plain"), Key: aws.String("copy"),
		CopySource: aws.String("plain/kms")})
	if err != nil {
		t.Fatal(err)
	}
	if copied.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Errorf("a copy without encryption headers is %q, want the bucket default AES256", copied.ServerSideEncryption)
	}

	_, err = b.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("plain"), Key: aws.String("bad"), Body: strings.NewReader("x"),
		ServerSideEncryption: "rot13"})
	wantErr(t, err, "InvalidArgument", 400)
	_, err = b.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("plain"), Key: aws.String("bad"), Body: strings.NewReader("x"),
		ServerSideEncryption: types.ServerSideEncryptionAes256, SSEKMSKeyId: aws.String(testKeyARN)})
	wantErr(t, err, "InvalidArgument", 400)
	_, err = b.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: key, SSEKMSKeyId: aws.String(testKeyARN)})
	wantErr(t, err, "InvalidArgument", 400)
}

// TestExpectedBucketOwner: a call naming another account as the bucket's
// owner is refused with 403 before anything else happens; HeadBucket still
// names the bucket's region.
func TestExpectedBucketOwner(t *testing.T) {
	env := newS3Env(t, objectScenario())
	ctx := context.Background()
	b := env.client(acctB)
	bucket := aws.String("plain")

	_, err := b.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("k"), Body: strings.NewReader("x"),
		ExpectedBucketOwner: aws.String(acctC)})
	wantErr(t, err, "AccessDenied", 403)
	_, err = b.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: aws.String("k"), ExpectedBucketOwner: aws.String(acctC)})
	wantErr(t, err, "AccessDenied", 403)
	_, err = b.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: bucket, ExpectedBucketOwner: aws.String(acctC)})
	wantErr(t, err, "Forbidden", 403)
	if r := responseHeader(err, "x-amz-bucket-region"); r != "us-east-1" {
		t.Errorf("HeadBucket refused for its owner names region %q, want us-east-1", r)
	}
	if _, err := b.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("k")}); err == nil {
		t.Error("a write refused for its expected owner was stored")
	}

	put(t, b, "plain", "k", "x", func(in *s3.PutObjectInput) { in.ExpectedBucketOwner = aws.String(acctB) })
	if _, err := b.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: bucket, ExpectedBucketOwner: aws.String(acctB)}); err != nil {
		t.Errorf("HeadBucket for the right owner: %v", err)
	}
	_, err = b.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("k"), ExpectedBucketOwner: aws.String(acctC)})
	wantErr(t, err, "AccessDenied", 403)
}
