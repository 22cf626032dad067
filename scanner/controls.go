package scanner

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// BucketControls are the settings of a bucket that decide who owns its
// objects and who may reach them through ACLs and the bucket policy: its
// Object Ownership, its ACL and its policy, as S3 answered for them. A
// scan records their fingerprint (Bucket.StateFingerprint); `ownerscan
// apply` reads them again and changes a bucket only while the fingerprint
// is the one its plan was made from (README "Fixing buckets").
type BucketControls struct {
	Ownership ObjectOwnership // NotSet when GetBucketOwnershipControls found none
	// ACLOwner is the owner's canonical ID as GetBucketAcl named it, and
	// ACLGrants every grant of the ACL, the owner's own included.
	ACLOwner  string
	ACLGrants []s3types.Grant
	// Policy is the bucket policy's text as GetBucketPolicy answered it;
	// nil when the bucket has none (NoSuchBucketPolicy).
	Policy *string
}

// controlsFingerprintVersion is hashed first into every fingerprint: a
// change in what a fingerprint covers must change it too, so that a plan
// made with the old derivation can never match a bucket by accident.
const controlsFingerprintVersion = "ownerscan bucket controls v1"

// Fingerprint is a digest of the controls: "sha256:" and 64 hex digits
// of the SHA-256 of the ownership, the ACL owner, every grant (grantee
// type, ID, URI, email, permission; sorted, so the order S3 lists them in
// does not count) and the policy's exact text (or its absence), each
// written as its length (8 bytes, big endian) then its bytes. Two reads
// give the same fingerprint exactly when they found the same settings.
func (c BucketControls) Fingerprint() string {
	grants := make([]string, len(c.ACLGrants))
	for i, g := range c.ACLGrants {
		var parts []string
		if g.Grantee != nil {
			parts = append(parts, string(g.Grantee.Type), aws.ToString(g.Grantee.ID), aws.ToString(g.Grantee.URI), aws.ToString(g.Grantee.EmailAddress))
		} else {
			parts = append(parts, "", "", "", "")
		}
		parts = append(parts, string(g.Permission))
		grants[i] = strings.Join(parts, "\x00")
	}
	sort.Strings(grants)
	h := sha256.New()
	write := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	write(controlsFingerprintVersion)
	write(string(c.Ownership))
	write(c.ACLOwner)
	write(strconv.Itoa(len(grants)))
	for _, g := range grants {
		write(g)
	}
	if c.Policy == nil {
		write("no policy")
	} else {
		write("policy")
		write(*c.Policy)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
