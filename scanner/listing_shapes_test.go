package scanner

import (
	"fmt"
	"hash/fnv"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
)

// distinctSink counts the object records it gets and how many were new.
type distinctSink struct {
	mu       sync.Mutex
	seen     map[uint64]struct{}
	received int64
}

func (s *distinctSink) WriteObject(r ObjectRecord) error {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00%s", r.Bucket, r.Key, r.VersionID)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received++
	s.seen[h.Sum64()] = struct{}{}
	return nil
}

// TestListingEveryShapeExactly: a bucket of each key shape the emulator
// generates (flat names of random width, deep and shallow folders, skewed
// folder sizes, unicode), every version owned by another account so that
// the scan streams each one, is listed in parallel key ranges with every
// version exactly once, as many as the emulator holds. It logs the
// ListObjectVersions calls against the pages a serial listing needs (the
// README quotes them; they depend on timing, so they are not asserted).
//
// CI lists 20,000 versions per shape at 2 ms. The README's
// figures (1,000,000 versions at 20 ms, concurrency 64) come from
//
//	OWNERSCAN_SHAPE_VERSIONS=1000000 OWNERSCAN_SHAPE_LATENCY=20ms \
//	  go test -run TestListingEveryShapeExactly -v ./scanner/
func TestListingEveryShapeExactly(t *testing.T) {
	versions := int64(20000)
	if n, err := strconv.ParseInt(os.Getenv("OWNERSCAN_SHAPE_VERSIONS"), 10, 64); err == nil && n > 0 {
		versions = n
	}
	latency := 2 * time.Millisecond
	if d, err := time.ParseDuration(os.Getenv("OWNERSCAN_SHAPE_LATENCY")); err == nil {
		latency = d
	}
	for _, shape := range fakeaws.KeyShapes() {
		t.Run(shape, func(t *testing.T) {
			srv := emulateYAML(t, fmt.Sprintf(`
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
  - {id: "222222222222", name: Writer}
buckets:
  - name: shaped
    account: "111111111111"
    ownership: ObjectWriter
    writers: ["222222222222"]
    generated: {count: %d, key_prefix: "data/", key_shape: %s, foreign: {"222222222222": 1}}
faults: {latency: %s}
`, versions, shape, latency))
			sink := &distinctSink{seen: map[uint64]struct{}{}}
			res := scanEmulator(t, srv, DefaultOptions(), sink)
			b := bucketByName(t, res, "shaped")
			want := emulatorVersions(t, srv, "shaped")
			if b.ObjectScan != ObjectScanComplete || b.ObjectsScanned != want || b.CrossAccountObjects != want {
				t.Errorf("%s after %d versions (%d cross-account), the emulator holds %d", b.ObjectScan, b.ObjectsScanned, b.CrossAccountObjects, want)
			}
			if sink.received != want || int64(len(sink.seen)) != want {
				t.Errorf("%d records streamed, %d distinct, want each of %d versions once", sink.received, len(sink.seen), want)
			}
			calls := srv.Emulator.Counters().ByOperation["ListObjectVersions"]
			pages := pagesFor(want, versionsPageSize)
			t.Logf("%s: %d versions, %d pages, %d ListObjectVersions calls (%.3f per page)", shape, want, pages, calls, float64(calls)/float64(pages))
			if calls < pages {
				t.Errorf("%d calls for %d pages: pages of 1,000 cannot list it in fewer", calls, pages)
			}
		})
	}
}
