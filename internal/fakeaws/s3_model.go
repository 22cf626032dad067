package fakeaws

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync"
	"time"
)

// Object Ownership values (https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html).
// ownershipNotSet is a bucket
// without ownership controls: GetBucketOwnershipControls answers 404 and the
// bucket behaves as ObjectWriter.
const (
	ownershipEnforced  = "BucketOwnerEnforced"
	ownershipPreferred = "BucketOwnerPreferred"
	ownershipWriter    = "ObjectWriter"
	ownershipNotSet    = ""
)

// Versioning states. versioningNever is a bucket whose versioning was never
// enabled: every write replaces the "null" version.
const (
	versioningNever     = ""
	versioningEnabled   = "Enabled"
	versioningSuspended = "Suspended"
)

// Canned ACLs (object and bucket).
const (
	aclBucketOwnerFullControl = "bucket-owner-full-control"
	aclCustom                 = "custom" // not canned: x-amz-grant-* headers named the grants
	aclBucketOwnerRead        = "bucket-owner-read"
	aclPrivate                = "private"
	aclPublicRead             = "public-read"
	aclPublicReadWrite        = "public-read-write"
	aclAuthenticatedRead      = "authenticated-read"
	aclAWSExecRead            = "aws-exec-read"
	aclLogDeliveryWrite       = "log-delivery-write"
)

// anonymousCanonicalID owns anonymous writes (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html).
const anonymousCanonicalID = "65a011a29cdf8ec533ec3d1ccaae921c"

// nullVersionID is the version ID of objects written while versioning was
// never enabled or suspended.
const nullVersionID = "null"

// s3BaseTime is the deterministic clock origin: write n of a bucket has
// LastModified s3BaseTime + n seconds, so reports of a scenario are
// byte-identical run after run.
var s3BaseTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// s3Bucket is one bucket: configuration, stored objects (a sorted key index
// plus a map) and, optionally, generated objects computed from their index.
type s3Bucket struct {
	name           string
	account        string // owner account ID
	ownerCanonical string
	region         string
	created        time.Time
	gen            *generatedObjects // nil: none; immutable

	mu         sync.RWMutex
	ownership  string // ownershipEnforced | ownershipPreferred | ownershipWriter | ownershipNotSet
	acl        []s3Grant
	versioning string
	policy     *bucketPolicy  // nil: no bucket policy
	logging    *bucketLogging // nil: server access logging off
	keys       []string       // sorted keys of objects
	objects    map[string]*s3Object
	seq        int64 // next write sequence number
	uploads    map[string]*s3Upload
	uploadSeq  int64
}

// s3Object is every stored version of one key, oldest first.
type s3Object struct {
	versions []*s3Version
}

// s3Version is one written version or delete marker. It records who wrote it
// and who owned it at write time, so that switching the bucket to
// BucketOwnerEnforced and back restores the writers (https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html).
type s3Version struct {
	id           string
	deleteMarker bool
	writer       string    // canonical ID of the writing account
	owner        string    // canonical ID of the owner decided at write time
	acl          string    // canned ACL the write carried ("" none, "custom" for grant headers)
	grants       []s3Grant // the x-amz-grant-* grants of a "custom" write: the whole ACL
	size         int64
	etag         string // quoted
	seq          int64  // write sequence: LastModified = s3BaseTime + seq s
	content      []byte // nil: synthetic content (seeded objects), see syntheticContent
	contentType  string
	encryption   objectEncryption
}

func (v *s3Version) lastModified() time.Time {
	return s3BaseTime.Add(time.Duration(v.seq) * time.Second)
}

// ownerAtWrite is who owns a version written now by writer with the canned
// ACL acl under the given Object Ownership (https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html).
func ownerAtWrite(ownership, bucketOwner, writer, acl string) string {
	switch ownership {
	case ownershipEnforced:
		return bucketOwner
	case ownershipPreferred:
		if acl == aclBucketOwnerFullControl {
			return bucketOwner
		}
	}
	return writer
}

// effectiveOwner is the owner S3 reports for v now: the bucket owner for
// every version while the bucket is enforced, else the recorded owner.
// Callers hold b.mu.
func (b *s3Bucket) effectiveOwner(v *s3Version) string {
	if b.ownership == ownershipEnforced {
		return b.ownerCanonical
	}
	return v.owner
}

// nextSeq returns the next write sequence number. Callers hold b.mu.
func (b *s3Bucket) nextSeq() int64 {
	s := b.seq
	b.seq++
	return s
}

// newVersionID derives a version ID from the bucket, the key and the write
// sequence: deterministic, unique within the bucket, 32 URL-safe characters
// like S3's.
func (b *s3Bucket) newVersionID(key string, seq int64) string {
	h := sha256.New()
	h.Write([]byte(b.name))
	h.Write([]byte{0})
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write(strconv.AppendInt(nil, seq, 10))
	sum := h.Sum(nil)
	return hex.EncodeToString(sum[:16])
}

// latest returns the current version of key (nil when the key has none).
// Callers hold b.mu.
func (o *s3Object) latest() *s3Version {
	if len(o.versions) == 0 {
		return nil
	}
	return o.versions[len(o.versions)-1]
}

// find returns the version with the given ID, or nil.
func (o *s3Object) find(id string) *s3Version {
	for _, v := range o.versions {
		if v.id == id {
			return v
		}
	}
	return nil
}

// remove drops the version with the given ID; it reports whether one was.
func (o *s3Object) remove(id string) bool {
	for i, v := range o.versions {
		if v.id == id {
			o.versions = append(o.versions[:i], o.versions[i+1:]...)
			return true
		}
	}
	return false
}
