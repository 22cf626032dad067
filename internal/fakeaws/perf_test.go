package fakeaws

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// perfScenarios are the scenarios of cmd/ownerscan/testdata/perf (run.sh
// and the profiling commands below use them); scan.yaml and
// readiness-off.yaml there are scan configurations, not scenarios.
func perfScenarios(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob("../../cmd/ownerscan/testdata/perf/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range paths {
		if name := filepath.Base(p); name != "scan.yaml" && name != "readiness-off.yaml" {
			out = append(out, p)
		}
	}
	if len(out) < 3 {
		t.Fatalf("perf scenarios: %v", paths)
	}
	return out
}

// TestPerfServe serves the scenario FAKEAWS_PERF_SCENARIO on
// FAKEAWS_PERF_ADDR for FAKEAWS_PERF_SECONDS seconds, so that the
// emulator's side of a scan can be profiled in its own process:
//
//	FAKEAWS_PERF_SCENARIO=cmd/ownerscan/testdata/perf/bucket-1m.yaml FAKEAWS_PERF_ADDR=127.0.0.1:4566 \
//	  FAKEAWS_PERF_SECONDS=10 go test -run TestPerfServe -cpuprofile emu.out ./internal/fakeaws/
//
// It prints the management credentials as `ownerscan emulate` does.
//
// Without FAKEAWS_PERF_SCENARIO (as in CI) it serves each scenario of
// cmd/ownerscan/testdata/perf in turn and checks that the credentials it
// would print work: a signed GetCallerIdentity and a listing page of the
// scenario's first bucket, counted by the counters endpoint.
func TestPerfServe(t *testing.T) {
	if path := os.Getenv("FAKEAWS_PERF_SCENARIO"); path != "" {
		srv := perfServe(t, path, os.Getenv("FAKEAWS_PERF_ADDR"))
		ak, sk := srv.Emulator.ManagementCredentials()
		fmt.Printf("export AWS_ENDPOINT_URL=%s\nexport AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\nexport AWS_REGION=us-east-1\n", srv.URL, ak, sk)
		secs, _ := strconv.Atoi(os.Getenv("FAKEAWS_PERF_SECONDS"))
		time.Sleep(time.Duration(max(secs, 1)) * time.Second)
		t.Logf("served %d calls", srv.Emulator.Counters().Total)
		return
	}
	for _, path := range perfScenarios(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			srv := perfServe(t, path, "127.0.0.1:0")
			sc := srv.Emulator.Scenario()
			ak, sk := srv.Emulator.ManagementCredentials()
			cfg := coreConfig(srv, ak, sk, "")
			ctx := context.Background()
			id, err := coreSTS(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil || aws.ToString(id.Account) != sc.ManagementAccount {
				t.Fatalf("GetCallerIdentity with the printed credentials: %+v %v", id, err)
			}
			b := sc.Buckets[0]
			owner := coreAccountConfig(t, srv, b.Account)
			owner.Region = b.Region
			page, err := coreS3(owner).ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(b.Name)})
			if err != nil || len(page.Versions) == 0 {
				t.Fatalf("ListObjectVersions %s: %v", b.Name, err)
			}
			resp, err := http.Get(srv.URL + CountersPath)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var counts CounterSnapshot
			if err := json.NewDecoder(resp.Body).Decode(&counts); err != nil || counts.Total != 2 {
				t.Errorf("counters endpoint: %+v %v, want 2 calls", counts, err)
			}
		})
	}
}

// perfServe loads the scenario at path and serves it on addr.
func perfServe(t *testing.T, path, addr string) *Server {
	t.Helper()
	sc, err := LoadScenario(path)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(sc, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}
