package remediate

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ownerscan/ownerscan/scanner"
)

// sampleEntries is a run of apply on one bucket, as Apply writes it.
func sampleEntries() []Entry {
	state := Controls{ObjectOwnership: scanner.OwnershipNotSet,
		ACL:    ACL{Owner: strings.Repeat("a", 64), Grants: []ACLGrant{{Type: "CanonicalUser", ID: strings.Repeat("a", 64), Permission: "FULL_CONTROL"}}},
		Policy: Policy{Present: true, Text: `{"Version":"2012-10-17","Statement":[]}`}}
	target := state
	target.ObjectOwnership = scanner.OwnershipEnforced
	where := Entry{AccountID: "222222222222", Bucket: "b-bucket", Region: "eu-west-1"}
	at := func(e Entry) Entry {
		e.AccountID, e.Bucket, e.Region = where.AccountID, where.Bucket, where.Region
		return e
	}
	return []Entry{
		{Event: EventRunStart, Command: CommandApply, PlanDigest: "sha256:" + strings.Repeat("d", 64), OrganizationID: "o-abcdefghij", Partition: "aws"},
		at(Entry{Event: EventBucketRead, Previous: &state, Fingerprint: state.Fingerprint()}),
		at(Entry{Event: EventStepStart, Step: 1, Action: ActionEnforce, Previous: &state, Target: &target}),
		at(Entry{Event: EventStepDone, Step: 1, Action: ActionEnforce, Reason: "read back: in effect"}),
		at(Entry{Event: EventBucketDone}),
		{Event: EventRunEnd, Reason: "1 done"},
	}
}

// writeJournal writes entries through a Journal at path and closes it.
func writeJournal(t *testing.T, path string, entries []Entry) string {
	t.Helper()
	j, _, err := OpenJournal(path, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for _, e := range entries {
		if err := j.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	return j.Run()
}

// TestJournalRoundTrip: entries written are read back as written, each on
// a line of its own, in a file of mode 0600.
func TestJournalRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.json.journal")
	entries := sampleEntries()
	run := writeJournal(t, path, entries)
	got, partial, err := ReadJournalFile(path)
	if err != nil || partial {
		t.Fatalf("read: %v, partial %t", err, partial)
	}
	if len(got) != len(entries) {
		t.Fatalf("%d entries, want %d", len(got), len(entries))
	}
	for i := range got {
		want := entries[i]
		want.Run, want.Time = run, got[i].Time
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, got[i], want)
		}
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("journal mode %v, %v", st.Mode(), err)
	}
}

// TestJournalCutShort: a journal whose last line was cut short (the run was
// killed while writing it) is read up to the last whole entry; the next
// run ends the partial line and notes it, and the journal reads whole
// again, the partial line left out. The same holds when the cut line was
// already ended by a run killed before it could write the note after it:
// refusing that journal would leave its buckets impossible to roll back.
func TestJournalCutShort(t *testing.T) {
	for name, tail := range map[string]string{"cut": "", "cut then ended": "\n"} {
		path := filepath.Join(t.TempDir(), "j")
		entries := sampleEntries()
		writeJournal(t, path, entries[:3])
		f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		f.WriteString(`{"time":"2026-01-01T00:00:00Z","run":"00112233` + tail)
		f.Close()
		got, partial, err := ReadJournalFile(path)
		if err != nil || !partial || len(got) != 3 {
			t.Fatalf("%s: %d entries, partial %t, %v; want 3, true", name, len(got), partial, err)
		}
		// The next run (a rollback, say) starts and ends.
		writeJournal(t, path, []Entry{entries[0], entries[5]})
		got, partial, err = ReadJournalFile(path)
		if err != nil || partial || len(got) != 6 || got[3].Event != EventNote {
			t.Fatalf("%s, after the next run: %d entries, partial %t, %v", name, len(got), partial, err)
		}
		if _, err := OriginOf(got); err != nil {
			t.Errorf("%s: origin: %v", name, err)
		}
		if data, _ := os.ReadFile(path); strings.Contains(string(data), "\n\n") {
			t.Errorf("%s: the next run added an empty line:\n%s", name, data)
		}
	}
}

// TestJournalRefuses: a line that is not an entry, in the middle of a
// journal, refuses it; so do entries that contradict each other.
func TestJournalRefuses(t *testing.T) {
	var good bytes.Buffer
	for _, e := range sampleEntries() {
		e.Run, e.Time = "0123456789abcdef", time.Unix(1, 0).UTC()
		line, _ := jsonLine(e)
		good.WriteString(line)
	}
	lines := strings.SplitAfter(good.String(), "\n")
	for name, tc := range map[string]struct{ input, want string }{
		"garbage between entries": {lines[0] + "garbage\n" + strings.Join(lines[1:], ""), "line 2 is not an entry"},
		"an unknown field":        {strings.Replace(good.String(), `"event":"bucket-done"`, `"event":"bucket-done","x":1`, 1), "is not an entry"},
		"a bad account":           {strings.Replace(good.String(), `"222222222222"`, `"22"`, 1), "is not an entry"},
		"an unknown action":       {strings.Replace(good.String(), `"action":"put-bucket-ownership-controls"`, `"action":"delete-bucket"`, 1), "is not an entry"},
		"an unknown ownership":    {strings.Replace(good.String(), `"object_ownership":"NotSet"`, `"object_ownership":"Mine"`, 1), "is not an entry"},
		"a step never started":    {lines[0] + lines[1] + lines[3], "never started"},
		"two plans": {good.String() + strings.Replace(lines[0], strings.Repeat("d", 64), strings.Repeat("e", 64), 1),
			"while the journal began with plan"},
		"no run": {"", "no run of apply"},
	} {
		entries, _, err := ReadJournal(strings.NewReader(tc.input))
		if err == nil {
			_, err = OriginOf(entries)
		}
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want refused with %q", name, err, tc.want)
		}
	}
}

// TestJournalLocked: a second run cannot open a journal in use.
func TestJournalLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	j, _, err := OpenJournal(path, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if _, _, err := OpenJournal(path, time.Now); !errors.Is(err, ErrJournalInUse) {
		t.Errorf("second open: %v, want ErrJournalInUse", err)
	}
}

// FuzzReadJournal: ReadJournal never panics, refuses with ErrRefused, and
// what it accepts replays (readHistory) without panicking either.
func FuzzReadJournal(f *testing.F) {
	var good bytes.Buffer
	for _, e := range sampleEntries() {
		e.Run, e.Time = "0123456789abcdef", time.Unix(1, 0).UTC()
		line, _ := jsonLine(e)
		good.WriteString(line)
	}
	f.Add(good.Bytes())
	f.Add(good.Bytes()[:good.Len()-7])
	f.Add([]byte("garbage\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, _, err := ReadJournal(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("an error that is no refusal: %v", err)
			}
			return
		}
		if _, err := readHistory(entries); err != nil && !errors.Is(err, ErrRefused) {
			t.Fatalf("history: an error that is no refusal: %v", err)
		}
	})
}
