package fakeaws_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestMotoDifferential runs one organization on fakeaws and on moto and
// compares what the real SDK sees of both, for what moto models faithfully
// (the package documentation lists where it does not): Organizations listing
// and paging, AssumeRole binding to the member account, per-account
// ListBuckets, ownership controls including the not-found error, the bucket
// ACL, bucket regions, and object listing and paging. Account IDs, canonical
// IDs and version IDs differ by design and are compared by shape only.
//
// Where moto is known to be unfaithful (one owner for every object, no trust
// or signature checks, no BucketRegion in ListBuckets, ListBuckets truncation
// without a token) nothing is compared.
func TestMotoDifferential(t *testing.T) {
	org := newDiffOrg()

	began := time.Now()
	moto := startMotoSide(t, org)
	t.Logf("moto seeded in %s", time.Since(began).Round(time.Millisecond))
	fake := startFakeawsSide(t, org)

	began = time.Now()
	want := observe(t, moto, org)
	t.Logf("moto observed in %s", time.Since(began).Round(time.Millisecond))
	began = time.Now()
	got := observe(t, fake, org)
	t.Logf("fakeaws observed in %s", time.Since(began).Round(time.Millisecond))

	compareObservations(t, got.obs, want.obs)

	t.Run("known moto divergences", func(t *testing.T) {
		checkDivergences(t, got, want)
	})
}

// compareObservations reports every field of the observation on which
// fakeaws (got) and moto (want) differ, with both values.
func compareObservations(t *testing.T, got, want observation) {
	t.Helper()
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := 0; i < gv.NumField(); i++ {
		name := gv.Type().Field(i).Name
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		if reflect.DeepEqual(g, w) {
			continue
		}
		gl, gok := g.([]string)
		wl, wok := w.([]string)
		if gok && wok {
			t.Errorf("%s differs (fakeaws vs moto):%s", name, lineDiff(gl, wl))
			continue
		}
		t.Errorf("%s differs: fakeaws %v, moto %v", name, g, w)
	}
}

// lineDiff lists the positions where two renderings differ.
func lineDiff(got, want []string) string {
	var b strings.Builder
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			fmt.Fprintf(&b, "\n  [%d] fakeaws: %s\n  [%d]    moto: %s", i, g, i, w)
		}
	}
	return b.String()
}
