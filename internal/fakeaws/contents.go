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
		}
		if g := b.gen; g != nil {
			c.Versions += g.count * int64(g.versions)
		}
		b.mu.RUnlock()
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
