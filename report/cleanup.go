package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// deadRunFile matches the names of the files this package keeps beside the
// reports while it writes them: ".NAME.RANDOM.tmp" and ".NAME.RANDOM.old",
// RANDOM being 16 hexadecimal digits (see openTemp and moveLog.aside).
var deadRunFile = regexp.MustCompile(`^\.(.+)\.[0-9a-f]{16}(\.tmp|\.old)$`)

// RemoveDeadRunFiles removes from dir the temporary and set-aside files
// that a run killed while writing (kill -9, a crash, a power cut) left
// behind, and returns the names it removed.
//
// Call it only while holding LockDir's lock on dir: a run that holds the
// lock has no such file of its own yet, and no other run can be writing
// into the folder. Only regular files whose names are exactly those this
// package gives (a report name or the probe, then 16 hexadecimal digits,
// then .tmp or .old, the whole hidden) are touched. Where LockDir cannot
// lock (not on Unix) it removes nothing, since a live run may own them.
func RemoveDeadRunFiles(dir string) ([]string, error) {
	if !dirLockWorks {
		return nil, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("report: clean up the output dir: %w", err)
	}
	known := append(reportFileNames(), probeName)
	var removed []string
	var errs []error
	for _, e := range entries {
		m := deadRunFile.FindStringSubmatch(e.Name())
		if m == nil || !slices.Contains(known, m[1]) || !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, e.Name())
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("report: clean up the output dir: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return removed, nil
}
