package fakeaws

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxListKeys is S3's cap (and default) on keys per listing page.
const maxListKeys = 1000

// listParams are the query parameters shared by the listings.
type listParams struct {
	maxKeys   int
	urlEncode bool
	prefix    string
	delimiter string
}

func parseListParams(q url.Values) (listParams, *s3Error) {
	p := listParams{maxKeys: maxListKeys, prefix: q.Get("prefix"), delimiter: q.Get("delimiter")}
	if s, ok := q["max-keys"]; ok {
		n, err := strconv.Atoi(s[0])
		if err != nil || n < 0 {
			return p, errInvalidArgument("Provided max-keys not an integer or within integer range", "max-keys", s[0])
		}
		p.maxKeys = min(n, maxListKeys)
	}
	switch e := q.Get("encoding-type"); e {
	case "":
	case "url":
		p.urlEncode = true
	default:
		return p, errInvalidArgument("Invalid Encoding Method specified in Request", "encoding-type", e)
	}
	return p, nil
}

// commonPrefix returns the common prefix key rolls up into under p, if any.
func (p *listParams) commonPrefix(key string) (string, bool) {
	if p.delimiter == "" {
		return "", false
	}
	j := strings.Index(key[len(p.prefix):], p.delimiter)
	if j < 0 {
		return "", false
	}
	return key[:len(p.prefix)+j+len(p.delimiter)], true
}

// skipPrefix moves it past every key that starts with cp; false at the end
// of the key space.
func skipPrefix(it *keyIter, cp string) bool {
	succ, ok := prefixSuccessor(cp)
	if !ok {
		return false
	}
	it.seek(succ)
	return true
}

// listObjectVersions is ListObjectVersions: versions and delete markers in
// key order, newest first within a key, each with its Owner
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html). Paging: key-marker alone resumes after that key; with
// version-id-marker it resumes after that version of the key (an unknown
// version ID resumes at the next key). A page ends exactly at max-keys
// entries and IsTruncated is true only when another entry follows, so
// paging never ends with an empty page.
func (req *s3Request) listObjectVersions() *s3Error {
	p, serr := parseListParams(req.q)
	if serr != nil {
		return serr
	}
	keyMarker, vidMarker := req.q.Get("key-marker"), req.q.Get("version-id-marker")
	if vidMarker != "" && keyMarker == "" {
		return errInvalidArgument("A version-id marker cannot be specified without a key marker.", "version-id-marker", vidMarker)
	}
	b := req.bucket
	body, serr := req.beginListing(p.urlEncode)
	if serr != nil {
		return serr
	}
	from := p.prefix
	switch {
	case keyMarker != "" && vidMarker == "" && keyMarker+"\x00" > from:
		from = keyMarker + "\x00"
	case keyMarker != "" && keyMarker > from:
		from = keyMarker
	}
	count, truncated := 0, false
	var nextKey, nextVid string
	lastGen, lastGenI, lastGenV := false, int64(0), 0 // last entry was generated: its ID is computed at the end
	versions := make([]versionView, 0, 8)
	drop := req.st.ownerDrop(b.name)
	it := b.seekKeys(from)
walk:
	for p.maxKeys > 0 && it.valid() {
		key := it.key()
		if !strings.HasPrefix(key, p.prefix) {
			break
		}
		if cp, ok := p.commonPrefix(key); ok {
			if cp != keyMarker { // else the previous page ended on it
				if count == p.maxKeys {
					truncated = true
					break
				}
				body.commonPrefix(cp)
				count++
				nextKey, nextVid, lastGen = cp, "", false
			}
			if !skipPrefix(it, cp) {
				break
			}
			continue
		}
		if it.fromGen() {
			n, full := writeGeneratedVersions(body, it, keyMarker, vidMarker, p.maxKeys-count, drop)
			if n > 0 {
				count += n
				nextKey, nextVid, lastGen = key, "", true
				lastGenI, lastGenV = it.gi, lastGenVersion(b.gen, it, keyMarker, vidMarker, n)
			}
			if full {
				truncated = true
				break
			}
			it.next()
			continue
		}
		versions = it.appendVersions(versions[:0])
		skip := 0
		if vidMarker != "" && key == keyMarker {
			skip = len(versions)
			for j := range versions {
				if versions[j].id == vidMarker {
					skip = j + 1
					break
				}
			}
		}
		for j := skip; j < len(versions); j++ {
			if count == p.maxKeys {
				truncated = true
				break walk
			}
			writeVersionEntry(body, &versions[j], drop)
			count++
			nextKey, nextVid, lastGen = key, versions[j].id, false
		}
		it.next()
	}
	if lastGen {
		nextVid = b.gen.versionID(lastGenI, lastGenV)
	}
	b.mu.RUnlock()

	x := newXMLBuf()
	x.urlEnc = p.urlEncode
	x.openNS("ListVersionsResult")
	x.elem("Name", b.name)
	x.keyElem("Prefix", p.prefix)
	x.keyElem("KeyMarker", keyMarker)
	x.elem("VersionIdMarker", vidMarker)
	if truncated {
		x.keyElem("NextKeyMarker", nextKey)
		if nextVid != "" {
			x.elem("NextVersionIdMarker", nextVid)
		}
	}
	x.intElem("MaxKeys", int64(p.maxKeys))
	if p.delimiter != "" {
		x.keyElem("Delimiter", p.delimiter)
	}
	if p.urlEncode {
		x.elem("EncodingType", "url")
	}
	x.boolElem("IsTruncated", truncated)
	x.b = append(x.b, body.b...)
	body.release()
	x.close("ListVersionsResult")
	x.writeTo(req.w, http.StatusOK)
	return nil
}

// writeVersionEntry writes one <Version> or <DeleteMarker>, without its
// Owner when drop says so.
func writeVersionEntry(x *xmlBuf, v *versionView, drop ownerDropper) {
	keep := !drop.drops(v.key, v.id)
	if v.deleteMarker {
		x.b = append(x.b, "<DeleteMarker>"...)
	} else {
		x.b = append(x.b, "<Version>"...)
	}
	x.keyElem("Key", v.key)
	x.elem("VersionId", v.id)
	x.boolElem("IsLatest", v.isLatest)
	x.timeElem("LastModified", v.lastModified)
	if v.deleteMarker {
		if keep {
			x.ownerElem(v.owner)
		}
		x.b = append(x.b, "</DeleteMarker>"...)
		return
	}
	x.etagElem(v.etag)
	x.intElem("Size", v.size)
	x.b = append(x.b, "<StorageClass>STANDARD</StorageClass>"...)
	if keep {
		x.ownerElem(v.owner)
	}
	x.b = append(x.b, "</Version>"...)
}

// listObjectsV2 is ListObjectsV2: the latest version of every key whose
// latest version is not a delete marker. The continuation token is the
// last key or common prefix returned, base64url-encoded; Owner is written
// only with fetch-owner=true.
func (req *s3Request) listObjectsV2() *s3Error {
	p, serr := parseListParams(req.q)
	if serr != nil {
		return serr
	}
	q := req.q
	token, startAfter := q.Get("continuation-token"), q.Get("start-after")
	fetchOwner := q.Get("fetch-owner") == "true"
	after := startAfter
	if _, ok := q["continuation-token"]; ok {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || token == "" {
			return errInvalidArgument("The continuation token provided is incorrect", "continuation-token", token)
		}
		after = string(raw)
	}
	b := req.bucket
	body, serr := req.beginListing(p.urlEncode)
	if serr != nil {
		return serr
	}
	from := p.prefix
	if after != "" && after+"\x00" > from {
		from = after + "\x00"
	}
	count, truncated, last := 0, false, ""
	it := b.seekKeys(from)
	for p.maxKeys > 0 && it.valid() {
		key := it.key()
		if !strings.HasPrefix(key, p.prefix) {
			break
		}
		latest := it.latest()
		if latest.deleteMarker {
			it.next()
			continue
		}
		if cp, ok := p.commonPrefix(key); ok {
			if cp != after {
				if count == p.maxKeys {
					truncated = true
					break
				}
				body.commonPrefix(cp)
				count++
				last = cp
			}
			if !skipPrefix(it, cp) {
				break
			}
			continue
		}
		if count == p.maxKeys {
			truncated = true
			break
		}
		body.open("Contents")
		body.keyElem("Key", key)
		body.timeElem("LastModified", latest.lastModified)
		body.etagElem(latest.etag)
		body.intElem("Size", latest.size)
		if fetchOwner {
			body.ownerElem(latest.owner)
		}
		body.b = append(body.b, "<StorageClass>STANDARD</StorageClass>"...)
		body.close("Contents")
		count++
		last = key
		it.next()
	}
	b.mu.RUnlock()

	x := newXMLBuf()
	x.urlEnc = p.urlEncode
	x.openNS("ListBucketResult")
	x.elem("Name", b.name)
	x.keyElem("Prefix", p.prefix)
	if p.delimiter != "" {
		x.keyElem("Delimiter", p.delimiter)
	}
	x.intElem("MaxKeys", int64(p.maxKeys))
	x.intElem("KeyCount", int64(count))
	x.boolElem("IsTruncated", truncated)
	if _, ok := q["continuation-token"]; ok {
		x.elem("ContinuationToken", token)
	}
	if truncated {
		x.elem("NextContinuationToken", base64.RawURLEncoding.EncodeToString([]byte(last)))
	}
	if startAfter != "" {
		x.keyElem("StartAfter", startAfter)
	}
	if p.urlEncode {
		x.elem("EncodingType", "url")
	}
	x.b = append(x.b, body.b...)
	body.release()
	x.close("ListBucketResult")
	x.writeTo(req.w, http.StatusOK)
	return nil
}

// generatedStart returns the newest version of the iterator's generated key
// to list: all of them, or those after vidMarker when resuming inside the
// key (none when the marker is not one of its versions).
func generatedStart(g *generatedObjects, it *keyIter, keyMarker, vidMarker string) int {
	if vidMarker == "" || it.gkey != keyMarker {
		return g.versions - 1
	}
	v, ok := g.versionIndex(it.gi, vidMarker)
	if !ok {
		return -1
	}
	return v - 1
}

// lastGenVersion is the version index of the n-th (last) entry that
// writeGeneratedVersions wrote for the current key.
func lastGenVersion(g *generatedObjects, it *keyIter, keyMarker, vidMarker string, n int) int {
	return generatedStart(g, it, keyMarker, vidMarker) - (n - 1)
}

// writeGeneratedVersions writes up to room versions of the iterator's
// generated key straight from its index (the hot path of a big listing: no
// per-version strings). full reports that a version was left for the next
// page. drop (nil: never) leaves out the Owner of some versions.
func writeGeneratedVersions(x *xmlBuf, it *keyIter, keyMarker, vidMarker string, room int, drop ownerDropper) (n int, full bool) {
	b, g, i := it.b, it.b.gen, it.gi
	owner := b.ownerCanonical
	if b.ownership != ownershipEnforced {
		owner = g.owner(i)
	}
	for v := generatedStart(g, it, keyMarker, vidMarker); v >= 0; v-- {
		if n == room {
			return n, true
		}
		x.b = append(x.b, "<Version>"...)
		x.keyElem("Key", it.gkey)
		x.b = append(x.b, "<VersionId>"...)
		x.b = g.appendVersionID(x.b, i, v)
		x.b = append(x.b, "</VersionId><IsLatest>"...)
		x.b = strconv.AppendBool(x.b, v == g.versions-1)
		x.b = append(x.b, "</IsLatest><LastModified>"...)
		x.b = appendS3Time(x.b, g.lastModified(i, v))
		x.b = append(x.b, "</LastModified><ETag>&#34;"...)
		x.b = g.appendETagHex(x.b, i, v)
		x.b = append(x.b, "&#34;</ETag><Size>"...)
		x.b = strconv.AppendInt(x.b, g.size(i, v), 10)
		x.b = append(x.b, "</Size><StorageClass>STANDARD</StorageClass>"...)
		if drop == nil || !drop.drops(it.gkey, generatedVersionTag(v)) {
			x.ownerElem(owner)
		}
		x.b = append(x.b, "</Version>"...)
		n++
	}
	return n, false
}

// beginListing starts a listing page: a pooled buffer for the entries
// (without the XML declaration: they go inside the result element, written
// afterwards), and the bucket's read lock, which the caller releases once the
// entries are rendered. A caller that may not list gets AccessDenied with no
// lock held.
func (req *s3Request) beginListing(urlEncode bool) (*xmlBuf, *s3Error) {
	body := newXMLBuf()
	body.b = body.b[:0]
	body.urlEnc = urlEncode
	req.bucket.mu.RLock()
	if !req.canList() {
		req.bucket.mu.RUnlock()
		body.release()
		return nil, errAccessDenied()
	}
	return body, nil
}
