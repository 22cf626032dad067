package policy

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse feeds Parse arbitrary text: it must never panic, must answer
// either a document or an *Error, and what it accepts must survive
// ACLDemands and a Merge that Parse reads back with the same statements.
func FuzzParse(f *testing.F) {
	f.Add([]byte(crossAccountWriters))
	f.Add([]byte(writeStatement("Deny", `["s3:*"]`, `{"ForAllValues:StringNotLikeIfExists": {"s3:x-amz-acl": ["public-*", 1, true]}}`)))
	f.Add([]byte(`{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}`))
	f.Add([]byte(strings.Repeat(`{"a":`, 40)))
	f.Add([]byte(`{"Statement": [{}, {}], "Statement": 1}`))
	f.Add([]byte("\xff\xfe{}"))
	f.Fuzz(func(t *testing.T, text []byte) {
		doc, err := Parse(text)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		if _, err := doc.ACLDemands(ownerID); err != nil && !errors.Is(err, ErrNotEvaluated) {
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("ACLDemands error %v is neither ErrNotEvaluated nor an *Error", err)
			}
		}
		out, err := Merge(doc, []NewStatement{{Sid: "Added", Principal: AnyPrincipal, Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::b/k"}}})
		if err != nil {
			return // an old-Version document holding "${": refused, not crashed
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("Merge wrote text Parse refuses: %v\n%s", err, out)
		}
		if len(back.Statements) != len(doc.Statements)+1 {
			t.Fatalf("merged policy has %d statements, want %d", len(back.Statements), len(doc.Statements)+1)
		}
		for i, st := range doc.Statements {
			if string(back.Statements[i].Raw) != string(st.Raw) {
				t.Fatalf("statement %d changed in the merge:\n%s\n%s", i, st.Raw, back.Statements[i].Raw)
			}
		}
	})
}
