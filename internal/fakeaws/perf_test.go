package fakeaws

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestPerfServe serves the scenario FAKEAWS_PERF_SCENARIO on
// FAKEAWS_PERF_ADDR for FAKEAWS_PERF_SECONDS seconds, so that the
// emulator's side of a scan can be profiled in its own process:
//
//	FAKEAWS_PERF_SCENARIO=cmd/ownerscan/testdata/perf/bucket-1m.yaml FAKEAWS_PERF_ADDR=127.0.0.1:4566 \
//	  FAKEAWS_PERF_SECONDS=10 go test -run TestPerfServe -cpuprofile emu.out ./internal/fakeaws/
//
// It prints the management credentials as `ownerscan emulate` does.
func TestPerfServe(t *testing.T) {
	path := os.Getenv("FAKEAWS_PERF_SCENARIO")
	if path == "" {
		t.Skip("set FAKEAWS_PERF_SCENARIO, FAKEAWS_PERF_ADDR and FAKEAWS_PERF_SECONDS")
	}
	sc, err := LoadScenario(path)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(sc, os.Getenv("FAKEAWS_PERF_ADDR"))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ak, sk := srv.Emulator.ManagementCredentials()
	fmt.Printf("export AWS_ENDPOINT_URL=%s\nexport AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\nexport AWS_REGION=us-east-1\n", srv.URL, ak, sk)
	secs, _ := strconv.Atoi(os.Getenv("FAKEAWS_PERF_SECONDS"))
	time.Sleep(time.Duration(max(secs, 1)) * time.Second)
	t.Logf("served %d calls", srv.Emulator.Counters().Total)
}
