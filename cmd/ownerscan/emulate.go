package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
)

// defaultEmulatorAddr is where `emulate` listens by default: localstack's
// port, which tools and muscle memory already point at.
const defaultEmulatorAddr = "127.0.0.1:4566"

// emulateCommand is `ownerscan emulate`: it serves the emulator on loopback
// until SIGINT/SIGTERM, after printing the shell lines that point the aws
// CLI and `ownerscan scan` at it with the management account's credentials.
func (a *app) emulateCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("emulate", flag.ContinueOnError)
	scenarioPath := fs.String("scenario", "", "emulated organization: a scenario `FILE` (YAML); default the built-in demo organization")
	addr := fs.String("addr", defaultEmulatorAddr, "loopback `HOST:PORT` to listen on (port 0 picks a free one)")
	logFormat := fs.String("log-format", logFormatText, "log `FORMAT` on stderr: text or json")
	principal := fs.String("principal", "", "print the keys of `ACCOUNT[/USER]`: an account's administrator, or a user of the scenario (accounts[].users); default the management account's administrator")
	if err := a.parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkLoopback(*addr); err != nil {
		return usagef("--addr: %v", err)
	}
	logger, err := newLogger(a.stderr, *logFormat, false)
	if err != nil {
		return err
	}
	sc, err := a.loadScenario(ctx, *scenarioPath)
	if err != nil {
		return err
	}
	srv, err := fakeaws.NewServer(sc, *addr)
	if err != nil {
		return usagef("--addr %s: %v", *addr, err)
	}
	defer srv.Close()
	accessKey, secretKey := srv.Emulator.ManagementCredentials()
	if *principal != "" {
		account, user, _ := strings.Cut(*principal, "/")
		var ok bool
		if user == "" {
			accessKey, secretKey, ok = srv.Emulator.CredentialsFor(account)
		} else {
			accessKey, secretKey, ok = srv.Emulator.UserCredentials(account, user)
		}
		if !ok {
			return usagef("--principal: %q is no account of the scenario, nor ACCOUNT/USER of one of its users", *principal)
		}
	}
	// The home region of the scenario's partition: every account has it.
	region := srv.Emulator.HomeRegion()
	fmt.Fprintf(a.stdout, "export AWS_ENDPOINT_URL=%s\n", srv.URL)
	fmt.Fprintf(a.stdout, "export AWS_ACCESS_KEY_ID=%s\n", accessKey)
	fmt.Fprintf(a.stdout, "export AWS_SECRET_ACCESS_KEY=%s\n", secretKey)
	fmt.Fprintf(a.stdout, "export AWS_REGION=%s\n", region)
	// aws CLI v1 (botocore) reads only AWS_DEFAULT_REGION.
	fmt.Fprintf(a.stdout, "export AWS_DEFAULT_REGION=%s\n", region)
	logger.With("component", "cli").Info("emulator serving; stop with Ctrl-C",
		"endpoint", srv.URL, "management_account", sc.ManagementAccount, "counters", srv.URL+"/_fakeaws/counters")

	select {
	case <-ctx.Done():
	case sig := <-a.signals: // a nil channel (no signals) blocks forever
		logger.With("component", "cli").Info("emulator stopping", "signal", sig.String())
	}
	return nil
}

// checkLoopback refuses addresses off the loopback interface: the emulator
// hands out well-known credentials and must not be reachable from the network.
func checkLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not HOST:PORT: %v", addr, err)
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return fmt.Errorf("%q: bad port: %v", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address (127.0.0.1, ::1 or localhost)", host)
	}
	return nil
}
