// Package mototest starts moto (https://github.com/getmoto/moto), an
// independent AWS emulator written in Python, for tests that compare
// fakeaws and the scanner against a second implementation of the wire
// protocols. Each Server is a fresh moto process on a free loopback port,
// killed with its whole process group when the test ends.
//
// moto is optional on a developer machine: without it the tests skip. CI sets
// OWNERSCAN_REQUIRE_MOTO=1, which turns the skip into a failure.
package mototest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// RequireEnv names the environment variable that turns "moto is missing"
// from a skip into a test failure.
const RequireEnv = "OWNERSCAN_REQUIRE_MOTO"

// Static identity that moto maps to its default account.
const (
	// AccessKeyID and SecretAccessKey are the long-term credentials tests
	// sign with; moto does not verify signatures and attributes every key it
	// did not mint itself to DefaultAccountID.
	AccessKeyID     = "testing"
	SecretAccessKey = "testing"
	// DefaultAccountID is moto's account for keys it did not mint; it becomes
	// the management account of an organization created with them.
	DefaultAccountID = "123456789012"
	// Region is the region every client is configured for unless a test
	// addresses a bucket elsewhere.
	Region = "us-east-1"
)

// readyTimeout bounds how long Start waits for moto to answer HTTP.
const readyTimeout = 30 * time.Second

// startAttempts is how often Start retries when moto dies before it is ready
// (typically because another process took the free port in between).
const startAttempts = 3

// Server is one running moto process.
type Server struct {
	// URL is the base endpoint, e.g. http://127.0.0.1:41234.
	URL    string
	cmd    *exec.Cmd
	exited <-chan error // receives cmd.Wait's result once
	logs   *tailBuffer
}

// Start runs a fresh moto server on a free loopback port and registers a
// cleanup that kills it. It skips the test when python3 or moto is missing,
// unless OWNERSCAN_REQUIRE_MOTO=1, in which case it fails the test.
func Start(t testing.TB) *Server {
	t.Helper()
	python, err := findMoto()
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("moto not installed but %s=1: %v", RequireEnv, err)
		}
		t.Skipf("moto not installed: python3 -m moto.server unavailable (%v)", err)
	}
	var lastErr error
	for attempt := 0; attempt < startAttempts; attempt++ {
		srv, err := launch(python)
		if err == nil {
			t.Cleanup(func() {
				srv.stop()
				if t.Failed() {
					t.Logf("moto log tail (%s):\n%s", srv.URL, srv.logs.String())
				}
			})
			return srv
		}
		lastErr = err
	}
	t.Fatalf("mototest: start moto: %v", lastErr)
	return nil
}

// findMoto returns the python3 executable that can import moto.server.
func findMoto() (string, error) {
	python, err := exec.LookPath("python3")
	if err != nil {
		return "", fmt.Errorf("find python3: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "-c", "import moto.server").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("python3 -c 'import moto.server': %w: %s", err, lastLine(out))
	}
	return python, nil
}

// launch starts moto on a free port and waits until it answers.
func launch(python string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logs := &tailBuffer{max: 64 << 10}
	cmd := exec.Command(python, "-m", "moto.server", "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1")
	cmd.Stdout = logs
	cmd.Stderr = logs
	cmd.WaitDelay = 5 * time.Second
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("mototest: run %s -m moto.server: %w", python, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	srv := &Server{URL: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, exited: exited, logs: logs}
	if err := srv.waitReady(exited); err != nil {
		srv.stop()
		return nil, fmt.Errorf("%w; log tail:\n%s", err, logs.String())
	}
	return srv, nil
}

// waitReady polls the moto dashboard until it answers 200.
func (s *Server) waitReady(exited <-chan error) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("mototest: moto exited before it was ready: %v", err)
		default:
		}
		resp, err := client.Get(s.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("mototest: moto at %s not ready after %s", s.URL, readyTimeout)
}

// Reset clears every moto backend (all accounts, buckets, organizations), for
// tests that share one server.
func (s *Server) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/moto-api/reset", nil)
	if err != nil {
		return fmt.Errorf("mototest: reset: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("mototest: reset: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("mototest: reset: HTTP %d", resp.StatusCode)
	}
	return nil
}

// stop kills moto's process group and waits for the process to be reaped.
func (s *Server) stop() {
	killProcessGroup(s.cmd)
	<-s.exited
}

// freePort asks the kernel for a free loopback port. moto binds it a moment
// later; Start retries if someone else took it in between.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("mototest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// tailBuffer keeps the last max bytes written to it: moto logs every request
// and a test only needs the end of the log when it fails.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
