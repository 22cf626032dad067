package versionlist

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// Key numbers preserve S3's byte order (weakly, for bytes never seen at
// their position) and round-trip keys made of seen bytes: the two
// properties split markers rely on to land between their bounds.
func TestKeyNumbersPreserveOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabets := []string{"0123456789", "abcdef0123456789/", "aZ-_/.\xe6\x97\xa5", "\x01 ~\xff"}
	for round := range 200 {
		alpha := alphabets[round%len(alphabets)]
		var pa positionAlphabets
		var keys []string
		for range 50 {
			b := []byte("logs/")
			for range 1 + r.IntN(12) {
				b = append(b, alpha[r.IntN(len(alpha))])
			}
			keys = append(keys, string(b))
		}
		for _, k := range keys[:25] {
			pa.add(k)
		}
		slices.Sort(keys)
		kn := newKeyNumbers(pa, "logs/", keys[0], keys[len(keys)-1])
		for i := 1; i < len(keys); i++ {
			if kn.value(keys[i-1]).Cmp(kn.value(keys[i])) > 0 {
				t.Fatalf("alphabet %q: value(%q) > value(%q)", alpha, keys[i-1], keys[i])
			}
		}
		for _, k := range keys[:25] {
			kn := newKeyNumbers(pa, "logs/", k)
			if got := kn.key(kn.value(k)); got != k && len(k)-len("logs/") <= maxDigits {
				t.Fatalf("round trip %q -> %q", k, got)
			}
		}
	}
}

// After the first thousand of a million counter keys, the digits 2-9 are
// still expected at the leading positions, so the rest is estimated at
// about the right number of pages and cut into equal parts that cover it.
func TestSplitMarkersOnCounterKeys(t *testing.T) {
	var pa positionAlphabets
	for i := 0; i < 1000; i += 97 {
		pa.add(keyOf(i))
	}
	pa.add(keyOf(999))
	pa.add("data0")
	left := pagesLeftEstimate(pa, keyOf(0), keyOf(999), "data0", true, 1)
	if left < 500 || left > 3000 {
		t.Errorf("pages left estimated at %.0f, really 999", left)
	}
	marks := splitMarkers(pa, keyOf(0), keyOf(999), "data0", true, true, false, 1, 31, minPiecePages)
	if len(marks) < 25 || marks[len(marks)-1] < "data/8" || !slices.IsSorted(marks) {
		t.Errorf("markers: %q", marks)
	}
}

func keyOf(i int) string {
	b := []byte("data/000000")
	for j := len(b) - 1; i > 0; j-- {
		b[j] = byte('0' + i%10)
		i /= 10
	}
	return string(b)
}

// At the end of a listing (tail), a trusted rest is cut so that the range
// keeps only its request in flight: the first marker is where that page
// should end, and every piece after it is about one page. Outside the
// tail, the range keeps a piece of its own after the page in flight.
func TestSplitMarkersTailKeepsOnlyThePageInFlight(t *testing.T) {
	var pa positionAlphabets
	for i := 0; i < 6000; i += 97 {
		pa.add(keyOf(i))
	}
	// A range (data/000999, data/005999] whose lister read one page of
	// 1,000 keys: 5 pages left, the first of them in flight.
	lo, hi := keyOf(999), keyOf(5999)
	tail := splitMarkers(pa, keyOf(0), lo, hi, true, true, true, 1, 16, minTailPiecePages)
	if len(tail) != 4 || !slices.IsSorted(tail) {
		t.Fatalf("tail markers: %q, want 4 (one per page after the one in flight)", tail)
	}
	if tail[0] < keyOf(1800) || tail[0] > keyOf(2200) {
		t.Errorf("first tail marker %q, want about %q (where the page in flight ends)", tail[0], keyOf(1999))
	}
	normal := splitMarkers(pa, keyOf(0), lo, hi, true, true, false, 1, 16, minTailPiecePages)
	if len(normal) != 3 || normal[0] < keyOf(2900) {
		t.Errorf("markers outside the tail: %q, want 3, the first about %q", normal, keyOf(2999))
	}
}

// An unbounded range with a hint (the last key the discovery request saw)
// gets the hint as its last marker, so the piece below it is bounded and
// later cut evenly; k still bounds the markers. A bounded range, or one
// without a hint above its markers, is left as it is.
func TestCloseAtHint(t *testing.T) {
	unbounded := &keyRange{keyMarker: "a", hint: "m"}
	if got := closeAtHint(unbounded, []string{"c", "f"}, 3); !slices.Equal(got, []string{"c", "f", "m"}) {
		t.Errorf("room for the hint: %q", got)
	}
	if got := closeAtHint(unbounded, []string{"c", "f"}, 2); !slices.Equal(got, []string{"c", "m"}) {
		t.Errorf("k = 2: %q", got)
	}
	if got := closeAtHint(unbounded, []string{"c"}, 1); !slices.Equal(got, []string{"m"}) {
		t.Errorf("k = 1: %q", got)
	}
	if got := closeAtHint(unbounded, []string{"c", "n"}, 3); !slices.Equal(got, []string{"c", "n"}) {
		t.Errorf("markers past the hint: %q", got)
	}
	bounded := &keyRange{keyMarker: "a", upto: "z", bounded: true}
	if got := closeAtHint(bounded, []string{"c"}, 3); !slices.Equal(got, []string{"c"}) {
		t.Errorf("bounded: %q", got)
	}
	noHint := &keyRange{keyMarker: "a"}
	if got := closeAtHint(noHint, []string{"c"}, 3); !slices.Equal(got, []string{"c"}) {
		t.Errorf("no hint: %q", got)
	}
}
