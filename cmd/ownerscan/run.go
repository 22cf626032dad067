package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ownerscan/ownerscan/scanner/remediate"
)

// Exit codes (README "Exit codes").
const (
	exitOK         = 0   // complete, nothing at or above --fail-on
	exitFindings   = 1   // complete, findings at or above --fail-on
	exitUsage      = 2   // bad usage or configuration
	exitIncomplete = 3   // incomplete or interrupted; reports written, marked incomplete
	exitNoReport   = 4   // no report written: it could not be, or the scan learned nothing
	exitAborted    = 130 // stopped by a signal with no new report (128 + SIGINT)
)

// Sentinel errors that decide the exit code; exitCode maps them in one place.
var (
	// errUsage marks bad flags, arguments or configuration (exit 2).
	errUsage = errors.New("usage")
	// errFindings marks a complete scan with findings at or above --fail-on (exit 1).
	errFindings = errors.New("findings at or above --fail-on")
	// errIncomplete marks a scan that could not cover everything in scope (exit 3).
	errIncomplete = errors.New("scan incomplete")
	// errInterrupted is the cancellation cause of a scan stopped by a signal (exit 3).
	errInterrupted = errors.New("interrupted")
	// errNoReport marks a run that wrote no report: the reports could not
	// be written, or the scan failed before it learned anything (exit 4).
	// The output folder keeps what it held.
	errNoReport = errors.New("no report written")
	// errStoppedEarly marks a run stopped by a signal before it had
	// anything to report: while its input was read, before the scan
	// learned anything, or a second signal (exit 130).
	errStoppedEarly = errors.New("stopped with no new report")
)

// exitCode maps the error a command returned to the process exit code. It is
// the only place that does.
func exitCode(err error) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errFindings):
		return exitFindings
	case errors.Is(err, errUsage), errors.Is(err, remediate.ErrRefused), errors.Is(err, remediate.ErrJournalInUse):
		// A plan or journal refused (not one, edited, too old, of another
		// organization) is bad input: nothing was changed.
		return exitUsage
	case errors.Is(err, errStoppedEarly):
		return exitAborted
	case errors.Is(err, errNoReport):
		return exitNoReport
	case errors.Is(err, errRemediationIncomplete):
		return exitIncomplete
	default: // errIncomplete, errInterrupted, and failures while scanning
		return exitIncomplete
	}
}

// usageError is a bad flag, argument or configuration value. Its text is the
// one line printed on stderr.
type usageError struct{ err error }

func (e *usageError) Error() string           { return e.err.Error() }
func (e *usageError) Unwrap() []error         { return []error{errUsage, e.err} }
func usagef(format string, args ...any) error { return &usageError{fmt.Errorf(format, args...)} }

// app is one invocation of the program: its output streams and how it
// learns of signals. Tests build their own.
type app struct {
	stdout, stderr io.Writer
	// signals delivers SIGINT/SIGTERM; nil means none will arrive.
	signals <-chan os.Signal
	// hardExit ends the process at once on a second signal.
	hardExit func(code int)
	// now is the clock for default folder names and timings.
	now func() time.Time
}

// run runs ownerscan with args (without the program name) and returns the
// exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	a := &app{
		stdout: stdout, stderr: stderr,
		signals: sigs, hardExit: os.Exit,
		now: time.Now,
	}
	return a.run(ctx, args)
}

// run dispatches to the subcommand and turns its error into an exit code,
// printing one line on stderr for anything but findings and help.
func (a *app) run(ctx context.Context, args []string) int {
	err := a.dispatch(ctx, args)
	code := exitCode(err)
	if err != nil && !errors.Is(err, errFindings) && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(a.stderr, "ownerscan: "+oneLine(err.Error()))
	}
	return code
}

// command is a subcommand: its name, its line in usage, and what runs it.
type command struct {
	name, summary string
	run           func(a *app, ctx context.Context, args []string) error
}

// commands are the subcommands, in the order usage lists them; dispatch
// and help find them here. help has no run: it looks the others up in
// this table, so dispatch calls it by name.
var commands = []command{
	{"scan", "scan the organization of the current AWS credentials", (*app).scanCommand},
	{"diff", "compare two reports: new, resolved and unchanged findings", (*app).diffCommand},
	{"plan", "plan the switch to BucketOwnerEnforced of every bucket not enforced", (*app).planCommand},
	{"apply", "apply a plan (dry run without --yes), journalling every step", (*app).applyCommand},
	{"rollback", "undo what a journal says apply did (dry run without --yes)", (*app).rollbackCommand},
	{"demo", "scan a built-in emulated organization; no AWS account needed", (*app).demoCommand},
	{"emulate", "serve the AWS emulator on loopback for the aws CLI or scan", (*app).emulateCommand},
	{"version", "print the version", (*app).versionCommand},
	{"help", "show help for a command", nil},
}

func (a *app) dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 {
		a.usage(a.stderr)
		return usagef("no command given (one of %s)", commandNames())
	}
	switch name, rest := args[0], args[1:]; name {
	case "help":
		return a.helpCommand(ctx, rest)
	case "-h", "-help", "--help":
		a.usage(a.stdout)
		return nil
	default:
		if c := commandNamed(name); c != nil {
			return c.run(a, ctx, rest)
		}
		return usagef("unknown command %q (one of %s)", name, commandNames())
	}
}

// commandNamed is the command called name that dispatch runs from the
// table (not help), or nil.
func commandNamed(name string) *command {
	for i := range commands {
		if c := &commands[i]; c.name == name && c.run != nil {
			return c
		}
	}
	return nil
}

func (a *app) usage(w io.Writer) {
	fmt.Fprintln(w, "ownerscan audits S3 Object Ownership across an AWS Organization.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage:")
	fmt.Fprintln(w, "  ownerscan scan --config FILE [--out DIR] [--format LIST] [--fail-on SEVERITY]")
	fmt.Fprintln(w, "                 [--baseline REPORT] [--fail-on-new] [--quiet] [--log-format text|json]")
	fmt.Fprintln(w, "  ownerscan diff OLD_REPORT NEW_REPORT [--format text|json]")
	fmt.Fprintln(w, "  ownerscan plan [--config FILE] [--from REPORT] --out plan.json")
	fmt.Fprintln(w, "  ownerscan apply --plan plan.json [--config FILE] [--migrate-acls] [--max-buckets N] [--journal FILE] [--yes]")
	fmt.Fprintln(w, "  ownerscan rollback --journal FILE [--config FILE] [--yes]")
	fmt.Fprintln(w, "  ownerscan demo [--scenario FILE] [--out DIR] [--stats] [--baseline REPORT] [--remediate]")
	fmt.Fprintln(w, "  ownerscan emulate [--scenario FILE] [--addr 127.0.0.1:4566] [--principal ACCOUNT[/USER]]")
	fmt.Fprintln(w, "  ownerscan version")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Exit codes: 0 no findings at or above --fail-on (with --fail-on-new: no new ones),")
	fmt.Fprintln(w, "1 findings, 2 bad usage, configuration or baseline, 3 scan incomplete or")
	fmt.Fprintln(w, "interrupted (reports still written), 4 no report written (the folder keeps the")
	fmt.Fprintln(w, "previous one), 130 stopped by a signal with no new report.")
	fmt.Fprintln(w, "apply and rollback: 0 every step done (or the dry run printed), 2 a plan or journal")
	fmt.Fprintln(w, "refused (nothing changed), 3 a step failed or a bucket was skipped (the journal says why).")
	fmt.Fprintln(w, "Run 'ownerscan help COMMAND' for the flags of a command.")
}

func (a *app) helpCommand(ctx context.Context, args []string) error {
	if len(args) == 0 {
		a.usage(a.stdout)
		return nil
	}
	if c := commandNamed(args[0]); c != nil {
		return c.run(a, ctx, []string{"-h"})
	}
	return usagef("help: unknown command %q (one of %s)", args[0], commandNames())
}

// commandNames lists the commands, for messages.
func commandNames() string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

// parseFlags parses args with fs, writing -h output to stdout. Errors name
// the flag and come back as usage errors; extra arguments are refused.
func (a *app) parseFlags(fs *flag.FlagSet, args []string) error {
	if err := a.parseFlagsOnly(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q (see 'ownerscan help %s')", fs.Name(), fs.Arg(0), fs.Name())
	}
	return nil
}

// parseFlagsOnly is parseFlags without the check for arguments left over:
// they are in fs.Args().
func (a *app) parseFlagsOnly(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(a.stdout)
		fmt.Fprintf(a.stdout, "Usage of ownerscan %s:\n", fs.Name())
		fs.PrintDefaults()
		return err
	}
	if err != nil {
		return usagef("%s: %v (see 'ownerscan help %s')", fs.Name(), err, fs.Name())
	}
	return nil
}

var lineBreaks = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

// oneLine folds a message onto one line, so that stderr carries exactly one
// line per error whatever an underlying library put in its text.
func oneLine(s string) string {
	return strings.TrimSpace(lineBreaks.Replace(s))
}
