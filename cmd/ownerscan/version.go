package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
)

// buildVersion is set at release time:
// go build -ldflags "-X main.buildVersion=v1.2.3" ./cmd/ownerscan
var buildVersion = ""

// version is the version written in reports and printed by `version`: the
// -ldflags value, else the module version, else "devel" with the VCS
// revision when the build recorded one. It never changes within one binary,
// so reports of the same organization state stay byte-identical.
func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev == "" {
		return "devel"
	}
	return "devel-" + rev[:min(12, len(rev))] + dirty
}

func (a *app) versionCommand(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if err := a.parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "ownerscan %s %s %s/%s\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
