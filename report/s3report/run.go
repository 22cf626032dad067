package s3report

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/scanner"
)

// ErrLatestNotUpdated marks a commit whose reports are all in place but
// whose latest.json could not be replaced: it still names the previous
// complete run.
var ErrLatestNotUpdated = errors.New("the reports are in place, but latest.json still names the previous complete run")

// contentTypes are the Content-Type of each report file in S3, so that a
// browser opening one through the console or a presigned URL shows it.
var contentTypes = map[string]string{
	".json": "application/json",
	".csv":  "text/csv; charset=utf-8",
	".html": "text/html; charset=utf-8",
}

func contentType(name string) string {
	if t, ok := contentTypes[path.Ext(name)]; ok {
		return t
	}
	return "application/octet-stream"
}

// Run is one run's reports in S3: the files of its folder
// PREFIX/YYYY/MM/DD/HHMMSSZ/, objects.csv streamed while the scan runs,
// report.json last, then latest.json. Its methods are called in turn by
// one goroutine (WriteObject by the scan's, then Stage, then Commit, or
// Abort at any point), except Cancel, which any goroutine may call at any
// time.
type Run struct {
	c      *bucketClient
	dest   URL    // s3://BUCKET/PREFIX
	folder string // key prefix of the run's folder, ending in "/"
	logger *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc

	objects *upload            // nil when objects.csv is not written
	rows    *report.ObjectRows // objects.csv's rows, into objects
	doc     *report.Document   // set by Stage
	formats []report.Format
}

// folderAttempts is how many seconds Start tries for a run folder of its
// own.
const folderAttempts = 3

// Start opens a run of reports under dest, before the scan's first call,
// and proves that the run can be written: it finds the bucket (HeadBucket:
// it exists, is the expected owner's, and its region), then starts and
// aborts a multipart upload of the run's report.json with the run's
// encryption. That is a write of the same permission (s3:PutObject, and
// with SSE-KMS the key's use) that leaves nothing behind; aborting needs
// s3:AbortMultipartUpload, whose absence is only a warning. With
// withObjects, objects.csv starts streaming (nothing is sent before its
// first part is full).
//
// The run's folder is named after the second now reads. Two runs never
// share one: a folder that already holds objects (a run started in the
// same second) makes Start wait for the next second and read the clock
// again, up to folderAttempts times (one ListObjectsV2 each, which
// s3:ListBucket allows).
func (s *Session) Start(ctx context.Context, dest URL, now func() time.Time, withObjects bool) (*Run, error) {
	c, err := s.bucket(ctx, dest.Bucket)
	if err != nil {
		return nil, err
	}
	folder, err := freeRunFolder(ctx, c, dest, now)
	if err != nil {
		return nil, err
	}
	probe := newUpload(ctx, c, folder+report.ReportJSONFile, contentType(report.ReportJSONFile))
	if err := probe.create(); err != nil {
		return nil, fmt.Errorf("s3report: cannot write to %s: %w", dest, err)
	}
	probe.Abort()
	if probe.abortErr != nil {
		s.logger.Warn("cannot abort a multipart upload in the report bucket (s3:AbortMultipartUpload): an upload that fails stays there, unseen, until a lifecycle rule removes it",
			"key", probe.key, "error", describe(probe.abortErr))
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r := &Run{c: c, dest: dest, folder: folder, logger: s.logger, ctx: runCtx, cancel: cancel}
	if withObjects {
		r.objects = newUpload(runCtx, c, folder+report.ObjectsCSVFile, contentType(report.ObjectsCSVFile))
		if r.rows, err = report.NewObjectRows(r.objects); err != nil {
			cancel()
			return nil, err
		}
	}
	return r, nil
}

// freeRunFolder returns the folder of a run starting now that holds no
// object yet.
func freeRunFolder(ctx context.Context, c *bucketClient, dest URL, now func() time.Time) (string, error) {
	for attempt := 1; ; attempt++ {
		started := now()
		folder := runFolder(dest.Key, started)
		out, err := c.api.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
			Bucket: aws.String(c.bucket), Prefix: aws.String(folder), MaxKeys: aws.Int32(1), ExpectedBucketOwner: aws.String(c.owner),
		})
		if err != nil {
			return "", fmt.Errorf("s3report: list %s: %s", URL{c.bucket, folder}, describe(err))
		}
		if len(out.Contents) == 0 {
			return folder, nil
		}
		if attempt == folderAttempts {
			return "", fmt.Errorf("s3report: %s already holds another run's reports", URL{c.bucket, folder})
		}
		next := time.NewTimer(time.Until(started.Truncate(time.Second).Add(time.Second)))
		select {
		case <-next.C:
		case <-ctx.Done():
			next.Stop()
			return "", ctx.Err()
		}
	}
}

// Folder is the URL of the run's folder.
func (r *Run) Folder() URL { return URL{Bucket: r.c.bucket, Key: r.folder} }

// Latest is the URL of latest.json under the run's prefix.
func (r *Run) Latest() URL { return URL{Bucket: r.c.bucket, Key: latestKey(r.dest.Key)} }

// WriteObject streams one row of objects.csv. A failed part upload (after
// the client's retries) is returned here, and by every later call.
func (r *Run) WriteObject(rec scanner.ObjectRecord) error {
	if r.rows == nil {
		return nil
	}
	return r.rows.WriteObject(rec)
}

// Stage uploads every report of doc in the formats but report.json, and
// completes objects.csv. On error the run is aborted; what was uploaded
// stays in the run's folder, which has no report.json.
func (r *Run) Stage(doc *report.Document, formats []report.Format) error {
	r.doc, r.formats = doc, formats
	for _, name := range report.RenderedFiles(formats) {
		if name == report.ReportJSONFile {
			continue // Commit's
		}
		if err := r.put(name); err != nil {
			r.Abort()
			return err
		}
	}
	if r.objects != nil {
		err := r.rows.Flush()
		if err == nil {
			err = r.objects.Close()
		}
		if err != nil {
			r.Abort()
			return fmt.Errorf("s3report: %w", err)
		}
	}
	return nil
}

// put renders one report file into its key.
func (r *Run) put(name string) error {
	u := newUpload(r.ctx, r.c, r.folder+name, contentType(name))
	if err := report.Render(u, name, r.doc); err != nil {
		u.Abort()
		return fmt.Errorf("s3report: %w", err)
	}
	if err := u.Close(); err != nil {
		return fmt.Errorf("s3report: %w", err)
	}
	return nil
}

// Commit uploads report.json, the commit point, and then, if the run is
// complete, replaces latest.json with a document naming this run, unless
// latest.json already names a run that started later (an overlapping run
// that finished first). A run without report.json (no json format) has no
// commit point and never becomes latest.json. An error wrapping
// ErrLatestNotUpdated means the reports are in place.
func (r *Run) Commit() error {
	if r.doc == nil {
		return errors.New("s3report: commit before stage")
	}
	if !slices.Contains(report.RenderedFiles(r.formats), report.ReportJSONFile) {
		return nil
	}
	if err := r.put(report.ReportJSONFile); err != nil {
		return err
	}
	if !r.doc.Complete {
		return nil
	}
	prev, err := readLatest(r.ctx, r.c, r.dest.Key)
	switch {
	case errors.Is(err, errNoLatest):
	case err != nil:
		r.logger.Warn("cannot read the current latest.json; replacing it", "error", err.Error())
	case prev.StartedAt.After(r.doc.StartedAt) && prev.RunPrefix != r.folder:
		r.logger.Info("latest.json already names a run that started later; left as it is",
			"latest", prev.RunPrefix, "this_run", r.folder)
		return nil
	}
	if err := writeLatest(r.ctx, r.c, r.dest.Key, newLatest(r.doc, r.folder)); err != nil {
		return fmt.Errorf("s3report: %w: %v", ErrLatestNotUpdated, err)
	}
	return nil
}

// Cancel makes every upload under way, and every later one, fail at once.
// It is safe to call from any goroutine, any number of times.
func (r *Run) Cancel() { r.cancel() }

// Abort gives up the run's uploads: objects.csv's multipart upload, if it
// is under way, is aborted. Files already uploaded stay in the folder,
// which has no report.json. latest.json is not touched.
func (r *Run) Abort() {
	if r.objects != nil && !r.objects.closed {
		r.objects.Abort()
		if err := r.objects.abortErr; err != nil {
			r.logger.Warn("cannot abort the upload of objects.csv; a lifecycle rule removes it", "key", r.objects.key, "error", describe(err))
		}
	}
	r.cancel()
}
