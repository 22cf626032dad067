package fakeaws

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// generatedObjects computes the objects of a GeneratedSpec from their index
// i in [0, count): nothing is stored per object.
//
//   - key(i) follows the spec's key shape (s3_keyshape.go); by default
//     keyPrefix + i in decimal, zero-padded to the width of count-1. In
//     every shape lexical order is index order, so a key seeks by binary
//     search;
//   - every key has versionsPerKey versions v = 0 (oldest) .. versionsPerKey-1;
//   - the uploader of key i (all its versions) is chosen by a hash of i
//     against the Foreign fractions (in uploader name order), else the
//     bucket owner; it is recorded as owner, as if written under ObjectWriter
//     without bucket-owner-full-control, so an enforced bucket reports the
//     bucket owner and a reverted one the uploader;
//   - size, version IDs (32 hex, or "null" for a single version in a bucket
//     whose versioning was never enabled) follow from hashes of (i, v);
//   - LastModified = 2024-01-01T00:00:00Z + (i*versionsPerKey + v) seconds;
//   - ETag = md5 of "fakeaws generated <bucket> <i> <v>"; GetObject serves
//     a repeating pattern of that string (so the ETag is not the content's
//     md5 for generated objects).
type generatedObjects struct {
	bucket   string
	shape    keyShape
	count    int64
	versions int
	seed     uint64
	nullIDs  bool

	foreignOwners []string  // canonical IDs, in uploader name order
	foreignCum    []float64 // cumulative fractions, same order
	bucketOwner   string
}

func newGeneratedObjects(bucket, bucketOwner string, versioning string, g *GeneratedSpec) (*generatedObjects, error) {
	if g.Count <= 0 {
		return nil, nil
	}
	versions := g.VersionsPerKey
	if versions <= 0 {
		versions = 1
	}
	if versioning == versioningNever && versions > 1 {
		return nil, fmt.Errorf("generated: versions_per_key %d needs versioning Enabled or Suspended", versions)
	}
	if g.Count > math.MaxInt64/int64(versions) {
		return nil, fmt.Errorf("generated: count %d too large", g.Count)
	}
	h := fnv.New64a()
	h.Write([]byte(bucket))
	seed := h.Sum64()
	shape, ok := newKeyShape(g.KeyShape, g.KeyPrefix, g.Count, seed)
	if !ok {
		return nil, fmt.Errorf("generated: unknown key_shape %q", g.KeyShape)
	}
	if n := shape.maxKeyLen(); n > maxKeyLength {
		return nil, fmt.Errorf("generated: keys of shape %q after key_prefix may be %d bytes, more than S3's %d", g.KeyShape, n, maxKeyLength)
	}
	gen := &generatedObjects{
		bucket:      bucket,
		shape:       shape,
		count:       g.Count,
		versions:    versions,
		seed:        seed,
		nullIDs:     versioning == versioningNever,
		bucketOwner: bucketOwner,
	}
	uploaders := make([]string, 0, len(g.Foreign))
	for u := range g.Foreign {
		uploaders = append(uploaders, u)
	}
	sort.Strings(uploaders)
	cum := 0.0
	for _, u := range uploaders {
		f := g.Foreign[u]
		if f < 0 || f > 1 {
			return nil, fmt.Errorf("generated: foreign fraction of %q is %v, not within 0..1", u, f)
		}
		cum += f
		gen.foreignOwners = append(gen.foreignOwners, canonicalOf(u))
		gen.foreignCum = append(gen.foreignCum, cum)
	}
	return gen, nil
}

// splitmix64 is a fast, well-mixed 64-bit hash step.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func (g *generatedObjects) hash(i int64, salt uint64) uint64 {
	return splitmix64(g.seed ^ splitmix64(uint64(i)^salt<<56))
}

// appendKey appends key(i).
func (g *generatedObjects) appendKey(dst []byte, i int64) []byte {
	return g.shape.appendKey(dst, i)
}

func (g *generatedObjects) key(i int64) string {
	return string(g.appendKey(nil, i))
}

// index returns i when key is a generated key.
func (g *generatedObjects) index(key string) (int64, bool) {
	if p, ok := g.shape.(paddedShape); ok {
		return p.index(key, g.count)
	}
	i := g.lowerBound(key)
	if i < g.count && g.key(i) == key {
		return i, true
	}
	return 0, false
}

// index returns i when key is key(i) of a padded shape of count keys.
func (s paddedShape) index(key string, count int64) (int64, bool) {
	digits, ok := strings.CutPrefix(key, s.prefix)
	if !ok || len(digits) != s.width {
		return 0, false
	}
	for j := 0; j < len(digits); j++ {
		if digits[j] < '0' || digits[j] > '9' {
			return 0, false
		}
	}
	i, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || i >= count {
		return 0, false
	}
	return i, true
}

// lowerBound returns the first index whose key is >= s (count if none).
func (g *generatedObjects) lowerBound(s string) int64 {
	lo, hi := int64(0), g.count
	var buf []byte
	for lo < hi {
		mid := lo + (hi-lo)/2
		buf = g.appendKey(buf[:0], mid)
		if string(buf) < s {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// owner is the canonical ID of key i's uploader.
func (g *generatedObjects) owner(i int64) string {
	if len(g.foreignCum) == 0 {
		return g.bucketOwner
	}
	u := float64(g.hash(i, 1)>>11) / (1 << 53)
	for j, c := range g.foreignCum {
		if u < c {
			return g.foreignOwners[j]
		}
	}
	return g.bucketOwner
}

// size of every version of key i: 1 KiB .. 65 KiB.
func (g *generatedObjects) size(i int64, v int) int64 {
	return 1024 + int64(g.hash(i, 2+uint64(v))%(64<<10))
}

func (g *generatedObjects) versionID(i int64, v int) string {
	if g.nullIDs {
		return nullVersionID
	}
	var b [32]byte
	return string(g.appendVersionID(b[:0], i, v))
}

// appendVersionID appends the version ID of version v of key i.
func (g *generatedObjects) appendVersionID(dst []byte, i int64, v int) []byte {
	if g.nullIDs {
		return append(dst, nullVersionID...)
	}
	a, c := g.hash(i, 100+uint64(v)), g.hash(i, 200+uint64(v))
	const hexd = "0123456789abcdef"
	for j := 0; j < 16; j++ {
		dst = append(dst, hexd[(a>>(4*j))&15])
	}
	for j := 0; j < 16; j++ {
		dst = append(dst, hexd[(c>>(4*j))&15])
	}
	return dst
}

// versionIndex returns v for a version ID of key i.
func (g *generatedObjects) versionIndex(i int64, id string) (int, bool) {
	for v := 0; v < g.versions; v++ {
		if g.versionID(i, v) == id {
			return v, true
		}
	}
	return 0, false
}

func (g *generatedObjects) lastModified(i int64, v int) time.Time {
	return s3BaseTime.Add(time.Duration(i*int64(g.versions)+int64(v)) * time.Second)
}

// appendSeed appends the string whose md5 is the ETag and whose
// repetition is the content of version v of key i.
func (g *generatedObjects) appendSeed(dst []byte, i int64, v int) []byte {
	dst = append(dst, "fakeaws generated "...)
	dst = append(dst, g.bucket...)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, i, 10)
	dst = append(dst, ' ')
	return strconv.AppendInt(dst, int64(v), 10)
}

func (g *generatedObjects) seedString(i int64, v int) string {
	return string(g.appendSeed(nil, i, v))
}

// appendETagHex appends the 32 hex digits of the ETag (without quotes).
func (g *generatedObjects) appendETagHex(dst []byte, i int64, v int) []byte {
	var buf [128]byte
	sum := md5.Sum(g.appendSeed(buf[:0], i, v))
	return hex.AppendEncode(dst, sum[:])
}

func (g *generatedObjects) etag(i int64, v int) string {
	b := make([]byte, 0, 34)
	b = append(b, '"')
	b = g.appendETagHex(b, i, v)
	return string(append(b, '"'))
}

// view returns version v of key i as a listing entry.
func (g *generatedObjects) view(key string, i int64, v int, owner string) versionView {
	return versionView{
		key:          key,
		id:           g.versionID(i, v),
		isLatest:     v == g.versions-1,
		size:         g.size(i, v),
		etag:         g.etag(i, v),
		lastModified: g.lastModified(i, v),
		owner:        owner,
		gen:          g,
		genIndex:     i,
		genVersion:   v,
	}
}
