package versionlist

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// FuzzDecodeListVersions: the fast decoder never panics, and whenever it
// accepts a document, the SDK's deserializer (a real client reading the
// same bytes over HTTP) accepts it too and yields the same page.
func FuzzDecodeListVersions(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 20 {
		f.Add(genPage(r, genOptions{Entries: r.IntN(4), URL: i%2 == 0, Noise: i%3 == 0, Prefixes: r.IntN(2), Truncated: i%2 == 1}))
	}
	f.Add([]byte(`<ListVersionsResult><Version><Key>a&#x1F642;&amp;</Key><Size>0</Size></Version></ListVersionsResult>`))
	// encoding/xml refuses an attribute name with two colons.
	f.Add([]byte(`<ListVersionsResult x:y:z="1"><IsTruncated>false</IsTruncated></ListVersionsResult>`))
	cs := newCannedServer(f)
	c := newTestClient(cs.URL)
	f.Fuzz(func(t *testing.T, body []byte) {
		var d Decoder
		var p Page
		watchdog := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("hang on %q", body)) })
		defer watchdog.Stop()
		if err := d.Decode(body, &p); err != nil {
			return // refused: the SDK decides
		}
		out, err := sdkDecode(cs, c, body)
		if err != nil {
			t.Fatalf("fast decoder accepted what the SDK rejects (%v):\n%q", err, body)
		}
		if diff := diffViews(viewFromPage(&p), viewFromSDK(t, out)); diff != "" {
			t.Fatalf("fast and SDK disagree:\n%s\n%q", diff, body)
		}
	})
}
