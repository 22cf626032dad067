package main

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
)

// emulate --principal prints the keys of the principal asked for, and the
// home region of the scenario's partition; an unknown principal is exit 2.
func TestEmulatePrincipal(t *testing.T) {
	const doc = `
partition: aws-cn
management_account: "111111111111"
accounts:
  - id: "111111111111"
    users: [{name: ownerscan, permissions: ["organizations:ListAccounts"]}]
`
	scenario := writeFile(t, "scenario.yaml", doc)
	sc, err := fakeaws.ParseScenario([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	emu, err := fakeaws.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	wantKey, _, _ := emu.UserCredentials("111111111111", "ownerscan")

	a, sigs, _, done := startApp(t, "emulate", "--addr", "127.0.0.1:0", "--scenario", scenario, "--principal", "111111111111/ownerscan")
	out := waitForExports(t, a)
	if !strings.Contains(out, "export AWS_ACCESS_KEY_ID="+wantKey+"\n") || !strings.Contains(out, "export AWS_REGION=cn-northwest-1\n") {
		t.Errorf("exports:\n%s", out)
	}
	sigs <- syscall.SIGTERM
	if code := <-done; code != exitOK {
		t.Errorf("emulate: exit %d", code)
	}

	if code, _, stderr := runCLI(t, "emulate", "--addr", "127.0.0.1:0", "--scenario", scenario, "--principal", "111111111111/nobody"); code != exitUsage || !strings.Contains(stderr, "--principal") {
		t.Errorf("unknown principal: exit %d, %s", code, stderr)
	}
}

// waitForExports waits for a running `emulate` to print its five export
// lines and returns its stdout.
func waitForExports(t *testing.T, a *app) string {
	t.Helper()
	stdout := a.stdout.(*syncBuffer)
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(stdout.String(), "\n") < 5 {
		if time.Now().After(deadline) {
			t.Fatalf("emulate printed %q; stderr:\n%s", stdout.String(), a.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return stdout.String()
}
