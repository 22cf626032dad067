package fakeaws

import (
	"sort"
	"time"
)

// versionView is one version or delete marker as listings and reads see
// it, whether stored or generated.
type versionView struct {
	key          string
	id           string
	isLatest     bool
	deleteMarker bool
	size         int64
	etag         string
	lastModified time.Time
	owner        string // canonical ID reported now

	stored     *s3Version        // set for stored versions
	gen        *generatedObjects // set for generated versions
	genIndex   int64
	genVersion int
}

// insertKey adds key to the sorted index if absent. Callers hold b.mu.
func (b *s3Bucket) insertKey(key string) {
	i := sort.SearchStrings(b.keys, key)
	if i < len(b.keys) && b.keys[i] == key {
		return
	}
	b.keys = append(b.keys, "")
	copy(b.keys[i+1:], b.keys[i:])
	b.keys[i] = key
}

// removeKey drops key from the index and the object map. Callers hold b.mu.
func (b *s3Bucket) removeKey(key string) {
	delete(b.objects, key)
	i := sort.SearchStrings(b.keys, key)
	if i < len(b.keys) && b.keys[i] == key {
		b.keys = append(b.keys[:i], b.keys[i+1:]...)
	}
}

// keyIter walks the keys of a bucket in lexical (byte) order, merging the
// stored index with the generated keys (the two never share a key: writes
// to generated keys are refused). Callers hold b.mu for reading while they
// use it.
type keyIter struct {
	b    *s3Bucket
	si   int    // position in b.keys
	gi   int64  // generated index
	gkey string // generated key gi, "" when exhausted
}

// seekKeys returns an iterator at the first key >= from.
func (b *s3Bucket) seekKeys(from string) *keyIter {
	it := &keyIter{b: b}
	it.seek(from)
	return it
}

// seek moves to the first key >= from (it may move backwards too).
func (it *keyIter) seek(from string) {
	it.si = sort.SearchStrings(it.b.keys, from)
	if g := it.b.gen; g != nil {
		it.gi = g.lowerBound(from)
		it.loadGen()
	}
}

func (it *keyIter) loadGen() {
	if g := it.b.gen; g != nil && it.gi < g.count {
		it.gkey = g.key(it.gi)
	} else {
		it.gkey = ""
	}
}

func (it *keyIter) hasStored() bool { return it.si < len(it.b.keys) }
func (it *keyIter) hasGen() bool    { return it.gkey != "" }

func (it *keyIter) valid() bool { return it.hasStored() || it.hasGen() }

// fromGen reports whether the current key is a generated one.
func (it *keyIter) fromGen() bool {
	if !it.hasGen() {
		return false
	}
	return !it.hasStored() || it.gkey < it.b.keys[it.si]
}

// key is the current key; only when valid.
func (it *keyIter) key() string {
	if it.fromGen() {
		return it.gkey
	}
	return it.b.keys[it.si]
}

func (it *keyIter) next() {
	if it.fromGen() {
		it.gi++
		it.loadGen()
	} else {
		it.si++
	}
}

// appendVersions appends the versions of the current key, newest first.
func (it *keyIter) appendVersions(dst []versionView) []versionView {
	b := it.b
	if it.fromGen() {
		g := b.gen
		owner := b.ownerCanonical
		if b.ownership != ownershipEnforced {
			owner = g.owner(it.gi)
		}
		for v := g.versions - 1; v >= 0; v-- {
			dst = append(dst, g.view(it.gkey, it.gi, v, owner))
		}
		return dst
	}
	key := b.keys[it.si]
	return b.appendStoredVersions(dst, key, b.objects[key])
}

// latest returns the newest version of the current key.
func (it *keyIter) latest() versionView {
	b := it.b
	if it.fromGen() {
		g := b.gen
		owner := b.ownerCanonical
		if b.ownership != ownershipEnforced {
			owner = g.owner(it.gi)
		}
		return g.view(it.gkey, it.gi, g.versions-1, owner)
	}
	key := b.keys[it.si]
	return b.storedView(key, b.objects[key].latest(), true)
}

// appendStoredVersions appends the versions of a stored object, newest
// first. Callers hold b.mu.
func (b *s3Bucket) appendStoredVersions(dst []versionView, key string, o *s3Object) []versionView {
	for j := len(o.versions) - 1; j >= 0; j-- {
		dst = append(dst, b.storedView(key, o.versions[j], j == len(o.versions)-1))
	}
	return dst
}

func (b *s3Bucket) storedView(key string, v *s3Version, latest bool) versionView {
	return versionView{
		key:          key,
		id:           v.id,
		isLatest:     latest,
		deleteMarker: v.deleteMarker,
		size:         v.size,
		etag:         v.etag,
		lastModified: v.lastModified(),
		owner:        b.effectiveOwner(v),
		stored:       v,
	}
}

// lookupVersion finds a version of key: the latest when id is "", else the
// one with that ID. found is false when the key or version does not exist.
// Callers hold b.mu.
func (b *s3Bucket) lookupVersion(key, id string) (view versionView, found bool) {
	if o := b.objects[key]; o != nil {
		if id == "" {
			return b.storedView(key, o.latest(), true), true
		}
		for j, v := range o.versions {
			if v.id == id {
				return b.storedView(key, v, j == len(o.versions)-1), true
			}
		}
		return versionView{}, false
	}
	g := b.gen
	if g == nil {
		return versionView{}, false
	}
	i, ok := g.index(key)
	if !ok {
		return versionView{}, false
	}
	v := g.versions - 1
	if id != "" {
		if v, ok = g.versionIndex(i, id); !ok {
			return versionView{}, false
		}
	}
	owner := b.ownerCanonical
	if b.ownership != ownershipEnforced {
		owner = g.owner(i)
	}
	return g.view(key, i, v, owner), true
}

// isGeneratedKey reports whether key belongs to the bucket's generated
// objects, which are read-only.
func (b *s3Bucket) isGeneratedKey(key string) bool {
	if b.gen == nil {
		return false
	}
	_, ok := b.gen.index(key)
	return ok
}

// prefixSuccessor returns the smallest string greater than every string
// that starts with p; ok is false when there is none (p is all 0xff bytes).
func prefixSuccessor(p string) (string, bool) {
	b := []byte(p)
	for len(b) > 0 && b[len(b)-1] == 0xff {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return "", false
	}
	b[len(b)-1]++
	return string(b), true
}
