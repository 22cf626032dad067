package report

import (
	"errors"
	"fmt"

	"github.com/ownerscan/ownerscan/scanner"
)

// objectsHeader is the header of objects.csv (DESIGN.md "Reports").
var objectsHeader = []string{
	"account_id", "bucket", "key", "version_id", "is_latest", "is_delete_marker",
	"owner_canonical_id", "owner_account_id", "owner_account_name", "size", "last_modified",
}

// ObjectsCSV streams objects.csv: one row per cross-account object version or
// delete marker, written through a buffer as the scanner finds them, so the
// memory it holds does not grow with the number of rows. Rows go to a
// temporary file beside objects.csv; Commit renames it into place, Abort
// removes it. The header is written at once, so a scan that finds nothing
// still commits a valid file.
//
// ObjectsCSV implements scanner.ObjectSink. Like the sink contract, it is
// not safe for concurrent use.
type ObjectsCSV struct {
	file *atomicFile
	rows *rowWriter
	n    int64
	err  error // first write error; later calls return it
}

var _ scanner.ObjectSink = (*ObjectsCSV)(nil)

// errClosed is returned by WriteObject after Commit or Abort.
var errClosed = errors.New("report: objects.csv: already committed or aborted")

// NewObjectsCSV creates dir if missing (mode 0700) and starts objects.csv
// in it. Call Commit when the scan is over, or Abort to leave no trace; it
// is safe to defer Abort after a successful Commit.
func NewObjectsCSV(dir string) (*ObjectsCSV, error) {
	if err := mkdirOutput(dir); err != nil {
		return nil, err
	}
	f, err := createAtomic(dir, ObjectsCSVFile)
	if err != nil {
		return nil, err
	}
	o := &ObjectsCSV{file: f, rows: newRowWriter(f.buffered(), "")}
	if err := o.rows.header(objectsHeader); err != nil {
		f.abort()
		return nil, fmt.Errorf("report: write objects.csv: %w", err)
	}
	return o, nil
}

// WriteObject appends one row. An error is sticky: once a write failed,
// every later call and Commit return it.
func (o *ObjectsCSV) WriteObject(rec scanner.ObjectRecord) error {
	if o.err != nil {
		return o.err
	}
	if o.file.done {
		return errClosed
	}
	if err := writeObjectRow(o.rows, rec); err != nil {
		o.err = fmt.Errorf("report: write objects.csv: %w", err)
		return o.err
	}
	o.n++
	return nil
}

// Rows is the number of rows written so far, header excluded.
func (o *ObjectsCSV) Rows() int64 { return o.n }

// Commit flushes, fsyncs and renames objects.csv into place. After an
// earlier write error it removes the temporary file and returns that error.
func (o *ObjectsCSV) Commit() error {
	if o.file.done {
		return errClosed
	}
	if o.err == nil {
		if err := o.rows.flush(); err != nil {
			o.err = fmt.Errorf("report: write objects.csv: %w", err)
		}
	}
	if o.err != nil {
		o.file.abort()
		return o.err
	}
	return o.file.commit()
}

// stage flushes, fsyncs and closes the temporary file without renaming it,
// for WriteWithObjects, which renames it with the other reports. After an
// earlier write error it removes the temporary file and returns that error.
func (o *ObjectsCSV) stage() (*atomicFile, error) {
	if o.file.done {
		return nil, errClosed
	}
	if o.err == nil {
		if err := o.rows.flush(); err != nil {
			o.err = fmt.Errorf("report: write objects.csv: %w", err)
		}
	}
	if o.err == nil {
		if err := o.file.finish(); err != nil {
			o.err = err
		}
	}
	if o.err != nil {
		o.file.abort()
		return nil, o.err
	}
	return o.file, nil
}

// Abort removes the temporary file. It does nothing after Commit or a
// previous Abort.
func (o *ObjectsCSV) Abort() {
	o.file.abort()
}

// writeObjectRow writes one row of objects.csv.
func writeObjectRow(r *rowWriter, rec scanner.ObjectRecord) error {
	r.text(rec.AccountID)
	r.text(rec.Bucket)
	r.text(rec.Key)
	r.text(rec.VersionID)
	r.bool(rec.IsLatest)
	r.bool(rec.IsDeleteMarker)
	r.text(rec.OwnerCanonicalID)
	r.text(rec.OwnerAccountID)
	r.text(rec.OwnerAccountName)
	r.int(rec.Size)
	r.time(rec.LastModified)
	return r.end()
}
