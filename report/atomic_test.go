package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ownerscan/ownerscan/scanner"
)

// tempFiles lists the files of dir whose names start with ".": the
// temporary files of this package.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

func writeAll(t *testing.T, dir string) {
	t.Helper()
	if err := Write(dir, fixtureResult(), fixtureTool, []Format{FormatJSON, FormatCSV}); err != nil {
		t.Fatal(err)
	}
	o, err := NewObjectsCSV(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range fixtureObjects() {
		if err := o.WriteObject(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestReportFilesAreMode0600 writes every report into a folder that does not
// exist yet: the folder is created 0700, each file is 0600, and no temporary
// file is left.
func TestReportFilesAreMode0600(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing", "reports")
	writeAll(t, dir)
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("output dir mode = %v, want 0700", st.Mode().Perm())
	}
	for _, name := range []string{ReportJSONFile, FindingsCSVFile, BucketsCSVFile, ObjectsCSVFile} {
		st, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !st.Mode().IsRegular() || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want a regular file with 0600", name, st.Mode())
		}
	}
	if left := tempFiles(t, dir); len(left) > 0 {
		t.Errorf("temporary files left: %q", left)
	}
}

// TestExistingLinksAreReplacedNotFollowed plants symbolic links at every
// report name, to an existing file and to a file that does not exist. The
// reports replace the links; the link targets are neither written nor
// created.
func TestExistingLinksAreReplacedNotFollowed(t *testing.T) {
	outside := t.TempDir()
	victim := filepath.Join(outside, "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	names := []string{ReportJSONFile, FindingsCSVFile, BucketsCSVFile, ObjectsCSVFile}
	for i, name := range names {
		target := victim
		if i%2 == 1 {
			target = filepath.Join(outside, "created-through-link-"+name)
		}
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	writeAll(t, dir)
	if data, err := os.ReadFile(victim); err != nil || string(data) != "precious" {
		t.Errorf("link target changed: %q, %v", data, err)
	}
	entries, _ := os.ReadDir(outside)
	if len(entries) != 1 {
		t.Errorf("files appeared outside the output dir: %v", entries)
	}
	for _, name := range names {
		st, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !st.Mode().IsRegular() {
			t.Errorf("%s is still %v, want the report as a regular file", name, st.Mode())
		}
	}
}

// TestFailedWriteLeavesNoTempFiles makes the last rename fail (buckets.csv is
// a folder) and expects an error and no temporary file.
func TestFailedWriteLeavesNoTempFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, BucketsCSVFile, "occupied"), 0o700); err != nil {
		t.Fatal(err)
	}
	err := Write(dir, fixtureResult(), fixtureTool, []Format{FormatJSON, FormatCSV})
	if err == nil || !strings.Contains(err.Error(), "buckets.csv") {
		t.Fatalf("Write error = %v, want one naming buckets.csv", err)
	}
	if left := tempFiles(t, dir); len(left) > 0 {
		t.Errorf("temporary files left: %q", left)
	}
}

func TestWriteRejectsBadArguments(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	for _, tc := range []struct {
		name    string
		res     *scanner.Result
		formats []Format
		want    string
	}{
		{"nil result", nil, []Format{FormatJSON}, "nil result"},
		{"no format", fixtureResult(), nil, "no format"},
		{"unknown format", fixtureResult(), []Format{FormatJSON, "xml"}, `unknown format "xml"`},
	} {
		err := Write(dir, tc.res, fixtureTool, tc.formats)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a rejected Write created the output dir (stat: %v)", err)
	}
}

func TestWriteOnlyTheFormatsAsked(t *testing.T) {
	for _, tc := range []struct {
		formats []Format
		want    []string
	}{
		{[]Format{FormatJSON}, []string{ReportJSONFile}},
		{[]Format{FormatCSV}, []string{BucketsCSVFile, FindingsCSVFile, ReadinessCSVFile}},
	} {
		dir := t.TempDir()
		if err := Write(dir, fixtureResult(), fixtureTool, tc.formats); err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(dir)
		var got []string
		for _, e := range entries {
			got = append(got, e.Name())
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("formats %v wrote %v, want %v", tc.formats, got, tc.want)
		}
	}
}

func TestEnsureDir(t *testing.T) {
	base := t.TempDir()

	dir := filepath.Join(base, "a", "b")
	if err := EnsureDir(dir); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("EnsureDir made %v (%v), want a 0700 folder", st, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("probe file left: %v", entries)
	}
	if err := EnsureDir(dir); err != nil {
		t.Errorf("EnsureDir on an existing folder: %v", err)
	}

	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := EnsureDir(file); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("EnsureDir(a file) = %v, want a not-a-directory error", err)
	}
	if err := EnsureDir(filepath.Join(file, "sub")); err == nil {
		t.Error("EnsureDir under a file succeeded")
	}
	if err := EnsureDir(""); err == nil {
		t.Error("EnsureDir(\"\") succeeded")
	}

	if os.Geteuid() == 0 {
		t.Log("running as root: permission bits do not stop root, read-only check skipped")
		return
	}
	ro := filepath.Join(base, "readonly")
	if err := os.Mkdir(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	if err := EnsureDir(ro); err == nil || !strings.Contains(err.Error(), "not writable") {
		t.Errorf("EnsureDir(read-only folder) = %v, want a not-writable error", err)
	}
}

// TestObjectsCSVLifecycle: the file appears only on Commit, holds the header
// even with no rows, rows reach the disk while they are written (they are not
// held in memory), and Abort leaves nothing.
func TestObjectsCSVLifecycle(t *testing.T) {
	t.Run("empty", func(t *testing.T) {
		dir := t.TempDir()
		o, err := NewObjectsCSV(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, ObjectsCSVFile)); !os.IsNotExist(err) {
			t.Errorf("objects.csv visible before Commit (stat: %v)", err)
		}
		if err := o.Commit(); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(dir, ObjectsCSVFile))
		if err != nil {
			t.Fatal(err)
		}
		if want := strings.Join(objectsHeader, ",") + "\n"; string(data) != want {
			t.Errorf("empty objects.csv = %q, want the header %q", data, want)
		}
		o.Abort() // after Commit: nothing happens
		if _, err := os.Stat(filepath.Join(dir, ObjectsCSVFile)); err != nil {
			t.Errorf("Abort after Commit removed the file: %v", err)
		}
		if err := o.WriteObject(scanner.ObjectRecord{}); err == nil {
			t.Error("WriteObject after Commit succeeded")
		}
		if err := o.Commit(); err == nil {
			t.Error("second Commit succeeded")
		}
	})

	t.Run("streams", func(t *testing.T) {
		dir := t.TempDir()
		o, err := NewObjectsCSV(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer o.Abort()
		rec := fixtureObjects()[0]
		rec.Key = strings.Repeat("k", 200)
		const rows = 2000 // about 500 KB, several times the write buffer
		for range rows {
			if err := o.WriteObject(rec); err != nil {
				t.Fatal(err)
			}
		}
		temps := tempFiles(t, dir)
		if len(temps) != 1 {
			t.Fatalf("temporary files = %q, want one", temps)
		}
		st, err := os.Stat(filepath.Join(dir, temps[0]))
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() < rows*200-bufferSize {
			t.Errorf("only %d bytes on disk after %d rows: rows are held in memory", st.Size(), rows)
		}
		if err := o.Commit(); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(filepath.Join(dir, ObjectsCSVFile))
		if got := len(parseCSV(t, data)); got != rows+1 {
			t.Errorf("%d records, want %d rows and a header", got, rows)
		}
	})

	t.Run("abort", func(t *testing.T) {
		dir := t.TempDir()
		o, err := NewObjectsCSV(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := o.WriteObject(fixtureObjects()[0]); err != nil {
			t.Fatal(err)
		}
		o.Abort()
		o.Abort()
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("Abort left %v", entries)
		}
		if err := o.Commit(); err == nil {
			t.Error("Commit after Abort succeeded")
		}
		if err := o.WriteObject(fixtureObjects()[0]); err == nil {
			t.Error("WriteObject after Abort succeeded")
		}
	})
}

// TestObjectsCSVWriteErrorIsSticky breaks the file under the writer (as a
// full disk would): the error comes back from WriteObject, again from every
// later call and from Commit, and nothing is left in the folder.
func TestObjectsCSVWriteErrorIsSticky(t *testing.T) {
	dir := t.TempDir()
	o, err := NewObjectsCSV(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Abort()
	if err := o.file.f.Close(); err != nil {
		t.Fatal(err)
	}
	rec := fixtureObjects()[0]
	rec.Key = strings.Repeat("k", 1024)
	var first error
	for range 2 * bufferSize / 1024 {
		if first = o.WriteObject(rec); first != nil {
			break
		}
	}
	if first == nil || !strings.Contains(first.Error(), "objects.csv") {
		t.Fatalf("WriteObject on a broken file: error = %v", first)
	}
	if err := o.WriteObject(rec); err != first {
		t.Errorf("next WriteObject = %v, want the first error again", err)
	}
	if err := o.Commit(); err != first {
		t.Errorf("Commit = %v, want the first error", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}
