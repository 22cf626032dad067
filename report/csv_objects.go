package report

import (
	"errors"
	"fmt"
	"io"

	"github.com/ownerscan/ownerscan/scanner"
)

// objectsHeader is the header of objects.csv (README "Reports").
var objectsHeader = []string{
	"account_id", "bucket", "key", "version_id", "is_latest", "is_delete_marker",
	"owner_canonical_id", "owner_account_id", "owner_account_name", "size", "last_modified",
}

// ObjectRows writes the rows of objects.csv, header first, to any writer
// (the part buffer of an upload to S3, say) as the scanner finds them, one
// row per cross-account object version or delete marker: it holds one row
// at a time, so the memory it needs does not grow with the number of rows.
// ObjectsCSV writes the same rows to a file. An error is sticky: once a
// write failed, every later call returns it. ObjectRows implements
// scanner.ObjectSink and, like the sink contract, is not safe for
// concurrent use.
type ObjectRows struct {
	rows *rowWriter
	n    int64
	err  error // first write error
}

var _ scanner.ObjectSink = (*ObjectRows)(nil)

// NewObjectRows writes the header of objects.csv to w and returns the
// writer of its rows. Rows are buffered: Flush them when the scan is over.
func NewObjectRows(w io.Writer) (*ObjectRows, error) {
	o := &ObjectRows{rows: newRowWriter(w, "")}
	if err := o.rows.header(objectsHeader); err != nil {
		return nil, fmt.Errorf("report: write objects.csv: %w", err)
	}
	return o, nil
}

// WriteObject appends one row.
func (o *ObjectRows) WriteObject(rec scanner.ObjectRecord) error {
	if o.err != nil {
		return o.err
	}
	if err := writeObjectRow(o.rows, rec); err != nil {
		o.err = fmt.Errorf("report: write objects.csv: %w", err)
		return o.err
	}
	o.n++
	return nil
}

// Flush writes the buffered rows to the underlying writer.
func (o *ObjectRows) Flush() error {
	if o.err == nil {
		if err := o.rows.flush(); err != nil {
			o.err = fmt.Errorf("report: write objects.csv: %w", err)
		}
	}
	return o.err
}

// Rows is the number of rows written so far, header excluded.
func (o *ObjectRows) Rows() int64 { return o.n }

// ObjectsCSV streams objects.csv into a file (see ObjectRows): rows go to a
// temporary file beside objects.csv, through a buffer; Commit renames it
// into place, Abort removes it. The header is written at once, so a scan
// that finds nothing still commits a valid file.
//
// ObjectsCSV implements scanner.ObjectSink. Like the sink contract, it is
// not safe for concurrent use.
type ObjectsCSV struct {
	file *atomicFile
	rows *ObjectRows
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
	rows, err := NewObjectRows(f.buffered())
	if err != nil {
		f.abort()
		return nil, err
	}
	return &ObjectsCSV{file: f, rows: rows}, nil
}

// WriteObject appends one row. An error is sticky: once a write failed,
// every later call and Commit return it.
func (o *ObjectsCSV) WriteObject(rec scanner.ObjectRecord) error {
	if o.rows.err == nil && o.file.done {
		return errClosed
	}
	return o.rows.WriteObject(rec)
}

// Rows is the number of rows written so far, header excluded.
func (o *ObjectsCSV) Rows() int64 { return o.rows.Rows() }

// Commit flushes, fsyncs and renames objects.csv into place. After an
// earlier write error it removes the temporary file and returns that error.
func (o *ObjectsCSV) Commit() error {
	if o.file.done {
		return errClosed
	}
	if err := o.rows.Flush(); err != nil {
		o.file.abort()
		return err
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
	err := o.rows.Flush()
	if err == nil {
		if err = o.file.finish(); err != nil {
			o.rows.err = err
		}
	}
	if err != nil {
		o.file.abort()
		return nil, err
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
