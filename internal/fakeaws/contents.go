package fakeaws

import "sort"

// BucketContents is what one bucket of the emulator holds, read from the
// emulator's own state rather than by listing it: a ground truth to hold a
// client's counts against.
type BucketContents struct {
	Name      string
	Account   string // owner account ID
	Region    string
	Ownership string // BucketOwnerEnforced | BucketOwnerPreferred | ObjectWriter | "" (not set)
	// Versions counts object versions and delete markers, stored and
	// generated.
	Versions int64
	// ObjectVersions counts the versions that are not delete markers:
	// those that have an ACL to read.
	ObjectVersions int64
	// GrantIDs are the canonical IDs the bucket ACL grants to, the
	// owner's own grant left out.
	GrantIDs []string
}

// Buckets returns the contents of every bucket as they are now, sorted by
// name.
func (e *Emulator) Buckets() []BucketContents {
	st := e.s3
	st.mu.RLock()
	buckets := make([]*s3Bucket, 0, len(st.buckets))
	for _, b := range st.buckets {
		buckets = append(buckets, b)
	}
	st.mu.RUnlock()
	out := make([]BucketContents, 0, len(buckets))
	for _, b := range buckets {
		b.mu.RLock()
		c := BucketContents{Name: b.name, Account: b.account, Region: b.region, Ownership: b.ownership}
		for _, o := range b.objects {
			c.Versions += int64(len(o.versions))
			for _, v := range o.versions {
				if !v.deleteMarker {
					c.ObjectVersions++
				}
			}
		}
		if g := b.gen; g != nil {
			c.Versions += g.count * int64(g.versions)
			c.ObjectVersions += g.count * int64(g.versions)
		}
		for _, g := range b.acl {
			if g.granteeType == "CanonicalUser" && g.id != b.ownerCanonical {
				c.GrantIDs = append(c.GrantIDs, g.id)
			}
		}
		b.mu.RUnlock()
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ownerIDs returns the canonical IDs that own at least one version or
// delete marker of the bucket, as a listing shows them (the owner at write
// time), the bucket owner's included. For generated objects it looks for
// each uploader among the keys, stopping at its first key: about 1/fraction
// steps for an uploader that owns a fraction of them.
func (b *s3Bucket) ownerIDs() map[string]bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := map[string]bool{}
	for _, o := range b.objects {
		for _, v := range o.versions {
			out[v.owner] = true
		}
	}
	g := b.gen
	if g == nil {
		return out
	}
	missing := map[string]bool{g.bucketOwner: true}
	for _, id := range g.foreignOwners {
		missing[id] = true
	}
	for i := int64(0); i < g.count && len(missing) > 0; i++ {
		if id := g.owner(i); missing[id] {
			delete(missing, id)
			out[id] = true
		}
	}
	return out
}
