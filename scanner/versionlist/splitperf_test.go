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

// TestSplitEfficiencyEmulator (opt-in: VERSIONLIST_SPLIT_N versions) lists a
// generated emulator bucket with latency and reports calls, ranges and wall
// time against the bound pages x latency / parallelism.
func TestSplitEfficiencyEmulator(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("VERSIONLIST_SPLIT_N"))
	if n == 0 {
		t.Skip("set VERSIONLIST_SPLIT_N")
	}
	par := 32
	if p, _ := strconv.Atoi(os.Getenv("VERSIONLIST_SPLIT_PAR")); p > 0 {
		par = p
	}
	lat := 20 * time.Millisecond
	sc, err := fakeaws.ParseScenario([]byte(fmt.Sprintf(`
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
buckets:
  - name: big
    account: "111111111111"
    ownership: ObjectWriter
    generated: {count: %d, key_prefix: "data/"}
faults: {latency: %s}
`, n, lat)))
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
	total := 0
	st, err := ListAllStats(context.Background(), c, "big", Options{Parallelism: par}, func(p *Page) error {
		total += len(p.Entries)
		return nil
	})
	wall := time.Since(start)
	cpu := cpuTime() - cpu0
	if err != nil || total != n {
		t.Fatalf("%d entries, %v", total, err)
	}
	pages := (n + 999) / 1000
	bound := time.Duration(pages) * lat / time.Duration(par)
	t.Logf("n=%d par=%d calls=%d (min %d) ranges=%d wall=%v bound=%v ratio=%.2f cpu=%v received=%d empty=%d", n, par, st.Calls, pages, st.Ranges, wall, bound, wall.Seconds()/bound.Seconds(), cpu, st.Received, st.EmptyCalls)
}
