package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ownerscan/ownerscan/scanner"
)

// TestReportJSONIsTheCommitPoint: two runs of different results write into
// one folder, one after the other, while a reader polls it. Whenever the
// reader finds report.json, buckets.csv and objects.csv beside it belong to
// the same run (their row counts match that run's), and no file is ever
// truncated.
func TestReportJSONIsTheCommitPoint(t *testing.T) {
	dir := t.TempDir()
	small := fixtureResult()
	small.Buckets = small.Buckets[:1]
	runs := []*scanner.Result{fixtureResult(), small}
	objectRows := []int{len(fixtureObjects()), 1}
	for i, r := range runs {
		r.StartedAt = time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC)
	}

	var stop atomic.Bool
	var wg sync.WaitGroup
	var seen, consistent atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			doc, buckets, objects, ok := snapshot(t, dir)
			if !ok {
				continue
			}
			seen.Add(1)
			run := 0
			if doc.StartedAt.Second() == 1 {
				run = 1
			}
			if buckets != len(runs[run].Buckets) || objects != objectRows[run] {
				t.Errorf("report.json of run %d beside buckets.csv of %d rows and objects.csv of %d rows", run, buckets, objects)
				return
			}
			consistent.Add(1)
		}
	}()
	for i := range 60 {
		run := i % 2
		o, err := NewObjectsCSV(dir)
		if err != nil {
			t.Fatal(err)
		}
		recs := fixtureObjects()[:objectRows[run]]
		for _, rec := range recs {
			if err := o.WriteObject(rec); err != nil {
				t.Fatal(err)
			}
		}
		if err := WriteWithObjects(dir, runs[run], Tool{Name: "ownerscan", Version: "test"}, []Format{FormatJSON, FormatCSV}, o); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if seen.Load() == 0 {
		t.Fatal("the reader never saw a report")
	}
	t.Logf("%d consistent snapshots", consistent.Load())
	entries, _ := os.ReadDir(dir)
	if len(entries) != 5 {
		t.Errorf("folder holds %d entries, want the 5 reports and no temporary file", len(entries))
	}
}

// snapshot reads report.json, then the CSVs, then report.json again; ok is
// false when report.json is missing or changed meanwhile (the folder was
// being written: a reader retries).
func snapshot(t *testing.T, dir string) (doc *Document, buckets, objects int, ok bool) {
	first, err := os.ReadFile(filepath.Join(dir, ReportJSONFile))
	if err != nil {
		return nil, 0, 0, false
	}
	doc, err = ReadJSON(bytes.NewReader(first))
	if err != nil {
		t.Errorf("report.json does not parse (truncated?): %v", err)
		return nil, 0, 0, false
	}
	count := func(name string) int {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s missing beside report.json: %v", name, err)
			return -1
		}
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Errorf("%s does not parse (truncated?): %v", name, err)
			return -1
		}
		return len(rows) - 1
	}
	buckets, objects = count(BucketsCSVFile), count(ObjectsCSVFile)
	again, err := os.ReadFile(filepath.Join(dir, ReportJSONFile))
	if err != nil || !bytes.Equal(first, again) {
		return nil, 0, 0, false
	}
	return doc, buckets, objects, true
}

// TestLockDir: a second lock on a folder fails at once with ErrDirInUse;
// after unlock it succeeds.
func TestLockDir(t *testing.T) {
	dir := t.TempDir()
	unlock, err := LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LockDir(dir); !errors.Is(err, ErrDirInUse) {
		t.Fatalf("second lock: %v, want ErrDirInUse", err)
	}
	unlock()
	unlock2, err := LockDir(dir)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	unlock2()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("locking left %d files in the folder", len(entries))
	}
}
