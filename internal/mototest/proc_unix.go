//go:build unix

package mototest

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts moto in a process group of its own: python3 is often a
// shim (pyenv) that runs the real interpreter as a child, and both must die.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killProcessGroup kills every process in moto's group. moto keeps no state
// worth flushing, so SIGKILL is enough.
func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
