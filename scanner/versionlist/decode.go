package versionlist

import (
	"bytes"
	"strings"

	"github.com/ownerscan/ownerscan/internal/xmlscan"
)

// maxInternedOwners bounds the owner-ID intern table of one Decoder. Owners
// repeat heavily within a bucket; a bucket with more distinct owners than
// this just allocates the overflow.
const maxInternedOwners = 4096

// Decoder decodes ListObjectVersions response bodies (a ListVersionsResult
// document) into Pages. It keeps scratch buffers and an owner-ID intern
// table between calls, so reuse one per goroutine. The zero value is ready.
type Decoder struct {
	s      xmlscan.Scanner
	arena  []byte      // decoded keys, version IDs and markers of the page
	spans  []entrySpan // per entry, where its strings are in arena
	pfx    []span      // common prefixes in arena
	next   span        // NextKeyMarker
	nextV  span        // NextVersionIdMarker
	scr    []byte      // scratch for values with entities
	stack  [][]byte    // element names, for skipping unknown elements
	owners map[string]string
	url    bool // EncodingType was "url"
	truncs bool // IsTruncated was present
}

// span locates a decoded string in Decoder.arena.
type span struct{ off, end int32 }

type entrySpan struct{ key, ver span }

// Names the SDK's deserializer recognises, matching them case-insensitively.
// An element that matches one only when case is ignored is refused, so that
// the fast path never disagrees with the SDK.
var (
	rootFields   = []string{"CommonPrefixes", "DeleteMarker", "Delimiter", "EncodingType", "IsTruncated", "KeyMarker", "MaxKeys", "Name", "NextKeyMarker", "NextVersionIdMarker", "Prefix", "VersionIdMarker", "Version"}
	entryFields  = []string{"ChecksumAlgorithm", "ChecksumType", "ETag", "IsLatest", "Key", "LastModified", "Owner", "RestoreStatus", "Size", "StorageClass", "VersionId"}
	markerFields = []string{"IsLatest", "Key", "LastModified", "Owner", "VersionId"}
	ownerFields  = []string{"DisplayName", "ID"}
	prefixFields = []string{"Prefix"}
	restoreField = []string{"IsRestoreInProgress", "RestoreExpiryDate"}
)

func foldMatch(name []byte, fields []string) bool {
	for _, f := range fields {
		if strings.EqualFold(string(name), f) {
			return true
		}
	}
	return false
}

// Decode parses body into p, replacing p's contents. On error p is left in
// an unspecified state and the body should be decoded by the SDK instead.
func (d *Decoder) Decode(body []byte, p *Page) error {
	p.reset()
	p.takeEntries()
	d.s.Reset(body)
	d.arena = d.arena[:0]
	d.spans = d.spans[:0]
	d.pfx = d.pfx[:0]
	d.next, d.nextV = span{}, span{}
	d.url, d.truncs = false, false
	if d.owners == nil {
		d.owners = make(map[string]string)
	}
	s := &d.s
	if err := s.Prolog(); err != nil {
		return err
	}
	root, selfClosing, err := s.StartTag()
	if err != nil {
		return err
	}
	if string(root) != "ListVersionsResult" || selfClosing {
		return s.Fail("root element is not a non-empty ListVersionsResult")
	}
	if err := d.rootChildren(p, root); err != nil {
		return err
	}
	s.SkipSpace()
	switch {
	case !s.AtEnd():
		return s.Fail("content after the root element")
	case !d.truncs:
		// Every page says whether more follow: without it, the last page
		// of an empty bucket and a document that is not a page look alike.
		return s.Fail("no IsTruncated element")
	case len(p.Entries) > maxPageEntries:
		return s.Fail("more than 1,000 versions and delete markers")
	}
	return d.finish(p)
}

func (d *Decoder) rootChildren(p *Page, root []byte) error {
	s := &d.s
	for {
		more, err := s.NextChild(root)
		if err != nil || !more {
			return err
		}
		name, sc, err := s.StartTag()
		if err != nil {
			return err
		}
		switch string(name) {
		case "Version", "DeleteMarker":
			err = d.entry(p, name, sc, string(name) == "DeleteMarker")
		case "CommonPrefixes":
			err = d.commonPrefix(name, sc)
		case "IsTruncated":
			d.truncs = true
			var raw []byte
			if raw, err = d.text(name, sc); err == nil {
				var ok bool
				if p.IsTruncated, ok = parseBool(raw); !ok {
					err = s.Fail("IsTruncated is not true or false")
				}
			}
		case "NextKeyMarker":
			d.next, err = d.arenaText(name, sc)
		case "NextVersionIdMarker":
			d.nextV, err = d.arenaText(name, sc)
		case "EncodingType":
			var raw []byte
			if raw, err = d.text(name, sc); err == nil {
				d.url = string(raw) == "url"
			}
		case "MaxKeys":
			var raw []byte
			if raw, err = d.text(name, sc); err == nil {
				if _, ok := parseSize(raw); !ok {
					err = s.Fail("MaxKeys is not a number")
				}
			}
		case "Name", "Prefix", "KeyMarker", "VersionIdMarker", "Delimiter":
			_, err = d.text(name, sc)
		default:
			err = d.unknown(name, sc, rootFields)
		}
		if err != nil {
			return err
		}
	}
}

// unknown skips an element the scan does not need, unless the SDK would
// parse it under a case-insensitive match.
func (d *Decoder) unknown(name []byte, selfClosing bool, fields []string) error {
	if foldMatch(name, fields) {
		return d.s.Fail("element name differs from the SDK's only by case")
	}
	if selfClosing {
		return nil
	}
	return d.s.SkipElement(name, d.stack[:0])
}

// text returns the decoded text of a text-only element. The result is only
// valid until the next call.
func (d *Decoder) text(name []byte, selfClosing bool) ([]byte, error) {
	raw, ent, err := d.s.Value(name, selfClosing)
	if err != nil || !ent {
		return raw, err
	}
	d.scr = xmlscan.AppendText(d.scr[:0], raw)
	return d.scr, nil
}

// arenaText appends the decoded text of a text-only element to the arena.
func (d *Decoder) arenaText(name []byte, selfClosing bool) (span, error) {
	raw, ent, err := d.s.Value(name, selfClosing)
	if err != nil {
		return span{}, err
	}
	off := len(d.arena)
	if ent {
		d.arena = xmlscan.AppendText(d.arena, raw)
	} else {
		d.arena = append(d.arena, raw...)
	}
	return span{int32(off), int32(len(d.arena))}, nil
}

func (d *Decoder) commonPrefix(name []byte, selfClosing bool) error {
	s := &d.s
	var pfx span
	if !selfClosing {
		for {
			more, err := s.NextChild(name)
			if err != nil {
				return err
			}
			if !more {
				break
			}
			child, sc, err := s.StartTag()
			if err != nil {
				return err
			}
			if string(child) == "Prefix" {
				pfx, err = d.arenaText(child, sc)
			} else {
				err = d.unknown(child, sc, prefixFields)
			}
			if err != nil {
				return err
			}
		}
	}
	d.pfx = append(d.pfx, pfx)
	return nil
}

// entry decodes one <Version> or <DeleteMarker>. Fields the SDK parses but
// the scan does not need are still validated the way the SDK would.
func (d *Decoder) entry(p *Page, name []byte, selfClosing, deleteMarker bool) error {
	s := &d.s
	p.Entries = append(p.Entries, Entry{IsDeleteMarker: deleteMarker})
	e := &p.Entries[len(p.Entries)-1]
	var sp entrySpan
	if !selfClosing {
		for {
			more, err := s.NextChild(name)
			if err != nil {
				return err
			}
			if !more {
				break
			}
			child, sc, err := s.StartTag()
			if err != nil {
				return err
			}
			if err := d.entryField(e, &sp, child, sc, deleteMarker); err != nil {
				return err
			}
		}
	}
	d.spans = append(d.spans, sp)
	return nil
}

func (d *Decoder) entryField(e *Entry, sp *entrySpan, name []byte, sc, deleteMarker bool) error {
	s := &d.s
	var err error
	var raw []byte
	switch string(name) {
	case "Key":
		sp.key, err = d.arenaText(name, sc)
	case "VersionId":
		sp.ver, err = d.arenaText(name, sc)
	case "IsLatest":
		if raw, err = d.text(name, sc); err == nil {
			var ok bool
			if e.IsLatest, ok = parseBool(raw); !ok {
				err = s.Fail("IsLatest is not true or false")
			}
		}
	case "LastModified":
		if raw, err = d.text(name, sc); err == nil {
			var ok bool
			if e.LastModified, ok = parseTimestamp(raw); !ok {
				err = s.Fail("LastModified is not a plain UTC timestamp")
			}
		}
	case "Owner":
		err = d.owner(e, name, sc)
	default:
		if deleteMarker {
			// The SDK's DeleteMarkerEntry has no other fields.
			return d.unknown(name, sc, markerFields)
		}
		switch string(name) {
		case "Size":
			if raw, err = d.text(name, sc); err == nil {
				var ok bool
				if e.Size, ok = parseSize(raw); !ok {
					err = s.Fail("Size is not a number")
				}
			}
		case "ETag", "StorageClass", "ChecksumType", "ChecksumAlgorithm":
			_, err = d.text(name, sc)
		case "RestoreStatus":
			err = d.restoreStatus(name, sc)
		default:
			err = d.unknown(name, sc, entryFields)
		}
	}
	return err
}

func (d *Decoder) owner(e *Entry, name []byte, selfClosing bool) error {
	s := &d.s
	e.HasOwner = true
	if selfClosing {
		return nil
	}
	for {
		more, err := s.NextChild(name)
		if err != nil || !more {
			return err
		}
		child, sc, err := s.StartTag()
		if err != nil {
			return err
		}
		switch string(child) {
		case "ID":
			raw, err := d.text(child, sc)
			if err != nil {
				return err
			}
			e.OwnerID = d.intern(raw)
		case "DisplayName":
			_, err = d.text(child, sc)
		default:
			err = d.unknown(child, sc, ownerFields)
		}
		if err != nil {
			return err
		}
	}
}

func (d *Decoder) restoreStatus(name []byte, selfClosing bool) error {
	s := &d.s
	if selfClosing {
		return nil
	}
	for {
		more, err := s.NextChild(name)
		if err != nil || !more {
			return err
		}
		child, sc, err := s.StartTag()
		if err != nil {
			return err
		}
		var raw []byte
		switch string(child) {
		case "IsRestoreInProgress":
			if raw, err = d.text(child, sc); err == nil {
				if _, ok := parseBool(raw); !ok {
					err = s.Fail("IsRestoreInProgress is not true or false")
				}
			}
		case "RestoreExpiryDate":
			if raw, err = d.text(child, sc); err == nil {
				if _, ok := parseTimestamp(raw); !ok {
					err = s.Fail("RestoreExpiryDate is not a plain UTC timestamp")
				}
			}
		default:
			err = d.unknown(child, sc, restoreField)
		}
		if err != nil {
			return err
		}
	}
}

// intern returns owner ID b as a string shared by every entry of that owner.
func (d *Decoder) intern(b []byte) string {
	if id, ok := d.owners[string(b)]; ok {
		return id
	}
	id := string(b)
	if len(d.owners) < maxInternedOwners {
		d.owners[id] = id
	}
	return id
}

// finish URL-decodes the arena when the page is URL-encoded and turns spans
// into strings: one allocation per entry holding key and version ID, and
// none for the key of a run of versions of the same key.
func (d *Decoder) finish(p *Page) error {
	if d.url {
		for i := range d.spans {
			if !d.unescape(&d.spans[i].key) {
				return d.s.Fail("malformed URL escape in Key")
			}
		}
		for i := range d.pfx {
			if !d.unescape(&d.pfx[i]) {
				return d.s.Fail("malformed URL escape in Prefix")
			}
		}
		if !d.unescape(&d.next) {
			return d.s.Fail("malformed URL escape in NextKeyMarker")
		}
	}
	a := d.arena
	var prevKey []byte
	for i, sp := range d.spans {
		e := &p.Entries[i]
		key := a[sp.key.off:sp.key.end]
		ver := a[sp.ver.off:sp.ver.end]
		switch {
		case i > 0 && bytes.Equal(key, prevKey):
			e.Key = p.Entries[i-1].Key
			e.VersionID = string(ver)
		case len(ver) == 0:
			e.Key = string(key)
		default:
			// One allocation holds both strings.
			d.scr = append(append(d.scr[:0], key...), ver...)
			both := string(d.scr)
			e.Key, e.VersionID = both[:len(key)], both[len(key):]
		}
		prevKey = key
	}
	for _, sp := range d.pfx {
		p.CommonPrefixes = append(p.CommonPrefixes, string(a[sp.off:sp.end]))
	}
	p.NextKeyMarker = string(a[d.next.off:d.next.end])
	p.NextVersionIDMarker = string(a[d.nextV.off:d.nextV.end])
	return nil
}

// unescape URL-decodes one span in place, shrinking it.
func (d *Decoder) unescape(sp *span) bool {
	b := d.arena[sp.off:sp.end]
	if bytes.IndexByte(b, '%') < 0 && bytes.IndexByte(b, '+') < 0 {
		return true
	}
	n, ok := unescapeURL(b)
	sp.end = sp.off + int32(n)
	return ok
}
