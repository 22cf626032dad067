package versionlist

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeVersion is one entry of a fakeBucket.
type fakeVersion struct {
	Key, VersionID string
	DeleteMarker   bool
	IsLatest       bool
	Size           int64
	Owner          string
	LastModified   time.Time
}

// fakeBucket is a test double of one S3 bucket's ListObjectVersions: the
// server side of S3's paging semantics (key-marker, version-id-marker,
// prefix, delimiter, max-keys, encoding-type), written independently of
// the lister under test. Versions are sorted by key, newest first.
type fakeBucket struct {
	versions []fakeVersion
	latency  time.Duration
	calls    atomic.Int64
}

// newFakeBucket builds a bucket from keys and a number of versions per key
// (a negative count adds a delete marker as the newest entry).
func newFakeBucket(keys map[string]int) *fakeBucket {
	b := &fakeBucket{}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	seq := 0
	for _, k := range names {
		n := keys[k]
		marker := n < 0
		if marker {
			n = -n
		}
		total := n
		if marker {
			total++
		}
		for v := total - 1; v >= 0; v-- {
			seq++
			b.versions = append(b.versions, fakeVersion{
				Key: k, VersionID: fmt.Sprintf("v%06d-%d", seq, v), IsLatest: v == total-1,
				DeleteMarker: marker && v == total-1, Size: int64(len(k) + v),
				Owner: fmt.Sprintf("owner%d", seq%3), LastModified: base.Add(time.Duration(v) * time.Second),
			})
		}
	}
	return b
}

func (b *fakeBucket) serve(t testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.calls.Add(1)
		if b.latency > 0 {
			time.Sleep(b.latency)
		}
		q := r.URL.Query()
		if _, ok := q["versions"]; !ok {
			http.Error(w, "only ListObjectVersions", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		w.Write(b.list(q))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (b *fakeBucket) list(q url.Values) []byte {
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	km, vm := q.Get("key-marker"), q.Get("version-id-marker")
	maxKeys := 1000
	if s := q.Get("max-keys"); s != "" {
		maxKeys, _ = strconv.Atoi(s)
	}
	enc := func(s string) string { return s }
	if q.Get("encoding-type") == "url" {
		enc = url.QueryEscape
	}
	// Start after the marker: past every version of km, or past version vm of km.
	i := sort.Search(len(b.versions), func(i int) bool { return b.versions[i].Key > km })
	if vm != "" {
		for j := sort.Search(len(b.versions), func(i int) bool { return b.versions[i].Key >= km }); j < len(b.versions) && b.versions[j].Key == km; j++ {
			if b.versions[j].VersionID == vm {
				i = j + 1
				break
			}
		}
	}
	var w bytes.Buffer
	esc := func(s string) string {
		var sb strings.Builder
		for _, c := range s {
			switch c {
			case '&':
				sb.WriteString("&amp;")
			case '<':
				sb.WriteString("&lt;")
			case '>':
				sb.WriteString("&gt;")
			default:
				sb.WriteRune(c)
			}
		}
		return sb.String()
	}
	var body bytes.Buffer
	count, lastCP := 0, ""
	var prefixes []string
	truncated := false
	var nextKey, nextVer string
	for ; i < len(b.versions); i++ {
		v := b.versions[i]
		if !strings.HasPrefix(v.Key, prefix) {
			if v.Key > prefix {
				break
			}
			continue
		}
		if delim != "" {
			if j := strings.Index(v.Key[len(prefix):], delim); j >= 0 {
				cp := v.Key[:len(prefix)+j+len(delim)]
				if cp == lastCP {
					continue
				}
				if count == maxKeys {
					truncated = true
					break
				}
				lastCP = cp
				prefixes = append(prefixes, cp)
				count++
				nextKey, nextVer = cp, ""
				continue
			}
		}
		if count == maxKeys {
			truncated = true
			break
		}
		count++
		nextKey, nextVer = v.Key, v.VersionID
		tag := "Version"
		if v.DeleteMarker {
			tag = "DeleteMarker"
		}
		fmt.Fprintf(&body, "<%s><Key>%s</Key><VersionId>%s</VersionId><IsLatest>%v</IsLatest><LastModified>%s</LastModified>",
			tag, esc(enc(v.Key)), v.VersionID, v.IsLatest, v.LastModified.Format("2006-01-02T15:04:05.000Z"))
		if !v.DeleteMarker {
			fmt.Fprintf(&body, "<ETag>&quot;x&quot;</ETag><Size>%d</Size>", v.Size)
		}
		fmt.Fprintf(&body, "<Owner><ID>%s</ID></Owner>", v.Owner)
		if !v.DeleteMarker {
			body.WriteString("<StorageClass>STANDARD</StorageClass>")
		}
		fmt.Fprintf(&body, "</%s>", tag)
	}
	w.WriteString(`<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	fmt.Fprintf(&w, "<Name>b</Name><Prefix>%s</Prefix><KeyMarker>%s</KeyMarker><VersionIdMarker>%s</VersionIdMarker>", esc(enc(prefix)), esc(enc(km)), vm)
	if truncated {
		fmt.Fprintf(&w, "<NextKeyMarker>%s</NextKeyMarker>", esc(enc(nextKey)))
		if nextVer != "" {
			fmt.Fprintf(&w, "<NextVersionIdMarker>%s</NextVersionIdMarker>", nextVer)
		}
	}
	fmt.Fprintf(&w, "<MaxKeys>%d</MaxKeys>", maxKeys)
	if q.Get("encoding-type") == "url" {
		w.WriteString("<EncodingType>url</EncodingType>")
	}
	fmt.Fprintf(&w, "<IsTruncated>%v</IsTruncated>", truncated)
	w.Write(body.Bytes())
	for _, cp := range prefixes {
		fmt.Fprintf(&w, "<CommonPrefixes><Prefix>%s</Prefix></CommonPrefixes>", esc(enc(cp)))
	}
	w.WriteString("</ListVersionsResult>")
	return w.Bytes()
}
