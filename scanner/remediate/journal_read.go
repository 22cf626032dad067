package remediate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"

	"github.com/ownerscan/ownerscan/scanner"
)

// Limits on what a journal entry may hold.
const (
	// maxEntryBytes bounds one line: two states of a bucket, each with a
	// policy of at most 20 KB and an ACL of at most 100 grants.
	maxEntryBytes = 1 << 20
	// maxGrants is S3's limit on the grants of one ACL
	// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html).
	maxGrants = 100
)

var runIDPattern = regexp.MustCompile(`^[0-9a-f]{16}$`)

// ReadJournalFile reads the journal at path without locking or changing it
// (a dry run's read).
func ReadJournalFile(path string) ([]Entry, bool, error) {
	f, err := openRegular(path, "the journal")
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	return ReadJournal(f)
}

// ReadJournal reads journal entries, as untrusted input: at most
// MaxJournalBytes, one JSON entry per line, every field well formed. A
// last line without its line break is a partial entry a killed run left:
// it is left out and partialTail is true; so is a last line of half an
// entry followed by a line break (a run killed between ending such a line
// and noting it). A line that is not an entry is refused, unless the next
// entry is the note OpenJournal writes after such a line.
func ReadJournal(r io.Reader) (entries []Entry, partialTail bool, err error) {
	br := bufio.NewReaderSize(io.LimitReader(r, MaxJournalBytes+1), 64<<10)
	var total int64
	var bad []int    // line numbers of lines that are not entries, waiting for a note
	var lastCut bool // the last such line is not even JSON: cut short
	for n := 1; ; n++ {
		line, rerr := readLine(br)
		total += int64(len(line))
		if total > MaxJournalBytes {
			return nil, false, refuse(fmt.Sprintf("not a journal: larger than %d bytes", MaxJournalBytes))
		}
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return nil, false, rerr
		}
		if errors.Is(rerr, io.EOF) {
			if len(line) > 0 {
				partialTail = true // no line break: a write cut short
			}
			break
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		e, perr := parseEntry(line)
		if perr != nil {
			bad = append(bad, n)
			lastCut = !json.Valid(line)
			continue
		}
		if len(bad) > 0 {
			if e.Event != EventNote || len(bad) > 1 {
				return nil, false, refuse(fmt.Sprintf("not a journal: line %d is not an entry", bad[0]))
			}
			bad = nil
		}
		entries = append(entries, e)
	}
	switch {
	case len(bad) == 1 && lastCut && !partialTail:
		// The last line is half an entry with a line break after it: a
		// run that ended a cut line was killed before the note that
		// follows it. Still a cut line.
		partialTail = true
	case len(bad) > 0:
		return nil, false, refuse(fmt.Sprintf("not a journal: line %d is not an entry", bad[0]))
	}
	return entries, partialTail, nil
}

// readLine reads one line with its line break, or what is left at the end
// (with io.EOF), refusing a line longer than maxEntryBytes.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxEntryBytes {
			return nil, refuse(fmt.Sprintf("not a journal: a line longer than %d bytes", maxEntryBytes))
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return line, err
		}
	}
}

// parseEntry decodes and checks one line.
func parseEntry(line []byte) (Entry, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var e Entry
	if err := dec.Decode(&e); err != nil {
		return e, err
	}
	if dec.More() {
		return e, errors.New("data after the entry")
	}
	return e, e.validate()
}

// validate checks an entry's fields.
func (e *Entry) validate() error {
	switch e.Event {
	case EventRunStart, EventRunEnd, EventBucketRead, EventBucketSkipped, EventBucketStopped, EventBucketDone,
		EventStepStart, EventStepDone, EventStepFailed, EventUndoStart, EventUndoDone, EventUndoSkipped, EventUndoFailed, EventNote:
	default:
		return fmt.Errorf("event %q", e.Event)
	}
	if !runIDPattern.MatchString(e.Run) || e.Time.IsZero() {
		return fmt.Errorf("run %q at %v", e.Run, e.Time)
	}
	if e.Event == EventRunStart {
		if (e.Command != CommandApply && e.Command != CommandRollback) || !scanner.OrganizationIDPattern.MatchString(e.OrganizationID) ||
			!fingerprintPattern.MatchString(e.PlanDigest) {
			return fmt.Errorf("run-start of %q for %q, plan %q", e.Command, e.OrganizationID, e.PlanDigest)
		}
	}
	if e.Bucket != "" || e.AccountID != "" {
		if !accountIDPattern.MatchString(e.AccountID) || !bucketNamePattern.MatchString(e.Bucket) || !regionPattern.MatchString(e.Region) {
			return fmt.Errorf("bucket %q of account %q in %q", e.Bucket, e.AccountID, e.Region)
		}
	}
	if e.Step != 0 || e.Action != "" {
		switch e.Action {
		case ActionPutBucketPolicy, ActionPutBucketACL, ActionEnforce:
		default:
			return fmt.Errorf("action %q", e.Action)
		}
		if e.Step < 1 || e.Step > 3 || e.Bucket == "" {
			return fmt.Errorf("step %d of bucket %q", e.Step, e.Bucket)
		}
	}
	if e.UndoRun != "" && !runIDPattern.MatchString(e.UndoRun) {
		return fmt.Errorf("undo_run %q", e.UndoRun)
	}
	for _, c := range []*Controls{e.Previous, e.Target} {
		if c != nil {
			if err := c.validate(); err != nil {
				return err
			}
		}
	}
	return nil
}

// validate checks that controls hold what S3 could have answered.
func (c *Controls) validate() error {
	switch c.ObjectOwnership {
	case scanner.OwnershipEnforced, scanner.OwnershipPreferred, scanner.OwnershipObjectWriter, scanner.OwnershipNotSet:
	default:
		return fmt.Errorf("object_ownership %q", c.ObjectOwnership)
	}
	if len(c.ACL.Grants) > maxGrants || len(c.ACL.Owner) > 256 {
		return fmt.Errorf("an ACL of %d grants", len(c.ACL.Grants))
	}
	for _, g := range c.ACL.Grants {
		switch {
		case g.Type != "CanonicalUser" && g.Type != "Group" && g.Type != "AmazonCustomerByEmail":
			return fmt.Errorf("grantee type %q", g.Type)
		case len(g.ID)+len(g.URI)+len(g.EmailAddress) > 1024:
			return errors.New("a grantee longer than 1024 bytes")
		}
		switch g.Permission {
		case "FULL_CONTROL", "READ", "WRITE", "READ_ACP", "WRITE_ACP":
		default:
			return fmt.Errorf("permission %q", g.Permission)
		}
	}
	if len(c.Policy.Text) > maxPolicyBytes || (!c.Policy.Present && c.Policy.Text != "") {
		return errors.New("a policy longer than S3 allows, or text for an absent policy")
	}
	return nil
}
