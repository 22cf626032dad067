package fakeaws

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

const (
	sigV4Algorithm  = "AWS4-HMAC-SHA256"
	amzDateLayout   = "20060102T150405Z"
	unsignedPayload = "UNSIGNED-PAYLOAD"
)

// sigV4 is the parsed signature of a request (Authorization header or
// presigned query).
type sigV4 struct {
	AccessKeyID   string
	Date          string // yyyymmdd of the scope
	Region        string
	Service       string
	SignedHeaders []string
	Signature     string
	AmzDate       string // X-Amz-Date
	SecurityToken string
	Presigned     bool
	Expires       time.Duration // presigned only
}

// Scope is the credential scope string "date/region/service/aws4_request".
func (s *sigV4) Scope() string {
	return s.Date + "/" + s.Region + "/" + s.Service + "/aws4_request"
}

var errNoSignature = errors.New("no signature")

// parseSigV4 reads the signature of r. It returns errNoSignature for an
// anonymous request and another error for a malformed one.
func parseSigV4(r *http.Request) (*sigV4, error) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		return parseAuthorizationHeader(r, auth)
	}
	q := r.URL.Query()
	if q.Get("X-Amz-Algorithm") == "" && q.Get("X-Amz-Credential") == "" {
		return nil, errNoSignature
	}
	if alg := q.Get("X-Amz-Algorithm"); alg != sigV4Algorithm {
		return nil, errors.New("unsupported X-Amz-Algorithm " + strconv.Quote(alg))
	}
	s := &sigV4{Presigned: true, AmzDate: q.Get("X-Amz-Date"), Signature: q.Get("X-Amz-Signature"), SecurityToken: q.Get("X-Amz-Security-Token")}
	if err := s.setCredential(q.Get("X-Amz-Credential")); err != nil {
		return nil, err
	}
	s.SignedHeaders = strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
	secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || secs < 1 || secs > 604800 {
		return nil, errors.New("X-Amz-Expires must be 1..604800")
	}
	s.Expires = time.Duration(secs) * time.Second
	if s.Signature == "" || q.Get("X-Amz-SignedHeaders") == "" {
		return nil, errors.New("presigned URL lacks X-Amz-Signature or X-Amz-SignedHeaders")
	}
	return s, nil
}

func parseAuthorizationHeader(r *http.Request, auth string) (*sigV4, error) {
	alg, rest, ok := strings.Cut(auth, " ")
	if !ok || alg != sigV4Algorithm {
		return nil, errors.New("only AWS4-HMAC-SHA256 authorization is supported")
	}
	s := &sigV4{AmzDate: r.Header.Get("X-Amz-Date"), SecurityToken: r.Header.Get("X-Amz-Security-Token")}
	var credential, signed string
	for part := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			credential = v
		case "SignedHeaders":
			signed = v
		case "Signature":
			s.Signature = v
		}
	}
	if credential == "" || signed == "" || s.Signature == "" {
		return nil, errors.New("authorization header requires Credential, SignedHeaders and Signature")
	}
	if err := s.setCredential(credential); err != nil {
		return nil, err
	}
	s.SignedHeaders = strings.Split(signed, ";")
	if s.AmzDate == "" {
		return nil, errors.New("missing X-Amz-Date header")
	}
	return s, nil
}

func (s *sigV4) setCredential(credential string) error {
	parts := strings.Split(credential, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" {
		return errors.New("credential must be AKID/yyyymmdd/region/service/aws4_request, got " + strconv.Quote(credential))
	}
	s.AccessKeyID, s.Date, s.Region, s.Service = parts[0], parts[1], parts[2], parts[3]
	return nil
}

// verify recomputes the signature with secret, its signing key from keys.
// payloadHash is the hex SHA-256 of the body, or a literal such as
// UNSIGNED-PAYLOAD for S3.
func (s *sigV4) verify(r *http.Request, keys *signingKeys, secret, payloadHash string, now time.Time) error {
	t, err := time.Parse(amzDateLayout, s.AmzDate)
	if err != nil {
		return errors.New("X-Amz-Date is not in yyyymmddThhmmssZ form")
	}
	if !strings.HasPrefix(s.AmzDate, s.Date) {
		return errors.New("credential scope date does not match X-Amz-Date")
	}
	if s.Presigned && now.After(t.Add(s.Expires)) {
		return errPresignExpired
	}
	bp := signBufs.Get().(*[]byte)
	defer signBufs.Put(bp)
	buf := appendCanonicalRequest((*bp)[:0], r, s, payloadHash)
	sum := sha256.Sum256(buf)
	n := len(buf) // the string to sign follows the canonical request
	buf = append(buf, sigV4Algorithm+"\n"...)
	buf = append(buf, s.AmzDate...)
	buf = append(buf, '\n')
	buf = append(buf, s.Scope()...)
	buf = append(buf, '\n')
	buf = hex.AppendEncode(buf, sum[:])
	*bp = buf[:0]
	m := hmac.New(sha256.New, keys.key(secret, s.Date, s.Region, s.Service))
	m.Write(buf[n:])
	var mac [sha256.Size]byte
	var want [2 * sha256.Size]byte
	hex.Encode(want[:], m.Sum(mac[:0]))
	if !hmac.Equal(want[:], []byte(s.Signature)) {
		return errSignatureMismatch
	}
	return nil
}

var (
	errSignatureMismatch = errors.New("the request signature we calculated does not match the signature you provided")
	errPresignExpired    = errors.New("request has expired")
)

// signBufs recycles the buffers of canonical requests and strings to sign.
var signBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// signingKeys caches SigV4 signing keys by secret, date, region and
// service: each takes four HMAC-SHA256 computations to derive, and a scan
// signs thousands of requests with each (one key per credential, day,
// region and service). A nil cache derives every key. Safe for concurrent
// use.
type signingKeys struct {
	mu   sync.RWMutex
	keys map[signingScope][]byte
}

type signingScope struct{ secret, date, region, service string }

// maxSigningKeys bounds the cache: past it, it starts over (an emulator
// serving more credentials than this at once derives some keys again).
const maxSigningKeys = 4096

// key returns the signing key of secret in the scope date/region/service.
func (c *signingKeys) key(secret, date, region, service string) []byte {
	if c == nil {
		return deriveSigningKey(secret, date, region, service)
	}
	scope := signingScope{secret, date, region, service}
	c.mu.RLock()
	k, ok := c.keys[scope]
	c.mu.RUnlock()
	if ok {
		return k
	}
	k = deriveSigningKey(secret, date, region, service)
	c.mu.Lock()
	if c.keys == nil || len(c.keys) >= maxSigningKeys {
		c.keys = make(map[signingScope][]byte)
	}
	c.keys[scope] = k
	c.mu.Unlock()
	return k
}

func deriveSigningKey(secret, date, region, service string) []byte {
	key := hmacSHA256([]byte("AWS4"+secret), date)
	key = hmacSHA256(key, region)
	key = hmacSHA256(key, service)
	return hmacSHA256(key, "aws4_request")
}

// appendCanonicalRequest appends the SigV4 canonical request of r as
// received to b.
func appendCanonicalRequest(b []byte, r *http.Request, s *sigV4, payloadHash string) []byte {
	b = append(b, r.Method...)
	b = append(b, '\n')
	b = append(b, canonicalURI(r, s.Service)...)
	b = append(b, '\n')
	b = append(b, canonicalQuery(rawQuery(r), s.Presigned)...)
	b = append(b, '\n')
	for _, name := range s.SignedHeaders {
		b = append(b, name...)
		b = append(b, ':')
		b = appendCanonicalHeaderValue(b, r, name)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	for i, name := range s.SignedHeaders {
		if i > 0 {
			b = append(b, ';')
		}
		b = append(b, name...)
	}
	b = append(b, '\n')
	return append(b, payloadHash...)
}

// rawPath returns the path exactly as the client sent it.
func rawPath(r *http.Request) string {
	if r.RequestURI != "" && !strings.HasPrefix(r.RequestURI, "http") {
		p, _, _ := strings.Cut(r.RequestURI, "?")
		return p
	}
	return r.URL.EscapedPath()
}

func rawQuery(r *http.Request) string {
	if r.RequestURI != "" && !strings.HasPrefix(r.RequestURI, "http") {
		_, q, _ := strings.Cut(r.RequestURI, "?")
		return q
	}
	return r.URL.RawQuery
}

// canonicalURI: S3 signs the path as sent (no double encoding); other
// services sign the URI-encoded form of the already encoded path.
func canonicalURI(r *http.Request, service string) string {
	p := rawPath(r)
	if p == "" {
		p = "/"
	}
	if service == "s3" {
		return p
	}
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		segs[i] = uriEncode(seg)
	}
	return strings.Join(segs, "/")
}

// canonicalQuery sorts the decoded parameters by key then value and
// re-encodes them the RFC 3986 way; presigned requests leave out the
// signature itself.
func canonicalQuery(raw string, presigned bool) string {
	if raw == "" {
		return ""
	}
	type pair struct{ k, v string }
	var pairs []pair
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		dk, err := url.QueryUnescape(k)
		if err != nil {
			dk = k
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			dv = v
		}
		if presigned && dk == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, pair{uriEncode(dk), uriEncode(dv)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// uriEncode percent-encodes everything but the RFC 3986 unreserved set.
func uriEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// appendCanonicalHeaderValue appends the canonical value of header name:
// its values trimmed, runs of white space in each made one space, joined
// by commas.
func appendCanonicalHeaderValue(b []byte, r *http.Request, name string) []byte {
	var values []string
	switch name {
	case "host":
		return appendCanonicalValue(b, r.Host)
	case "content-length":
		values = r.Header.Values("Content-Length")
		if len(values) == 0 && r.ContentLength >= 0 {
			return strconv.AppendInt(b, r.ContentLength, 10)
		}
	case "transfer-encoding":
		values = r.TransferEncoding
	default:
		values = r.Header.Values(name)
	}
	for i, v := range values {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCanonicalValue(b, v)
	}
	return b
}

// appendCanonicalValue appends v with its white space (as strings.Fields
// finds it) trimmed and each run made one space.
func appendCanonicalValue(b []byte, v string) []byte {
	plain := true
	for i := 0; i < len(v) && plain; i++ {
		c := v[i]
		// ASCII but for white space, and no space at either end or next
		// to another: nothing to change.
		plain = c < utf8.RuneSelf && c > ' ' || c == ' ' && i > 0 && i < len(v)-1 && v[i-1] != ' '
	}
	if plain {
		return append(b, v...)
	}
	for i, f := range strings.Fields(v) {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, f...)
	}
	return b
}
