package s3report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/report"
)

var night1 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// runReports writes one run of reports under dest: rows objects, every
// format, committed. It returns the run.
func runReports(t *testing.T, s *Session, dest URL, started time.Time, complete bool, rows int) *Run {
	t.Helper()
	ctx := context.Background()
	r, err := s.Start(ctx, dest, at(started), true)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if err := r.WriteObject(objectRecord(i)); err != nil {
			t.Fatalf("WriteObject %d: %v", i, err)
		}
	}
	if err := r.Stage(testDoc(started, complete), allFormats()); err != nil {
		t.Fatal(err)
	}
	if err := r.Commit(); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRunLayout: a run's files land in its folder, objects.csv as a
// multipart upload of several parts, report.json after every other file,
// latest.json after report.json; the write check before the scan leaves
// nothing; every call names the expected owner; and the files are the
// bytes the folder path writes.
func TestRunLayout(t *testing.T) {
	env := newTestEnv(t)
	s := env.session(Options{})
	dest, _ := ParseURL("s3://reports/nightly/")
	const rows = 70000 // about 15 MiB: two parts
	r := runReports(t, s, dest, night1, true, rows)
	folder := "nightly/2026/01/02/030405Z/"
	if r.Folder().String() != "s3://reports/"+folder {
		t.Errorf("folder %s", r.Folder())
	}
	calls := env.log.Take()

	// The write check: a multipart upload of report.json, started and
	// aborted before anything else is written.
	var writes []fakeaws.S3Call
	for _, c := range calls {
		if c.Operation != "HeadBucket" && c.Operation != "GetObject" && c.Operation != "ListObjectsV2" {
			writes = append(writes, c)
		}
		if owner := c.Header.Get("X-Amz-Expected-Bucket-Owner"); owner != mgmtAccount {
			t.Errorf("%s %s sent ExpectedBucketOwner %q, want %s", c.Operation, c.Key, owner, mgmtAccount)
		}
		if c.Status >= 300 && c.Operation != "GetObject" {
			t.Errorf("%s %s answered %d", c.Operation, c.Key, c.Status)
		}
	}
	if len(writes) < 2 || writes[0].Operation != "CreateMultipartUpload" || writes[1].Operation != "AbortMultipartUpload" || writes[0].Key != folder+"report.json" {
		t.Fatalf("the write check is not first: %v", writes[:min(2, len(writes))])
	}
	writes = writes[2:]
	// report.json, then latest.json, last.
	n := len(writes)
	if n < 2 || writes[n-2].Key != folder+"report.json" || writes[n-1].Key != "nightly/latest.json" {
		t.Fatalf("last writes %s %s, want report.json then latest.json", writes[n-2].Key, writes[n-1].Key)
	}
	if got := opsOn(writes, "report.json"); !slices.Equal(got, []string{"PutObject"}) {
		t.Errorf("report.json was written with %v, want one PutObject", got)
	}
	if got := opsOn(calls, "objects.csv"); !slices.Equal(got, []string{"CreateMultipartUpload", "UploadPart", "UploadPart", "CompleteMultipartUpload"}) {
		t.Errorf("objects.csv was written with %v, want a multipart upload of two parts", got)
	}
	for _, c := range writes {
		if !strings.HasPrefix(c.Key, folder) && c.Key != "nightly/latest.json" {
			t.Errorf("%s wrote %s, outside the run's folder", c.Operation, c.Key)
		}
	}

	// The files are the folder path's bytes.
	doc := testDoc(night1, true)
	for _, name := range report.RenderedFiles(allFormats()) {
		var want bytes.Buffer
		if err := report.Render(&want, name, doc); err != nil {
			t.Fatal(err)
		}
		if got, ok := env.object("reports", folder+name); !ok || got != want.String() {
			t.Errorf("%s: stored %d bytes (found %v), want %d", name, len(got), ok, want.Len())
		}
	}
	var want bytes.Buffer
	wr, _ := report.NewObjectRows(&want)
	for i := range rows {
		_ = wr.WriteObject(objectRecord(i))
	}
	_ = wr.Flush()
	if got, _ := env.object("reports", folder+"objects.csv"); got != want.String() {
		t.Errorf("objects.csv: stored %d bytes, want %d", len(got), want.Len())
	}

	latestJSON, _ := env.object("reports", "nightly/latest.json")
	var l Latest
	if err := json.Unmarshal([]byte(latestJSON), &l); err != nil {
		t.Fatal(err)
	}
	if l.RunPrefix != folder || l.ReportKey != folder+"report.json" || !l.Complete || l.OrganizationID != testOrgID ||
		!l.StartedAt.Equal(night1) || l.SchemaVersion != 1 {
		t.Errorf("latest.json: %+v", l)
	}
	// Without a KMS key, the bucket's default encryption (SSE-S3).
	h, err := env.s3("us-east-1").HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("reports"), Key: aws.String(folder + "report.json")})
	if err != nil || h.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Errorf("report.json encryption %v (%v), want the bucket default", h, err)
	}
}

// TestRunSSEKMS: with a KMS key, every write asks for SSE-KMS with it, and
// every object says it is encrypted with it.
func TestRunSSEKMS(t *testing.T) {
	env := newTestEnv(t)
	const key = "arn:aws:kms:us-east-1:111111111111:key/0a1b2c3d-0000-1111-2222-333344445555"
	s := env.session(Options{KMSKeyID: key})
	dest, _ := ParseURL("s3://reports/kms")
	runReports(t, s, dest, night1, true, 70000)
	for _, c := range env.log.Take() {
		if c.Operation != "PutObject" && c.Operation != "CreateMultipartUpload" {
			continue
		}
		if c.Header.Get("X-Amz-Server-Side-Encryption") != "aws:kms" || c.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id") != key {
			t.Errorf("%s %s sent encryption %q %q", c.Operation, c.Key, c.Header.Get("X-Amz-Server-Side-Encryption"), c.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"))
		}
	}
	for _, name := range []string{"2026/01/02/030405Z/report.json", "2026/01/02/030405Z/objects.csv", "2026/01/02/030405Z/report.html", "latest.json"} {
		h, err := env.s3("us-east-1").HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("reports"), Key: aws.String("kms/" + name)})
		if err != nil {
			t.Fatal(err)
		}
		if h.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(h.SSEKMSKeyId) != key {
			t.Errorf("%s is encrypted with %q %q", name, h.ServerSideEncryption, aws.ToString(h.SSEKMSKeyId))
		}
	}
}

// latestRun is the run folder latest.json names under prefix.
func latestRun(t *testing.T, env *testEnv, prefix string) string {
	t.Helper()
	data, ok := env.object("reports", latestKey(prefix))
	if !ok {
		return ""
	}
	l, err := parseLatest([]byte(data), prefix)
	if err != nil {
		t.Fatal(err)
	}
	return l.RunPrefix
}

// TestIncompleteRunKeepsLatest: an incomplete run writes its folder,
// report.json included, but latest.json stays on the complete run.
func TestIncompleteRunKeepsLatest(t *testing.T) {
	env := newTestEnv(t)
	s := env.session(Options{})
	dest, _ := ParseURL("s3://reports/p")
	runReports(t, s, dest, night1, true, 3)
	runReports(t, s, dest, night1.Add(24*time.Hour), false, 3)
	if got := latestRun(t, env, "p"); got != "p/2026/01/02/030405Z/" {
		t.Errorf("latest.json names %q after an incomplete run, want the complete one", got)
	}
	if _, ok := env.object("reports", "p/2026/01/03/030405Z/report.json"); !ok {
		t.Error("the incomplete run wrote no report.json")
	}
	// A complete run started earlier than the one latest.json names, and
	// finished after it, leaves it there.
	runReports(t, s, dest, night1.Add(48*time.Hour), true, 3)
	runReports(t, s, dest, night1.Add(47*time.Hour), true, 3)
	if got := latestRun(t, env, "p"); got != "p/2026/01/04/030405Z/" {
		t.Errorf("latest.json names %q, want the run that started last", got)
	}
}

// TestFailedUploadsKeepLatest: a part of objects.csv refused, report.json
// refused, latest.json refused: none leaves latest.json on this run, and a
// refused part aborts the multipart upload.
func TestFailedUploadsKeepLatest(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		op, object string
		wantLatest bool // the error says the reports are in place
	}{
		{"a part of objects.csv", "UploadPart", "objects.csv", false},
		{"report.json", "PutObject", "report.json", false},
		{"report.html", "PutObject", "report.html", false},
		{"latest.json", "PutObject", "latest.json", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t)
			s := env.session(Options{})
			dest, _ := ParseURL("s3://reports/p")
			runReports(t, s, dest, night1, true, 3)
			env.log.Take()
			env.log.Intercept(failing(tc.op, tc.object))
			r, err := s.Start(ctx, dest, at(night1.Add(24*time.Hour)), true)
			if err != nil {
				t.Fatal(err)
			}
			var failed error
			for i := range 70000 {
				if failed = r.WriteObject(objectRecord(i)); failed != nil {
					break
				}
			}
			if failed == nil {
				failed = r.Stage(testDoc(night1.Add(24*time.Hour), true), allFormats())
			}
			if failed == nil {
				failed = r.Commit()
			}
			if failed == nil || !strings.Contains(failed.Error(), "AccessDenied") {
				t.Fatalf("the run did not fail on the refused %s: %v", tc.object, failed)
			}
			r.Abort()
			if errors.Is(failed, ErrLatestNotUpdated) != tc.wantLatest {
				t.Errorf("error %v: ErrLatestNotUpdated %v, want %v", failed, !tc.wantLatest, tc.wantLatest)
			}
			if got := latestRun(t, env, "p"); got != "p/2026/01/02/030405Z/" {
				t.Errorf("latest.json names %q, want the previous complete run", got)
			}
			calls := env.log.Take()
			if tc.op == "UploadPart" {
				ops := opsOn(calls, "objects.csv")
				if len(ops) == 0 || ops[len(ops)-1] != "AbortMultipartUpload" {
					t.Errorf("objects.csv calls %v, want the upload aborted", ops)
				}
				for _, c := range calls {
					if c.Operation == "AbortMultipartUpload" && c.Status != 204 {
						t.Errorf("abort answered %d", c.Status)
					}
				}
			}
			if _, ok := env.object("reports", "p/2026/01/03/030405Z/report.json"); ok != tc.wantLatest {
				t.Errorf("report.json of the failed run in place: %v, want %v", ok, tc.wantLatest)
			}
		})
	}
}

// TestTransientFailuresAreRetried: a part, a PutObject and the completion
// that fail once (500, 503) are retried by the client, and the run
// completes.
func TestTransientFailuresAreRetried(t *testing.T) {
	env := newTestEnv(t)
	s := env.session(Options{})
	var mu sync.Mutex
	failed := map[string]bool{}
	env.log.Intercept(func(c fakeaws.S3Call) (int, string) {
		mu.Lock()
		defer mu.Unlock()
		switch op := c.Operation; {
		case failed[op]:
		case op == "UploadPart", op == "CompleteMultipartUpload":
			failed[op] = true
			return 500, "InternalError"
		case op == "PutObject" && strings.HasSuffix(c.Key, "/report.json"):
			failed[op] = true
			return 503, "SlowDown"
		}
		return 0, ""
	})
	dest, _ := ParseURL("s3://reports/p")
	runReports(t, s, dest, night1, true, 70000)
	if len(failed) != 3 {
		t.Errorf("sabotaged %v, want a part, the completion and report.json", failed)
	}
	if got := latestRun(t, env, "p"); got != "p/2026/01/02/030405Z/" {
		t.Errorf("latest.json names %q", got)
	}
}

// TestCancelUnblocksAWrite: a write waiting on a part that does not come
// back returns as soon as the run is cancelled (a second signal).
func TestCancelUnblocksAWrite(t *testing.T) {
	env := newTestEnv(t)
	s := env.session(Options{})
	release := make(chan struct{})
	defer close(release)
	env.log.Intercept(func(c fakeaws.S3Call) (int, string) {
		if c.Operation == "UploadPart" {
			<-release
		}
		return 0, ""
	})
	dest, _ := ParseURL("s3://reports/p")
	r, err := s.Start(context.Background(), dest, at(night1), true)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			if err := r.WriteObject(objectRecord(i)); err != nil {
				done <- err
				return
			}
		}
	}()
	time.Sleep(100 * time.Millisecond) // let the first part go out and the second fill
	r.Cancel()
	select {
	case err := <-done:
		if !strings.Contains(err.Error(), "cancelled") {
			t.Errorf("write after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a write stayed blocked after Cancel")
	}
	r.Abort()
}

// TestRunFolderIsNeverShared: a run that starts in the second of a run
// already in the bucket waits for the next second; if its clock will not
// move on, it refuses rather than mix two runs' files.
func TestRunFolderIsNeverShared(t *testing.T) {
	env := newTestEnv(t)
	s := env.session(Options{})
	dest, _ := ParseURL("s3://reports/p")
	runReports(t, s, dest, night1, true, 3)
	ticks := []time.Time{night1, night1.Add(time.Second)}
	clock := func() time.Time {
		t := ticks[0]
		ticks = ticks[1:]
		return t
	}
	r, err := s.Start(context.Background(), dest, clock, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Folder().Key; got != "p/2026/01/02/030406Z/" {
		t.Errorf("second run in %s, want the next second's folder", got)
	}
	r.Abort()
	_, err = s.Start(context.Background(), dest, at(night1), true)
	if err == nil || !strings.Contains(err.Error(), "s3://reports/p/2026/01/02/030405Z/ already holds another run's reports") {
		t.Errorf("Start in a taken second with a stopped clock: %v", err)
	}
}
