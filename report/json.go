package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/ownerscan/ownerscan/scanner"
)

// SchemaVersion is the version of the report.json schema. It changes only
// when a field is renamed, removed or changes meaning; added fields keep it.
const SchemaVersion = 1

// Document is report.json: the schema version, the tool that wrote it, and
// the scan result, whose fields are flattened to the top level in the order
// of the README (started_at, finished_at, complete, organization, summary,
// accounts, buckets, findings), then, when the scan was compared with a
// baseline report, baseline, resolved_findings and unverified_findings.
type Document struct {
	SchemaVersion int  `json:"schema_version"`
	Tool          Tool `json:"tool"`
	*scanner.Result

	// Set only with a baseline (see Compare); absent from report.json
	// otherwise.
	Baseline           *Baseline         `json:"baseline,omitzero"`
	ResolvedFindings   []scanner.Finding `json:"resolved_findings,omitzero"`
	UnverifiedFindings []scanner.Finding `json:"unverified_findings,omitzero"`
}

// NewDocument wraps a normalised copy of res for writing; res itself is not
// modified. With a comparison (nil: none), the findings are the
// comparison's, each marked new or unchanged, and the document carries the
// baseline, the resolved and the unverified findings.
func NewDocument(res *scanner.Result, tool Tool, cmp *Comparison) *Document {
	doc := &Document{SchemaVersion: SchemaVersion, Tool: tool, Result: normalize(res)}
	if cmp != nil {
		doc.Findings = nonNil(cmp.Findings)
		base := cmp.Baseline
		base.StartedAt = base.StartedAt.UTC()
		doc.Baseline = &base
		doc.ResolvedFindings = nonNil(cmp.Resolved)
		doc.UnverifiedFindings = nonNil(cmp.Unverified)
	}
	return doc
}

// writeJSON writes doc indented, with a final newline. HTML characters are
// not escaped (the file is not embedded in HTML, and keys stay readable);
// invalid UTF-8 is replaced with U+FFFD by encoding/json.
//
// The account, bucket and finding lists are written one element at a
// time: encoding/json builds a whole value in memory (and indents it into
// a second copy), which for an organization of 20,000 buckets was a 20 MB
// document held twice at the end of the scan. The output is byte for byte
// what encoding the whole document at once gives.
func writeJSON(w io.Writer, doc *Document) error {
	head := *doc.Result
	head.Accounts, head.Buckets, head.Findings = []scanner.Account{}, []scanner.Bucket{}, []scanner.Finding{}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	// The head leaves out the baseline fields, which follow the lists.
	if err := enc.Encode(&Document{SchemaVersion: doc.SchemaVersion, Tool: doc.Tool, Result: &head}); err != nil {
		return err
	}
	const tail = "  \"accounts\": [],\n  \"buckets\": [],\n  \"findings\": []\n}\n"
	start, ok := bytes.CutSuffix(buf.Bytes(), []byte(tail))
	if !ok {
		return errors.New("report: write json: unexpected document layout")
	}
	bw := bufio.NewWriter(w)
	bw.Write(start)
	if err := writeJSONList(bw, "accounts", doc.Accounts, ",\n"); err != nil {
		return err
	}
	if err := writeJSONList(bw, "buckets", doc.Buckets, ",\n"); err != nil {
		return err
	}
	if doc.Baseline == nil {
		if err := writeJSONList(bw, "findings", doc.Findings, "\n}\n"); err != nil {
			return err
		}
		return bw.Flush()
	}
	if err := writeJSONList(bw, "findings", doc.Findings, ",\n"); err != nil {
		return err
	}
	var base bytes.Buffer
	benc := json.NewEncoder(&base)
	benc.SetIndent("  ", "  ")
	benc.SetEscapeHTML(false)
	if err := benc.Encode(doc.Baseline); err != nil {
		return err
	}
	bw.WriteString("  \"baseline\": ")
	bw.Write(bytes.TrimSuffix(base.Bytes(), []byte("\n")))
	bw.WriteString(",\n")
	if err := writeJSONList(bw, "resolved_findings", nonNil(doc.ResolvedFindings), ",\n"); err != nil {
		return err
	}
	if err := writeJSONList(bw, "unverified_findings", nonNil(doc.UnverifiedFindings), "\n}\n"); err != nil {
		return err
	}
	return bw.Flush()
}

// writeJSONList writes `  "name": [...]` and then end, each element
// indented as it would be inside the whole document.
func writeJSONList[T any](w *bufio.Writer, name string, list []T, end string) error {
	w.WriteString("  \"" + name + "\": ")
	if err := writeJSONElements(w, "    ", len(list), func(i int) any { return &list[i] }); err != nil {
		return err
	}
	_, err := w.WriteString(end)
	return err
}

// writeJSONElements writes the n elements that elem returns as a JSON
// array, one element encoded at a time, so the whole array is never held
// in memory: each element on its own line after indent, the closing
// bracket one level (two spaces) less indented, as encoding/json indents a
// whole document. HTML characters are not escaped.
func writeJSONElements(w *bufio.Writer, indent string, n int, elem func(i int) any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent(indent, "  ")
	enc.SetEscapeHTML(false)
	w.WriteString("[")
	for i := range n {
		if i > 0 {
			w.WriteString(",")
		}
		w.WriteString("\n")
		w.WriteString(indent)
		buf.Reset()
		if err := enc.Encode(elem(i)); err != nil {
			return err
		}
		// Encode ends the element with a newline; the array puts it
		// before the next element's indentation instead.
		w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	}
	if n > 0 {
		w.WriteString("\n")
		w.WriteString(indent[:len(indent)-2])
	}
	_, err := w.WriteString("]")
	return err
}

// ReadJSON decodes a report.json written by this package. It refuses any
// schema_version but SchemaVersion and trailing data after the document;
// fields it does not know are ignored.
func ReadJSON(r io.Reader) (*Document, error) {
	doc := &Document{Result: &scanner.Result{}}
	dec := json.NewDecoder(r)
	if err := dec.Decode(doc); err != nil {
		return nil, fmt.Errorf("report: read json: %w", err)
	}
	if doc.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("report: read json: schema_version %d, want %d", doc.SchemaVersion, SchemaVersion)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("report: read json: data after the document")
	}
	return doc, nil
}

// normalize returns a copy of res fit for writing: times in UTC and every
// nil slice or map replaced by an empty one, so report.json has [] and {}
// where a reader expects a list or an object, never null. Slices that
// change are copied; res is left as it was.
func normalize(res *scanner.Result) *scanner.Result {
	out := *res
	out.StartedAt = res.StartedAt.UTC()
	out.FinishedAt = res.FinishedAt.UTC()
	if out.Summary.Findings == nil {
		out.Summary.Findings = map[string]int{}
	}
	if res.Scope != nil {
		out.Scope = &scanner.Scope{
			BucketsInclude: nonNil(res.Scope.BucketsInclude),
			BucketsExclude: nonNil(res.Scope.BucketsExclude),
			Regions:        nonNil(res.Scope.Regions),
		}
	}
	out.Accounts = nonNil(res.Accounts)
	out.Findings = nonNil(res.Findings)
	out.Buckets = make([]scanner.Bucket, len(res.Buckets))
	for i, b := range res.Buckets {
		b.ACLGrants = nonNil(b.ACLGrants)
		owners := make([]scanner.ForeignOwner, len(b.ForeignOwners))
		for j, fo := range b.ForeignOwners {
			fo.SampleKeys = nonNil(fo.SampleKeys)
			fo.CandidateAccounts = nonNil(fo.CandidateAccounts)
			owners[j] = fo
		}
		b.ForeignOwners = owners
		if b.Readiness != nil {
			rd := *b.Readiness
			rd.Blockers, rd.Changes = nonNil(rd.Blockers), nonNil(rd.Changes)
			grants := make([]scanner.ObjectGrant, len(rd.ObjectACLSample.Grants))
			for j, g := range rd.ObjectACLSample.Grants {
				g.SampleKeys = nonNil(g.SampleKeys)
				grants[j] = g
			}
			rd.ObjectACLSample.Grants = grants
			b.Readiness = &rd
		}
		out.Buckets[i] = b
	}
	return &out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
