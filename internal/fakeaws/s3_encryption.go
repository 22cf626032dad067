package fakeaws

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
)

// Server-side encryption of objects, as S3 reports it
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingServerSideEncryption.html):
// since January 2023 every new object is encrypted, with SSE-S3 (AES256)
// unless the write asks for SSE-KMS (aws:kms, or dual-layer aws:kms:dsse)
// and, optionally, a KMS key. Writes and reads answer with the encryption
// in x-amz-server-side-encryption and, for KMS, the key in
// x-amz-server-side-encryption-aws-kms-key-id.
//
// There is no KMS model: a key the write names is recorded and echoed as
// given (S3 answers with the key's ARN, which is what a key ARN given
// stays), and aws:kms without a key uses the account's AWS managed key
// aws/s3, reported with a fixed ARN per account and region. A key that
// does not exist, or that the caller may not use, is not refused.
const (
	sseAES256  = "AES256"
	sseKMS     = "aws:kms"
	sseKMSDSSE = "aws:kms:dsse"

	headerSSE      = "X-Amz-Server-Side-Encryption"
	headerSSEKeyID = "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"
)

// objectEncryption is how a version (or a multipart upload, for the object
// it completes) is encrypted. The zero value is SSE-S3.
type objectEncryption struct {
	algorithm string // "" means AES256
	kmsKeyID  string // KMS only
}

// writeEncryption reads the encryption headers of a write (PutObject,
// CopyObject, CreateMultipartUpload) and checks them as S3 does: a known
// algorithm, and a KMS key only with a KMS algorithm.
func (req *s3Request) writeEncryption() (objectEncryption, *s3Error) {
	h := req.r.Header
	alg, key := h.Get(headerSSE), h.Get(headerSSEKeyID)
	switch alg {
	case "", sseAES256, sseKMS, sseKMSDSSE:
	default:
		return objectEncryption{}, errInvalidArgument("The encryption method specified is not supported", "x-amz-server-side-encryption", alg)
	}
	if key != "" && alg != sseKMS && alg != sseKMSDSSE {
		return objectEncryption{}, errInvalidArgument("Specifying a KMS key requires x-amz-server-side-encryption aws:kms or aws:kms:dsse",
			"x-amz-server-side-encryption-aws-kms-key-id", key)
	}
	enc := objectEncryption{algorithm: alg}
	if alg == sseKMS || alg == sseKMSDSSE {
		enc.kmsKeyID = key
		if key == "" {
			enc.kmsKeyID = req.st.managedKMSKeyARN(req.bucket.region, req.bucket.account)
		}
	}
	return enc, nil
}

// setHeaders writes the encryption into a response.
func (enc objectEncryption) setHeaders(h http.Header) {
	alg := enc.algorithm
	if alg == "" {
		alg = sseAES256
	}
	h.Set(headerSSE, alg)
	if enc.kmsKeyID != "" {
		h.Set(headerSSEKeyID, enc.kmsKeyID)
	}
}

// managedKMSKeyARN is the ARN fakeaws gives the AWS managed key aws/s3 of
// an account in a region: derived from both, so it is stable run to run.
func (st *s3Store) managedKMSKeyARN(region, account string) string {
	sum := sha256.Sum256([]byte("fakeaws aws/s3 key\x00" + region + "\x00" + account))
	id := hex.EncodeToString(sum[:16])
	uuid := strings.Join([]string{id[:8], id[8:12], id[12:16], id[16:20], id[20:]}, "-")
	return "arn:" + st.part.Name + ":kms:" + region + ":" + account + ":key/" + uuid
}
