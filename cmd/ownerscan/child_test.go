package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// childEnv carries a childSpec to the test binary run again as a child.
const childEnv = "OWNERSCAN_TEST_CHILD"

// childSpec is what a child process does: optionally mount a small tmpfs
// (in a user and mount namespace of its own, so no privilege is needed),
// optionally cap the size of the files it writes (RLIMIT_FSIZE), then run
// the command lines in turn, each as main would, and report how they went.
type childSpec struct {
	// Tmpfs, when set, is a folder on which the child mounts a tmpfs of
	// TmpfsKiB KiB; it is private to the child and gone when it exits.
	Tmpfs    string
	TmpfsKiB int
	// Steps run in order; a step with Fill set fills the tmpfs instead.
	Steps []childStep
	// Unprivileged: the child runs without root's power over file
	// permissions, even when the test runs as root (as a user mapped in a
	// user namespace of its own).
	Unprivileged bool
	// FileSizeLimit, when not 0, caps every file the child writes from
	// the step FileSizeLimitFrom on.
	FileSizeLimit     int64
	FileSizeLimitFrom int
}

// childStep is one command line, or a filling of the tmpfs (Fill).
type childStep struct {
	Args []string
	Fill bool
	// Snapshot: after the step, record the folder's files (see
	// childReport.Snapshots).
	Snapshot string
}

// childReport is what the child prints on stdout, for the parent to check.
type childReport struct {
	Codes     []int
	Stderrs   []string
	Snapshots []map[string]string // per step with Snapshot set, name -> content
	Err       string              // a failure of the child itself
}

// TestChildProcess is not a test: it is the body of the child processes
// that runChild starts (the test binary again, with childEnv set).
func TestChildProcess(t *testing.T) {
	raw := os.Getenv(childEnv)
	if raw == "" {
		t.Skip("helper process of runChild, run only as a child")
	}
	var spec childSpec
	rep := childReport{}
	finish := func(err error) {
		if err != nil {
			rep.Err = err.Error()
		}
		json.NewEncoder(os.Stdout).Encode(rep)
		os.Exit(0)
	}
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		finish(err)
	}
	if spec.Tmpfs != "" {
		if err := syscall.Mount("tmpfs", spec.Tmpfs, "tmpfs", 0, "size="+itoa(spec.TmpfsKiB)+"k"); err != nil {
			finish(errors.New("mount tmpfs: " + err.Error()))
		}
	}
	for i, st := range spec.Steps {
		if spec.FileSizeLimit > 0 && i == spec.FileSizeLimitFrom {
			lim := &syscall.Rlimit{Cur: uint64(spec.FileSizeLimit), Max: uint64(spec.FileSizeLimit)}
			if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, lim); err != nil {
				finish(err)
			}
		}
		if st.Fill {
			if err := fillDisk(filepath.Join(spec.Tmpfs, "filler")); err != nil {
				finish(err)
			}
		} else {
			var stdout, stderr bytes.Buffer
			rep.Codes = append(rep.Codes, run(context.Background(), st.Args, &stdout, &stderr))
			rep.Stderrs = append(rep.Stderrs, stderr.String())
		}
		if st.Snapshot != "" {
			snap, err := snapshotFolder(st.Snapshot)
			if err != nil {
				finish(err)
			}
			rep.Snapshots = append(rep.Snapshots, snap)
		}
	}
	finish(nil)
}

// fillDisk writes path until the file system is full.
func fillDisk(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return nil
			}
			return err
		}
	}
}

// snapshotFolder reads every entry of dir: name to content.
func snapshotFolder(dir string) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	snap := map[string]string{}
	for _, e := range entries {
		if e.IsDir() {
			snap[e.Name()] = "<dir>"
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		snap[e.Name()] = string(data)
	}
	return snap, nil
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// startChild starts the test binary again as a child doing spec, with the
// environment of this test (the emulator's endpoint and keys), in user
// and mount namespaces of its own when spec mounts a tmpfs.
// Each configure function may change the command before it starts.
func startChild(t *testing.T, spec childSpec, configure ...func(*exec.Cmd)) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	raw, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = io.Discard
	namespaced := spec.Tmpfs != "" || (spec.Unprivileged && os.Getuid() == 0)
	switch {
	case spec.Tmpfs != "":
		// Root of its own user namespace: it may mount there.
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
			UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
			GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
		}
	case namespaced:
		// A plain user there: after exec it has no capability, so file
		// permissions apply to it, root's files being its own.
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Cloneflags:  syscall.CLONE_NEWUSER,
			UidMappings: []syscall.SysProcIDMap{{ContainerID: 1000, HostID: os.Getuid(), Size: 1}},
			GidMappings: []syscall.SysProcIDMap{{ContainerID: 1000, HostID: os.Getgid(), Size: 1}},
		}
	}
	for _, c := range configure {
		c(cmd)
	}
	if err := cmd.Start(); err != nil {
		if namespaced {
			t.Skipf("cannot start a child in a user namespace of its own (unprivileged user namespaces disabled?): %v", err)
		}
		t.Fatal(err)
	}
	return cmd, &out
}

// runChild runs a child doing spec to its end and returns its report.
func runChild(t *testing.T, spec childSpec) childReport {
	t.Helper()
	cmd, out := startChild(t, spec)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v; stdout:\n%s", err, out)
	}
	rep := decodeChildReport(t, out.Bytes())
	if rep.Err != "" {
		if spec.Tmpfs != "" && len(rep.Codes) == 0 {
			t.Skipf("cannot mount a tmpfs in a user namespace here: %s", rep.Err)
		}
		t.Fatalf("child: %s", rep.Err)
	}
	return rep
}

// decodeChildReport decodes what a child printed.
func decodeChildReport(t *testing.T, out []byte) childReport {
	t.Helper()
	var rep childReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("child report %q: %v", out, err)
	}
	return rep
}
