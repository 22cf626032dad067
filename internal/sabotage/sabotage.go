// Package sabotage serves, on loopback, an endpoint in front of another
// handler (the AWS emulator, internal/fakeaws) that forwards every request
// but answers chosen operations the way a broken or hostile endpoint does:
// a captive portal's HTML page, an empty 200, another document, a body that
// never ends, an answer dripped a byte at a time, a redirect to itself, a
// next-page token that never moves. Tests point the real SDK clients (or
// the ownerscan command) at it to show that no such answer is believed and
// that none holds a scan past its limits.
package sabotage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
)

// Mode is how a sabotaged request is answered.
type Mode string

// The modes. Each answers status 200 with the service's own Content-Type
// unless it says otherwise.
const (
	// HTML answers a captive portal's login page, as text/html.
	HTML Mode = "html"
	// Empty answers no body at all.
	Empty Mode = "empty"
	// WrongRoot answers a well-formed document of another operation (an
	// S3 ListBucketResult; for JSON services an object without the
	// operation's fields).
	WrongRoot Mode = "wrong-root"
	// EndlessBody answers the start of the real answer (up to its root
	// element) and then filler that never ends, chunked.
	EndlessBody Mode = "endless-body"
	// EndlessPage answers a listing page whose entries never end, every
	// one well formed: ListObjectVersions versions, ListBuckets buckets,
	// ListAccounts accounts. Other operations get EndlessBody.
	EndlessPage Mode = "endless-page"
	// NoEntries answers a well-formed last page of a listing with no
	// entry and no next-page token: ListObjectVersions, ListBuckets,
	// ListAccounts (the organization's listing, which in AWS names at least
	// the management account). Other operations get Empty.
	NoEntries Mode = "no-entries"
	// SlowDrip answers the real status and headers at once, then the real
	// body one byte every Rule.Interval.
	SlowDrip Mode = "slow-drip"
	// RedirectSelf answers 307 Temporary Redirect to the same URL.
	RedirectSelf Mode = "redirect-self"
	// StuckToken answers the real first page of a listing with a next-page
	// token (or, for ListObjectVersions, markers) that never moves, then
	// that same page to every later request.
	StuckToken Mode = "stuck-token"
)

// Rule picks requests to sabotage and says how.
type Rule struct {
	Operation string        // the SDK operation name: "ListBuckets", "GetBucketAcl", "AssumeRole", "ListAccounts"...
	Mode      Mode          //
	Bucket    string        // only requests for this bucket ("" = any)
	First     int           // only the first First matching requests (0 = all)
	Interval  time.Duration // SlowDrip: time between two bytes (default 100ms)
}

// StuckTokenValue is the next-page token StuckToken answers.
const StuckTokenValue = "sabotage-stuck-token"

// Proxy is a running sabotaging endpoint.
type Proxy struct {
	// URL is the endpoint's address, http://127.0.0.1:PORT.
	URL string

	srv   *httptest.Server
	next  http.Handler
	rules []Rule

	mu        sync.Mutex
	requests  map[string]int // per operation
	sabotaged map[string]int // per operation
	matched   []int          // per rule: requests it matched
	stuck     []*recorded    // per rule: the page StuckToken replays
	written   atomic.Int64   // bytes of endless and dripped bodies sent
}

// Start serves a Proxy in front of next (for instance the emulator's
// handler, or Forward's reverse proxy) until Close.
func Start(next http.Handler, rules ...Rule) *Proxy {
	p := &Proxy{next: next, rules: rules, requests: map[string]int{}, sabotaged: map[string]int{},
		matched: make([]int, len(rules)), stuck: make([]*recorded, len(rules))}
	p.srv = httptest.NewServer(p)
	p.URL = p.srv.URL
	return p
}

// Forward returns a handler that passes requests on to target (an
// http://host:port URL) unchanged, Host header included, so that signed
// requests still verify there.
func Forward(target string) (http.Handler, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("sabotage: target %q: %w", target, err)
	}
	return httputil.NewSingleHostReverseProxy(u), nil
}

// Close stops the endpoint; endless and dripping answers stop with it.
func (p *Proxy) Close() {
	p.srv.CloseClientConnections()
	p.srv.Close()
}

// Requests is how many requests of operation reached the endpoint.
func (p *Proxy) Requests(operation string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests[operation]
}

// Sabotaged is how many requests of operation were sabotaged.
func (p *Proxy) Sabotaged(operation string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sabotaged[operation]
}

// BytesSent is how many bytes of endless and dripped bodies were sent.
func (p *Proxy) BytesSent() int64 { return p.written.Load() }

// ServeHTTP forwards r, or sabotages it when a rule picks it.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	service, op, bucket := fakeaws.RequestOperation(r)
	p.mu.Lock()
	p.requests[op]++
	rule := -1
	for i, ru := range p.rules {
		if ru.Operation == op && (ru.Bucket == "" || ru.Bucket == bucket) && (ru.First == 0 || p.matched[i] < ru.First) {
			p.matched[i]++
			rule = i
			break
		}
	}
	if rule >= 0 {
		p.sabotaged[op]++
	}
	p.mu.Unlock()
	if rule < 0 {
		p.next.ServeHTTP(w, r)
		return
	}
	ru := p.rules[rule]
	ct := contentType(service)
	switch ru.Mode {
	case HTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, portalPage)
	case Empty:
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	case WrongRoot:
		w.Header().Set("Content-Type", ct)
		if service == "organizations" {
			io.WriteString(w, `{"Unexpected": true}`)
		} else {
			io.WriteString(w, otherDocument)
		}
	case RedirectSelf:
		w.Header().Set("Location", "http://"+r.Host+r.URL.RequestURI())
		w.WriteHeader(http.StatusTemporaryRedirect)
	case SlowDrip:
		p.drip(w, r, ru.Interval)
	case EndlessPage:
		if head, entry, ok := endlessPage(op, bucket); ok {
			w.Header().Set("Content-Type", ct)
			p.endless(w, r, []byte(head), entry)
			return
		}
		p.endlessBody(w, r, ct)
	case NoEntries:
		w.Header().Set("Content-Type", ct)
		if head, _, ok := endlessPage(op, bucket); ok {
			io.WriteString(w, head+listingEnd[op])
		}
	case EndlessBody:
		p.endlessBody(w, r, ct)
	case StuckToken:
		p.stuckPage(w, r, rule, op)
	default:
		http.Error(w, "sabotage: unknown mode "+string(ru.Mode), http.StatusNotImplemented)
	}
}

// contentType is what the service sends with its answers.
func contentType(service string) string {
	switch service {
	case "sts":
		return "text/xml"
	case "organizations":
		return "application/x-amz-json-1.1"
	}
	return "application/xml"
}

const portalPage = `<!DOCTYPE html>
<html><head><title>Network login</title></head>
<body><h1>Please sign in to continue</h1><form method="post" action="/login"><input name="user"></form></body></html>
`

const otherDocument = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>sabotage</Name><IsTruncated>false</IsTruncated><Owner><ID>sabotage</ID></Owner></ListBucketResult>`

// recorded is an answer of the handler behind the proxy.
type recorded struct {
	status int
	header http.Header
	body   []byte
}

// record serves r with the handler behind the proxy, into memory.
func (p *Proxy) record(r *http.Request) *recorded {
	rec := httptest.NewRecorder()
	p.next.ServeHTTP(rec, r)
	return &recorded{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func (a *recorded) writeTo(w http.ResponseWriter) {
	for k, v := range a.header {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(a.status)
	w.Write(a.body)
}

// drip sends the real answer's status and headers, then its body one byte
// at a time.
func (p *Proxy) drip(w http.ResponseWriter, r *http.Request, interval time.Duration) {
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	a := p.record(r)
	for k, v := range a.header {
		w.Header()[k] = v
	}
	w.WriteHeader(a.status)
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for i := range a.body {
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
		}
		if _, err := w.Write(a.body[i : i+1]); err != nil {
			return
		}
		p.written.Add(1)
		if flusher != nil {
			flusher.Flush()
		}
	}
}

// endlessBody sends the start of the real answer, up to and including its
// root element's start tag (or a JSON object's opening brace and a string
// that never closes), then filler until the client hangs up.
func (p *Proxy) endlessBody(w http.ResponseWriter, r *http.Request, ct string) {
	a := p.record(r)
	head, filler := a.body, []byte("sabotage ")
	if i := bytes.IndexByte(a.body, '{'); ct == contentType("organizations") && i >= 0 {
		head, filler = append(append([]byte(nil), a.body[:i+1]...), `"Filler":"`...), []byte("x")
	} else if end := rootStartEnd(a.body); end > 0 {
		head = a.body[:end]
	}
	w.Header().Set("Content-Type", ct)
	p.endless(w, r, head, func(int) string { return string(filler) })
}

// rootStartEnd is the offset just after an XML document's root start tag
// (after any declaration), 0 when there is none.
func rootStartEnd(doc []byte) int {
	for i := 0; i < len(doc); {
		j := bytes.IndexByte(doc[i:], '<')
		if j < 0 || i+j+1 >= len(doc) {
			return 0
		}
		i += j
		end := bytes.IndexByte(doc[i:], '>')
		if end < 0 {
			return 0
		}
		if c := doc[i+1]; c != '?' && c != '!' {
			return i + end + 1
		}
		i += end + 1
	}
	return 0
}

// endless writes head, then entry(0), entry(1), ... in chunks until the
// client hangs up.
func (p *Proxy) endless(w http.ResponseWriter, r *http.Request, head []byte, entry func(i int) string) {
	w.WriteHeader(http.StatusOK)
	buf := append([]byte(nil), head...)
	for i := 0; r.Context().Err() == nil; i++ {
		buf = append(buf, entry(i)...)
		if len(buf) < 32<<10 {
			continue
		}
		n, err := w.Write(buf)
		p.written.Add(int64(n))
		if err != nil {
			return
		}
		buf = buf[:0]
	}
}

// endlessPage is the start of a listing page of op and its i-th entry,
// well formed for ever; ok is false for an operation that lists nothing.
func endlessPage(op, bucket string) (head string, entry func(int) string, ok bool) {
	const decl = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"
	switch op {
	case "ListObjectVersions":
		return decl + `<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>` + bucket + `</Name><IsTruncated>false</IsTruncated>`,
			func(i int) string {
				return fmt.Sprintf(`<Version><Key>sabotage/%09d</Key><VersionId>v%d</VersionId><IsLatest>true</IsLatest>`+
					`<LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>&quot;x&quot;</ETag><Size>1</Size>`+
					`<Owner><ID>sabotage-owner</ID></Owner><StorageClass>STANDARD</StorageClass></Version>`, i, i)
			}, true
	case "ListBuckets":
		return decl + `<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>sabotage</ID></Owner><Buckets>`,
			func(i int) string {
				return fmt.Sprintf(`<Bucket><Name>sabotage-%09d</Name><CreationDate>2024-01-01T00:00:00.000Z</CreationDate></Bucket>`, i)
			}, true
	case "ListAccounts", "ListAccountsForParent":
		return `{"Accounts":[`, func(i int) string {
			return fmt.Sprintf(`{"Id":"%012d","Name":"sabotage","Status":"ACTIVE","State":"ACTIVE"},`, 900000000000+i)
		}, true
	}
	return "", nil, false
}

// listingEnd closes an endlessPage head after its last entry.
var listingEnd = map[string]string{
	"ListObjectVersions":    `</ListVersionsResult>`,
	"ListBuckets":           `</Buckets></ListAllMyBucketsResult>`,
	"ListAccounts":          `]}`,
	"ListAccountsForParent": `]}`,
}

// stuckPage answers the first request of a StuckToken rule with the real
// page, its next-page token set to StuckTokenValue, and every later one
// with that same page.
func (p *Proxy) stuckPage(w http.ResponseWriter, r *http.Request, rule int, op string) {
	p.mu.Lock()
	page := p.stuck[rule]
	p.mu.Unlock()
	if page == nil {
		page = p.record(r)
		if page.status == http.StatusOK {
			page.body = withStuckToken(op, page.body)
		}
		p.mu.Lock()
		if p.stuck[rule] == nil {
			p.stuck[rule] = page
		}
		page = p.stuck[rule]
		p.mu.Unlock()
	}
	page.writeTo(w)
}

var (
	continuationToken = regexp.MustCompile(`<ContinuationToken>[^<]*</ContinuationToken>`)
	isTruncated       = regexp.MustCompile(`<IsTruncated>[^<]*</IsTruncated>`)
	nextMarkers       = regexp.MustCompile(`<Next(KeyMarker|VersionIdMarker)>[^<]*</Next(KeyMarker|VersionIdMarker)>`)
)

// withStuckToken rewrites a listing page to ask for a next page that is
// always the same.
func withStuckToken(op string, body []byte) []byte {
	switch op {
	case "ListBuckets":
		tok := []byte("<ContinuationToken>" + StuckTokenValue + "</ContinuationToken>")
		if continuationToken.Match(body) {
			return continuationToken.ReplaceAll(body, tok)
		}
		return bytes.Replace(body, []byte("</ListAllMyBucketsResult>"), append(tok, "</ListAllMyBucketsResult>"...), 1)
	case "ListObjectVersions":
		body = nextMarkers.ReplaceAll(body, nil)
		return isTruncated.ReplaceAll(body, []byte("<IsTruncated>true</IsTruncated><NextKeyMarker>"+StuckTokenValue+
			"</NextKeyMarker><NextVersionIdMarker>"+StuckTokenValue+"</NextVersionIdMarker>"))
	}
	var doc map[string]any
	if json.Unmarshal(body, &doc) != nil {
		return body
	}
	doc["NextToken"] = StuckTokenValue
	out, err := json.Marshal(doc)
	if err != nil {
		return body
	}
	return out
}

// String describes a rule, for test names.
func (r Rule) String() string {
	s := r.Operation + " " + string(r.Mode)
	if r.Bucket != "" {
		s += " on " + r.Bucket
	}
	if r.First > 0 {
		s += fmt.Sprintf(" (first %d)", r.First)
	}
	return strings.TrimSpace(s)
}
