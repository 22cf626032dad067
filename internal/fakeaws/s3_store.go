package fakeaws

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/ownerscan/ownerscan/internal/awspartition"
)

// s3Store is the S3 state of an Emulator: every bucket of every account.
// Bucket names are global, as in S3. The store's lock guards the bucket
// maps; each bucket has its own lock for its configuration and objects.
type s3Store struct {
	mu        sync.RWMutex
	buckets   map[string]*s3Bucket
	byAccount map[string][]string // sorted bucket names per owner account
	created   int64               // buckets created so far (CreationDate clock)

	part      awspartition.Partition
	dropOwner *DropOwnerSpec // faults.drop_owner; nil = off
	seed      int64          // faults.seed
}

// newS3Store builds the buckets of a normalized, generate-expanded scenario
// and replays each bucket's objects as writes, in order.
//
// Seeded writes follow the bucket's ownership rules, except that writes into
// a BucketOwnerEnforced bucket are recorded as made before enforcement (as
// under ObjectWriter): the bucket reports itself as owner of them, and a
// switch back to ObjectWriter restores their uploaders, which is how a real
// bucket enforced after years of cross-account writes behaves.
func newS3Store(sc *Scenario) (*s3Store, error) {
	st := &s3Store{buckets: map[string]*s3Bucket{}, byAccount: map[string][]string{},
		dropOwner: sc.Faults.DropOwner, seed: sc.Faults.Seed}
	st.part, _ = awspartition.Lookup(sc.Partition)
	for i := range sc.Buckets {
		spec := &sc.Buckets[i]
		b, err := st.bucketFromSpec(spec)
		if err != nil {
			return nil, fmt.Errorf("s3: bucket %q: %w", spec.Name, err)
		}
		if _, dup := st.buckets[b.name]; dup {
			return nil, fmt.Errorf("s3: bucket %q: duplicate name", spec.Name)
		}
		st.buckets[b.name] = b
		st.byAccount[b.account] = append(st.byAccount[b.account], b.name)
		st.created++
	}
	for _, names := range st.byAccount {
		sort.Strings(names)
	}
	return st, nil
}

func (st *s3Store) bucketFromSpec(spec *BucketSpec) (*s3Bucket, error) {
	if spec.Account == "" {
		return nil, fmt.Errorf("no account")
	}
	region := spec.Region
	if region == "" {
		region = DefaultRegion
	}
	b := newBucket(spec.Name, spec.Account, region, s3BaseTime.Add(time.Duration(st.created)*time.Second))
	switch spec.Ownership {
	case "", ownershipEnforced:
		b.ownership = ownershipEnforced
	case ownershipPreferred, ownershipWriter:
		b.ownership = spec.Ownership
	case OwnershipUnset, "NotSet":
		b.ownership = ownershipNotSet
	default:
		return nil, fmt.Errorf("ownership %q is not BucketOwnerEnforced, BucketOwnerPreferred, ObjectWriter or unset", spec.Ownership)
	}
	switch spec.Versioning {
	case "", "unset":
		b.versioning = versioningNever
	case versioningEnabled, versioningSuspended:
		b.versioning = spec.Versioning
	default:
		return nil, fmt.Errorf("versioning %q is not Enabled, Suspended or unset", spec.Versioning)
	}
	for _, g := range spec.ACL {
		grant, err := grantFromSpec(g)
		if err != nil {
			return nil, fmt.Errorf("acl grantee %q: %w", g.Grantee, err)
		}
		b.acl = append(b.acl, grant)
	}
	if b.ownership == ownershipEnforced && len(b.acl) > 0 {
		return nil, fmt.Errorf("a BucketOwnerEnforced bucket cannot have ACL grants (InvalidBucketAclWithObjectOwnership)")
	}
	switch {
	case spec.Policy != "":
		p, serr := parseBucketPolicy(b.name, spec.Policy)
		if serr != nil {
			return nil, fmt.Errorf("policy: %s: %s", serr.code, serr.message)
		}
		b.policy = p
	case len(spec.Writers) > 0:
		b.policy = lazyPolicy(b.name, scenarioPolicy(spec))
	}
	if l := spec.Logging; l != nil {
		b.logging = &bucketLogging{targetBucket: l.TargetBucket, targetPrefix: l.TargetPrefix}
	}
	if spec.Generated != nil {
		gen, err := newGeneratedObjects(b.name, b.ownerCanonical, b.versioning, spec.Generated)
		if err != nil {
			return nil, err
		}
		b.gen = gen
		if gen != nil {
			b.seq = gen.count * int64(gen.versions) // stored writes come after generated ones
		}
	}
	for j := range spec.Objects {
		if err := b.applySeed(&spec.Objects[j]); err != nil {
			return nil, fmt.Errorf("objects[%d] %q: %w", j, spec.Objects[j].Key, err)
		}
	}
	return b, nil
}

func newBucket(name, account, region string, created time.Time) *s3Bucket {
	return &s3Bucket{
		name:           name,
		account:        account,
		ownerCanonical: CanonicalIDFor(account),
		region:         region,
		created:        created,
		objects:        map[string]*s3Object{},
		uploads:        map[string]*s3Upload{},
	}
}

// applySeed replays one scenario write.
func (b *s3Bucket) applySeed(o *ObjectSpec) error {
	if o.Key == "" {
		return fmt.Errorf("empty key")
	}
	if b.isGeneratedKey(o.Key) {
		return fmt.Errorf("key collides with a generated key (generated objects are read-only)")
	}
	if !validObjectACL(o.ACL) {
		return fmt.Errorf("acl %q is not a canned object ACL", o.ACL)
	}
	uploader := o.Uploader
	if uploader == "" {
		uploader = b.account
	}
	writer := canonicalOf(uploader)
	ownership := b.ownership
	if ownership == ownershipEnforced {
		ownership = ownershipWriter // seeded history predates enforcement
	}
	owner := ownerAtWrite(ownership, b.ownerCanonical, writer, o.ACL)
	if o.Delete {
		b.deleteLatest(o.Key, writer, owner)
		return nil
	}
	n := o.Versions
	if n <= 0 {
		n = 1
	}
	for range n {
		v := &s3Version{writer: writer, owner: owner, acl: o.ACL, size: o.Size}
		b.putVersion(o.Key, v)
		v.etag = quotedMD5([]byte(syntheticSeed(b.name, o.Key, v.seq)))
	}
	return nil
}

// putVersion stores v as the new latest version of key under the bucket's
// versioning state, assigning its sequence number and version ID. Callers
// hold b.mu for writing.
func (b *s3Bucket) putVersion(key string, v *s3Version) {
	v.seq = b.nextSeq()
	o := b.objects[key]
	if o == nil {
		o = &s3Object{}
		b.objects[key] = o
		b.insertKey(key)
	}
	if b.versioning == versioningEnabled {
		v.id = b.newVersionID(key, v.seq)
	} else {
		v.id = nullVersionID
		o.remove(nullVersionID)
	}
	o.versions = append(o.versions, v)
}

// deleteLatest is DeleteObject without a version ID: it removes the object
// of an unversioned bucket, or adds a delete marker (returned) otherwise.
// Callers hold b.mu for writing.
func (b *s3Bucket) deleteLatest(key, writer, owner string) *s3Version {
	if b.versioning == versioningNever {
		if b.objects[key] != nil {
			b.removeKey(key)
		}
		return nil
	}
	m := &s3Version{deleteMarker: true, writer: writer, owner: owner}
	b.putVersion(key, m)
	return m
}

// deleteVersion removes one version; it reports whether it existed.
// Callers hold b.mu for writing.
func (b *s3Bucket) deleteVersion(key, id string) (*s3Version, bool) {
	o := b.objects[key]
	if o == nil {
		return nil, false
	}
	v := o.find(id)
	if v == nil {
		return nil, false
	}
	o.remove(id)
	if len(o.versions) == 0 {
		b.removeKey(key)
	}
	return v, true
}

// bucketInfo returns the owner account and region of a bucket.
func (st *s3Store) bucketInfo(bucket string) (ownerAccountID, region string, ok bool) {
	b := st.bucket(bucket)
	if b == nil {
		return "", "", false
	}
	return b.account, b.region, true
}

func (st *s3Store) bucket(name string) *s3Bucket {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.buckets[name]
}

// syntheticSeed is the string whose repetition is the content of a seeded
// (not uploaded) stored version, and whose md5 is its ETag.
func syntheticSeed(bucket, key string, seq int64) string {
	return "fakeaws object " + bucket + " " + key + " " + strconv.FormatInt(seq, 10) + "\n"
}

func quotedMD5(data []byte) string {
	sum := md5.Sum(data)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// patternReader serves size bytes of pattern repeated, seekable for
// http.ServeContent: synthetic content costs no memory.
type patternReader struct {
	pattern string
	size    int64
	off     int64
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.off >= p.size {
		return 0, io.EOF
	}
	if rem := p.size - p.off; int64(len(b)) > rem {
		b = b[:rem]
	}
	n := 0
	for n < len(b) {
		k := copy(b[n:], p.pattern[int((p.off+int64(n))%int64(len(p.pattern))):])
		n += k
	}
	p.off += int64(n)
	return n, nil
}

func (p *patternReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += p.off
	case io.SeekEnd:
		offset += p.size
	}
	if offset < 0 {
		return 0, fmt.Errorf("fakeaws: negative seek")
	}
	p.off = offset
	return offset, nil
}

// content returns the bytes of a version as a seekable reader.
func (b *s3Bucket) content(v versionView) io.ReadSeeker {
	switch {
	case v.gen != nil:
		return &patternReader{pattern: v.gen.seedString(v.genIndex, v.genVersion), size: v.size}
	case v.stored.content != nil:
		return bytes.NewReader(v.stored.content)
	default:
		return &patternReader{pattern: syntheticSeed(b.name, v.key, v.stored.seq), size: v.size}
	}
}
