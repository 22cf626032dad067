package report

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/ownerscan/ownerscan/scanner"
)

// writeJSON writes the lists element by element: the bytes must be those
// of encoding the whole document at once (HTML characters unescaped).
func TestWriteJSONStreamsTheSameBytes(t *testing.T) {
	for _, res := range []*scanner.Result{
		{},
		{StartedAt: time.Unix(5, 0), Accounts: []scanner.Account{{ID: "1", Name: "<a&b>"}}, Buckets: []scanner.Bucket{{Name: "x", ForeignOwners: []scanner.ForeignOwner{{CanonicalID: "c", SampleKeys: []string{"k<"}}}}, {Name: "y"}}, Findings: []scanner.Finding{{}}},
	} {
		doc := newDocument(res, Tool{Name: "ownerscan", Version: "t"})
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(doc); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := writeJSON(&got, doc); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("got\n%s\nwant\n%s", got.String(), want.String())
		}
	}
}
