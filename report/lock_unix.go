//go:build unix

package report

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// dirLockWorks says that LockDir really locks here.
const dirLockWorks = true

// ErrDirInUse is returned by LockDir when another process holds the lock.
var ErrDirInUse = errors.New("in use by another ownerscan run")

// LockDir takes an exclusive advisory lock (flock) on the output folder
// itself, so that two runs never write into one folder at once: their
// renames would interleave and break WriteWithObjects' guarantee. No file
// is created; the lock goes with the process. It fails at once, with an
// error wrapping ErrDirInUse, when another run holds it. Call unlock when
// the reports are written.
func LockDir(dir string) (unlock func(), err error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("report: lock output dir: %w", err)
	}
	if err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		d.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("report: output dir %s: %w", dir, ErrDirInUse)
		}
		return nil, fmt.Errorf("report: lock output dir %s: %w", dir, err)
	}
	return func() {
		_ = syscall.Flock(int(d.Fd()), syscall.LOCK_UN)
		d.Close()
	}, nil
}
