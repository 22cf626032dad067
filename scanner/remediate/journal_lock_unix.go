//go:build unix

package remediate

import (
	"errors"
	"os"
	"syscall"
)

// noFollow keeps OpenJournal from writing through a link planted at the
// journal's name.
const noFollow = syscall.O_NOFOLLOW

// lockFile takes an exclusive advisory lock (flock) on the open journal,
// failing at once with ErrJournalInUse when another process holds it; the
// lock goes with the file.
func lockFile(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrJournalInUse
	}
	return err
}

// syncDir syncs a folder, so that a file created in it survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
