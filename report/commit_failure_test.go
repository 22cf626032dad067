package report

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// folderSnapshot is every entry of a folder: name to content (regular
// files), or to "<dir>" / "<link>".
func folderSnapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	snap := map[string]string{}
	for _, e := range entries {
		switch {
		case e.IsDir():
			snap[e.Name()] = "<dir>"
		case e.Type()&os.ModeSymlink != 0:
			snap[e.Name()] = "<link>"
		default:
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			snap[e.Name()] = string(data)
		}
	}
	return snap
}

// previousRun writes a complete earlier run (the five files of json and csv) into dir and
// returns the folder as it then is.
func previousRun(t *testing.T, dir string) map[string]string {
	t.Helper()
	writeAll(t, dir)
	snap := folderSnapshot(t, dir)
	if len(snap) != 5 {
		t.Fatalf("previous run left %v", slices.Sorted(maps.Keys(snap)))
	}
	return snap
}

// stageNewer stages the fixture as a later run as a later run: another started_at, one
// bucket fewer, so that every file differs from the previous run's.
func stageNewer(t *testing.T, dir string, formats []Format) *Staged {
	t.Helper()
	res := fixtureResult()
	res.StartedAt = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	res.Buckets = res.Buckets[1:]
	var objects *ObjectsCSV
	if slices.Contains(formats, FormatCSV) {
		var err error
		if objects, err = NewObjectsCSV(dir); err != nil {
			t.Fatal(err)
		}
		if err := objects.WriteObject(fixtureObjects()[0]); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Stage(dir, res, fixtureTool, formats, objects)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sameFolder(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	got := folderSnapshot(t, dir)
	if !maps.Equal(got, want) {
		t.Errorf("folder holds %v, want the previous run's %v, byte for byte", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
		for name, data := range want {
			if got[name] != data {
				t.Errorf("%s changed", name)
			}
		}
	}
}

// TestCommitRefusesAFolderAtAReportName: a folder named report.json (or
// findings.csv) in the output folder is refused before anything is
// touched; the previous reports stay byte for byte, no temporary file is
// left. EnsureDir refuses the folder too, so the CLI says so before any
// API call.
func TestCommitRefusesAFolderAtAReportName(t *testing.T) {
	for _, name := range []string{ReportJSONFile, FindingsCSVFile, ObjectsCSVFile} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			before := previousRun(t, dir)
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(filepath.Join(dir, name), 0o700); err != nil {
				t.Fatal(err)
			}
			delete(before, name)
			before[name] = "<dir>"
			err := EnsureDir(dir)
			if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, name)+" is a folder, not a report file") {
				t.Errorf("EnsureDir: %v, want the folder named", err)
			}
			s := stageNewer(t, dir, []Format{FormatJSON, FormatCSV})
			err = s.Commit()
			if err == nil || !strings.Contains(err.Error(), "is a folder, not a report file") {
				t.Fatalf("Commit: %v, want a refusal naming the folder", err)
			}
			sameFolder(t, dir, before)
		})
	}
}

// TestCommitFailureRestoresThePreviousRun: a rename that fails half-way
// through the commit (here: a staged file vanished under it) puts every
// file of the previous run back, byte for byte, report files of another
// format included, and leaves no temporary or set-aside file.
func TestCommitFailureRestoresThePreviousRun(t *testing.T) {
	for _, tc := range []struct {
		name    string
		formats []Format
		vanish  string // the staged file whose temporary file disappears
	}{
		{"csv file fails after report.json went aside", []Format{FormatJSON, FormatCSV}, BucketsCSVFile},
		{"report.json itself fails, last", []Format{FormatJSON, FormatCSV}, ReportJSONFile},
		{"json only: the CSVs retired are restored", []Format{FormatJSON}, ReportJSONFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			before := previousRun(t, dir)
			s := stageNewer(t, dir, tc.formats)
			i := slices.IndexFunc(s.files, func(f *atomicFile) bool { return f.name == tc.vanish })
			if err := os.Remove(s.files[i].tmpPath); err != nil {
				t.Fatal(err)
			}
			err := s.Commit()
			if err == nil || !strings.Contains(err.Error(), "rename "+tc.vanish+" into place") {
				t.Fatalf("Commit: %v, want the failed rename", err)
			}
			sameFolder(t, dir, before)
		})
	}
}

// TestCommitRetiresOtherFormats: a json-only run removes the CSV files of
// an earlier run, so report.json never stands beside files of another run,
// and says which it removed.
func TestCommitRetiresOtherFormats(t *testing.T) {
	dir := t.TempDir()
	previousRun(t, dir)
	s := stageNewer(t, dir, []Format{FormatJSON})
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(folderSnapshot(t, dir))); !slices.Equal(got, []string{ReportJSONFile}) {
		t.Errorf("folder holds %v, want report.json alone", got)
	}
	want := []string{FindingsCSVFile, BucketsCSVFile, ReadinessCSVFile, ObjectsCSVFile, FindingsOCSFFile, FindingsASFFFile, ReportHTMLFile}
	if got := s.Retired(); !slices.Equal(got, want) {
		t.Errorf("Retired() = %v, want %v", got, want)
	}
}

// TestAbortLeavesThePreviousRun: a staged run that is aborted (a second
// signal before the commit) leaves the folder as it was.
func TestAbortLeavesThePreviousRun(t *testing.T) {
	dir := t.TempDir()
	before := previousRun(t, dir)
	s := stageNewer(t, dir, []Format{FormatJSON, FormatCSV})
	s.Abort()
	sameFolder(t, dir, before)
	if err := s.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
}

// TestRemoveDeadRunFiles: the temporary and set-aside files a killed run
// leaves are removed; nothing else is, however close its name.
func TestRemoveDeadRunFiles(t *testing.T) {
	dir := t.TempDir()
	previousRun(t, dir)
	dead := []string{
		".report.json.0123456789abcdef.tmp",
		".objects.csv.fedcba9876543210.tmp",
		".buckets.csv.00000000aaaaaaaa.old",
		".ownerscan-probe.1111111111111111.tmp",
	}
	kept := []string{
		".report.json.0123456789abcde.tmp",  // 15 digits
		".report.json.0123456789ABCDEF.tmp", // not ours: upper case
		".notes.txt.0123456789abcdef.tmp",   // not a report name
		".report.json.0123456789abcdef.bak", // another suffix
		"report.json.0123456789abcdef.tmp",  // not hidden
		".report.json.bak",
	}
	for _, name := range append(slices.Clone(dead), kept...) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A folder with a dead-run name is not a file this package wrote.
	if err := os.Mkdir(filepath.Join(dir, ".findings.csv.abcdefabcdefabcd.tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	removed, err := RemoveDeadRunFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	wantRemoved := slices.Sorted(slices.Values(dead))
	if !slices.Equal(removed, wantRemoved) {
		t.Errorf("removed %v, want %v", removed, wantRemoved)
	}
	left := folderSnapshot(t, dir)
	for _, name := range append(kept, ReportJSONFile, FindingsCSVFile, BucketsCSVFile, ObjectsCSVFile, ".findings.csv.abcdefabcdefabcd.tmp") {
		if _, ok := left[name]; !ok {
			t.Errorf("%s was removed", name)
		}
	}
	for _, name := range dead {
		if _, ok := left[name]; ok {
			t.Errorf("%s is still there", name)
		}
	}
}

// TestTemporaryNamesAreRecognised: the names openTemp and a commit give
// are exactly those RemoveDeadRunFiles removes, so a killed run's files
// are always found.
func TestTemporaryNamesAreRecognised(t *testing.T) {
	dir := t.TempDir()
	f, tmp, err := openTemp(dir, ReportJSONFile)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	var m moveLog
	if err := os.WriteFile(filepath.Join(dir, BucketsCSVFile), []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := m.aside(dir, BucketsCSVFile, true); err != nil {
		t.Fatal(err)
	}
	removed, err := RemoveDeadRunFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 2 || !slices.Contains(removed, filepath.Base(tmp)) {
		t.Errorf("removed %v, want the temporary file %s and the set-aside buckets.csv", removed, filepath.Base(tmp))
	}
	// buckets.csv was kept aside as a link: the report itself stays.
	if left := folderSnapshot(t, dir); len(left) != 1 || left[BucketsCSVFile] != "old" {
		t.Errorf("left %v, want buckets.csv alone", slices.Sorted(maps.Keys(left)))
	}
}
