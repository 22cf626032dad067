package main

import (
	"bytes"
	"context"
	"os"
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

// TestMain points the AWS SDK of every test at a closed loopback port with
// dummy keys and no shared config or instance metadata, so that no test can
// reach AWS (or 169.254.169.254) even when a bug lets a scan start. Tests
// that talk to the emulator override these with t.Setenv.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		// A child of runChild: its parent set the environment up.
		os.Exit(m.Run())
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            "http://127.0.0.1:9",
		"AWS_ACCESS_KEY_ID":           "AKIAOWNERSCANTESTKEY",
		"AWS_SECRET_ACCESS_KEY":       "not-a-secret",
		"AWS_REGION":                  "us-east-1",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_MAX_ATTEMPTS":            "1",
	} {
		os.Setenv(k, v)
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"} {
		os.Unsetenv(k)
	}
	os.Exit(m.Run())
}
