package scanner

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
)

// parallelListingScenario has one bucket of 30,000 versions (30 pages):
// generated keys with two versions each, a foreign writer, and stored
// keys that share long prefixes, are unicode, or sort right around the
// generated keys, where split markers fall.
func parallelListingScenario() string {
	return `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
  - {id: "222222222222", name: Owner}
  - {id: "333333333333", name: Writer}
buckets:
  - name: huge
    account: "222222222222"
    ownership: ObjectWriter
    versioning: Enabled
    writers: ["333333333333"]
    objects:
      - {key: "data/", uploader: "333333333333"}
      - {key: "data/0", versions: 3}
      - {key: "data/07499!", uploader: "333333333333", versions: 2}
      - {key: "data/07499/", uploader: "333333333333"}
      - {key: "data/074990"}
      - {key: "data/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1", uploader: "333333333333"}
      - {key: "data/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2"}
      - {key: "日本/ファイル", uploader: "333333333333", versions: 2}
      - {key: "zz\u00ff\u00ff", uploader: "333333333333"}
      - {key: "a b+c%20d", uploader: "333333333333", delete: true}
    generated: {count: 14990, key_prefix: "data/", versions_per_key: 2, foreign: {"333333333333": 0.05}}
`
}

// TestParallelListingIsExact: a bucket listed as concurrent key ranges
// gives exactly what a serial listing gives (counts, bytes, per-owner
// stats, sample keys, and the same set of object records, none twice),
// and the parallel listing really split the bucket.
func TestParallelListingIsExact(t *testing.T) {
	srv := emulateYAML(t, parallelListingScenario())
	scan := func(concurrency int) (Bucket, []string, int64) {
		before := srv.Emulator.Counters().ByOperation["ListObjectVersions"]
		opts := DefaultOptions()
		opts.Concurrency = concurrency
		sink := &memorySink{}
		res := scanEmulator(t, srv, opts, sink)
		calls := srv.Emulator.Counters().ByOperation["ListObjectVersions"] - before
		var recs []string
		for _, r := range sink.records {
			if r.Bucket == "huge" {
				recs = append(recs, fmt.Sprintf("%s\x00%s\x00%v\x00%s", r.Key, r.VersionID, r.IsDeleteMarker, r.OwnerAccountID))
			}
		}
		slices.Sort(recs)
		return bucketByName(t, res, "huge"), recs, calls
	}
	serial, serialRecs, serialCalls := scan(1)
	parallel, parallelRecs, parallelCalls := scan(32)

	if want := emulatorVersions(t, srv, "huge"); serial.ObjectScan != ObjectScanComplete || serial.ObjectsScanned != want {
		t.Fatalf("serial listing: %d versions (%s), the emulator holds %d", serial.ObjectsScanned, serial.ObjectScan, want)
	}
	if serialCalls != pagesFor(serial.ObjectsScanned, versionsPageSize) {
		t.Errorf("serial listing made %d calls for %d versions", serialCalls, serial.ObjectsScanned)
	}
	if parallelCalls <= serialCalls {
		t.Errorf("parallel listing made %d calls, serial %d: the bucket was not split", parallelCalls, serialCalls)
	}
	if !reflect.DeepEqual(serial, parallel) {
		t.Errorf("bucket rows differ:\nserial   %+v\nparallel %+v", serial, parallel)
	}
	if int64(len(serialRecs)) != serial.CrossAccountObjects || !slices.Equal(serialRecs, parallelRecs) {
		t.Errorf("object records: serial %d, parallel %d, cross-account %d", len(serialRecs), len(parallelRecs), serial.CrossAccountObjects)
	}
	if len(slices.Compact(slices.Clone(parallelRecs))) != len(parallelRecs) {
		t.Error("an object record was streamed twice")
	}
	t.Logf("%d versions: serial %d calls, parallel %d calls", serial.ObjectsScanned, serialCalls, parallelCalls)
}

// TestTruncatedListingCallsAreMinimal: objects.max_per_bucket lists
// serially and asks for no more than the limit leaves, so a truncated
// bucket costs exactly the pages of the versions it counted.
func TestTruncatedListingCallsAreMinimal(t *testing.T) {
	srv := emulateYAML(t, parallelListingScenario())
	for _, limit := range []int64{5, 1000, 2500} {
		before := srv.Emulator.Counters().ByOperation["ListObjectVersions"]
		opts := DefaultOptions()
		opts.MaxObjectsPerBucket = limit
		res := scanEmulator(t, srv, opts, nil)
		calls := srv.Emulator.Counters().ByOperation["ListObjectVersions"] - before
		b := bucketByName(t, res, "huge")
		if b.ObjectScan != ObjectScanTruncated || b.ObjectsScanned != limit {
			t.Errorf("limit %d: %s after %d versions", limit, b.ObjectScan, b.ObjectsScanned)
		}
		if want := pagesFor(limit, versionsPageSize); calls != want {
			t.Errorf("limit %d: %d calls, want %d", limit, calls, want)
		}
	}
}
