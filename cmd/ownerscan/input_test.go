package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// waitExit waits for a command started by startApp to end, at most 5 s.
func waitExit(t *testing.T, done chan int) int {
	t.Helper()
	select {
	case code := <-done:
		return code
	case <-time.After(5 * time.Second):
		t.Fatal("still running 5s after the signal")
	}
	return 0
}

// TestConfigThatNeverEndsStopsOnSignal: a --config that is a named pipe
// with no writer (the open itself waits), or one whose writer never
// finishes, is given up at the first SIGINT/SIGTERM: exit 130, one line,
// nothing scanned. The same for --scenario.
func TestConfigThatNeverEndsStopsOnSignal(t *testing.T) {
	srv := startEmulator(t, parseScenario(t, enforcedOnly))
	for _, tc := range []struct {
		name   string
		flag   string
		writer bool // a writer that sends a line and then nothing
	}{
		{"config, no writer", "--config", false},
		{"config, a writer that never ends", "--config", true},
		{"scenario, no writer", "--scenario", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fifo := filepath.Join(t.TempDir(), "fifo")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			if tc.writer {
				w, err := os.OpenFile(fifo, os.O_RDWR, 0) // does not wait for a reader
				if err != nil {
					t.Fatal(err)
				}
				defer w.Close()
				if _, err := w.WriteString("concurrency: 4\n"); err != nil {
					t.Fatal(err)
				}
			} else {
				// The reader waits in open(2) for a writer until the
				// process ends; in this test process, let it go at the end.
				t.Cleanup(func() {
					if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
						w.Close()
					}
				})
			}
			command := "scan"
			if tc.flag == "--scenario" {
				command = "demo"
			}
			a, sigs, _, done := startApp(t, command, tc.flag, fifo, "--out", t.TempDir(), "--quiet")
			time.Sleep(300 * time.Millisecond)
			select {
			case code := <-done:
				t.Fatalf("ended before the signal: exit %d; stderr:\n%s", code, a.stderr)
			default:
			}
			sigs <- syscall.SIGTERM
			if code := waitExit(t, done); code != exitAborted {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitAborted, a.stderr)
			}
			want := "ownerscan: interrupted (terminated) while reading " + tc.flag + " " + fifo + ": nothing was scanned and no report was written\n"
			if got := a.stderr.(*syncBuffer).String(); got != want {
				t.Errorf("stderr %q, want %q", got, want)
			}
		})
	}
	if n := srv.Emulator.Counters().Total; n != 0 {
		t.Errorf("%d API calls", n)
	}
}

// TestConfigFromStdinStopsOnSignal runs `scan --config /dev/stdin` in a
// process of its own whose standard input never ends, and sends it a real
// SIGTERM: it ends with exit 130.
func TestConfigFromStdinStopsOnSignal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	defer r.Close()
	if _, err := w.WriteString("# a configuration still being written\n"); err != nil {
		t.Fatal(err)
	}
	child, out := startChild(t, childSpec{Steps: []childStep{{Args: []string{"scan", "--config", "/dev/stdin", "--out", t.TempDir(), "--quiet"}}}},
		func(c *exec.Cmd) { c.Stdin = r })
	// The child installs its signal handler before it reads --config: once
	// it has drained what was written, a SIGTERM meets the handler, not
	// the runtime's default (which a fixed sleep could not promise on a
	// loaded machine).
	waitDrained(t, r, 20*time.Second)
	time.Sleep(50 * time.Millisecond)
	if err := child.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() { ended <- child.Wait() }()
	select {
	case err := <-ended:
		if err != nil {
			t.Fatalf("child: %v", err)
		}
	case <-time.After(5 * time.Second):
		child.Process.Kill()
		t.Fatal("still running 5s after SIGTERM")
	}
	rep := decodeChildReport(t, out.Bytes())
	if len(rep.Codes) != 1 || rep.Codes[0] != exitAborted || !strings.Contains(rep.Stderrs[0], "interrupted (terminated) while reading --config /dev/stdin") {
		t.Errorf("child ran %v, stderr %q; want exit %d and the interruption named", rep.Codes, rep.Stderrs, exitAborted)
	}
}

// waitDrained waits until nobody has bytes left to read in the pipe whose
// read end is r (FIONREAD, named TIOCINQ on Linux), or fails the test after limit.
func waitDrained(t *testing.T, r *os.File, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		n, err := unix.IoctlGetInt(int(r.Fd()), unix.TIOCINQ) // FIONREAD
		if err != nil {
			t.Fatalf("FIONREAD: %v", err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the child has not read its input after %v", limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestEndlessInputsAreCapped: a configuration or scenario that is a device
// without end is read up to its cap and refused (exit 2), never read into
// memory whole.
func TestEndlessInputsAreCapped(t *testing.T) {
	out := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"scan", "--config", "/dev/zero", "--out", out}, "ownerscan: config: /dev/zero is larger than 1048576 bytes\n"},
		{[]string{"demo", "--scenario", "/dev/urandom", "--out", out}, "ownerscan: --scenario: /dev/urandom is larger than 4194304 bytes\n"},
		{[]string{"emulate", "--scenario", "/dev/zero"}, "ownerscan: --scenario: /dev/zero is larger than 4194304 bytes\n"},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		if code != exitUsage || stderr != tc.want {
			t.Errorf("%v: exit %d stderr %q, want exit 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}
