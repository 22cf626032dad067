package versionlist

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"
)

// genOptions shape a randomly generated ListVersionsResult document.
type genOptions struct {
	Entries   int
	URL       bool // EncodingType url, keys escaped as S3 does
	Noise     bool // comments, whitespace, unknown elements, attributes
	Prefixes  int  // CommonPrefixes
	Truncated bool
}

var keyRunes = []rune("abcxyzABC0189/-_.!*'()&<>\"' +%=?#;日本語éß€🙂\t")

func randKey(r *rand.Rand) string {
	n := 1 + r.IntN(24)
	var b strings.Builder
	for range n {
		b.WriteRune(keyRunes[r.IntN(len(keyRunes))])
	}
	return b.String()
}

// xmlEscape writes s as XML character data, choosing among the equivalent
// spellings of each escape so the decoder sees all of them.
func xmlEscape(r *rand.Rand, w *bytes.Buffer, s string) {
	for _, c := range s {
		switch {
		case c == '&':
			w.WriteString([]string{"&amp;", "&#38;", "&#x26;"}[r.IntN(3)])
		case c == '<':
			w.WriteString([]string{"&lt;", "&#60;", "&#x3C;"}[r.IntN(3)])
		case c == '>':
			w.WriteString([]string{"&gt;", ">"}[r.IntN(2)])
		case c == '"':
			w.WriteString([]string{"&quot;", `"`, "&#34;"}[r.IntN(3)])
		case c == '\'':
			w.WriteString([]string{"&apos;", "'"}[r.IntN(2)])
		case c == '\t':
			w.WriteString([]string{"&#9;", "\t"}[r.IntN(2)])
		case c > 127 && r.IntN(4) == 0:
			fmt.Fprintf(w, "&#x%x;", c)
		default:
			w.WriteRune(c)
		}
	}
}

// genPage renders a random but S3-shaped page and returns it.
func genPage(r *rand.Rand, o genOptions) []byte {
	var w bytes.Buffer
	noise := func() {
		if !o.Noise {
			return
		}
		switch r.IntN(6) {
		case 0:
			w.WriteString("\n  ")
		case 1:
			w.WriteString("<!-- a comment - with dashes -->")
		case 2:
			w.WriteString(`<Unknown attr="x &amp; y"><Nested>t</Nested><Empty/></Unknown>`)
		}
	}
	elem := func(name, text string) {
		noise()
		w.WriteString("<" + name + ">")
		xmlEscape(r, &w, text)
		w.WriteString("</" + name + ">")
	}
	enc := func(s string) string {
		if o.URL {
			return url.QueryEscape(s)
		}
		return s
	}
	w.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.WriteString(`<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	elem("Name", "bucket")
	elem("Prefix", "")
	elem("KeyMarker", enc(randKey(r)))
	elem("VersionIdMarker", "")
	if o.Truncated {
		elem("NextKeyMarker", enc(randKey(r)))
		elem("NextVersionIdMarker", fmt.Sprintf("v%d", r.IntN(1000)))
	}
	elem("MaxKeys", "1000")
	if o.URL {
		elem("EncodingType", "url")
	}
	elem("IsTruncated", fmt.Sprint(o.Truncated))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	owners := []string{strings.Repeat("a1", 32), strings.Repeat("b2", 32), strings.Repeat("c3", 32)}
	key := randKey(r)
	for i := range o.Entries {
		if r.IntN(3) == 0 {
			key = randKey(r)
		}
		marker := r.IntN(5) == 0
		name := "Version"
		if marker {
			name = "DeleteMarker"
		}
		noise()
		w.WriteString("<" + name + ">")
		elem("Key", enc(key))
		elem("VersionId", fmt.Sprintf("%x.%d", r.Uint64(), i))
		elem("IsLatest", fmt.Sprint(r.IntN(2) == 0))
		ts := base.Add(time.Duration(r.Int64N(int64(1000 * 24 * time.Hour))))
		if r.IntN(2) == 0 {
			ts = ts.Truncate(time.Second)
		}
		elem("LastModified", ts.Format("2006-01-02T15:04:05.999999999Z"))
		if !marker {
			elem("ETag", `"`+fmt.Sprintf("%032x", r.Uint64())+`"`)
			elem("Size", fmt.Sprint(r.Int64N(1<<40)))
			if o.Noise && r.IntN(4) == 0 {
				elem("ChecksumAlgorithm", "CRC32")
				noise()
				w.WriteString("<RestoreStatus><IsRestoreInProgress>false</IsRestoreInProgress><RestoreExpiryDate>2025-01-01T00:00:00.000Z</RestoreExpiryDate></RestoreStatus>")
			}
			elem("StorageClass", "STANDARD")
		}
		switch r.IntN(5) {
		case 0: // no owner
		case 1:
			noise()
			w.WriteString("<Owner><DisplayName>someone</DisplayName></Owner>")
		default:
			noise()
			w.WriteString("<Owner>")
			elem("ID", owners[r.IntN(len(owners))])
			if r.IntN(2) == 0 {
				elem("DisplayName", "name")
			}
			w.WriteString("</Owner>")
		}
		noise()
		w.WriteString("</" + name + ">")
	}
	for range o.Prefixes {
		noise()
		w.WriteString("<CommonPrefixes>")
		elem("Prefix", enc(randKey(r)+"/"))
		w.WriteString("</CommonPrefixes>")
	}
	noise()
	w.WriteString("</ListVersionsResult>")
	if o.Noise {
		w.WriteString("\n")
	}
	return w.Bytes()
}

// genPageFixed renders a realistic S3 page of n versions of distinct keys
// ("data/" + 10-digit index), the shape of a generated bucket: the body the
// benchmarks serve.
func genPageFixed(n int) []byte {
	var w bytes.Buffer
	w.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.WriteString(`<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bucket</Name><Prefix></Prefix><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>`)
	owners := []string{strings.Repeat("a1", 32), strings.Repeat("b2", 32)}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		fmt.Fprintf(&w, `<Version><Key>data%%2F%010d</Key><VersionId>3HL4kqtJvjVBH40Nrjfkd%010d</VersionId><IsLatest>true</IsLatest>`+
			`<LastModified>%s</LastModified><ETag>&quot;%032x&quot;</ETag><Size>%d</Size>`+
			`<Owner><ID>%s</ID></Owner><StorageClass>STANDARD</StorageClass></Version>`,
			i, i, base.Add(time.Duration(i)*time.Second).Format("2006-01-02T15:04:05.000Z"), i*7919, 1024+i%4096, owners[i%97/96])
	}
	w.WriteString(`</ListVersionsResult>`)
	return w.Bytes()
}
