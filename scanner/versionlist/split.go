package versionlist

import (
	"math"
	"math/big"
	"math/bits"
	"unicode/utf8"
)

// Split points are computed by reading keys as numbers. Each byte position
// (from the start of the key) has its own alphabet: the bytes seen at that
// position in keys so far, sorted and ranked from 1 (0 means "end of
// string"). A key suffix of at most n bytes is then an n-digit number in a
// mixed radix (position i in radix len(alphabet_i)+1), and that mapping
// preserves S3's byte order. Arithmetic on these numbers gives markers
// between two keys that follow the keys' own shape: in "logs/000123" the
// digits after "logs/" are decimal, so a range splits in tenths there, and
// markers never put a letter where only digits were seen (which, with one
// alphabet for all positions, sent most markers into gaps without keys).
//
// Nothing here affects exactness: a marker only decides where one range
// ends and the next begins, and any marker strictly between the bounds
// partitions the keys. Poor markers only cost balance or an empty probe.

// alphabet is a set of bytes.
type alphabet [4]uint64

func (a *alphabet) set(c byte) { a[c>>6] |= 1 << (c & 63) }

func (a *alphabet) setRange(lo, hi byte) {
	for c := lo; c <= hi; c++ {
		a.set(c)
	}
}

func (a *alphabet) has(c byte) bool { return a[c>>6]&(1<<(c&63)) != 0 }

// size is the number of bytes in a.
func (a *alphabet) size() int {
	return bits.OnesCount64(a[0]) + bits.OnesCount64(a[1]) + bits.OnesCount64(a[2]) + bits.OnesCount64(a[3])
}

// rank is 1 + the number of bytes of a below c (c's rank when a has c).
func (a *alphabet) rank(c byte) int64 {
	w := int(c >> 6)
	n := bits.OnesCount64(a[w] & (1<<(c&63) - 1))
	for i := range w {
		n += bits.OnesCount64(a[i])
	}
	return int64(n + 1)
}

// symbol is the byte of rank r (1-based) in a.
func (a *alphabet) symbol(r int64) byte {
	for w, bw := range a {
		c := int64(bits.OnesCount64(bw))
		if r > c {
			r -= c
			continue
		}
		for ; r > 1; r-- {
			bw &= bw - 1
		}
		return byte(w*64 + bits.TrailingZeros64(bw))
	}
	return 0xff
}

// maxTrackedPositions bounds the positions with an alphabet of their own;
// bytes further into a key share the last one.
const maxTrackedPositions = 1100

// positionAlphabets holds the alphabet of each byte position of the keys
// seen so far.
type positionAlphabets []alphabet

// add records the bytes of s at their positions. A digit or an ASCII
// letter brings its whole class (0-9, a-z, A-Z): keys are mostly counters,
// dates, hashes and names, and a position where only "0" and "1" were seen
// so far (the first thousand keys of a million) must still leave room for
// "2" to "9", or the keys still unseen would fall outside the numbers.
func (pa *positionAlphabets) add(s string) {
	for i := 0; i < len(s); i++ {
		j := min(i, maxTrackedPositions-1)
		for len(*pa) <= j {
			*pa = append(*pa, alphabet{})
		}
		a := &(*pa)[j]
		c := s[i]
		if a.has(c) {
			continue
		}
		switch {
		case c >= '0' && c <= '9':
			a.setRange('0', '9')
		case c >= 'a' && c <= 'z':
			a.setRange('a', 'z')
		case c >= 'A' && c <= 'Z':
			a.setRange('A', 'Z')
		default:
			a.set(c)
		}
	}
}

func (pa positionAlphabets) at(i int) alphabet {
	i = min(i, maxTrackedPositions-1)
	if i < len(pa) {
		return pa[i]
	}
	return alphabet{}
}

// maxDigits bounds the precision of key numbers; longer keys are compared
// on their first maxDigits bytes after the common prefix, which only makes
// some candidate markers fall outside their bounds (and be dropped).
const maxDigits = 48

type keyNumbers struct {
	prefix string     // common prefix of every key involved, not encoded
	alpha  []alphabet // per digit (position len(prefix)+i)
	radix  []*big.Int
	n      int
}

// newKeyNumbers numbers keys after prefix; strs (which all start with
// prefix) have every byte in the alphabets, so their values are exact.
func newKeyNumbers(pa positionAlphabets, prefix string, strs ...string) *keyNumbers {
	kn := &keyNumbers{prefix: prefix}
	for _, s := range strs {
		kn.n = max(kn.n, len(s)-len(prefix))
	}
	kn.n = min(kn.n+2, maxDigits)
	kn.alpha = make([]alphabet, kn.n)
	kn.radix = make([]*big.Int, kn.n)
	for i := range kn.n {
		a := pa.at(len(prefix) + i)
		for _, s := range strs {
			if j := len(prefix) + i; j < len(s) {
				a.set(s[j])
			}
		}
		kn.alpha[i] = a
		kn.radix[i] = big.NewInt(int64(a.size() + 1))
	}
	return kn
}

// value is s (which must start with the prefix) as a number. A byte not in
// its position's alphabet counts as the next lower one followed by the
// largest digits, so the mapping stays monotonic.
func (kn *keyNumbers) value(s string) *big.Int {
	v := new(big.Int)
	d := new(big.Int)
	s = s[len(kn.prefix):]
	saturate := false
	for i := range kn.n {
		v.Mul(v, kn.radix[i])
		switch {
		case saturate:
			v.Add(v, d.Sub(kn.radix[i], big.NewInt(1)))
		case i < len(s):
			a := &kn.alpha[i]
			r := a.rank(s[i])
			if !a.has(s[i]) {
				r--
				saturate = true
			}
			v.Add(v, d.SetInt64(r))
		}
	}
	return v
}

// top is one past the largest n-digit number: "after every key".
func (kn *keyNumbers) top() *big.Int {
	t := big.NewInt(1)
	for _, r := range kn.radix {
		t.Mul(t, r)
	}
	return t
}

// key turns a number back into a key: digits up to the first zero digit.
func (kn *keyNumbers) key(v *big.Int) string {
	digits := make([]int64, kn.n)
	q, r := new(big.Int).Set(v), new(big.Int)
	for i := kn.n - 1; i >= 0; i-- {
		q.QuoRem(q, kn.radix[i], r)
		digits[i] = r.Int64()
	}
	out := []byte(kn.prefix)
	for i, d := range digits {
		if d == 0 {
			break
		}
		out = append(out, kn.alpha[i].symbol(d))
	}
	return string(out)
}

func commonPrefix(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return a[:i]
}

// rangeShape measures the unlisted rest (lo, hi] of a range whose lister
// has read pages pages of keys from first to lo, in key numbers.
type rangeShape struct {
	kn        *keyNumbers
	base      *big.Int // lo plus one page: where the request in flight should end
	dist      *big.Int // from base to hi
	span      *big.Int // key-number width of one page so far
	pagesLeft *big.Int // dist / span: pages left if the density holds
}

func measure(sigma positionAlphabets, first, lo, hi string, bounded bool, pages int) (rangeShape, bool) {
	if pages <= 0 || bounded && hi <= lo || first > lo {
		return rangeShape{}, false
	}
	prefix := ""
	if bounded {
		prefix = commonPrefix(first, hi)
	}
	strs := []string{first, lo}
	if bounded {
		strs = append(strs, hi)
	}
	kn := newKeyNumbers(sigma, prefix, strs...)
	vLo := kn.value(lo)
	vHi := kn.top()
	if bounded {
		vHi = kn.value(hi)
	}
	span := new(big.Int).Sub(vLo, kn.value(first))
	span.Quo(span, big.NewInt(int64(pages)))
	if span.Sign() <= 0 {
		span.SetInt64(1)
	}
	base := new(big.Int).Add(vLo, span)
	if base.Cmp(vHi) >= 0 {
		base.Set(vLo)
	}
	dist := new(big.Int).Sub(vHi, base)
	return rangeShape{kn: kn, base: base, dist: dist, span: span, pagesLeft: new(big.Int).Quo(dist, span)}, true
}

// pagesLeftEstimate is measure's page estimate as a float (+Inf unbounded).
func pagesLeftEstimate(sigma positionAlphabets, first, lo, hi string, bounded bool, pages int) float64 {
	if !bounded {
		return math.Inf(1)
	}
	sh, ok := measure(sigma, first, lo, hi, bounded, pages)
	if !ok {
		return 0
	}
	f, _ := new(big.Float).SetInt(sh.pagesLeft).Float64()
	return f
}

// minPiecePages is the smallest expected size, in pages, of a range split
// off another while the listing's slots are in demand: every range
// boundary costs on average half a page listed twice (the page that runs
// past it), so pieces much smaller than this cost more calls than the
// round trips they save.
const minPiecePages = 3

// minTailPiecePages is the smallest piece once no range is worth a
// minPiecePages split and slots would otherwise idle: the end of a
// listing, where the last ranges' few pages left would each be a serial
// round trip. A piece of one page costs at most one extra call, made in a
// slot nothing else wanted.
const minTailPiecePages = 1

// splitMarkers proposes up to k markers m, lo < m < hi (hi unbounded when
// !bounded), to split the unlisted rest of a range whose lister has read
// pages pages of keys from first to lo. Distances count from one page past
// lo, where the request in flight is expected to end; the range keeps the
// first piece, so that its lister goes on working, and pieces are at least
// minPiece expected pages long.
//
// When the rest ends at a real range bound (trusted), it is cut into equal
// parts. When its end is only a hint or unknown, the markers gallop: their
// distances from lo grow geometrically up to the estimated end, so that
// however far the keys really go, few markers fall past them (each costs
// an empty request) and the ranges before the end are re-split evenly once
// their own pages have shown their density.
//
// With tail set (the end of a listing: every slot left would idle), a
// trusted rest is cut so that the range keeps only its request in flight:
// the first marker goes where that page should end, and the rest is shared
// by the new ranges alone. Otherwise the range's own piece would wait
// behind its request in flight, one round trip longer than the others.
func splitMarkers(sigma positionAlphabets, first, lo, hi string, bounded, trusted, tail bool, pages, k, minPiece int) []string {
	sh, ok := measure(sigma, first, lo, hi, bounded, pages)
	if !ok || k <= 0 {
		return nil
	}
	est := sh.pagesLeft
	even := bounded && trusted
	// own is 1 when the range keeps a piece of the rest (k markers cut it
	// into k+1 pieces, the first the range's), 0 when it keeps only its
	// page in flight (k markers, k pieces, the first starting at base).
	own := int64(1)
	if even && tail {
		own = 0
	}
	if p := new(big.Int).Quo(est, big.NewInt(int64(minPiece))); p.IsInt64() && p.Int64()-own < int64(k) {
		k = int(p.Int64() - own)
	}
	if k <= 0 {
		return nil
	}
	offsets := make([]*big.Int, 0, k)
	if even {
		for j := own; j < int64(k)+own; j++ {
			o := new(big.Int).Mul(sh.dist, big.NewInt(j))
			offsets = append(offsets, o.Quo(o, big.NewInt(int64(k)+own)))
		}
	} else {
		// Offsets span * max(minPiece*j, 2^(e*j/(k+1)) - 1) with
		// e = log2(pages left).
		estF, _ := new(big.Float).SetInt(est).Float64()
		e := math.Log2(max(estF, 2))
		span := new(big.Float).SetInt(sh.span)
		for j := 1; j <= k; j++ {
			f := max(float64(minPiece*j), math.Exp2(e*float64(j)/float64(k+1))-1)
			o, _ := new(big.Float).Mul(span, big.NewFloat(f)).Int(nil)
			offsets = append(offsets, o)
		}
	}
	var out []string
	prev := lo
	for _, o := range offsets {
		m := validUTF8Prefix(sh.kn.key(o.Add(o, sh.base)))
		if m > prev && (!bounded || m < hi) {
			out = append(out, m)
			prev = m
		}
	}
	return out
}

// validUTF8Prefix cuts s before a trailing incomplete or invalid UTF-8
// sequence: markers go to S3 as query parameters and must be text.
func validUTF8Prefix(s string) string {
	for !utf8.ValidString(s) {
		r, size := utf8.DecodeLastRuneInString(s)
		if r == utf8.RuneError && size <= 1 {
			s = s[:len(s)-max(size, 1)]
			continue
		}
		// An invalid sequence further in: keep only the valid start.
		for i, r := range s {
			if r == utf8.RuneError {
				if _, sz := utf8.DecodeRuneInString(s[i:]); sz == 1 {
					s = s[:i]
					break
				}
			}
		}
	}
	return s
}

// prefixEnd is the least string greater than every string starting with p
// ("" when there is none): where the keys under a common prefix end.
func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}
