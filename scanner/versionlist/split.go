package versionlist

import (
	"math"
	"math/big"
	"math/bits"
	"unicode/utf8"
)

// Split points are computed by reading keys as numbers. Over an alphabet
// of the bytes seen in keys so far (sorted, ranked from 1; 0 means "end of
// string"), a key suffix of at most n bytes is an n-digit number in radix
// len(alphabet)+1, and that mapping preserves S3's byte order. Arithmetic
// on these numbers gives markers between two keys that follow the keys'
// own alphabet (decimal digits split in ten, not in 256), so the ranges
// they delimit hold comparable numbers of keys.
//
// Nothing here affects exactness: a marker only decides where one range
// ends and the next begins, and any marker strictly between the bounds
// partitions the keys. Poor markers only cost balance or an empty probe.

// alphabet is a set of bytes.
type alphabet [4]uint64

func (a *alphabet) add(s string) {
	for i := 0; i < len(s); i++ {
		a[s[i]>>6] |= 1 << (s[i] & 63)
	}
}

func (a *alphabet) symbols() []byte {
	var out []byte
	for w, bitsw := range a {
		for bitsw != 0 {
			t := bits.TrailingZeros64(bitsw)
			out = append(out, byte(w*64+t))
			bitsw &^= 1 << t
		}
	}
	return out
}

// maxDigits bounds the precision of key numbers; longer keys are compared
// on their first maxDigits bytes after the common prefix, which only makes
// some candidate markers fall outside their bounds (and be dropped).
const maxDigits = 48

type keyNumbers struct {
	prefix string // common prefix of every key involved, not encoded
	syms   []byte
	rank   [256]int64
	radix  *big.Int
	n      int
}

func newKeyNumbers(sigma alphabet, prefix string, strs ...string) *keyNumbers {
	for _, s := range strs {
		sigma.add(s[min(len(prefix), len(s)):])
	}
	kn := &keyNumbers{prefix: prefix, syms: sigma.symbols()}
	for i, c := range kn.syms {
		kn.rank[c] = int64(i + 1)
	}
	kn.radix = big.NewInt(int64(len(kn.syms) + 1))
	for _, s := range strs {
		kn.n = max(kn.n, len(s)-len(prefix))
	}
	kn.n = min(kn.n+2, maxDigits)
	return kn
}

// value is s (which must start with the prefix) as a number.
func (kn *keyNumbers) value(s string) *big.Int {
	v := new(big.Int)
	d := new(big.Int)
	s = s[len(kn.prefix):]
	for i := range kn.n {
		v.Mul(v, kn.radix)
		if i < len(s) {
			v.Add(v, d.SetInt64(kn.rank[s[i]]))
		}
	}
	return v
}

// top is one past the largest n-digit number: "after every key".
func (kn *keyNumbers) top() *big.Int {
	return new(big.Int).Exp(kn.radix, big.NewInt(int64(kn.n)), nil)
}

// key turns a number back into a key: digits up to the first zero digit.
func (kn *keyNumbers) key(v *big.Int) string {
	digits := make([]byte, kn.n)
	q, r := new(big.Int).Set(v), new(big.Int)
	for i := kn.n - 1; i >= 0; i-- {
		q.QuoRem(q, kn.radix, r)
		digits[i] = byte(r.Int64())
	}
	out := []byte(kn.prefix)
	for _, d := range digits {
		if d == 0 {
			break
		}
		out = append(out, kn.syms[d-1])
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

func measure(sigma alphabet, first, lo, hi string, bounded bool, pages int) (rangeShape, bool) {
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
func pagesLeftEstimate(sigma alphabet, first, lo, hi string, bounded bool, pages int) float64 {
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

// splitMarkers proposes up to k markers m, lo < m < hi (hi unbounded when
// !bounded), to split the unlisted rest of a range whose lister has read
// pages pages of keys from first to lo. Markers start one page past lo,
// where the request in flight is expected to end. When the rest looks
// small next to k pages they are evenly spaced; when it looks large or is
// unbounded they are spaced geometrically (a gallop), because the density
// of keys far from those seen is unknown.
func splitMarkers(sigma alphabet, first, lo, hi string, bounded bool, pages, k int) []string {
	sh, ok := measure(sigma, first, lo, hi, bounded, pages)
	if !ok || k <= 0 || sh.pagesLeft.Cmp(big.NewInt(1)) < 0 {
		return nil
	}
	est := sh.pagesLeft
	if est.IsInt64() && est.Int64() < int64(k) {
		k = int(est.Int64())
	}
	offsets := make([]*big.Int, 0, k)
	if bounded && est.IsInt64() && est.Int64() <= int64(4*k) {
		for j := range k {
			o := new(big.Int).Mul(sh.dist, big.NewInt(int64(j)))
			offsets = append(offsets, o.Quo(o, big.NewInt(int64(k))))
		}
	} else {
		// Offsets span * 2^(e*j/k), e = log2(pages left): geometric from
		// the page in flight towards the bound.
		e := est.BitLen()
		for j := range k {
			offsets = append(offsets, new(big.Int).Lsh(sh.span, uint(e*j/k)))
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
