package report

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// fileMode is the mode of every report file: reports name accounts, buckets
// and object keys, which are nobody else's business on a shared host.
const fileMode = 0o600

// dirMode is the mode of an output folder created by this package.
const dirMode = 0o700

// Suffixes of the files this package keeps beside the reports while it
// writes them: temporary files (".NAME.RANDOM.tmp", the new content) and,
// during a commit, the previous files set aside (".NAME.RANDOM.old").
const (
	tempSuffix   = ".tmp"
	backupSuffix = ".old"
)

// probeName is the file EnsureDir creates and removes to prove the folder
// is writable.
const probeName = "ownerscan-probe"

// bufferSize is the write buffer of each report file. 64 KiB keeps the
// number of write syscalls low for objects.csv without holding much memory.
const bufferSize = 64 << 10

// EnsureDir creates dir (mode 0700, with any missing parents) if it does not
// exist, proves that report files can be created in it by creating and
// removing a probe file the same way the reports are created, and checks
// that no report name in it is taken by something a report cannot replace
// (a folder named report.json, say). The CLI calls it before the first API
// call, so that an unusable output folder is a usage error rather than a
// scan thrown away at the end.
func EnsureDir(dir string) error {
	if err := mkdirOutput(dir); err != nil {
		return err
	}
	f, tmp, err := openTemp(dir, probeName)
	if err != nil {
		return fmt.Errorf("report: output dir %s is not writable: %w", dir, err)
	}
	cerr := f.Close()
	rerr := os.Remove(tmp)
	if errors.Is(rerr, fs.ErrNotExist) {
		rerr = nil // another run's clean-up of dead runs' files took it
	}
	if err := errors.Join(cerr, rerr); err != nil {
		return fmt.Errorf("report: output dir %s: probe file: %w", dir, err)
	}
	return checkFinalNames(dir, reportFileNames())
}

// mkdirOutput creates the output folder if missing and checks that it is a
// folder.
func mkdirOutput(dir string) error {
	if dir == "" {
		return errors.New("report: output dir: empty path")
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return fmt.Errorf("report: create output dir: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("report: output dir: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("report: output dir %s: not a directory", dir)
	}
	return nil
}

// atomicFile is a report file being written: a temporary file beside the
// final name that commit renames into place.
//
// The temporary file is created with O_CREATE|O_EXCL, so it is always a new
// file: an existing file or symbolic link at that name makes the open fail
// instead of being followed. The final name is only ever the target of a
// rename, which replaces whatever is there (a link included) without
// following it.
type atomicFile struct {
	dir, name string // folder and final file name
	tmpPath   string
	f         *os.File
	w         *bufio.Writer
	finished  bool // flushed, synced and closed
	done      bool // committed or aborted
}

// createAtomic creates the temporary file for dir/name. Temporary names start
// with "." so that tools listing the folder skip them.
func createAtomic(dir, name string) (*atomicFile, error) {
	f, tmp, err := openTemp(dir, name)
	if err != nil {
		return nil, fmt.Errorf("report: create %s: %w", name, err)
	}
	return &atomicFile{
		dir: dir, name: name, tmpPath: tmp, f: f,
		w: bufio.NewWriterSize(f, bufferSize),
	}, nil
}

// openTemp opens a new file ".<name>.<random>.tmp" in dir, exclusively.
func openTemp(dir, name string) (*os.File, string, error) {
	var err error
	for range 5 {
		var suffix string
		if suffix, err = randomSuffix(); err != nil {
			return nil, "", err
		}
		tmp := filepath.Join(dir, "."+name+"."+suffix+tempSuffix)
		var f *os.File
		f, err = os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, fileMode)
		if err == nil {
			return f, tmp, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, "", err
		}
		// A name clash, or something planted there: pick another name.
	}
	return nil, "", err
}

func randomSuffix() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// buffered returns the writer for the file's content.
func (a *atomicFile) buffered() *bufio.Writer { return a.w }

// finish flushes, fsyncs and closes the temporary file.
func (a *atomicFile) finish() error {
	if a.done || a.finished {
		return fmt.Errorf("report: %s: already finished", a.name)
	}
	if err := a.w.Flush(); err != nil {
		return fmt.Errorf("report: write %s: %w", a.name, err)
	}
	if err := a.f.Sync(); err != nil {
		return fmt.Errorf("report: sync %s: %w", a.name, err)
	}
	a.finished = true
	if err := a.f.Close(); err != nil {
		return fmt.Errorf("report: close %s: %w", a.name, err)
	}
	return nil
}

// commit renames the finished temporary file over the final name and syncs
// the folder so the rename survives a crash. On error the temporary file is
// removed.
func (a *atomicFile) commit() error {
	if a.done {
		return fmt.Errorf("report: %s: already committed or aborted", a.name)
	}
	if !a.finished {
		if err := a.finish(); err != nil {
			a.abort()
			return err
		}
	}
	if err := os.Rename(a.tmpPath, filepath.Join(a.dir, a.name)); err != nil {
		a.abort()
		return fmt.Errorf("report: rename %s into place: %w", a.name, err)
	}
	a.done = true
	if err := syncDir(a.dir); err != nil {
		return fmt.Errorf("report: sync output dir after writing %s: %w", a.name, err)
	}
	return nil
}

// abort closes and removes the temporary file. It does nothing after commit
// or a previous abort.
func (a *atomicFile) abort() {
	if a.done {
		return
	}
	a.done = true
	if !a.finished {
		a.finished = true
		_ = a.f.Close() // the file is removed next; its content does not matter
	}
	// Best effort: abort runs on paths that already return an error, and a
	// leftover temporary file starts with "." and is never read as a report.
	_ = os.Remove(a.tmpPath)
}

// syncDir fsyncs a folder so that renames in it are durable. Windows cannot
// open a folder for syncing and does not need it.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	cerr := d.Close()
	return errors.Join(serr, cerr)
}
