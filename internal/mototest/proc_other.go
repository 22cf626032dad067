//go:build !unix

package mototest

import "os/exec"

// setProcessGroup has no portable equivalent outside unix.
func setProcessGroup(cmd *exec.Cmd) {}

// killProcessGroup kills the moto process itself.
func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
