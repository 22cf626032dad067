package versionlist

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ownerscan/ownerscan/internal/answer"
	"github.com/ownerscan/ownerscan/internal/sdkswap"
)

// Lister is the one S3 call this package makes, with the SDK's own method
// signature: *s3.Client satisfies it. A Lister that is not an *s3.Client
// (or that ignores the option functions) still works: its outputs are
// converted from the SDK's types instead of fast-decoded.
type Lister interface {
	ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, optFns ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
}

// deserializerID is the ID of the SDK's operation deserializer in the
// Deserialize step.
const deserializerID = sdkswap.DeserializerID

// pageKey carries a fast-decoded *Page in the output's ResultMetadata.
type pageKey struct{}

// bodyPool recycles response-body buffers: a 1,000-version page is a few
// hundred KiB, and reading it into a fresh buffer per page would dominate
// the allocation profile.
var bodyPool = sync.Pool{New: func() any { return new([]byte) }}

// MaxPageBytes bounds the body of one ListObjectVersions answer. A page
// holds at most 1,000 versions and delete markers, each at most about
// 3.5 KB (a 1,024-byte key URL-encoded to at most 3 KB, plus version ID,
// ETag, owner, date and tags): about 3.5 MB at worst, usually 200-400 KB.
// A longer body is not a page (an endless or runaway answer): reading
// stops there and the call fails, retried like a 5xx.
const MaxPageBytes = 8 << 20

// maxPageEntries is the most versions and delete markers a page holds,
// whatever MaxKeys asked for.
const maxPageEntries = 1000

// bodyReaders bounds how many response bodies are read and decoded at once
// in the process, and so how many page-sized buffers (a few hundred KiB
// each) are live: with 64 requests in flight, bodies read as soon as their
// headers arrived held up to 64 buffers, and the peak memory of a scan
// depended on how many happened to overlap at a GC (more often in a long
// scan, so peak memory grew with the bucket's size). A body waiting its turn stays in the
// kernel's socket buffers. Decoding is CPU work, so more readers than
// cores gain nothing on loopback; 8 still read about 2,000 pages a second
// over a 100 MB/s network (3 ms per body), more than 64 requests in
// flight at real S3 latencies ask for.
var bodyReaders = make(chan struct{}, 8)

// decoderPool recycles Decoders (their scratch space and owner interning).
var decoderPool = sync.Pool{New: func() any { return new(Decoder) }}

// fastDeserializer stands in for the SDK's ListObjectVersions deserializer.
// On a 2xx response it reads the body and fast-decodes it into dst; when
// that fails, or on any other response, it hands the (buffered) body to the
// SDK's own deserializer, so errors, retries and odd documents behave
// exactly as without it.
type fastDeserializer struct {
	orig middleware.DeserializeMiddleware
	dst  *Page
}

func (*fastDeserializer) ID() string { return deserializerID }

func (m *fastDeserializer) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
	middleware.DeserializeOutput, middleware.Metadata, error,
) {
	out, md, err := next.HandleDeserialize(ctx, in)
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if err != nil || !ok || resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return m.orig.HandleDeserialize(ctx, in, sdkswap.Replay{Out: out, Metadata: md, Err: err})
	}
	select {
	case bodyReaders <- struct{}{}:
	case <-ctx.Done():
		resp.Body.Close()
		return out, md, ctx.Err()
	}
	defer func() { <-bodyReaders }()
	bufp := bodyPool.Get().(*[]byte)
	defer putBody(bufp)
	buf := (*bufp)[:0]
	if n := int(resp.ContentLength) + 512; resp.ContentLength > 0 && resp.ContentLength <= MaxPageBytes && n > cap(buf) {
		// Room for the whole body and the read that sees its end.
		buf = make([]byte, 0, n)
	}
	buf, release, readErr := readPage(ctx, buf, resp.Body)
	defer release() // after decoding: buf may be largeBody's
	*bufp = buf     // putBody keeps it only if it is small
	resp.Body.Close()
	var tooLarge *answer.Error
	if errors.As(readErr, &tooLarge) {
		return out, md, tooLarge
	}
	if readErr == nil {
		dec := decoderPool.Get().(*Decoder)
		decErr := dec.Decode(buf, m.dst)
		decoderPool.Put(dec)
		if decErr == nil {
			out.Result = &s3.ListObjectVersionsOutput{IsTruncated: aws.Bool(m.dst.IsTruncated)}
			md.Set(pageKey{}, m.dst)
			return out, md, nil
		}
	}
	// Let the SDK see exactly the bytes (and read error) it would have seen.
	resp.Body = io.NopCloser(sdkswap.Replayed(buf, readErr))
	out, md, err = m.orig.HandleDeserialize(ctx, in, sdkswap.Replay{Out: out, Metadata: md})
	if err == nil {
		if problem := checkSDKPage(buf, out.Result); problem != "" {
			return out, md, &answer.Error{Operation: opName, Problem: problem, Excerpt: answer.Excerpt(buf)}
		}
	}
	return out, md, err
}

// largeBodyBytes is where a page counts as large: far above what 1,000
// versions of ordinary keys take (200-500 KB). Reading a body past it takes
// largeBody.
const largeBodyBytes = 1 << 20

// largeBody is the process's one buffer for the part of a body past
// largeBodyBytes, and the right to read (and decode) such a body: one at a
// time. bodyReaders alone let 8 buffers grow to MaxPageBytes: with every
// page of 100 buckets answered by a page that never ends, the scan peaked
// over 200 MiB. The buffer is reused rather than allocated per body: an
// endless body after another would leave 8 MiB after 8 MiB to the
// collector. It is allocated by the first large body, and only then. Real
// pages that large are rare (keys near the 1,024-byte maximum), so they
// queue here at no cost elsewhere.
var largeBody = func() chan *[]byte {
	c := make(chan *[]byte, 1)
	c <- new([]byte)
	return c
}()

// readPage reads the body of a page into buf (empty), up to MaxPageBytes,
// and the part past largeBodyBytes into largeBody's buffer. release must
// be called once the page is no longer used.
func readPage(ctx context.Context, buf []byte, body io.Reader) (page []byte, release func(), err error) {
	page, err = answer.AppendAll(buf, body, largeBodyBytes, opName)
	if !errors.As(err, new(*answer.Error)) {
		return page, func() {}, err
	}
	var large *[]byte
	select {
	case large = <-largeBody:
	case <-ctx.Done():
		return page, func() {}, ctx.Err()
	}
	release = func() { largeBody <- large }
	big := *large
	if cap(big) < MaxPageBytes+1 {
		big = make([]byte, 0, MaxPageBytes+1)
	}
	big = append(big[:0], page...)
	page, err = answer.AppendAll(big, body, MaxPageBytes-len(big), opName)
	*large = page[:0]
	if errors.As(err, new(*answer.Error)) {
		return nil, release, answer.TooLarge(opName, MaxPageBytes, page)
	}
	return page, release, err
}

// opName is the operation this package calls, as errors name it.
const opName = "ListObjectVersions"

// checkSDKPage says what a page the SDK's deserializer read from body lacks
// to be a ListObjectVersions answer ("" when nothing): the SDK reads an
// empty body, an HTML page or another document as a page with every field
// absent, the last page of an empty bucket.
func checkSDKPage(body []byte, result any) string {
	// The SDK reads any root element as the result's.
	if problem := answer.XMLProblem(body, "ListVersionsResult"); problem != "" {
		return problem
	}
	page, ok := result.(*s3.ListObjectVersionsOutput)
	if !ok {
		return "not a ListObjectVersions result"
	}
	return PageProblem(page)
}

// PageProblem says what a ListObjectVersions output, as the SDK decoded
// it, lacks to be a page ("" when nothing): every page says whether more
// follow, and holds at most 1,000 versions and delete markers.
func PageProblem(page *s3.ListObjectVersionsOutput) string {
	switch {
	case page.IsTruncated == nil:
		return "no IsTruncated in the answer"
	case len(page.Versions)+len(page.DeleteMarkers) > maxPageEntries:
		return "more than 1,000 versions and delete markers in one page"
	}
	return ""
}

// putBody returns a body buffer to the pool unless it grew past what a page
// of ordinary keys needs (largeBodyBytes): the pool would keep it alive.
func putBody(b *[]byte) {
	if cap(*b) <= largeBodyBytes {
		*b = (*b)[:0]
		bodyPool.Put(b)
	}
}

// withFastDecoding returns the option that swaps the SDK's deserializer of
// one ListObjectVersions call for fastDeserializer decoding into dst. If
// the stack has no such step, the call keeps the SDK's deserializer (see
// swapguard.go).
func withFastDecoding(dst *Page) func(*s3.Options) {
	return func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			fd := &fastDeserializer{dst: dst}
			if orig, err := stack.Deserialize.Swap(deserializerID, fd); err == nil {
				fd.orig = orig
			}
			return nil
		})
	}
}

// ListPage makes one ListObjectVersions call through c and returns its page,
// fast-decoded when c is an SDK client and the body is understood,
// converted from the SDK's output otherwise.
func ListPage(ctx context.Context, c Lister, in *s3.ListObjectVersionsInput) (*Page, error) {
	p := new(Page)
	if _, err := listPageInto(ctx, c, in, p, false); err != nil {
		return nil, err
	}
	return p, nil
}

// listPageInto fills p with one page; fast reports whether the fast decoder
// produced it. sdkOnly skips the fast decoder (for comparisons).
func listPageInto(ctx context.Context, c Lister, in *s3.ListObjectVersionsInput, p *Page, sdkOnly bool) (fast bool, err error) {
	var out *s3.ListObjectVersionsOutput
	if sdkOnly {
		out, err = c.ListObjectVersions(ctx, in)
	} else {
		out, err = c.ListObjectVersions(ctx, in, withFastDecoding(p))
	}
	if err != nil {
		return false, err
	}
	if got, ok := out.ResultMetadata.Get(pageKey{}).(*Page); ok && got == p {
		return true, nil
	}
	if err := pageFromSDK(out, p); err != nil {
		return false, err
	}
	return false, nil
}

// ErrBadEncoding is returned when a URL-encoded page holds a malformed escape.
var ErrBadEncoding = errors.New("versionlist: malformed URL encoding in ListObjectVersions response")
