package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// ErrNotSynced marks a commit whose files are all in place but whose folder
// could not be synced afterwards: the new reports are there, but a crash
// right now might lose the renames. Callers treat the reports as written.
var ErrNotSynced = errors.New("report: reports in place, but the output folder could not be synced")

// Staged is a run's report files, each written in full to a temporary file
// beside its final name, none of them in place yet. Commit puts them in
// place together; Abort removes them. Until Commit, the folder holds
// exactly what it held before.
type Staged struct {
	dir    string
	files  []*atomicFile // report.json, when written, is last
	retire []string      // report files of formats this run does not write
	done   bool
}

// Retired lists the report files of other formats that Commit removed:
// files an earlier run wrote in formats this run did not.
func (s *Staged) Retired() []string { return slices.Clone(s.retire) }

// Abort removes the temporary files. It does nothing after Commit or a
// previous Abort.
func (s *Staged) Abort() {
	if s.done {
		return
	}
	s.done = true
	for _, f := range s.files {
		f.abort()
	}
}

// Commit puts the staged files in place. What a reader of the folder sees:
// the previous report.json disappears first and the new one appears last,
// so whenever report.json exists, every report file beside it is of the
// same run. Report files of formats this run did not write go while
// report.json is absent.
//
// Nothing is lost if Commit fails: every file it replaces or removes is
// first kept aside (".NAME.RANDOM.old", a hard link where it stays in
// place until replaced), and on any error the new files are taken out and
// the old ones renamed back, so the folder holds exactly the previous run's
// reports again, byte for byte; the temporary files are removed. On success
// the old files are removed. A report file other than report.json, once
// there, is never missing: it is replaced in one rename. An error wrapping
// ErrNotSynced means the new reports are in place.
func (s *Staged) Commit() error {
	if s.done {
		return errors.New("report: commit: already committed or aborted")
	}
	s.done = true
	targets := make([]string, 0, len(s.files)+len(s.retire))
	for _, f := range s.files {
		targets = append(targets, f.name)
	}
	targets = append(targets, s.retire...)
	if err := checkFinalNames(s.dir, targets); err != nil {
		s.abortFiles()
		return err
	}
	var moves moveLog
	fail := func(err error) error {
		moves.undo()
		s.abortFiles()
		return err
	}
	// The commit point goes first: from here until the new one is renamed
	// in, the folder has no report.json.
	if err := moves.aside(s.dir, ReportJSONFile, false); err != nil {
		return fail(err)
	}
	for _, name := range s.retire {
		if err := moves.aside(s.dir, name, false); err != nil {
			return fail(err)
		}
	}
	for _, f := range s.files {
		if f.name != ReportJSONFile {
			if err := moves.aside(s.dir, f.name, true); err != nil {
				return fail(err)
			}
		}
		if err := moves.in(f); err != nil {
			return fail(err)
		}
	}
	moves.forget()
	if err := syncDir(s.dir); err != nil {
		return fmt.Errorf("%w: %v", ErrNotSynced, err)
	}
	return nil
}

// abortFiles removes the temporary files that were not renamed into place.
func (s *Staged) abortFiles() {
	for _, f := range s.files {
		f.abort()
	}
}

// moveLog records the renames of one commit, so that a failure can undo
// them in reverse order.
type moveLog struct {
	steps []move
}

// move is one step of a commit: a previous file kept aside under a backup
// name, or a new file put in place (placed).
type move struct {
	final, backup string // backup: "" for a new file put in place
	placed        *atomicFile
}

// aside keeps dir/name, if it exists, under a backup name beside it. With
// keep, the file stays at its name too (a hard link), so that the rename of
// the new file over it replaces it at once and a reader never finds the
// name missing; where links are not supported, and without keep, the file
// is renamed away.
func (m *moveLog) aside(dir, name string, keep bool) error {
	final := filepath.Join(dir, name)
	if _, err := os.Lstat(final); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	suffix, err := randomSuffix()
	if err != nil {
		return fmt.Errorf("report: set the previous %s aside: %w", name, err)
	}
	backup := filepath.Join(dir, "."+name+"."+suffix+backupSuffix)
	if !keep || os.Link(final, backup) != nil {
		if err := os.Rename(final, backup); err != nil {
			return fmt.Errorf("report: set the previous %s aside: %w", name, err)
		}
	}
	m.steps = append(m.steps, move{final: final, backup: backup})
	return nil
}

// in renames a finished temporary file to its final name.
func (m *moveLog) in(f *atomicFile) error {
	if !f.finished {
		if err := f.finish(); err != nil {
			return err
		}
	}
	final := filepath.Join(f.dir, f.name)
	if err := os.Rename(f.tmpPath, final); err != nil {
		return fmt.Errorf("report: rename %s into place: %w", f.name, err)
	}
	f.done = true
	m.steps = append(m.steps, move{final: final, placed: f})
	return nil
}

// undo reverses every step, newest first: a previous file is renamed back
// over its name (replacing the new one at once), a new file with no
// previous one is removed. It keeps going past errors, so that as much as
// possible is restored.
func (m *moveLog) undo() {
	hasBackup := map[string]bool{}
	for _, st := range m.steps {
		if st.placed == nil {
			hasBackup[st.final] = true
		}
	}
	for i := len(m.steps) - 1; i >= 0; i-- {
		st := m.steps[i]
		switch {
		case st.placed != nil && !hasBackup[st.final]:
			_ = os.Remove(st.final)
		case st.placed == nil:
			_ = os.Rename(st.backup, st.final)
			// A rename between two links to one file does nothing.
			_ = os.Remove(st.backup)
		}
	}
	m.steps = nil
}

// forget removes the previous files kept aside, once the commit succeeded.
func (m *moveLog) forget() {
	for _, st := range m.steps {
		if st.placed == nil {
			_ = os.Remove(st.backup)
		}
	}
	m.steps = nil
}

// checkFinalNames makes sure that each report name in dir is absent, a
// regular file or a symbolic link (which a rename replaces without
// following): anything else there, such as a folder named report.json,
// would make the commit fail half-way, so it is refused before anything is
// touched.
func checkFinalNames(dir string, names []string) error {
	for _, name := range names {
		st, err := os.Lstat(filepath.Join(dir, name))
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return fmt.Errorf("report: %s: %w", filepath.Join(dir, name), err)
		case st.Mode().IsRegular(), st.Mode()&fs.ModeSymlink != 0:
		default:
			return fmt.Errorf("report: %s is a %s, not a report file; move it away or choose another output folder", filepath.Join(dir, name), describeMode(st.Mode()))
		}
	}
	return nil
}

func describeMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "folder"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// reportFileNames are the final names of every report file of every format.
func reportFileNames() []string {
	var names []string
	for _, f := range Formats {
		names = append(names, f.Files...)
	}
	return names
}
