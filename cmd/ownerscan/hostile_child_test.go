package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"testing"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/internal/sabotage"
)

// hostileChildEnv, set in a child process of a hostile_* test, holds the
// command line that process runs (see TestHostileChild).
const hostileChildEnv = "OWNERSCAN_HOSTILE_CHILD"

// childCommand is what a child process runs: ownerscan's arguments and the
// environment to set first (this package's TestMain has pointed the AWS
// environment at a closed port by then).
type childCommand struct {
	Args []string
	Env  map[string]string
}

// TestHostileChild is not a test of its own: in a child process started by
// startHostileChild it runs the command line as main does (real signal
// handling, its own memory), so that the parent can send it signals and
// read its peak memory, and exits with the command's code.
func TestHostileChild(t *testing.T) {
	spec := os.Getenv(hostileChildEnv)
	if spec == "" {
		t.Skip("runs only in the child process of a hostile_* test")
	}
	var c childCommand
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		t.Fatal(err)
	}
	for k, v := range c.Env {
		os.Setenv(k, v)
	}
	os.Exit(run(context.Background(), c.Args, os.Stdout, os.Stderr))
}

// hostileChild is ownerscan running in a child process.
type hostileChild struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
}

// startHostileChild serves yml behind a sabotage proxy with rules and
// starts `ownerscan scan ARGS` in a child process pointed at the proxy.
func startHostileChild(t *testing.T, yml string, rules []sabotage.Rule, args ...string) (*hostileChild, *sabotage.Proxy) {
	t.Helper()
	srv, err := fakeaws.NewServer(parseScenario(t, yml), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	p := sabotage.Start(srv.Emulator, rules...)
	t.Cleanup(p.Close)
	ak, sk := srv.Emulator.ManagementCredentials()
	dir := t.TempDir()
	spec, err := json.Marshal(childCommand{Args: append([]string{"scan"}, args...), Env: map[string]string{
		"AWS_ENDPOINT_URL": p.URL, "AWS_ACCESS_KEY_ID": ak, "AWS_SECRET_ACCESS_KEY": sk, "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": dir + "/config", "AWS_SHARED_CREDENTIALS_FILE": dir + "/credentials",
	}})
	if err != nil {
		t.Fatal(err)
	}
	c := &hostileChild{cmd: exec.Command(os.Args[0], "-test.run=^TestHostileChild$", "-test.count=1")}
	c.cmd.Env = append(os.Environ(), hostileChildEnv+"="+string(spec))
	c.cmd.Stdout, c.cmd.Stderr = &c.stdout, &c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			c.cmd.Process.Kill()
			c.cmd.Wait()
		}
	})
	return c, p
}

// wait waits for the child and returns its exit code.
func (c *hostileChild) wait(t *testing.T) int {
	t.Helper()
	err := c.cmd.Wait()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatal(err)
	}
	return c.cmd.ProcessState.ExitCode()
}
