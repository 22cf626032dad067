package main

import (
	"testing"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
)

// emulatorOf builds (without serving it) the emulator of a scenario: its
// contents are a ground truth independent of any scan.
func emulatorOf(t *testing.T, yml string) *fakeaws.Emulator {
	t.Helper()
	e, err := fakeaws.New(parseScenario(t, yml))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// versionsToList is the number of object versions and delete markers a
// full scan of the scenario lists: those of every bucket not enforced.
func versionsToList(t *testing.T, yml string) int64 {
	t.Helper()
	n := int64(0)
	for _, b := range emulatorOf(t, yml).Buckets() {
		if b.Ownership != "BucketOwnerEnforced" {
			n += b.Versions
		}
	}
	return n
}

// TestDemoStatsCallsFromEmulator: `demo --stats` reports as calls what the
// emulator received, not what the scan believes is the minimum. Every
// GetBucketOwnershipControls is throttled once (and retried), so the
// emulator counts exactly one call per bucket more than the same demo
// without the fault, and calls exceed min_calls.
func TestDemoStatsCallsFromEmulator(t *testing.T) {
	const yml = `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
generate:
  accounts: 3
  buckets_per_account: 3
  not_enforced_fraction: 0.5
  objects_per_bucket: 1200
`
	stats := func(scenario string) statsLine {
		t.Helper()
		code, stdout, stderr := runCLI(t, "demo", "--scenario", writeFile(t, "scenario.yaml", scenario), "--out", t.TempDir(), "--quiet", "--stats")
		if code != exitFindings {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr)
		}
		return lastStatsLine(t, stdout)
	}
	clean := stats(yml)
	if clean.Calls != clean.MinCalls {
		t.Errorf("without faults: calls %d, min_calls %d", clean.Calls, clean.MinCalls)
	}
	buckets := int64(len(emulatorOf(t, yml).Buckets()))
	throttled := stats(yml + "faults: {throttle: {burst: 1, operations: [GetBucketOwnershipControls]}}\n")
	if want := clean.Calls + buckets; throttled.Calls != want {
		t.Errorf("one throttle per bucket: calls %d, want %d (%d without the fault + %d buckets)", throttled.Calls, want, clean.Calls, buckets)
	}
	if throttled.Calls <= throttled.MinCalls {
		t.Errorf("calls %d, min_calls %d: calls must count the throttled attempts", throttled.Calls, throttled.MinCalls)
	}
	if throttled.Objects != clean.Objects || throttled.Objects != versionsToList(t, yml) {
		t.Errorf("objects %d with the fault, %d without, %d in the emulator", throttled.Objects, clean.Objects, versionsToList(t, yml))
	}
}
