package versionlist

import (
	"errors"
	"fmt"
	"testing"
)

// SerialPages: a bucket of at most SerialPages pages costs exactly its
// pages (no discovery request, no split); a larger one is split, and
// stays exact.
func TestSerialPagesKeepsSmallBucketsAtTheMinimum(t *testing.T) {
	for _, n := range []int{1, 250, 999, 1000, 1001, 3999, 4000, 4001, 9000} {
		fb := newFakeBucket(generatedKeys(n, "k/", 1))
		c := newTestClient(fb.serve(t).URL)
		want := serialList(t, c, "b")
		before := fb.calls.Load()
		got, st := parallelList(t, c, "b", Options{Parallelism: 16, MaxKeys: 1000, SerialPages: 4})
		requireExact(t, fmt.Sprint(n), got, want)
		pages := int64(max(1, (n+999)/1000))
		calls := fb.calls.Load() - before
		if calls != st.Calls {
			t.Errorf("%d versions: server saw %d calls, Stats.Calls %d", n, calls, st.Calls)
		}
		if pages <= 4 && calls != pages {
			t.Errorf("%d versions (%d pages): %d calls", n, pages, calls)
		}
		if pages >= 8 && st.Ranges < 2 { // smaller rests are not worth a split (minPiecePages)
			t.Errorf("%d versions: not split (%d ranges)", n, st.Ranges)
		}
	}
}

// Spare: with no spare capacity the bucket is never split and costs
// exactly its pages; the listing is still complete.
func TestSpareZeroListsSerially(t *testing.T) {
	fb := newFakeBucket(generatedKeys(7500, "k/", 2))
	c := newTestClient(fb.serve(t).URL)
	want := serialList(t, c, "b")
	before := fb.calls.Load()
	got, st := parallelList(t, c, "b", Options{Parallelism: 16, MaxKeys: 1000, Spare: func() int { return 0 }})
	requireExact(t, "spare 0", got, want)
	// One discovery request may precede the (refused) splits.
	if calls := fb.calls.Load() - before; calls > 15+1 || st.Ranges != 1 {
		t.Errorf("spare 0: %d calls, %d ranges (15 pages)", calls, st.Ranges)
	}
}

// MaxVersions on a serial listing: MaxKeys is cut to what the limit leaves
// and no request is made past the limit, so a truncated listing costs
// exactly the pages of what it emitted; ErrMaxVersions only when more
// entries remained.
func TestMaxVersionsSerialCallsAreMinimal(t *testing.T) {
	fb := newFakeBucket(generatedKeys(3000, "k/", 1))
	c := newTestClient(fb.serve(t).URL)
	for _, tc := range []struct {
		max   int64
		calls int64
		err   error
	}{{5, 1, ErrMaxVersions}, {1000, 1, ErrMaxVersions}, {1500, 2, ErrMaxVersions}, {2999, 3, ErrMaxVersions}, {3000, 3, nil}, {5000, 3, nil}} {
		before := fb.calls.Load()
		var n int64
		_, err := ListAllStats(t.Context(), c, "b", Options{Parallelism: 1, MaxKeys: 1000, MaxVersions: tc.max}, func(p *Page) error {
			n += int64(len(p.Entries))
			return nil
		})
		calls := fb.calls.Load() - before
		if !errors.Is(err, tc.err) && !(err == nil && tc.err == nil) || n != min(tc.max, 3000) || calls != tc.calls {
			t.Errorf("max %d: %d entries, %d calls (want %d), err %v (want %v)", tc.max, n, calls, tc.calls, err, tc.err)
		}
	}
}
