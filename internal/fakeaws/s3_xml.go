package fakeaws

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// s3Namespace is the XML namespace of every S3 response document.
const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// xmlBuf builds an S3 XML document by hand. Listings are the emulator's hot
// path (a 10-million-version bucket is 10,000 pages), so responses are written
// with appends instead of encoding/xml reflection.
type xmlBuf struct {
	b      []byte
	urlEnc bool // encoding-type=url: text written with keyText is URL-encoded
}

var xmlBufPool = sync.Pool{New: func() any { return &xmlBuf{b: make([]byte, 0, 64<<10)} }}

func newXMLBuf() *xmlBuf {
	x := xmlBufPool.Get().(*xmlBuf)
	x.b = append(x.b[:0], `<?xml version="1.0" encoding="UTF-8"?>`+"\n"...)
	x.urlEnc = false
	return x
}

func (x *xmlBuf) release() {
	if cap(x.b) <= 1<<20 {
		xmlBufPool.Put(x)
	}
}

// openNS opens the root element with the S3 namespace.
func (x *xmlBuf) openNS(name string) {
	x.b = append(x.b, '<')
	x.b = append(x.b, name...)
	x.b = append(x.b, ` xmlns="`+s3Namespace+`">`...)
}

func (x *xmlBuf) open(name string) {
	x.b = append(x.b, '<')
	x.b = append(x.b, name...)
	x.b = append(x.b, '>')
}

func (x *xmlBuf) close(name string) {
	x.b = append(x.b, '<', '/')
	x.b = append(x.b, name...)
	x.b = append(x.b, '>')
}

// elem writes <name>text</name> with text XML-escaped.
func (x *xmlBuf) elem(name, text string) {
	x.open(name)
	x.b = appendXMLEscaped(x.b, text)
	x.close(name)
}

// keyElem writes an element holding a key-like value (Key, Prefix, Delimiter,
// markers): URL-encoded first when the request asked for encoding-type=url.
func (x *xmlBuf) keyElem(name, text string) {
	x.open(name)
	if x.urlEnc {
		x.b = appendURLEncoded(x.b, text)
	} else {
		x.b = appendXMLEscaped(x.b, text)
	}
	x.close(name)
}

func (x *xmlBuf) intElem(name string, v int64) {
	x.open(name)
	x.b = strconv.AppendInt(x.b, v, 10)
	x.close(name)
}

func (x *xmlBuf) boolElem(name string, v bool) {
	x.open(name)
	x.b = strconv.AppendBool(x.b, v)
	x.close(name)
}

func (x *xmlBuf) timeElem(name string, t time.Time) {
	x.open(name)
	x.b = appendS3Time(x.b, t)
	x.close(name)
}

// etagElem writes <ETag> for a quoted hex ETag without the escaping scan.
func (x *xmlBuf) etagElem(etag string) {
	inner, ok := strings.CutPrefix(etag, `"`)
	inner, ok2 := strings.CutSuffix(inner, `"`)
	if !ok || !ok2 || strings.ContainsAny(inner, `&<>"'`) {
		x.elem("ETag", etag)
		return
	}
	x.b = append(x.b, "<ETag>&#34;"...)
	x.b = append(x.b, inner...)
	x.b = append(x.b, "&#34;</ETag>"...)
}

// appendS3Time appends t as S3 writes timestamps in XML
// (2006-01-02T15:04:05.000Z), by hand: listings format a timestamp per
// entry and time.Format is the slower path.
func appendS3Time(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	dst = appendDigits(dst, year, 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, int(month), 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, day, 2)
	dst = append(dst, 'T')
	dst = appendDigits(dst, hour, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, minute, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, sec, 2)
	dst = append(dst, '.')
	dst = appendDigits(dst, t.Nanosecond()/1e6, 3)
	return append(dst, 'Z')
}

// appendDigits appends n (0 <= n) zero-padded to width digits.
func appendDigits(dst []byte, n, width int) []byte {
	var b [8]byte
	i := len(b)
	for i > 0 && (n > 0 || len(b)-i < width) {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return append(dst, b[i:]...)
}

// ownerElem writes <Owner><ID>id</ID></Owner>. DisplayName is gone from S3
// since November 2025 (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Owner.html),
// so it is never written.
func (x *xmlBuf) ownerElem(canonicalID string) {
	x.b = append(x.b, "<Owner><ID>"...)
	x.b = append(x.b, canonicalID...) // canonical IDs are hex
	x.b = append(x.b, "</ID></Owner>"...)
}

// writeTo sends the document with status 200 (or status) and releases x.
func (x *xmlBuf) writeTo(w http.ResponseWriter, status int) {
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(x.b)))
	w.WriteHeader(status)
	_, _ = w.Write(x.b)
	x.release()
}

// appendXMLEscaped appends s escaped for XML character data. Like
// encoding/xml.EscapeText it writes \r, \n and \t as character references
// (so XML end-of-line normalisation cannot change a key) and replaces
// characters XML 1.0 cannot carry with U+FFFD: such keys need encoding-type=url.
func appendXMLEscaped(dst []byte, s string) []byte {
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' || c >= utf8.RuneSelf {
			clean = false
			break
		}
	}
	if clean {
		return append(dst, s...)
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch c {
			case '&':
				dst = append(dst, "&amp;"...)
			case '<':
				dst = append(dst, "&lt;"...)
			case '>':
				dst = append(dst, "&gt;"...)
			case '"':
				dst = append(dst, "&#34;"...)
			case '\'':
				dst = append(dst, "&#39;"...)
			case '\t':
				dst = append(dst, "&#x9;"...)
			case '\n':
				dst = append(dst, "&#xA;"...)
			case '\r':
				dst = append(dst, "&#xD;"...)
			default:
				if c < 0x20 {
					dst = append(dst, "\uFFFD"...)
				} else {
					dst = append(dst, c)
				}
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == 0xFFFE || r == 0xFFFF {
			dst = append(dst, "\uFFFD"...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}

// appendURLEncoded appends s as S3 writes key-like values under
// encoding-type=url. The flavour is not documented by AWS; fakeaws percent-encodes every byte except the RFC 3986
// unreserved characters and '/', with uppercase hex and space as %20 (never
// '+'). That output decodes to the key with url.PathUnescape,
// url.QueryUnescape and Python's unquote_plus alike.
func appendURLEncoded(dst []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreservedOrSlash(c) {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', hex[c>>4], hex[c&15])
	}
	return dst
}

func isUnreservedOrSlash(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~' || c == '/'
}

// commonPrefix writes one <CommonPrefixes> entry of a listing.
func (x *xmlBuf) commonPrefix(prefix string) {
	x.open("CommonPrefixes")
	x.keyElem("Prefix", prefix)
	x.close("CommonPrefixes")
}
