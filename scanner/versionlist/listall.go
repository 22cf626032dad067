package versionlist

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/semaphore"
)

// Options tune ListAll.
type Options struct {
	// Parallelism is how many ListObjectVersions requests of this bucket
	// may be in flight at once (default 8). 1 lists serially.
	Parallelism int
	// Budget, when set, is a limit shared with other work (other buckets,
	// other calls): every request holds one unit of it while in flight.
	Budget *semaphore.Weighted
	// MaxVersions stops the listing after that many entries (0: no limit);
	// ListAll then returns ErrMaxVersions if the bucket held more.
	MaxVersions int64
	// SDKDecoder decodes pages with the SDK's deserializer instead of the
	// fast decoder, for comparisons.
	SDKDecoder bool
	// MaxKeys is the page size asked for (0: S3's default, 1,000).
	MaxKeys int32
	// Logger receives a debug line per bucket (default: discard).
	Logger *slog.Logger
	// SerialPages is how many pages the first range lists one after
	// another before the bucket is split (default 1: split as soon as the
	// first page is truncated). Splitting costs extra calls (see Stats), so
	// a caller counting calls lists small buckets serially.
	SerialPages int
	// Spare, when set, reports how many more requests could start now
	// without waiting behind other work (e.g. free slots of a budget the
	// caller's client enforces). Ranges are split only into spare
	// capacity: while the caller's other work keeps every slot busy, a
	// split would only add calls.
	Spare func() int
}

// defaultMaxKeys is S3's page size when MaxKeys is not sent.
const defaultMaxKeys = 1000

// ErrMaxVersions is returned by ListAll when it stopped at
// Options.MaxVersions and the bucket held more entries.
var ErrMaxVersions = errors.New("versionlist: stopped at the maximum number of versions")

// Stats describe one ListAll run.
type Stats struct {
	Calls   int64 // ListObjectVersions requests made
	Ranges  int   // key ranges listed
	Entries int64 // entries emitted
	// Received counts entries decoded, including those beyond their
	// range's bound (listed again by the next range): Received - Entries
	// is the overlap that splitting costs.
	Received int64
	// EmptyCalls are requests that yielded no entry of their range
	// (probes past the last key, or a range already covered).
	EmptyCalls int64
	// HeldBack counts requests sent later than they could have been
	// because more than maxWaiting decoded pages waited to be handled.
	HeldBack int64
}

// ListAll lists every object version and delete marker of bucket exactly
// once and hands them to emit, page by page.
//
// The key space is split into disjoint ranges (after, upto]: a range's
// lister starts with key-marker=after, follows NextKeyMarker and
// NextVersionIdMarker (so versions of one key that span pages continue
// where they stopped), and keeps only entries whose key is <= upto, ending
// at the first key beyond. Every key, and so every version of it, falls in
// exactly one range. Ranges are split while they are being listed, at
// markers above the last key-marker their lister used, so nothing already
// emitted moves; split markers come from the bucket's common prefixes
// (one Delimiter "/" request once the bucket proves larger than a page)
// and from the keys seen (see splitMarkers).
//
// A bucket that fits in one page costs exactly one request.
//
// emit is never called concurrently: each call starts after the previous
// one returned (from whichever goroutine fetched the page); pages of
// different ranges interleave. It must not keep the *Page or its
// Entries slice after returning (both are reused); the strings in entries
// may be kept. An error from emit stops the listing and is returned.
func ListAll(ctx context.Context, c Lister, bucket string, opts Options, emit func(*Page) error) error {
	_, err := ListAllStats(ctx, c, bucket, opts, emit)
	return err
}

// ListAllStats is ListAll, also returning what the listing cost.
func ListAllStats(ctx context.Context, c Lister, bucket string, opts Options, emit func(*Page) error) (Stats, error) {
	if opts.Parallelism <= 0 {
		opts.Parallelism = 8
	}
	opts.SerialPages = max(opts.SerialPages, 1)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if !opts.SDKDecoder && !sdkDecoderGuard.fastDecodingAvailable(opts.Logger) {
		opts.SDKDecoder = true
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	l := &lister{
		ctx: ctx, c: c, bucket: bucket, opts: opts, emit: emit,
	}
	if opts.Parallelism == 1 {
		l.discovery = discoveryDone
	}
	err := l.run(cancel)
	l.opts.Logger.Debug("listed bucket versions", "component", "versionlist", "bucket", bucket,
		"calls", l.stats.Calls, "ranges", len(l.ranges), "entries", l.stats.Entries, "error", err)
	l.stats.Ranges = len(l.ranges)
	return l.stats, err
}

// keyRange is the part (after, upto] of the key space one lister covers.
type keyRange struct {
	upto      string // inclusive upper bound, when bounded
	bounded   bool
	hint      string // for unbounded ranges: no key is expected above it
	keyMarker string // the next request's markers
	verMarker string
	first     string // first key this range received
	pages     int    // pages that held entries
	done      bool
	cache     estimateCache
	// For pages that do not advance (see advance): version-ID markers
	// already followed within keyMarker's key, and truncated pages in a
	// row that held no entry.
	verFollowed map[string]struct{}
	emptyRun    int
}

type fetched struct {
	r    *keyRange // nil: the discovery request
	page *Page
	err  error
}

const (
	discoveryNone = iota
	discoveryInFlight
	discoveryDone
)

type lister struct {
	ctx    context.Context
	c      Lister
	bucket string
	opts   Options
	emit   func(*Page) error

	cancel context.CancelFunc
	idle   chan struct{} // closed when the last request is processed

	// qmu guards the responses waiting to be handled (see process).
	qmu      sync.Mutex
	queue    []fetched
	handling bool         // a goroutine is draining queue
	waiting  atomic.Int64 // len(queue), for pause

	// mu guards everything below, and emit: see process.
	mu         sync.Mutex
	inFlight   int
	firstErr   error
	paused     []*keyRange // ranges whose next request pause held back
	ranges     []*keyRange
	free       []*Page
	sigma      positionAlphabets
	boundaries []string // sorted split markers learned from common prefixes
	discovery  int
	stats      Stats
	stopped    bool  // MaxVersions reached or an error: drain only
	kept       int64 // entries absorbed into their ranges so far
	moreLeft   bool  // a range stopped at MaxVersions with entries left
}

// limitReached reports whether the entries absorbed so far reach
// MaxVersions: no further request is worth making.
func (l *lister) limitReached() bool {
	return l.opts.MaxVersions > 0 && l.kept >= l.opts.MaxVersions
}

func (l *lister) run(cancel context.CancelFunc) error {
	l.cancel = cancel
	l.idle = make(chan struct{})
	root := &keyRange{}
	l.mu.Lock()
	l.ranges = append(l.ranges, root)
	l.fetch(root, nil)
	l.mu.Unlock()
	<-l.idle
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.firstErr == nil && l.moreLeft {
		l.firstErr = ErrMaxVersions
	}
	return l.firstErr
}

// process takes one response from the goroutine that fetched it. The
// responses are handled one at a time, in arrival order, by whichever
// fetching goroutine found nobody handling them: it drains the queue,
// including what lands meanwhile, and the others just queue their page
// and end. A handling goroutine is one already running, and it keeps
// running while pages come, so none waits to be scheduled per page: a
// single processing goroutine fed by a channel, or a mutex handed from
// waiter to waiter, let up to 55 decoded pages (about 150 KiB each) pile
// up while both cores were busy, and a long scan met a GC at such a pile
// more often than a short one, so peak memory grew with the bucket's size.
//
// It cannot deadlock the scan: the response's request slot, if the client
// enforces a budget, was released when the response was decoded, so a
// goroutine that queues a page holds no slot, nor does the one handling
// the queue while emit blocks (e.g. on work the caller does elsewhere
// with that budget).
func (l *lister) process(res fetched) {
	l.qmu.Lock()
	l.queue = append(l.queue, res)
	l.waiting.Add(1)
	if l.handling {
		l.qmu.Unlock()
		return
	}
	l.handling = true
	for len(l.queue) > 0 {
		next := l.queue[0]
		l.queue[0] = fetched{}
		l.queue = l.queue[1:]
		l.waiting.Add(-1)
		l.qmu.Unlock()
		l.mu.Lock()
		l.handle(next)
		l.mu.Unlock()
		l.qmu.Lock()
	}
	l.handling = false
	l.qmu.Unlock()
}

// handle applies one response to the listing and emits its entries
// (holding l.mu: emit calls never overlap).
func (l *lister) handle(res fetched) {
	defer func() {
		l.recycle(res.page)
		l.resume()
		if l.inFlight--; l.inFlight == 0 {
			close(l.idle)
		}
	}()
	if res.err != nil || l.stopped {
		if res.err != nil && l.firstErr == nil && !l.stopped {
			l.stop(res.err)
		}
		return
	}
	if res.r == nil {
		l.absorbDiscovery(res.page)
		l.fill()
		return
	}
	root := l.ranges[0]
	if err := l.absorb(res.r, res.page); err != nil {
		l.stop(err)
		return
	}
	if l.discovery == discoveryNone && !res.r.done && res.r == root && root.pages >= l.opts.SerialPages {
		l.discovery = discoveryInFlight
		l.fetch(nil, &s3.ListObjectVersionsInput{Delimiter: aws.String("/"), KeyMarker: aws.String(root.keyMarker)})
	}
	l.fill()
	if err := l.emitPage(res.page); err != nil {
		l.stop(err)
	}
}

// maxWaiting is how many of a listing's decoded pages may wait to be
// handled before the listing holds back its next requests: while the
// handling goroutine is descheduled (every core busy), responses keep
// landing, and each waiting page holds about 150 KiB (entries and their
// strings). Holding back requests, rather than making responses wait to
// be decoded, never holds a request slot.
const maxWaiting = 8

// pause holds back r's next request while too many pages wait (see
// maxWaiting); resume sends it later.
func (l *lister) pause(r *keyRange) bool {
	if l.waiting.Load() <= maxWaiting {
		return false
	}
	l.paused = append(l.paused, r)
	l.stats.HeldBack++
	return true
}

// resume sends the requests pause held back, once the pages waiting are
// down to half of maxWaiting, or when this is the last response in flight
// (so the listing cannot stall with requests held back).
func (l *lister) resume() {
	if len(l.paused) == 0 || l.waiting.Load() > maxWaiting/2 && l.inFlight > 1 {
		return
	}
	paused := l.paused
	l.paused = nil
	for _, r := range paused {
		if !l.stopped {
			l.fetch(r, nil)
		}
	}
}

// stop ends the listing with err: requests still in flight are cancelled
// and their responses only drained.
func (l *lister) stop(err error) {
	l.firstErr, l.stopped = err, true
	l.cancel()
}

// recycle keeps p for the next request, its Entries array back in the
// pool until a response is decoded into it.
func (l *lister) recycle(p *Page) {
	p.releaseEntries()
	l.free = append(l.free, p)
}

// fetch starts one request: the next page of r, or (r nil) the discovery
// request described by in.
func (l *lister) fetch(r *keyRange, in *s3.ListObjectVersionsInput) {
	if in == nil {
		in = &s3.ListObjectVersionsInput{}
		if r.keyMarker != "" {
			in.KeyMarker = aws.String(r.keyMarker)
		}
		if r.verMarker != "" {
			in.VersionIdMarker = aws.String(r.verMarker)
		}
	}
	in.Bucket = aws.String(l.bucket)
	in.EncodingType = types.EncodingTypeUrl
	maxKeys := int64(l.opts.MaxKeys)
	if r != nil && l.opts.MaxVersions > 0 {
		// Ask for no more than the limit leaves, as a serial listing
		// stopping at the limit would.
		if maxKeys <= 0 {
			maxKeys = defaultMaxKeys
		}
		maxKeys = max(1, min(maxKeys, l.opts.MaxVersions-l.kept))
	}
	if maxKeys > 0 {
		in.MaxKeys = aws.Int32(int32(maxKeys))
	}
	var p *Page
	if n := len(l.free); n > 0 {
		p, l.free = l.free[n-1], l.free[:n-1]
	} else {
		p = new(Page)
	}
	l.inFlight++
	l.stats.Calls++
	go func() { l.process(fetched{r, p, l.get(in, p)}) }()
}

// get makes one request into p, holding a unit of Options.Budget (if
// any) only while the request is made: not while the page is processed.
func (l *lister) get(in *s3.ListObjectVersionsInput, p *Page) error {
	if b := l.opts.Budget; b != nil {
		if err := b.Acquire(l.ctx, 1); err != nil {
			return err
		}
		defer b.Release(1)
	}
	_, err := listPageInto(l.ctx, l.c, in, p, l.opts.SDKDecoder)
	if err != nil {
		return fmt.Errorf("versionlist: list versions of %s after %q: %w", l.bucket, aws.ToString(in.KeyMarker), err)
	}
	return nil
}

// absorb applies one page to its range: drops entries beyond the range,
// advances the markers, and starts the range's next request.
func (l *lister) absorb(r *keyRange, p *Page) error {
	l.stats.Received += int64(len(p.Entries))
	if len(p.Entries) > 0 {
		k := p.Entries[0].Key
		if k < r.keyMarker || k == r.keyMarker && r.verMarker == "" {
			return fmt.Errorf("versionlist: %s: key %q listed after key-marker %q", l.bucket, k, r.keyMarker)
		}
	}
	// Keep the entries of this range; any key beyond it ends the range.
	// (S3 sorts by key, so these are a prefix of the page; filtering does
	// not rely on it.)
	kept, beyond := p.Entries[:0], false
	for _, e := range p.Entries {
		if r.bounded && e.Key > r.upto {
			beyond = true
			continue
		}
		kept = append(kept, e)
	}
	p.Entries = kept
	cut := len(kept)
	if cut == 0 {
		l.stats.EmptyCalls++
	}
	switch {
	case beyond || !p.IsTruncated:
		r.done = true
	case r.bounded && p.NextKeyMarker > r.upto:
		r.done = true
	default:
		if err := l.advance(r, p, cut); err != nil {
			return err
		}
	}
	if cut > 0 {
		if r.pages == 0 {
			r.first = p.Entries[0].Key
		}
		r.pages++
		for i := 0; i < cut; i += 97 {
			l.sigma.add(p.Entries[i].Key)
		}
		l.sigma.add(p.Entries[cut-1].Key)
	}
	l.kept += int64(cut)
	switch {
	case r.done:
	case l.opts.MaxVersions > 0 && (l.kept > l.opts.MaxVersions || l.kept == l.opts.MaxVersions && !r.bounded):
		// More than MaxVersions were seen, or the last range is at the
		// limit and S3 said its listing goes on: no request is made to
		// show it. (A bounded range at the limit asks for one entry, as
		// the keys after its marker may lie beyond its bound.)
		l.moreLeft = true
	case l.pause(r):
	default:
		l.fetch(r, nil)
	}
	return nil
}

// maxEmptyPages is how many truncated pages in a row without an entry a
// range accepts: S3 fills a page up to MaxKeys, so even one is odd.
const maxEmptyPages = 10

// advance moves r's markers to the next page's, failing when the listing
// does not move forward: a truncated page without NextKeyMarker, markers
// that stay or go back, version-ID markers of one key that come round
// again, or maxEmptyPages empty pages in a row. Otherwise a server could
// make the listing run for ever on the same page.
func (l *lister) advance(r *keyRange, p *Page, kept int) error {
	next, nextVer := p.NextKeyMarker, p.NextVersionIDMarker
	if kept > 0 {
		r.emptyRun = 0
	} else if r.emptyRun++; r.emptyRun >= maxEmptyPages {
		return fmt.Errorf("versionlist: %s: listing does not advance: %d truncated pages in a row without an entry", l.bucket, r.emptyRun)
	}
	switch {
	case next == "":
		return fmt.Errorf("versionlist: %s: truncated page without NextKeyMarker", l.bucket)
	case next < r.keyMarker || next == r.keyMarker && nextVer == r.verMarker:
		return fmt.Errorf("versionlist: %s: listing does not advance past %q", l.bucket, r.keyMarker)
	case next == r.keyMarker:
		// More versions of the same key (only a key with more versions
		// than a page pays for this): each version-ID marker once.
		if r.verFollowed == nil {
			r.verFollowed = map[string]struct{}{}
		}
		r.verFollowed[r.verMarker] = struct{}{}
		if _, again := r.verFollowed[nextVer]; again {
			return fmt.Errorf("versionlist: %s: listing does not advance: version-ID marker %q of %q came round again", l.bucket, nextVer, next)
		}
	default:
		r.verFollowed = nil
	}
	r.keyMarker, r.verMarker = next, nextVer
	return nil
}

// absorbDiscovery learns split markers from the common prefixes after the
// first page: the keys under prefix P lie in (P, prefixEnd(P)].
func (l *lister) absorbDiscovery(p *Page) {
	l.discovery = discoveryDone
	root := l.ranges[0]
	var marks []string
	for _, cp := range p.CommonPrefixes {
		l.sigma.add(cp)
		for _, m := range []string{cp, prefixEnd(cp)} {
			if m > root.keyMarker {
				marks = append(marks, m)
			}
		}
	}
	last := ""
	if n := len(p.Entries); n > 0 {
		last = p.Entries[n-1].Key
	}
	if len(marks) > 0 && marks[len(marks)-1] > last {
		last = marks[len(marks)-1]
	}
	if !p.IsTruncated && last != "" {
		// Every key left is at most last: a bound for estimates, not for
		// the listing (which still ends only where the bucket ends).
		for _, r := range l.ranges {
			if !r.bounded {
				r.hint = last
			}
		}
		if n := len(marks); n > 0 && marks[n-1] == last {
			marks = marks[:n-1]
		}
	}
	sort.Strings(marks)
	l.boundaries = marks
}

// fill uses free request slots to split the ranges with the most left.
func (l *lister) fill() {
	if l.stopped || l.discovery == discoveryInFlight || len(l.paused) > 0 || l.limitReached() || l.ranges[0].pages < l.opts.SerialPages {
		return
	}
	room := l.opts.Parallelism - l.inFlight
	if room > 0 && l.opts.Spare != nil {
		room = min(room, l.opts.Spare())
	}
	// Pieces of minPiecePages first; slots still free after that would
	// idle, so the rest of the ranges are cut finer (minTailPiecePages):
	// the tail pass.
	for _, pass := range [...]struct {
		minPiece int
		tail     bool
	}{{minPiecePages, false}, {minTailPiecePages, true}} {
		tried := map[*keyRange]bool{}
		for room > 0 {
			r := l.pick(tried)
			if r == nil {
				break
			}
			tried[r] = true
			before := l.inFlight
			l.split(r, room, pass.minPiece, pass.tail)
			room -= l.inFlight - before
		}
	}
}

// pick returns the splittable range expected to have the most pages left.
func (l *lister) pick(tried map[*keyRange]bool) *keyRange {
	var best *keyRange
	bestLeft := 0.0
	for _, r := range l.ranges {
		if r.done || r.pages == 0 || tried[r] {
			continue
		}
		left := l.pagesLeft(r)
		if best == nil || left > bestLeft {
			best, bestLeft = r, left
		}
	}
	return best
}

// pagesLeft is r's estimate of pages left, recomputed only when r's
// markers or bound moved: pick runs after every page, over every range.
func (l *lister) pagesLeft(r *keyRange) float64 {
	hi, bounded := r.estimateBound()
	if c := &r.cache; !c.ok || c.lo != r.keyMarker || c.hi != hi || c.bounded != bounded {
		*c = estimateCache{ok: true, lo: r.keyMarker, hi: hi, bounded: bounded,
			left: pagesLeftEstimate(l.sigma, r.first, r.keyMarker, hi, bounded, r.pages)}
	}
	return r.cache.left
}

// estimateCache memoizes pagesLeft for one range.
type estimateCache struct {
	ok      bool
	lo, hi  string
	bounded bool
	left    float64
}

// estimateBound is the upper end of r used for estimates: its bound, or
// its hint when unbounded.
func (r *keyRange) estimateBound() (string, bool) {
	if !r.bounded && r.hint > r.keyMarker {
		return r.hint, true
	}
	return r.upto, r.bounded
}

// split cuts the unlisted rest (keyMarker, upto] of r at up to k markers,
// into pieces expected to hold at least minPiece pages; in the tail pass,
// r keeps only its request in flight (see splitMarkers).
func (l *lister) split(r *keyRange, k, minPiece int, tail bool) {
	hi, bounded := r.estimateBound()
	marks := l.knownMarkers(r, k)
	if len(marks) == 0 {
		marks = splitMarkers(l.sigma, r.first, r.keyMarker, hi, bounded, r.bounded, tail, r.pages, k, minPiece)
	}
	if len(marks) == 0 {
		return
	}
	marks = closeAtHint(r, marks, k)
	// (keyMarker, m1], (m1, m2], ..., (mk, upto]: the last inherits r's
	// bound (and hint); r keeps the first part and stops at m1.
	for i, m := range marks {
		nr := &keyRange{keyMarker: m, upto: r.upto, bounded: r.bounded, hint: r.hint}
		if i+1 < len(marks) {
			nr.upto, nr.bounded, nr.hint = marks[i+1], true, ""
		}
		l.ranges = append(l.ranges, nr)
		l.fetch(nr, nil)
	}
	r.upto, r.bounded, r.hint = marks[0], true, ""
}

// closeAtHint ends the markers of an unbounded range at its hint (the
// end of the keys the discovery request saw), within k markers. The piece
// below the hint is then bounded, and a bounded piece is later cut evenly
// where an unbounded one is only galloped into: without this, the top
// piece of a large bucket (about a tenth of it, from the first split) was
// carved a few pages at a time and ended the listing last, a long tail of
// serial pages. The piece above the hint costs one request, normally empty
// (keys written after the discovery would be there).
func closeAtHint(r *keyRange, marks []string, k int) []string {
	if r.bounded || r.hint <= r.keyMarker || marks[len(marks)-1] >= r.hint {
		return marks
	}
	if len(marks) >= k {
		marks = marks[:k-1]
	}
	return append(marks, r.hint)
}

// knownMarkers picks up to k learned boundaries inside r, evenly.
func (l *lister) knownMarkers(r *keyRange, k int) []string {
	lo := sort.SearchStrings(l.boundaries, r.keyMarker)
	for lo < len(l.boundaries) && l.boundaries[lo] <= r.keyMarker {
		lo++
	}
	hi := len(l.boundaries)
	if r.bounded {
		hi = sort.SearchStrings(l.boundaries, r.upto) // boundaries < upto
	}
	n := hi - lo
	if n <= 0 {
		return nil
	}
	var out []string
	for j := 1; j <= min(k, n); j++ {
		m := l.boundaries[lo+(j*n)/(min(k, n)+1)]
		if len(out) == 0 || m > out[len(out)-1] {
			out = append(out, m)
		}
	}
	return out
}

// emitPage hands a page's kept entries to emit, honouring MaxVersions.
func (l *lister) emitPage(p *Page) error {
	if len(p.Entries) == 0 {
		return nil
	}
	if max := l.opts.MaxVersions; max > 0 && l.stats.Entries+int64(len(p.Entries)) > max {
		p.Entries = p.Entries[:max-l.stats.Entries]
		l.stopped = true
		l.stats.Entries += int64(len(p.Entries))
		if len(p.Entries) > 0 {
			if err := l.emit(p); err != nil {
				return err
			}
		}
		return ErrMaxVersions
	}
	l.stats.Entries += int64(len(p.Entries))
	return l.emit(p)
}
