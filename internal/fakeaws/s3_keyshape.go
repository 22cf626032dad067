package fakeaws

import (
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Key shapes of generated objects (GeneratedSpec.KeyShape). Every shape
// maps index i in [0, count) to a key, strictly increasing in byte order
// (S3's order), from i alone: a bucket of millions of keys costs no memory
// per key, a key is found by binary search over the index, and a listing
// walks indexes in order.
const (
	// KeyShapePadded: key_prefix + i in decimal, zero-padded to the width
	// of count-1 ("data/0000042"). The default.
	KeyShapePadded = "padded"
	// KeyShapeRandom: key_prefix + a flat name of random width (3 to about
	// 20 of 0-9a-z), sometimes with an extension (".csv", " (1).pdf").
	KeyShapeRandom = "random"
	// KeyShapeDeep: folders nested 2 to 8 deep, a random depth per branch,
	// 2 to 8 subfolders each and 50 to 2,000 files in a folder of files:
	// deep and shallow prefixes side by side.
	KeyShapeDeep = "deep"
	// KeyShapeSkewed: up to 4 levels of folders whose sizes are far from
	// even (one folder may hold most keys, its siblings a handful), with
	// names whose characters are as unevenly spread.
	KeyShapeSkewed = "skewed"
	// KeyShapeUnicode: up to 3 levels of folders and files named with
	// letters of several scripts, CJK and emoji (1 to 4 bytes each).
	KeyShapeUnicode = "unicode"
)

// keyShapeNames lists the shapes, for validation messages.
var keyShapeNames = []string{KeyShapePadded, KeyShapeRandom, KeyShapeDeep, KeyShapeSkewed, KeyShapeUnicode}

// KeyShapes returns the names of the key shapes, the default first.
func KeyShapes() []string { return slices.Clone(keyShapeNames) }

// keyShape computes the keys of generated objects.
type keyShape interface {
	// appendKey appends key(i), 0 <= i < count; key(i) < key(i+1).
	appendKey(dst []byte, i int64) []byte
	// maxKeyLen bounds len(key(i)) for every i.
	maxKeyLen() int
}

// newKeyShape returns the shape called name ("" is padded).
func newKeyShape(name, prefix string, count int64, seed uint64) (keyShape, bool) {
	switch name {
	case "", KeyShapePadded:
		return paddedShape{prefix: prefix, width: len(strconv.FormatInt(count-1, 10))}, true
	}
	p, ok := treeShapes[name]
	if !ok {
		return nil, false
	}
	return &treeShape{treeParams: p, prefix: prefix, count: count, seed: splitmix64(seed ^ 0x6b657973)}, true
}

// paddedShape is KeyShapePadded.
type paddedShape struct {
	prefix string
	width  int
}

func (s paddedShape) appendKey(dst []byte, i int64) []byte {
	dst = append(dst, s.prefix...)
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], i, 10)
	for n := len(d); n < s.width; n++ {
		dst = append(dst, '0')
	}
	return append(dst, d...)
}

func (s paddedShape) maxKeyLen() int { return len(s.prefix) + s.width }

// treeParams describe a tree shape. Keys are paths through a tree built
// top-down from the number of keys under each node: a node holds either
// folders ("name/") or files, and a name is a path through a trie of
// characters. Every choice (how many children, how the keys under a node
// are shared among them, which characters) is a hash of the node's path
// and its number of keys, so the tree is never stored.
type treeParams struct {
	alphabet []string // name symbols, sorted, each above '/' and '.' (see symbolFloor)
	nameSkew float64  // 0.5: names spread evenly over the alphabet; less: more unevenly
	dirSkew  float64  // the same for how keys are shared among folders
	fanout   [2]int   // folders per folder node, min..max
	fileCap  [2]int64 // a node of at most this many keys holds files
	depth    [2]int   // a branch ends in files at a depth in this range
}

// symbolFloor is below the first byte of every name symbol: a byte under it
// after a name ('/' of a folder, the '.', '-' or ' ' of a suffix) keeps
// every name that is a prefix of another sorted first, as the name trie
// put it.
const symbolFloor = '0'

// fileSuffixes follow some file names (chosen by the key's index).
var fileSuffixes = []string{"", "", "", ".csv", ".json", ".json.gz", ".parquet", ".log", "-final.docx", " (1).pdf", ".tar.gz", ".jpg"}

var (
	nameAlnum   = splitSymbols("0123456789abcdefghijklmnopqrstuvwxyz")
	folderAlnum = splitSymbols("0123456789_abcdefghijklmnopqrstuvwxyz")
	// unicodeSymbols: ASCII, Latin-1, Latin Extended, Greek, Cyrillic,
	// Hebrew, Devanagari, CJK, Hangul and emoji.
	unicodeSymbols = splitSymbols("0aekmzßéüłΩжשह日本語한🙂📁")
)

// splitSymbols returns the characters of s as symbols, in byte order.
func splitSymbols(s string) []string {
	var out []string
	for _, r := range s {
		out = append(out, string(r))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

var treeShapes = map[string]treeParams{
	KeyShapeRandom:  {alphabet: nameAlnum, nameSkew: 0.3, depth: [2]int{0, 0}},
	KeyShapeDeep:    {alphabet: folderAlnum, nameSkew: 0.3, dirSkew: 0.2, fanout: [2]int{2, 8}, fileCap: [2]int64{50, 2000}, depth: [2]int{2, 8}},
	KeyShapeSkewed:  {alphabet: nameAlnum, nameSkew: 0.1, dirSkew: 0.03, fanout: [2]int{8, 32}, fileCap: [2]int64{100, 5000}, depth: [2]int{1, 4}},
	KeyShapeUnicode: {alphabet: unicodeSymbols, nameSkew: 0.3, dirSkew: 0.3, fanout: [2]int{3, 20}, fileCap: [2]int64{200, 3000}, depth: [2]int{1, 3}},
}

// Name lengths, in symbols: a name that alone under its trie node ends
// after at least nameMin symbols with probability nameStop per symbol, and
// at most nameFree; names still shared by several keys after evenAfter
// symbols are split evenly, so that they part quickly.
const (
	nameMin   = 1
	nameStop  = 0.22
	nameFree  = 12
	evenAfter = 12
	// nameEndShared is the probability that one of several names sharing
	// a trie node ends there ("log" beside "log2").
	nameEndShared = 0.04
)

// treeShape is a key shape computed from treeParams.
type treeShape struct {
	treeParams
	prefix string
	count  int64
	seed   uint64
}

// rng draws deterministic numbers from a node's hash.
type rng uint64

func (r rng) at(salt uint64) rng {
	return rng(splitmix64(uint64(r) ^ (salt*0x9e3779b97f4a7c15 + 0x632be59bd9b4e019)))
}

// low is a second number in [0, 1) from r, from bits unit does not use.
func (r rng) low() float64 { return float64(uint64(r)&(1<<20-1)) / (1 << 20) }

// unit is a number in [0, 1).
func (r rng) unit() float64 { return float64(uint64(r)>>11) / (1 << 53) }

// between is an integer in [lo, hi].
func (r rng) between(lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + int64(uint64(r)%uint64(hi-lo+1))
}

func (s *treeShape) appendKey(dst []byte, i int64) []byte {
	dst = append(dst, s.prefix...)
	h, m, j := rng(s.seed), s.count, i
	for depth := 0; ; depth++ {
		if depth >= int(h.at(1).between(int64(s.depth[0]), int64(s.depth[1]))) ||
			m <= h.at(2).between(s.fileCap[0], s.fileCap[1]) {
			dst = s.appendName(dst, h.at(3), m, j)
			return append(dst, fileSuffixes[rng(s.seed).at(uint64(i)).between(0, int64(len(fileSuffixes)-1))]...)
		}
		k := min(m, h.at(4).between(int64(s.fanout[0]), int64(s.fanout[1])))
		var c int64
		c, j, m = share(h.at(5), m, k, j, s.dirSkew, false)
		dst = s.appendName(dst, h.at(6), k, c)
		dst = append(dst, '/')
		h = h.at(7 + uint64(c))
	}
}

// appendName appends the j-th (from 0) of n distinct names in byte order,
// generated from h: a walk down a trie whose nodes share their names
// among the symbols (share), where one name may end (sorting before the
// names that go on).
func (s *treeShape) appendName(dst []byte, h rng, n, j int64) []byte {
	for pos := 0; ; pos++ {
		hp := h.at(uint64(pos))
		if n == 1 {
			// A name of its own: random symbols until it stops.
			if pos >= nameMin && (pos >= nameFree || hp.low() < nameStop) {
				return dst
			}
			dst = append(dst, s.alphabet[hp.between(0, int64(len(s.alphabet)-1))]...)
			h = hp
			continue
		}
		if pos >= nameMin && pos < evenAfter && hp.low() < nameEndShared {
			if j == 0 {
				return dst
			}
			j, n = j-1, n-1
		}
		var c int64
		c, j, n = share(hp, n, int64(len(s.alphabet)), j, s.nameSkew, pos >= evenAfter)
		dst = append(dst, s.alphabet[c]...)
		h = h.at(100 + uint64(c))
	}
}

// share splits m keys among k children (in order) and returns the child c
// that holds key j, j's rank within it and how many keys it holds. One key
// goes to any child alike. Otherwise the children are halved recursively; each half gets a share of the keys
// drawn around its share of the children, within skew of even (0.5: the
// proportion of children; less: further from it), rounded at random so
// that a few keys spread as often left as right. With even set the split
// is exact (rounded to nearest), so two keys always part.
func share(h rng, m, k, j int64, skew float64, even bool) (c, rank, size int64) {
	if m == 1 && !even {
		return h.between(0, k-1), 0, 1
	}
	lo, hi := int64(0), k
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		base := float64(mid-lo) / float64(hi-lo)
		hs := h.at(uint64(lo)<<32 | uint64(hi))
		var left int64
		if even {
			left = int64(math.Round(float64(m) * base))
		} else {
			// q in [skew, 1-skew], drawn towards its ends: most
			// splits are as uneven as skew allows.
			d := 2*hs.unit() - 1
			e := 1 - math.Abs(d)
			q := 0.5 + (0.5-skew)*math.Copysign(1-e*e*e, d)
			p := base * q / (base*q + (1-base)*(1-q))
			left = int64(math.Floor(float64(m)*p + hs.low()))
		}
		left = max(0, min(m, left))
		if j < left {
			hi, m = mid, left
		} else {
			lo, j, m = mid, j-left, m-left
		}
	}
	return lo, j, m
}

// maxKeyLen bounds the key length: per level, the symbols of a name (at
// most evenAfter, then each even symbol divides the keys sharing the name
// by at least 1.5 per halving of the alphabet) at their widest, plus '/'.
func (s *treeShape) maxKeyLen() int {
	widest := 0
	for _, sym := range s.alphabet {
		widest = max(widest, len(sym))
	}
	halvings := math.Floor(math.Log2(float64(len(s.alphabet))))
	evenSymbols := int(math.Ceil(math.Log(float64(s.count)+1)/(halvings*math.Log(1.5)))) + 2
	name := (max(nameFree, evenAfter) + evenSymbols) * widest
	suffix := 0
	for _, x := range fileSuffixes {
		suffix = max(suffix, len(x))
	}
	return len(s.prefix) + (s.depth[1]+1)*(name+1) + suffix
}

// validSymbols reports whether an alphabet keeps names in order: sorted,
// distinct, valid UTF-8, and every symbol at or above symbolFloor.
func validSymbols(alphabet []string) bool {
	for i, sym := range alphabet {
		if !utf8.ValidString(sym) || sym == "" || sym[0] < symbolFloor || i > 0 && alphabet[i-1] >= sym {
			return false
		}
	}
	return true
}
