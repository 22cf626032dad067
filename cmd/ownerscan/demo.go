package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/scanner"
)

// demoCommand is `ownerscan demo`: the emulator runs in-process with the
// built-in organization (or --scenario), and the same scan path as `scan`
// runs against it with the management account's credentials. Only where the
// AWS configuration comes from differs.
func (a *app) demoCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var f scanFlags
	f.register(fs)
	scenarioPath := fs.String("scenario", "", "emulated organization: a scenario `FILE` (YAML, see internal/fakeaws); default the built-in demo organization")
	if err := a.parseFlags(fs, args); err != nil {
		return err
	}
	setup, cfg, err := f.setup(ctx, a, fs)
	if err != nil {
		return err
	}
	// The demo's organization, and its S3, live in this process only.
	if setup.outS3 != nil {
		return &usageError{cfg.errAt("output.dir", "demo writes its reports to a local folder; scan writes them to S3")}
	}
	if setup.baselineS3 != nil {
		return &usageError{cfg.errAt("baseline", "demo reads a baseline from a local report; scan reads one from S3")}
	}
	sc, err := a.loadScenario(ctx, *scenarioPath)
	if err != nil {
		return err
	}
	if f.config == "" {
		// The rate_limits defaults keep a real scan under AWS's service
		// quotas; the emulator has none, and pacing it would only measure the
		// pacing. A --config file's rate_limits still apply.
		setup.opts.RateLimits = scanner.RateLimits{}
	}
	if setup.outDir == "" {
		dir, err := freshDir("ownerscan-demo-" + a.now().Format("20060102-150405"))
		if err != nil {
			return usagef("demo: cannot create an output folder in the current directory: %v (use --out)", err)
		}
		setup.outDir = dir
	}
	if err := report.EnsureDir(setup.outDir); err != nil {
		return &usageError{cfg.errAt("output.dir", "%v", err)}
	}

	srv, err := fakeaws.NewServer(sc, "")
	if err != nil {
		return fmt.Errorf("demo: start the emulator: %w", err)
	}
	defer srv.Close()
	accessKey, secretKey := srv.Emulator.ManagementCredentials()
	awsCfg := aws.Config{
		Region:       srv.Emulator.HomeRegion(), // as `emulate` prints it
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
		BaseEndpoint: aws.String(srv.URL),
	}
	setup.logger.With("component", "cli").Info("demo: scanning an emulated organization",
		"endpoint", srv.URL, "management_account", sc.ManagementAccount, "output", setup.outDir)

	res, times, err := a.executeScan(ctx, awsCfg, setup)
	if setup.stats && res != nil {
		line := statsLine{
			Calls:      srv.Emulator.Counters().Total,
			WallS:      times.scan.Seconds(),
			ReportS:    times.reports.Seconds(),
			PeakRSSMiB: peakRSSMiB(),
			Objects:    res.Summary.ObjectsScanned,
		}
		// The minimum and the bound come from the emulator's own contents,
		// never from what the scan recorded of itself.
		if m, merr := srv.Emulator.Minimum(scanShape(setup.opts, sc.ManagementAccount, "")); merr == nil {
			line.setMinimum(m, setup.opts.Concurrency)
		} else {
			line.setOwnCount(res)
		}
		a.printStats(line)
	}
	return a.demoVerdict(err, res, setup)
}

// demoVerdict puts findings before incompleteness for demo's exit code. The
// built-in organization plants an account whose role does not trust the
// caller, so that its reports show what a failed account looks like; the
// report still says complete: false and stderr says why, but what the demo
// demonstrates is its findings, so it exits 1 when it has any. An
// interrupted demo, or one with no findings, keeps the scan's code. `scan`
// itself never does this: there, an incomplete scan is always exit 3.
func (a *app) demoVerdict(err error, res *scanner.Result, setup *scanSetup) error {
	if res == nil || !errors.Is(err, errIncomplete) || errors.Is(err, errInterrupted) || !hasFindingAtOrAbove(res.Findings, setup.failOn, setup.failOnNew) {
		return err
	}
	fmt.Fprintln(a.stderr, "ownerscan: "+oneLine(err.Error()))
	return errFindings
}

// loadScenario reads --scenario, or returns the built-in demo organization
// when path is empty. A bad file, or one over maxScenarioBytes, is a usage
// error naming its line; a signal while it is read stops the run
// (errStoppedEarly), as for --config.
func (a *app) loadScenario(ctx context.Context, path string) (*fakeaws.Scenario, error) {
	if path == "" {
		return fakeaws.BuiltinScenario(), nil
	}
	data, err := a.readInput(ctx, "--scenario "+path, path, maxScenarioBytes)
	switch {
	case errors.Is(err, errStoppedEarly):
		return nil, err
	case errors.Is(err, errInputTooLarge):
		return nil, usagef("--scenario: %s is larger than %d bytes", path, maxScenarioBytes)
	case err != nil:
		return nil, usagef("--scenario: cannot read %s: %v", path, unwrapPathError(err))
	}
	sc, err := fakeaws.ParseScenario(data)
	if err != nil {
		return nil, usagef("--scenario: %s: %v", path, err) // the error names the line
	}
	return sc, nil
}

// freshDir creates a new folder named base, or base-2, base-3, ... if that
// exists, so that a demo never writes into the folder of an earlier run.
func freshDir(base string) (string, error) {
	name := base
	for i := 2; ; i++ {
		err := os.Mkdir(name, 0o700)
		if err == nil {
			return name, nil
		}
		if !errors.Is(err, fs.ErrExist) || i > 100 {
			return "", err
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
}
