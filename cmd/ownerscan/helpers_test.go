package main

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// runCLI runs the command line in-process, as main would, but with no
// signals and captured output.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := &app{
		stdout: &out, stderr: &errOut,
		hardExit: func(code int) { t.Errorf("hard exit %d", code) },
		now:      time.Now,
	}
	code = a.run(context.Background(), args)
	return code, out.String(), errOut.String()
}
