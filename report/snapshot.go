package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/ownerscan/ownerscan/scanner"
)

// MaxReportBytes bounds a report.json read back as a baseline or by diff.
// A report is about 1 KB per bucket (an organization of 20,000 buckets
// writes some 20 MB), so this leaves room for the largest organizations
// while refusing a file that would only exhaust memory. The reader streams
// the document and keeps only what a comparison needs, not the buckets'
// details, so memory stays well below the file size.
const MaxReportBytes = 1 << 30

// ErrNotAReport marks a file that is not a report.json written by
// ownerscan: not JSON, cut short, another schema version, another tool, or
// missing what a comparison needs.
var ErrNotAReport = errors.New("not an ownerscan report.json")

// Snapshot is what a comparison needs of one scan: when it ran, the
// organization, what it had in scope, the accounts (with their canonical
// IDs), where each bucket stood, and the findings. SnapshotOf takes it from a scan result;
// ReadSnapshot and LoadSnapshot from a report.json.
type Snapshot struct {
	StartedAt    time.Time
	Complete     bool
	Organization scanner.Organization
	// Scope is nil for a report written before report.json recorded it.
	Scope    *scanner.Scope
	Accounts []scanner.Account
	Buckets  []BucketState
	Findings []scanner.Finding

	// Details are the bucket rows in full (readiness, grants, state
	// fingerprints: what a remediation plan is made from), in the order of
	// Buckets. Only SnapshotOf and LoadDetailedSnapshot fill them; a
	// baseline does not need them and does not hold them in memory.
	Details []scanner.Bucket
}

// BucketState is what a comparison needs of a bucket: whether its
// ownership and ACL were read (status) and how far its objects were listed.
type BucketState struct {
	AccountID       string                  `json:"account_id"`
	Name            string                  `json:"name"`
	Region          string                  `json:"region"`
	ObjectOwnership scanner.ObjectOwnership `json:"object_ownership"`
	Status          scanner.BucketStatus    `json:"status"`
	ObjectScan      scanner.ObjectScan      `json:"object_scan"`
}

// SnapshotOf takes the snapshot of a scan result. It shares the result's
// slices of accounts and findings; neither is modified.
func SnapshotOf(res *scanner.Result) *Snapshot {
	s := &Snapshot{
		StartedAt:    res.StartedAt,
		Complete:     res.Complete,
		Organization: res.Organization,
		Scope:        res.Scope,
		Accounts:     res.Accounts,
		Findings:     res.Findings,
		Details:      res.Buckets,
	}
	s.Buckets = bucketStates(res.Buckets)
	return s
}

// bucketStates keeps of each bucket what a comparison needs.
func bucketStates(buckets []scanner.Bucket) []BucketState {
	out := make([]BucketState, len(buckets))
	for i, b := range buckets {
		out[i] = BucketState{
			AccountID: b.AccountID, Name: b.Name, Region: b.Region,
			ObjectOwnership: b.ObjectOwnership, Status: b.Status, ObjectScan: b.ObjectScan,
		}
	}
	return out
}

// canonicalIDPattern is the form of an S3 canonical user ID.
var canonicalIDPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// accountIDPattern is the form of an AWS account ID.
var accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)

// CanonicalIDs maps the account IDs of the snapshot to the canonical IDs
// the scan learned for them. Entries that are not a 12-digit account ID and
// a 64-hex-digit canonical ID are left out: a baseline is read from a file,
// and only well-formed values may identify an owner.
func (s *Snapshot) CanonicalIDs() map[string]string {
	out := map[string]string{}
	for _, a := range s.Accounts {
		if accountIDPattern.MatchString(a.ID) && canonicalIDPattern.MatchString(a.CanonicalID) {
			out[a.ID] = a.CanonicalID
		}
	}
	return out
}

// LoadSnapshot reads the report at path: a report.json, or a folder holding
// one. Errors say which file and why; a file that is not a report wraps
// ErrNotAReport.
func LoadSnapshot(path string) (*Snapshot, error) {
	return loadSnapshot(path, false)
}

// LoadDetailedSnapshot is LoadSnapshot keeping every bucket row in full
// (Snapshot.Details), as a remediation plan needs them.
func LoadDetailedSnapshot(path string) (*Snapshot, error) {
	return loadSnapshot(path, true)
}

func loadSnapshot(path string, detailed bool) (*Snapshot, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("report: read %s: %w", path, unwrapPath(err))
	}
	if st.IsDir() {
		path = filepath.Join(path, ReportJSONFile)
		if st, err = os.Stat(path); err != nil {
			return nil, fmt.Errorf("report: read %s: %w", path, unwrapPath(err))
		}
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("report: read %s: not a regular file", path)
	}
	if st.Size() > MaxReportBytes {
		return nil, fmt.Errorf("report: read %s: %w: larger than %d bytes", path, ErrNotAReport, int64(MaxReportBytes))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("report: read %s: %w", path, unwrapPath(err))
	}
	defer f.Close()
	snap, err := readSnapshot(f, MaxReportBytes, detailed)
	if err != nil {
		return nil, fmt.Errorf("report: read %s: %w", path, err)
	}
	return snap, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ReadSnapshot reads a report.json written by this package (WriteDocument)
// and keeps what a comparison needs. The input is untrusted: it is read as
// a stream, at most MaxReportBytes of it, one list element at a time, and
// refused (wrapping ErrNotAReport) unless it is one JSON object with
// schema_version SchemaVersion, tool.name "ownerscan", a well-formed
// organization ID, the accounts, buckets and findings lists, an ID on every
// finding, a scope (when given) of valid globs and region names, and
// nothing after it. A key given twice is refused too.
func ReadSnapshot(r io.Reader) (*Snapshot, error) {
	return readSnapshot(r, MaxReportBytes, false)
}

// ReadDetailedSnapshot is ReadSnapshot keeping every bucket row in full
// (Snapshot.Details), as LoadDetailedSnapshot does.
func ReadDetailedSnapshot(r io.Reader) (*Snapshot, error) {
	return readSnapshot(r, MaxReportBytes, true)
}

func readSnapshot(r io.Reader, limit int64, detailed bool) (*Snapshot, error) {
	lr := &cappedReader{r: r, left: limit}
	snap, err := decodeSnapshot(json.NewDecoder(lr), detailed)
	if lr.over {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrNotAReport, limit)
	}
	if err != nil {
		return nil, err
	}
	return snap, nil
}

// cappedReader reads at most left bytes and then fails, remembering that
// the input was longer.
type cappedReader struct {
	r    io.Reader
	left int64
	over bool
}

var errTooLarge = errors.New("input too large")

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// One byte more tells a file of exactly the limit from a longer one.
		var one [1]byte
		if n, _ := c.r.Read(one[:]); n > 0 {
			c.over = true
			return 0, errTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// snapshotDoc holds the top-level fields that are not lists.
type snapshotDoc struct {
	schemaVersion int
	tool          Tool
}

func notAReport(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrNotAReport}, args...)...)
}

func decodeSnapshot(dec *json.Decoder, detailed bool) (*Snapshot, error) {
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, notAReport("not a JSON object")
	}
	snap := &Snapshot{}
	var head snapshotDoc
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, notAReport("%v", err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return nil, notAReport("key %q given twice", key)
		}
		seen[key] = true
		switch key {
		case "schema_version":
			err = dec.Decode(&head.schemaVersion)
		case "tool":
			err = dec.Decode(&head.tool)
		case "started_at":
			err = dec.Decode(&snap.StartedAt)
		case "complete":
			err = dec.Decode(&snap.Complete)
		case "organization":
			err = dec.Decode(&snap.Organization)
		case "scope":
			err = decodeScope(dec, &snap.Scope)
		case "accounts":
			err = decodeList(dec, &snap.Accounts)
		case "buckets":
			if !detailed {
				err = decodeList(dec, &snap.Buckets)
			} else if err = decodeList(dec, &snap.Details); err == nil {
				snap.Buckets = bucketStates(snap.Details)
			}
		case "findings":
			err = decodeList(dec, &snap.Findings)
		default:
			err = skipValue(dec)
		}
		if err != nil {
			return nil, notAReport("%s: %v", key, err)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, notAReport("%v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, notAReport("data after the document")
	}
	for _, key := range []string{"schema_version", "tool", "started_at", "organization", "accounts", "buckets", "findings"} {
		if !seen[key] {
			return nil, notAReport("no %s", key)
		}
	}
	if head.schemaVersion != SchemaVersion {
		return nil, notAReport("schema_version %d, want %d", head.schemaVersion, SchemaVersion)
	}
	if head.tool.Name != ToolName {
		return nil, notAReport("written by %q, not ownerscan", head.tool.Name)
	}
	if !scanner.OrganizationIDPattern.MatchString(snap.Organization.ID) {
		return nil, notAReport("organization.id %q is not an organization ID (a scan that could not read its organization cannot be compared)", snap.Organization.ID)
	}
	for i, f := range snap.Findings {
		if f.ID == "" {
			return nil, notAReport("findings[%d] has no id (a report written before findings had stable IDs; run a scan to make a new baseline)", i)
		}
	}
	return snap, nil
}

// decodeScope decodes report.json's scope, refusing one whose globs or
// regions the scanner itself would refuse: a comparison matches bucket
// names against it. A null scope is no scope recorded.
func decodeScope(dec *json.Decoder, out **scanner.Scope) error {
	var s *scanner.Scope
	if err := dec.Decode(&s); err != nil {
		return err
	}
	if s != nil {
		if err := s.Validate(); err != nil {
			return err
		}
	}
	*out = s
	return nil
}

// decodeList decodes a JSON array one element at a time, so that only one
// element is buffered at once.
func decodeList[T any](dec *json.Decoder, out *[]T) error {
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		if err == nil {
			err = errors.New("not a list")
		}
		return err
	}
	list := []T{}
	for dec.More() {
		var v T
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("element %d: %w", len(list), err)
		}
		list = append(list, v)
	}
	if _, err := dec.Token(); err != nil { // the closing bracket
		return err
	}
	*out = list
	return nil
}

// skipValue reads past one JSON value token by token, without buffering it
// whole: a field this reader does not need may be large.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}
