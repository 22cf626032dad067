package fakeaws

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// fuzzListStore is a bucket whose generated keys (3 versions each) are
// interleaved with stored keys that have versions and delete markers.
func fuzzListStore(tb testing.TB) *s3Store {
	var objects []ObjectSpec
	for i := 0; i < 40; i += 3 {
		k := fmt.Sprintf("data/%03d-stored", i)
		objects = append(objects, ObjectSpec{Key: k, Versions: 1 + i%3, Size: 1})
		if i%2 == 0 {
			objects = append(objects, ObjectSpec{Key: k, Delete: true})
		}
	}
	objects = append(objects, ObjectSpec{Key: "a/x", Size: 1}, ObjectSpec{Key: "zz", Versions: 2})
	st, err := newS3Store(s3TestScenario(BucketSpec{Name: "fz", Account: acctB, Versioning: versioningEnabled, Ownership: ownershipWriter,
		Objects:   objects,
		Generated: &GeneratedSpec{Count: 40, KeyPrefix: "data/", VersionsPerKey: 3, Foreign: map[string]float64{acctC: 0.3}}}))
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

type listEntry struct {
	XMLName   xml.Name
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId"`
	Prefix    string `xml:"Prefix"`
}

type listPageXML struct {
	IsTruncated         bool        `xml:"IsTruncated"`
	NextKeyMarker       string      `xml:"NextKeyMarker"`
	NextVersionIDMarker string      `xml:"NextVersionIdMarker"`
	Entries             []listEntry `xml:",any"`
}

// listPage calls ListObjectVersions on the handler and parses the page;
// entries are "key@version" (or "prefix/" for common prefixes) in order.
func listPage(tb testing.TB, st *s3Store, q url.Values) (page listPageXML, entries []string, status int) {
	r := httptest.NewRequest(http.MethodGet, "/fz?versions=&"+q.Encode(), nil)
	w := httptest.NewRecorder()
	st.serve(w, r, &Caller{AccountID: acctB, CanonicalID: CanonicalIDFor(acctB), Region: "us-east-1"})
	if w.Code != http.StatusOK {
		return page, nil, w.Code
	}
	if err := xml.Unmarshal(w.Body.Bytes(), &page); err != nil {
		tb.Fatalf("response is not XML: %v\n%s", err, w.Body.String())
	}
	for _, e := range page.Entries {
		switch e.XMLName.Local {
		case "Version", "DeleteMarker":
			entries = append(entries, e.Key+"@"+e.VersionID)
		case "CommonPrefixes":
			entries = append(entries, e.Prefix)
		}
	}
	return page, entries, w.Code
}

// FuzzListObjectVersionsMarkers: whatever the markers, max-keys, prefix
// and delimiter, the handler answers 200 or 400 with well-formed XML; a
// page never exceeds max-keys; and paging from the given markers with the
// returned Next markers yields exactly the full listing's suffix after the
// markers, with no entry twice and no empty last page.
func FuzzListObjectVersionsMarkers(f *testing.F) {
	st := fuzzListStore(f)
	_, full, _ := listPage(f, st, url.Values{})
	f.Add("", "", uint16(1), "", "")
	f.Add("data/0010", "", uint16(7), "", "")
	f.Add("data/003-stored", "", uint16(2), "data/", "")
	f.Add("data/0", "", uint16(3), "", "-")
	f.Add("data/0020", strings.SplitN(full[70], "@", 2)[1], uint16(5), "", "")
	f.Add("a/", "", uint16(1), "", "/")
	f.Fuzz(func(t *testing.T, keyMarker, vidMarker string, maxKeys uint16, prefix, delimiter string) {
		q := url.Values{}
		for name, v := range map[string]string{"key-marker": keyMarker, "version-id-marker": vidMarker, "prefix": prefix, "delimiter": delimiter} {
			if v != "" {
				q.Set(name, v)
			}
		}
		q.Set("max-keys", fmt.Sprint(maxKeys))
		page, entries, status := listPage(t, st, q)
		if status != http.StatusOK {
			if status != http.StatusBadRequest || vidMarker == "" || keyMarker != "" {
				t.Fatalf("status %d for %v", status, q)
			}
			return
		}
		limit := min(int(maxKeys), 1000)
		if len(entries) > limit {
			t.Fatalf("%d entries for max-keys %d", len(entries), maxKeys)
		}
		if page.IsTruncated && len(entries) != limit {
			t.Fatalf("truncated page of %d entries for max-keys %d", len(entries), limit)
		}
		if delimiter != "" || limit == 0 {
			return
		}
		// Page on to the end; the concatenation must be the full listing's
		// entries after the markers that match the prefix.
		got := append([]string(nil), entries...)
		for pages := 0; page.IsTruncated; pages++ {
			if pages > len(full) {
				t.Fatalf("paging does not end")
			}
			q.Set("key-marker", page.NextKeyMarker)
			q.Set("version-id-marker", page.NextVersionIDMarker)
			if page.NextVersionIDMarker == "" {
				q.Del("version-id-marker")
			}
			page, entries, status = listPage(t, st, q)
			if status != http.StatusOK || len(entries) == 0 {
				t.Fatalf("next page: status %d, %d entries", status, len(entries))
			}
			got = append(got, entries...)
		}
		var want []string
		resumed := keyMarker == ""
		for _, e := range full {
			key, vid, _ := strings.Cut(e, "@")
			switch {
			case resumed:
			case key > keyMarker:
				resumed = true
			case key == keyMarker && vidMarker != "" && vid == vidMarker:
				resumed = true
				continue
			}
			if resumed && strings.HasPrefix(key, prefix) {
				want = append(want, e)
			}
		}
		if vidMarker != "" && keyMarker != "" && !strings.Contains(strings.Join(full, "\n"), keyMarker+"@"+vidMarker) {
			want = want[:0] // unknown version ID: resume at the next key
			for _, e := range full {
				if key, _, _ := strings.Cut(e, "@"); key > keyMarker && strings.HasPrefix(key, prefix) {
					want = append(want, e)
				}
			}
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("paging from %v by %d:\n got %d entries %v\nwant %d entries %v", q, limit, len(got), got, len(want), want)
		}
	})
}
