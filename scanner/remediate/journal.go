package remediate

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
	"unicode/utf8"
)

// Event says what a journal entry records.
type Event string

// Journal events. A run of apply writes run-start, then per bucket
// bucket-read (the state before any step, with every value a rollback
// needs), for each step step-start (the state before it and the state it
// leads to) and step-done or step-failed, then bucket-done, or
// bucket-skipped / bucket-stopped saying why and where; run-end last. A
// rollback writes run-start, undo-start / undo-done / undo-skipped /
// undo-failed per step it considers, and run-end.
const (
	EventRunStart      Event = "run-start"
	EventRunEnd        Event = "run-end"
	EventBucketRead    Event = "bucket-read"
	EventBucketSkipped Event = "bucket-skipped"
	EventBucketStopped Event = "bucket-stopped"
	EventBucketDone    Event = "bucket-done"
	EventStepStart     Event = "step-start"
	EventStepDone      Event = "step-done"
	EventStepFailed    Event = "step-failed"
	EventUndoStart     Event = "undo-start"
	EventUndoDone      Event = "undo-done"
	EventUndoSkipped   Event = "undo-skipped"
	EventUndoFailed    Event = "undo-failed"
	// EventNote marks a line the journal could not keep: the partial
	// entry a killed run left before it (see OpenJournal).
	EventNote Event = "note"
)

// Commands a run-start names.
const (
	CommandApply    = "apply"
	CommandRollback = "rollback"
)

// Entry is one line of the journal.
type Entry struct {
	Time  time.Time `json:"time"`
	Run   string    `json:"run"` // the run that wrote it
	Event Event     `json:"event"`

	// run-start
	Command        string `json:"command,omitempty"`
	PlanDigest     string `json:"plan_digest,omitempty"`
	OrganizationID string `json:"organization_id,omitempty"`
	Partition      string `json:"partition,omitempty"`

	// bucket and step entries
	AccountID string `json:"account_id,omitempty"`
	Bucket    string `json:"bucket,omitempty"`
	Region    string `json:"region,omitempty"`
	// Step is the step's number in the bucket's plan, from 1; Action its
	// action. An undo entry names the apply run (UndoRun) and step it undoes.
	Step    int    `json:"step,omitempty"`
	Action  Action `json:"action,omitempty"`
	UndoRun string `json:"undo_run,omitempty"`
	// Previous is the bucket's state before the step (bucket-read: as
	// read; step-start: as the earlier steps left it; undo-start: as
	// found), Target the state the step leads to (undo: the state it
	// restores).
	Previous    *Controls `json:"previous,omitempty"`
	Target      *Controls `json:"target,omitempty"`
	Fingerprint string    `json:"fingerprint,omitempty"`

	Reason string `json:"reason,omitempty"` // why, in words
	Error  string `json:"error,omitempty"`  // the failed call and AWS error code
}

// Journal appends entries to a journal file, each one line written whole
// and synced to disk before Write returns: when a write is started, the
// entry saying so and holding what undoes it is on disk. One process at a
// time holds a journal (an exclusive lock). Safe for concurrent use.
type Journal struct {
	mu   sync.Mutex
	f    *os.File
	path string
	run  string
	now  func() time.Time
	err  error // the first failed write: no step may start after it
	// prefix goes before the next line written: the line break that ends
	// a cut line, written with the note after it.
	prefix string
}

// MaxJournalBytes bounds a journal read back (every step of a plan of
// thousands of buckets fits many times over).
const MaxJournalBytes = 1 << 30

// ErrJournalInUse marks a journal another ownerscan run holds.
var ErrJournalInUse = errors.New("remediate: the journal is in use by another ownerscan run")

// OpenJournal opens (creating it 0600 if missing) the journal at path for
// appending, locks it, and returns what it holds already. A journal that
// ends in a partial line (a run killed while writing it) is ended with a
// line break and a note, so the next entry starts on a line of its own;
// the partial line is kept, as a record of what happened.
func OpenJournal(path string, now func() time.Time) (*Journal, []Entry, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND|noFollow, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("remediate: open journal %s: %w", path, err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, ErrJournalInUse) {
			return nil, nil, fmt.Errorf("%w: %s", ErrJournalInUse, path)
		}
		return nil, nil, fmt.Errorf("remediate: lock journal %s: %w", path, err)
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, refuse(fmt.Sprintf("journal %s is not a regular file", path))
	}
	// A journal just created exists on disk only once its folder is
	// synced too: without it a power cut could take away the whole file,
	// entries synced and all, after the writes it records were sent.
	if err := syncDir(filepath.Dir(path)); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("remediate: journal %s: sync its folder: %w", path, err)
	}
	entries, partial, err := ReadJournal(io.NewSectionReader(f, 0, MaxJournalBytes+1))
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	run, err := newRunID()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	j := &Journal{f: f, path: path, run: run, now: now}
	if partial {
		// The line break that ends the cut line goes in the same write as
		// the note, unless it is there already.
		end, err := endsInLineBreak(f)
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("remediate: journal %s: %w", path, err)
		}
		j.prefix = "\n"
		if end {
			j.prefix = ""
		}
		if err := j.Write(Entry{Event: EventNote, Reason: "the line before is a partial entry that a stopped run left; it is ignored"}); err != nil {
			f.Close()
			return nil, nil, err
		}
	}
	return j, entries, nil
}

// endsInLineBreak reports whether f's last byte is a line break.
func endsInLineBreak(f *os.File) (bool, error) {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return false, err
	}
	var last [1]byte
	if _, err := f.ReadAt(last[:], st.Size()-1); err != nil {
		return false, err
	}
	return last[0] == '\n', nil
}

// Path is the journal's file.
func (j *Journal) Path() string { return j.path }

// Run is the ID of this run, in every entry it writes.
func (j *Journal) Run() string { return j.run }

// Write appends e (stamped with the time and the run) as one line, and
// syncs the file. After a failed write every later one fails too.
func (j *Journal) Write(e Entry) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return j.err
	}
	e.Time, e.Run = j.now().UTC(), j.run
	e.Reason, e.Error = clip(e.Reason), clip(e.Error)
	line, err := jsonLine(e)
	if err == nil {
		// Never write a line ReadJournal would refuse: that would make the
		// whole journal unreadable, and every bucket in it impossible to
		// roll back.
		if _, perr := parseEntry([]byte(line[:len(line)-1])); perr != nil {
			err = fmt.Errorf("an entry the journal could not read back: %w", perr)
		} else if len(line) > maxEntryBytes {
			err = fmt.Errorf("an entry of %d bytes, more than %d", len(line), maxEntryBytes)
		}
	}
	if err == nil {
		// One write of the whole line: a process killed during it leaves
		// at most a partial last line, which ReadJournal leaves out.
		_, err = j.f.WriteString(j.prefix + line)
		j.prefix = ""
	}
	if err == nil {
		err = j.f.Sync()
	}
	if err != nil {
		j.err = fmt.Errorf("remediate: write journal %s: %w", j.path, err)
	}
	return j.err
}

// Failed is the first failed write, if any.
func (j *Journal) Failed() error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// Close releases the journal.
func (j *Journal) Close() error { return j.f.Close() }

// maxTextBytes bounds an entry's reason and error: an error message as an
// endpoint sent it can be of any length.
const maxTextBytes = 4 << 10

// clip cuts s to at most maxTextBytes, on a character boundary.
func clip(s string) string {
	if len(s) <= maxTextBytes {
		return s
	}
	cut := maxTextBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + " [cut]"
}

// jsonLine is an entry as one line of JSON, with its line break.
func jsonLine(e Entry) (string, error) {
	line, err := json.Marshal(e)
	if err != nil {
		return "", fmt.Errorf("remediate: journal entry: %w", err)
	}
	return string(line) + "\n", nil
}

func newRunID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("remediate: run ID: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
