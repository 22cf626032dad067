package versionlist

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
)

// TestSplitEfficiencyEmulator lists a generated emulator bucket of each
// key shape in parallel and checks that every version is listed exactly
// once, as many as the emulator holds; it logs calls, ranges, overlap and
// empty probes against the pages a serial listing needs, and wall time
// against the bound pages x latency / parallelism.
//
// CI lists 10,000 versions per shape at 2 ms. For figures:
//
//	VERSIONLIST_SPLIT_N=1000000 VERSIONLIST_SPLIT_LATENCY=20ms VERSIONLIST_SPLIT_PAR=32 \
//	  go test -run TestSplitEfficiencyEmulator -v ./scanner/versionlist/
func TestSplitEfficiencyEmulator(t *testing.T) {
	n := 10000
	if v, _ := strconv.Atoi(os.Getenv("VERSIONLIST_SPLIT_N")); v > 0 {
		n = v
	}
	par := 32
	if p, _ := strconv.Atoi(os.Getenv("VERSIONLIST_SPLIT_PAR")); p > 0 {
		par = p
	}
	lat := 2 * time.Millisecond
	if d, err := time.ParseDuration(os.Getenv("VERSIONLIST_SPLIT_LATENCY")); err == nil {
		lat = d
	}
	for _, shape := range fakeaws.KeyShapes() {
		t.Run(shape, func(t *testing.T) {
			sc, err := fakeaws.ParseScenario([]byte(fmt.Sprintf(`
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
buckets:
  - name: big
    account: "111111111111"
    ownership: ObjectWriter
    generated: {count: %d, key_prefix: "data/", key_shape: %s}
faults: {latency: %s}
`, n, shape, lat)))
			if err != nil {
				t.Fatal(err)
			}
			srv, err := fakeaws.NewServer(sc, "")
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			ak, sk := srv.Emulator.ManagementCredentials()
			c := newTestClient(srv.URL, func(o *s3.Options) { o.Credentials = credentials.NewStaticCredentialsProvider(ak, sk, "") })
			start := time.Now()
			cpu0 := cpuTime()
			seen := make(map[string]struct{}, n)
			total := 0
			st, err := ListAllStats(context.Background(), c, "big", Options{Parallelism: par}, func(p *Page) error {
				for _, e := range p.Entries {
					seen[e.Key+"\x00"+e.VersionID] = struct{}{}
				}
				total += len(p.Entries)
				return nil
			})
			wall := time.Since(start)
			cpu := cpuTime() - cpu0
			want := emulatorVersions(t, srv.Emulator, "big")
			if err != nil || int64(total) != want || int64(len(seen)) != want {
				t.Fatalf("%d entries, %d distinct, want %d: %v", total, len(seen), want, err)
			}
			pages := (n + 999) / 1000
			bound := time.Duration(pages) * lat / time.Duration(par)
			t.Logf("%s: n=%d par=%d calls=%d (pages %d, %.3f per page) ranges=%d received=%d empty=%d wall=%v bound=%v cpu=%v",
				shape, n, par, st.Calls, pages, float64(st.Calls)/float64(pages), st.Ranges, st.Received, st.EmptyCalls, wall.Round(time.Millisecond), bound, cpu.Round(time.Millisecond))
		})
	}
}
