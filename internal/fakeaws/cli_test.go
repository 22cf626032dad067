package fakeaws_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/internal/mototest"
)

// The builtin scenario's motivating story (README "Why"): AccountC
// writes into AccountB's ObjectWriter bucket and keeps owning the objects.
const (
	cliAccountA     = "111111111111"
	cliAccountB     = "222222222222"
	cliAccountC     = "333333333333"
	cliSharedBucket = "our-shared-widgets"
)

// awsCLITimeout bounds one aws CLI invocation (python start-up included).
const awsCLITimeout = 60 * time.Second

// requireAWSCLI returns the aws CLI's path, or skips the test when it is not
// installed (fails instead under OWNERSCAN_REQUIRE_MOTO=1, as on CI, where
// the CLI is installed beside moto).
func requireAWSCLI(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv(mototest.RequireEnv) == "1" {
			t.Fatalf("aws CLI not installed but %s=1: %v", mototest.RequireEnv, err)
		}
		t.Skipf("aws CLI not installed: %v", err)
	}
	return path
}

// awsCLI runs the aws CLI with a clean AWS environment: no AWS_* variable of
// the developer's, no shared config or credentials files, no instance
// metadata lookups (which would leave loopback), plus env.
type awsCLI struct {
	t    *testing.T
	path string
	base []string
}

func newAWSCLI(t *testing.T) *awsCLI {
	path := requireAWSCLI(t)
	dir := t.TempDir()
	var base []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			base = append(base, kv)
		}
	}
	base = append(base,
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
	)
	return &awsCLI{t: t, path: path, base: base}
}

// cliResult is one CLI invocation's outcome.
type cliResult struct {
	stdout, stderr string
	exitCode       int
}

// run runs `aws <args> --output json` with env added to the clean base.
func (c *awsCLI) run(env []string, args ...string) cliResult {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), awsCLITimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.path, append(args, "--output", "json")...)
	cmd.Env = append(append([]string{}, c.base...), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.exitCode = exit.ExitCode()
	case err != nil:
		c.t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// runJSON runs the CLI, requires success and decodes its JSON output.
func (c *awsCLI) runJSON(env []string, out any, args ...string) {
	c.t.Helper()
	res := c.run(env, args...)
	if res.exitCode != 0 {
		c.t.Fatalf("aws %s: exit %d\nstderr: %s", strings.Join(args, " "), res.exitCode, res.stderr)
	}
	if err := json.Unmarshal([]byte(res.stdout), out); err != nil {
		c.t.Fatalf("aws %s: decode output: %v\n%s", strings.Join(args, " "), err, res.stdout)
	}
}

// credsEnv is the environment that makes the CLI act as accountID.
func credsEnv(t *testing.T, em *fakeaws.Emulator, endpoint, accountID string) []string {
	t.Helper()
	key, secret, ok := em.CredentialsFor(accountID)
	if !ok {
		t.Fatalf("emulator has no credentials for account %s", accountID)
	}
	return []string{"AWS_ENDPOINT_URL=" + endpoint, "AWS_ACCESS_KEY_ID=" + key,
		"AWS_SECRET_ACCESS_KEY=" + secret, "AWS_DEFAULT_REGION=us-east-1"}
}

// TestCLIAgainstEmulator drives the builtin scenario with the aws CLI
// (botocore: its own SigV4 signer, XML/JSON parsers and paginators) through
// fakeaws.NewServer.
func TestCLIAgainstEmulator(t *testing.T) {
	cli := newAWSCLI(t)
	srv, err := fakeaws.NewServer(fakeaws.BuiltinScenario(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	mgmtKey, mgmtSecret := srv.Emulator.ManagementCredentials()
	mgmt := []string{"AWS_ENDPOINT_URL=" + srv.URL, "AWS_ACCESS_KEY_ID=" + mgmtKey,
		"AWS_SECRET_ACCESS_KEY=" + mgmtSecret, "AWS_DEFAULT_REGION=us-east-1"}

	t.Run("sts get-caller-identity", func(t *testing.T) {
		var id struct{ Account, Arn string }
		cli.runJSON(mgmt, &id, "sts", "get-caller-identity")
		if id.Account != cliAccountA {
			t.Errorf("Account = %q, want the management account %s (Arn %s)", id.Account, cliAccountA, id.Arn)
		}
	})

	t.Run("organizations list-accounts", func(t *testing.T) {
		var out struct {
			Accounts []struct{ Id, Name, State, Status string }
		}
		// The CLI follows NextToken itself; every scenario account must come back.
		cli.runJSON(mgmt, &out, "organizations", "list-accounts")
		got := map[string]bool{}
		for _, a := range out.Accounts {
			got[a.Id] = true
		}
		for _, a := range srv.Emulator.Scenario().Accounts {
			if !got[a.ID] {
				t.Errorf("list-accounts lacks %s (%s); got %d accounts", a.ID, a.Name, len(out.Accounts))
			}
		}
		if len(out.Accounts) != len(srv.Emulator.Scenario().Accounts) {
			t.Errorf("list-accounts returned %d accounts, scenario has %d", len(out.Accounts), len(srv.Emulator.Scenario().Accounts))
		}
	})

	t.Run("s3api list-object-versions as AccountB", func(t *testing.T) {
		assertForeignOwnerVisible(t, cli, credsEnv(t, srv.Emulator, srv.URL, cliAccountB))
	})

	t.Run("s3api get-bucket-ownership-controls NotSet", func(t *testing.T) {
		bucket, owner := unsetBucket(t, srv.Emulator.Scenario())
		res := cli.run(credsEnv(t, srv.Emulator, srv.URL, owner), "s3api", "get-bucket-ownership-controls", "--bucket", bucket)
		if res.exitCode == 0 || !strings.Contains(res.stderr, "OwnershipControlsNotFoundError") {
			t.Errorf("get-bucket-ownership-controls on %s: exit %d, stderr %q; want a failure naming OwnershipControlsNotFoundError",
				bucket, res.exitCode, res.stderr)
		}
	})
}

// unsetBucket finds a scenario bucket without ownership controls.
func unsetBucket(t *testing.T, sc *fakeaws.Scenario) (bucket, account string) {
	t.Helper()
	for _, b := range sc.Buckets {
		if b.Ownership == fakeaws.OwnershipUnset {
			return b.Name, b.Account
		}
	}
	t.Fatal("builtin scenario has no bucket with ownership: unset")
	return "", ""
}

// assertForeignOwnerVisible lists our-shared-widgets' versions with the CLI
// and requires AccountC's canonical ID among the owners: the 403 story seen
// from AccountB.
func assertForeignOwnerVisible(t *testing.T, cli *awsCLI, env []string) {
	t.Helper()
	var out struct {
		Versions []struct {
			Key   string
			Owner struct{ ID string }
		}
	}
	cli.runJSON(env, &out, "s3api", "list-object-versions", "--bucket", cliSharedBucket)
	wantOwner := fakeaws.CanonicalIDFor(cliAccountC)
	owners := map[string]int{}
	for _, v := range out.Versions {
		owners[v.Owner.ID]++
	}
	if owners[wantOwner] == 0 {
		t.Errorf("list-object-versions --bucket %s: no version owned by AccountC (%s); owners seen: %v",
			cliSharedBucket, wantOwner, owners)
	}
}

// TestCLIEmulateBinary runs the real `ownerscan emulate` binary, takes its
// `export` lines as a user would paste them, and points the aws CLI at it.
func TestCLIEmulateBinary(t *testing.T) {
	cli := newAWSCLI(t)
	bin := buildOwnerscan(t)
	exports := startEmulate(t, bin)

	// The export lines alone (the management account) must work, as pasted
	// into a shell. aws CLI v1 (botocore) ignores AWS_REGION and reads only
	// AWS_DEFAULT_REGION, so without that line STS calls fail with "You
	// must specify a region".
	var id struct{ Account string }
	cli.runJSON(exports, &id, "sts", "get-caller-identity")
	if id.Account != cliAccountA {
		t.Errorf("get-caller-identity with the exported credentials: Account %q, want %s", id.Account, cliAccountA)
	}

	// AccountB's view of its bucket, through the same endpoint. Its keys are
	// the emulator's deterministic ones, so an in-process emulator of the
	// same scenario hands them out too.
	em, err := fakeaws.New(fakeaws.BuiltinScenario())
	if err != nil {
		t.Fatal(err)
	}
	key, secret, ok := em.CredentialsFor(cliAccountB)
	if !ok {
		t.Fatal("no credentials for AccountB")
	}
	endpoint := exportValue(exports, "AWS_ENDPOINT_URL")
	assertForeignOwnerVisible(t, cli, []string{"AWS_ENDPOINT_URL=" + endpoint, "AWS_ACCESS_KEY_ID=" + key,
		"AWS_SECRET_ACCESS_KEY=" + secret, "AWS_DEFAULT_REGION=us-east-1"})
}

// buildOwnerscan builds cmd/ownerscan into a temporary directory.
func buildOwnerscan(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go tool not found to build cmd/ownerscan: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "ownerscan")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, goTool, "build", "-o", bin, "github.com/ownerscan/ownerscan/cmd/ownerscan").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/ownerscan: %v\n%s", err, out)
	}
	return bin
}

// emulateStartTimeout bounds how long `emulate` may take to print its exports.
const emulateStartTimeout = 30 * time.Second

// exportsQuiet is how long stdout must stay silent, once the four required
// export lines are in, before the list counts as complete: `emulate` prints
// its lines in one burst, and may print more than the four the README names.
const exportsQuiet = 300 * time.Millisecond

// requiredExports are the variables the README says `emulate` exports.
var requiredExports = []string{"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"}

// startEmulate runs `ownerscan emulate --addr 127.0.0.1:0` and returns its
// export lines as KEY=VALUE. Cleanup stops it with SIGTERM and requires a
// clean exit.
func startEmulate(t *testing.T, bin string) []string {
	t.Helper()
	cmd := exec.Command(bin, "emulate", "--addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The reader forwards export lines and keeps draining stdout until the
	// process ends, so the emulator never blocks on a full pipe.
	done := make(chan error, 1)
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if kv, ok := strings.CutPrefix(sc.Text(), "export "); ok {
				select {
				case lines <- kv:
				default: // nobody listens any more
				}
			}
		}
		close(lines)
		done <- cmd.Wait() // after stdout is drained, as Wait requires
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("ownerscan emulate did not exit cleanly on SIGTERM: %v\nstderr:\n%s", err, stderr.String())
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("ownerscan emulate ignored SIGTERM for 10s\nstderr:\n%s", stderr.String())
		}
	})

	var exports []string
	deadline := time.After(emulateStartTimeout)
	var quiet <-chan time.Time // armed once every required line is in
	for {
		select {
		case kv, ok := <-lines:
			if !ok {
				t.Fatalf("ownerscan emulate exited after printing %q\nstderr:\n%s", exports, stderr.String())
			}
			exports = append(exports, kv)
			if hasAll(exports, requiredExports) {
				quiet = time.After(exportsQuiet)
			}
		case <-quiet:
			return exports
		case <-deadline:
			t.Fatalf("ownerscan emulate printed %q in %s, want export lines for %v\nstderr:\n%s",
				exports, emulateStartTimeout, requiredExports, stderr.String())
		}
	}
}

// hasAll reports whether KEY=VALUE lines set every one of names.
func hasAll(list, names []string) bool {
	for _, name := range names {
		if exportValue(list, name) == "" {
			return false
		}
	}
	return true
}

// exportValue returns the value of name in KEY=VALUE lines.
func exportValue(list []string, name string) string {
	for _, kv := range list {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}

// lockedBuffer is a bytes.Buffer safe to read while a process writes to it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
