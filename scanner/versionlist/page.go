package versionlist

import (
	"sync"
	"time"
)

// Entry is one object version or delete marker, reduced to what an ownership
// scan needs. Strings never alias a pooled buffer: they may be retained.
type Entry struct {
	Key            string
	VersionID      string
	OwnerID        string // canonical user ID; "" when the entry has no Owner.ID
	LastModified   time.Time
	Size           int64 // 0 for delete markers
	IsLatest       bool
	IsDeleteMarker bool
	HasOwner       bool // the entry carried an <Owner> element
}

// Page is one ListObjectVersions response. Entries keep the document order of
// the response (S3 sorts by key, then newest version first, versions and
// delete markers interleaved); keys and markers are already URL-decoded when
// the response said EncodingType "url".
type Page struct {
	Entries             []Entry
	IsTruncated         bool
	NextKeyMarker       string
	NextVersionIDMarker string
	CommonPrefixes      []string
}

// reset empties p for reuse, keeping its slices' capacity.
func (p *Page) reset() {
	clear(p.Entries) // drop string references so the collector can free them
	p.Entries = p.Entries[:0]
	p.IsTruncated = false
	p.NextKeyMarker = ""
	p.NextVersionIDMarker = ""
	clear(p.CommonPrefixes)
	p.CommonPrefixes = p.CommonPrefixes[:0]
}

// entriesPool recycles Entries arrays (a 1,000-entry array is about 90 KiB).
// A lister's pages take one only while a response is decoded and emitted,
// and give it back after: pages waiting on the network (64 at concurrency
// 64) hold none, so the arrays live at once are about the bodies being
// decoded (bodyReaders) plus the pages queued for emission, however long
// the listing.
var entriesPool = sync.Pool{New: func() any {
	s := make([]Entry, 0, defaultMaxKeys)
	return &s
}}

// takeEntries gives p a pooled Entries array if it has none.
func (p *Page) takeEntries() {
	if p.Entries == nil {
		p.Entries = (*entriesPool.Get().(*[]Entry))[:0]
	}
}

// releaseEntries returns p's Entries array to the pool, emptied (no string
// stays referenced), and leaves p without one.
func (p *Page) releaseEntries() {
	if cap(p.Entries) == 0 {
		return
	}
	clear(p.Entries)
	s := p.Entries[:0]
	p.Entries = nil
	entriesPool.Put(&s)
}
