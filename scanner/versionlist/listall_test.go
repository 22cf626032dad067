package versionlist

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// serialList is the reference: the plain SDK client (no fast decoding, no
// splitting), one page after another. Entries as "key\x00versionId". It
// asks for URL encoding, so that every key can travel in XML, and decodes
// the markers before sending them back: the SDK's own paginator does not,
// and would send encoded markers as keys.
func serialList(t testing.TB, c *s3.Client, bucket string) []string {
	t.Helper()
	dec := func(k *string) string {
		d, err := url.QueryUnescape(aws.ToString(k))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	var out []string
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), MaxKeys: aws.Int32(250), EncodingType: types.EncodingTypeUrl}
	for {
		page, err := c.ListObjectVersions(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Versions {
			out = append(out, dec(v.Key)+"\x00"+aws.ToString(v.VersionId))
		}
		for _, m := range page.DeleteMarkers {
			out = append(out, dec(m.Key)+"\x00"+aws.ToString(m.VersionId)+"\x00dm")
		}
		if !aws.ToBool(page.IsTruncated) {
			break
		}
		in.KeyMarker, in.VersionIdMarker = aws.String(dec(page.NextKeyMarker)), page.NextVersionIdMarker
	}
	slices.Sort(out)
	return out
}

// parallelList runs ListAll and returns its entries in the same form,
// failing if emit is ever called concurrently.
func parallelList(t testing.TB, c Lister, bucket string, opts Options) ([]string, Stats) {
	t.Helper()
	var out []string
	var busy atomic.Bool
	st, err := ListAllStats(context.Background(), c, bucket, opts, func(p *Page) error {
		if !busy.CompareAndSwap(false, true) {
			t.Error("emit called concurrently")
		}
		defer busy.Store(false)
		for _, e := range p.Entries {
			s := e.Key + "\x00" + e.VersionID
			if e.IsDeleteMarker {
				s += "\x00dm"
			}
			out = append(out, s)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("ListAll: %v", err)
	}
	slices.Sort(out)
	return out, st
}

// requireExact compares the multisets and reports the first difference.
func requireExact(t testing.TB, name string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Fatalf("%s: %d entries, want %d; first difference at %d: got %q want %q", name, len(got), len(want), i, g, w)
		}
	}
}

func generatedKeys(count int, prefix string, versions int) map[string]int {
	keys := make(map[string]int, count)
	for i := range count {
		keys[fmt.Sprintf("%s%010d", prefix, i)] = versions
	}
	return keys
}

// trickyKeys: keys around split points, long shared prefixes, unicode,
// characters that need XML or URL escaping, one key with many versions
// and delete markers.
func trickyKeys() map[string]int {
	keys := map[string]int{
		"a": 2, "a!": 1, "a/": 1, "a0": 3, "b": -1, "a/b": 1, "a/b/c": 2, "a/b/": 1, "a/b0": 1,
		"日本/x": 1, "日本/y": -2, "é": 1, "e": 1, "f": 1, "🙂": 2, "\u00ff": 1, "\ufffd": 1,
		"sp ace": 1, "plus+sign": 1, "pct%41": 1, "amp&lt;": -1, "<tag>": 1, "q\"'": 1,
		"hot": 250, "hot2": -40, "z": 1, "zz/zz/zz": 1,
	}
	long := strings.Repeat("x", 300)
	for i := range 120 {
		keys[fmt.Sprintf("%s/%03d", long, i)] = 1 + i%3
	}
	for i := range 200 {
		keys[fmt.Sprintf("logs/2024/%02d/%03d.gz", i%12, i)] = 1
		keys[fmt.Sprintf("img/%c%c", 'a'+i%26, 'a'+i/26)] = -1
	}
	return keys
}

// TestListAllExact proves on buckets with known contents that ListAll emits
// every version and delete marker exactly once, for page sizes that put
// page boundaries everywhere and for several parallelism levels.
func TestListAllExact(t *testing.T) {
	buckets := map[string]map[string]int{
		"generated":          generatedKeys(3000, "data/", 1),
		"generated-versions": generatedKeys(700, "tenant-0001/obj-", 3),
		"tricky":             trickyKeys(),
		"one-key":            {"only": 333},
		"empty":              {},
	}
	for name, keys := range buckets {
		fb := newFakeBucket(keys)
		srv := fb.serve(t)
		c := newTestClient(srv.URL)
		want := serialList(t, c, "b")
		if len(want) != len(fb.versions) {
			t.Fatalf("%s: reference listing has %d entries, bucket %d", name, len(want), len(fb.versions))
		}
		for _, par := range []int{1, 3, 16} {
			for _, mk := range []int32{1, 7, 100, 0} {
				opts := Options{Parallelism: par, MaxKeys: mk}
				got, st := parallelList(t, c, "b", opts)
				requireExact(t, fmt.Sprintf("%s par=%d maxkeys=%d", name, par, mk), got, want)
				if st.Entries != int64(len(want)) {
					t.Fatalf("%s: stats entries %d", name, st.Entries)
				}
			}
		}
	}
}

// TestListAllRandomBuckets: random key sets (random alphabets and depths),
// random page sizes and parallelism, always exact; the SDK decoder option
// gives the same result.
func TestListAllRandomBuckets(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	alphabets := []string{"01", "0123456789", "abc/", "aZ-_/.日🙂", "\x01 ~"}
	for iter := range 25 {
		alpha := []rune(alphabets[r.IntN(len(alphabets))])
		keys := map[string]int{}
		for range 1 + r.IntN(800) {
			var sb strings.Builder
			for range 1 + r.IntN(12) {
				sb.WriteRune(alpha[r.IntN(len(alpha))])
			}
			v := 1 + r.IntN(4)
			if r.IntN(6) == 0 {
				v = -v
			}
			keys[sb.String()] = v
		}
		fb := newFakeBucket(keys)
		c := newTestClient(fb.serve(t).URL)
		want := serialList(t, c, "b")
		opts := Options{Parallelism: 1 + r.IntN(12), MaxKeys: int32(1 + r.IntN(60)), SDKDecoder: r.IntN(4) == 0}
		got, _ := parallelList(t, c, "b", opts)
		requireExact(t, fmt.Sprintf("iter %d %+v", iter, opts), got, want)
	}
}

// TestListAllOneCallForSmallBuckets: a bucket that fits in a page costs one
// request (the performance model's minimum).
func TestListAllOneCallForSmallBuckets(t *testing.T) {
	fb := newFakeBucket(generatedKeys(100, "k", 1))
	c := newTestClient(fb.serve(t).URL)
	_, st := parallelList(t, c, "b", Options{Parallelism: 64})
	if st.Calls != 1 || fb.calls.Load() != 1 {
		t.Fatalf("calls %d / server %d, want 1", st.Calls, fb.calls.Load())
	}
}

// TestListAllSplits: a large bucket is actually listed by several ranges
// in parallel, and without many wasted calls.
func TestListAllSplits(t *testing.T) {
	fb := newFakeBucket(generatedKeys(20000, "data/", 1))
	c := newTestClient(fb.serve(t).URL)
	got, st := parallelList(t, c, "b", Options{Parallelism: 16, MaxKeys: 100})
	if len(got) != 20000 {
		t.Fatalf("%d entries", len(got))
	}
	pages := int64(200)
	if st.Ranges < 8 || st.Calls > 2*pages {
		t.Fatalf("ranges %d calls %d for %d pages", st.Ranges, st.Calls, pages)
	}
	t.Logf("ranges %d calls %d (minimum %d)", st.Ranges, st.Calls, pages)
}

// TestListAllMaxVersions: the cut-off emits exactly MaxVersions entries and
// says so; a bucket of exactly MaxVersions is complete.
func TestListAllMaxVersions(t *testing.T) {
	fb := newFakeBucket(generatedKeys(500, "k", 1))
	c := newTestClient(fb.serve(t).URL)
	n := 0
	err := ListAll(context.Background(), c, "b", Options{Parallelism: 4, MaxKeys: 30, MaxVersions: 123}, func(p *Page) error {
		n += len(p.Entries)
		return nil
	})
	if !errors.Is(err, ErrMaxVersions) || n != 123 {
		t.Fatalf("n %d err %v", n, err)
	}
	n = 0
	err = ListAll(context.Background(), c, "b", Options{Parallelism: 4, MaxKeys: 30, MaxVersions: 500}, func(p *Page) error {
		n += len(p.Entries)
		return nil
	})
	if err != nil || n != 500 {
		t.Fatalf("n %d err %v", n, err)
	}
}

// TestListAllEmitError stops the listing and returns emit's error.
func TestListAllEmitError(t *testing.T) {
	fb := newFakeBucket(generatedKeys(500, "k", 1))
	c := newTestClient(fb.serve(t).URL)
	boom := errors.New("boom")
	err := ListAll(context.Background(), c, "b", Options{Parallelism: 4, MaxKeys: 30}, func(p *Page) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
}

// TestListAllCallError: a failing request fails the listing with the SDK's error.
func TestListAllCallError(t *testing.T) {
	f := listerFunc(func(ctx context.Context, in *s3.ListObjectVersionsInput, _ ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
		if aws.ToString(in.KeyMarker) != "" {
			return nil, errors.New("denied")
		}
		return &s3.ListObjectVersionsOutput{IsTruncated: aws.Bool(true), NextKeyMarker: aws.String("a"),
			Versions: []types.ObjectVersion{{Key: aws.String("a"), VersionId: aws.String("1")}}}, nil
	})
	err := ListAll(context.Background(), f, "b", Options{}, func(*Page) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "denied") {
		t.Fatalf("err %v", err)
	}
}

// TestListAllHoldsBackWhilePagesWait: while emit is slow, responses pile
// up; past maxWaiting the listing holds back its next requests (it never
// blocks a response), sends them once the pile is handled, and stays exact.
func TestListAllHoldsBackWhilePagesWait(t *testing.T) {
	fb := newFakeBucket(generatedKeys(6000, "data/", 1))
	c := newTestClient(fb.serve(t).URL)
	want := serialList(t, c, "b")
	var emits atomic.Int64
	var got []string
	st, err := ListAllStats(context.Background(), c, "b", Options{Parallelism: 32, MaxKeys: 50}, func(p *Page) error {
		if n := emits.Add(1); n%20 == 5 {
			// A stalled consumer: every request in flight lands meanwhile.
			time.Sleep(30 * time.Millisecond)
		}
		for _, e := range p.Entries {
			got = append(got, e.Key+"\x00"+e.VersionID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	requireExact(t, "held back", got, want)
	if st.HeldBack == 0 {
		t.Fatalf("no request was held back (stats %+v)", st)
	}
	t.Logf("stats %+v", st)
}
