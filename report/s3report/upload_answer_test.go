package s3report

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestEmptyAnswersAreNotUploads: a PutObject, an UploadPart or a
// CompleteMultipartUpload answered 200 with no ETag and no body (a proxy
// or load balancer that never passed the call to S3) stored nothing. The
// run must fail on it, its report.json must not be said to be in place,
// and latest.json must stay on the previous complete run.
func TestEmptyAnswersAreNotUploads(t *testing.T) {
	ctx := context.Background()
	night2 := night1.Add(24 * time.Hour)
	// Only the second run's calls are answered so: the first one is the
	// previous complete run latest.json must stay on.
	const run2 = "/p/2026/01/03/030405Z/"
	for _, tc := range []struct {
		name   string
		answer func(r *http.Request) bool // true: answer r with an empty 200
	}{
		{"PutObject of report.json", func(r *http.Request) bool {
			return r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, run2+"report.json")
		}},
		{"UploadPart of objects.csv", func(r *http.Request) bool {
			return r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, run2+"objects.csv") && r.URL.Query().Has("partNumber")
		}},
		{"CompleteMultipartUpload of objects.csv", func(r *http.Request) bool {
			return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, run2+"objects.csv") && r.URL.Query().Has("uploadId")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnvBehind(t, func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if tc.answer(r) {
						_, _ = io.Copy(io.Discard, r.Body)
						w.WriteHeader(http.StatusOK)
						return
					}
					next.ServeHTTP(w, r)
				})
			})
			s := env.session(Options{})
			dest, _ := ParseURL("s3://reports/p")
			runReports(t, s, dest, night1, true, 3)
			r, err := s.Start(ctx, dest, at(night2), true)
			if err != nil {
				t.Fatal(err)
			}
			var failed error
			for i := range 70000 { // about 15 MiB: two parts
				if failed = r.WriteObject(objectRecord(i)); failed != nil {
					break
				}
			}
			if failed == nil {
				failed = r.Stage(testDoc(night2, true), allFormats())
			}
			if failed == nil {
				failed = r.Commit()
			}
			r.Abort()
			if failed == nil || !strings.Contains(failed.Error(), "no ETag") {
				t.Fatalf("the run took an empty answer for an upload: error %v", failed)
			}
			if got := latestRun(t, env, "p"); got != "p/2026/01/02/030405Z/" {
				t.Errorf("latest.json names %q, want the previous complete run", got)
			}
		})
	}
}
