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
	full := &scanner.Result{StartedAt: time.Unix(5, 0), Accounts: []scanner.Account{{ID: "1", Name: "<a&b>"}}, Buckets: []scanner.Bucket{{Name: "x", ForeignOwners: []scanner.ForeignOwner{{CanonicalID: "c", SampleKeys: []string{"k<"}}}}, {Name: "y"}}, Findings: []scanner.Finding{{ID: "a"}}}
	tool := Tool{Name: "ownerscan", Version: "t"}
	for _, doc := range []*Document{
		newDocument(&scanner.Result{}, tool),
		newDocument(full, tool),
		// With a baseline: nothing resolved (empty lists are still
		// written), and something resolved.
		NewDocument(&scanner.Result{}, tool, &Comparison{Baseline: Baseline{StartedAt: time.Unix(1, 0)}}),
		NewDocument(full, tool, &Comparison{
			Baseline:   Baseline{StartedAt: time.Unix(1, 0), New: 1, Resolved: 1, Unverified: 1},
			Findings:   []scanner.Finding{{ID: "a", Change: scanner.ChangeNew}},
			Resolved:   []scanner.Finding{{ID: "b<", Change: scanner.ChangeResolved}},
			Unverified: []scanner.Finding{{ID: "c", Change: scanner.ChangeUnverified}},
		}),
	} {
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
