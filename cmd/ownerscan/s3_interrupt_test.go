package main

import (
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
)

// manyForeignObjects is a bucket whose 60,000 objects AccountC wrote into
// AccountB's bucket: objects.csv of some 13 MB, two parts of 8 MiB.
const manyForeignObjects = `
  - name: acme-b-bulk
    account: "222222222222"
    ownership: ObjectWriter
    writers: ["333333333333"]
    generated: {count: 60000, key_prefix: "bulk/", foreign: {"333333333333": 1.0}}
`

// firstNight runs a complete scan to s3://reportBucket/nightly, as the
// previous night did, and returns the folder latest.json then names.
func firstNight(t *testing.T, env *s3Env) string {
	t.Helper()
	if code, _, stderr := runCLIAt(t, night, "scan", "--quiet", "--out", "s3://"+reportBucket+"/nightly"); code != exitFindings {
		t.Fatalf("first night: exit %d; stderr:\n%s", code, stderr)
	}
	l := env.latest("nightly")
	if l.RunPrefix == "" {
		t.Fatal("the first night left no latest.json")
	}
	env.log.Take()
	return l.RunPrefix
}

// refuse answers calls of op on objects named name with AccessDenied.
func refuse(op, name string) func(fakeaws.S3Call) (int, string) {
	return func(c fakeaws.S3Call) (int, string) {
		if c.Operation == op && strings.HasSuffix(c.Key, "/"+name) {
			return 403, "AccessDenied"
		}
		return 0, ""
	}
}

// TestS3UploadFailureKeepsLatest: a run that cannot upload one of its
// reports (report.json, report.html, a part of objects.csv) exits 4 with
// one line naming the cause, aborts objects.csv's multipart upload, and
// leaves latest.json on the previous complete run; its folder has no
// report.json. A failed part stops the scan, as a full disk does.
func TestS3UploadFailureKeepsLatest(t *testing.T) {
	for _, tc := range []struct {
		op, name string
		want     []string
	}{
		{"PutObject", "report.json", []string{"upload s3://" + reportBucket + "/nightly/2026/11/04/020007Z/report.json: AccessDenied"}},
		{"PutObject", "report.html", []string{"upload s3://" + reportBucket + "/nightly/2026/11/04/020007Z/report.html: AccessDenied"}},
		{"UploadPart", "objects.csv", []string{"upload part 1 of s3://" + reportBucket + "/nightly/2026/11/04/020007Z/objects.csv: AccessDenied"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := startS3Env(t, reportsOrg(t, manyForeignObjects))
			previous := firstNight(t, env)
			env.log.Intercept(refuse(tc.op, tc.name))
			code, stdout, stderr := runCLIAt(t, night.Add(24*time.Hour), "scan", "--quiet", "--out", "s3://"+reportBucket+"/nightly")
			if code != exitNoReport {
				t.Fatalf("exit %d, want 4; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			oneErrorLine(t, stderr, append(tc.want, "no report written", "s3://"+reportBucket+"/nightly/latest.json is untouched")...)
			if l := env.latest("nightly"); l.RunPrefix != previous {
				t.Errorf("latest.json names %q, want the previous run %q", l.RunPrefix, previous)
			}
			if _, ok := env.object("nightly/2026/11/04/020007Z/report.json"); ok {
				t.Error("the failed run's folder has a report.json")
			}
			calls := reportCalls(env.log.Take())
			var objectsCalls []string
			for _, c := range calls {
				if strings.HasSuffix(c.Key, "/objects.csv") {
					objectsCalls = append(objectsCalls, c.Operation)
				}
				if c.Operation == "AbortMultipartUpload" && c.Status != 204 {
					t.Errorf("abort of %s answered %d", c.Key, c.Status)
				}
			}
			// objects.csv (two parts) is completed after the other reports
			// and before report.json: a failure before that aborts it.
			want := "AbortMultipartUpload"
			if tc.name == "report.json" {
				want = "CompleteMultipartUpload"
			}
			if last := objectsCalls[len(objectsCalls)-1]; last != want {
				t.Errorf("objects.csv calls %v, want the last %s", objectsCalls, want)
			}
		})
	}
}

// TestS3IncompleteRunKeepsLatest: an incomplete scan (a bucket whose
// ownership cannot be read) writes its whole folder, report.json marked
// incomplete, exits 3, and leaves latest.json on the previous complete run.
func TestS3IncompleteRunKeepsLatest(t *testing.T) {
	env := startS3Env(t, reportsOrg(t))
	previous := firstNight(t, env)
	env.log.Intercept(func(c fakeaws.S3Call) (int, string) {
		if c.Operation == "GetBucketOwnershipControls" && c.Bucket == "acme-b-eu-archive" {
			return 403, "AccessDenied"
		}
		return 0, ""
	})
	code, _, stderr := runCLIAt(t, night.Add(24*time.Hour), "scan", "--quiet", "--out", "s3://"+reportBucket+"/nightly")
	if code != exitIncomplete {
		t.Fatalf("exit %d, want 3; stderr:\n%s", code, stderr)
	}
	oneErrorLine(t, stderr, "see s3://"+reportBucket+"/nightly/2026/11/04/020007Z/report.json")
	if doc := env.document("nightly/2026/11/04/020007Z/report.json"); doc.Complete {
		t.Error("the incomplete run's report.json says complete")
	}
	if l := env.latest("nightly"); l.RunPrefix != previous {
		t.Errorf("latest.json names %q after an incomplete run, want the previous complete run %q", l.RunPrefix, previous)
	}
}

// TestS3SecondSignalDuringUpload: two signals while a part of objects.csv
// is on its way quit at once (exit 130), say no new report was written,
// and leave latest.json on the previous complete run.
func TestS3SecondSignalDuringUpload(t *testing.T) {
	env := startS3Env(t, reportsOrg(t, manyForeignObjects))
	previous := firstNight(t, env)
	reached, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	env.log.Intercept(func(c fakeaws.S3Call) (int, string) {
		if c.Operation == "UploadPart" {
			once.Do(func() { close(reached) })
			<-release
		}
		return 0, ""
	})
	sigs, hardExits, done := make(chan os.Signal, 2), make(chan int, 1), make(chan int, 1)
	stderr := &syncBuffer{}
	a := &app{stdout: &syncBuffer{}, stderr: stderr, signals: sigs, hardExit: func(code int) { hardExits <- code },
		now: func() time.Time { return night.Add(24 * time.Hour) }}
	go func() {
		done <- a.run(context.Background(), []string{"scan", "--quiet", "--out", "s3://" + reportBucket + "/nightly"})
	}()
	select {
	case <-reached:
	case <-time.After(30 * time.Second):
		t.Fatalf("no part was uploaded; stderr:\n%s", stderr)
	}
	interruptTwice(t, sigs, hardExits)
	close(release)
	<-done // in a real process the exit ends everything; here the run ends on its own
	want := "interrupted twice: quitting at once; no new report; s3://" + reportBucket + "/nightly/latest.json is untouched"
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr does not say %q:\n%s", want, stderr)
	}
	if l := env.latest("nightly"); l.RunPrefix != previous {
		t.Errorf("latest.json names %q, want the previous run %q", l.RunPrefix, previous)
	}
	if _, ok := env.object("nightly/2026/11/04/020007Z/report.json"); ok {
		t.Error("the interrupted run wrote report.json")
	}
	ops := []string{}
	for _, c := range reportCalls(env.log.Take()) {
		if strings.HasSuffix(c.Key, "/objects.csv") {
			ops = append(ops, c.Operation)
		}
	}
	if !slices.Contains(ops, "AbortMultipartUpload") {
		t.Errorf("objects.csv's upload was not aborted: %v", ops)
	}
}

// TestS3KilledDuringCommit: a run killed (SIGKILL) while report.json is
// on its way leaves latest.json on the previous complete run, and no
// report.json in its folder. The run is a child process; the emulator
// holds report.json's upload until the child is dead.
func TestS3KilledDuringCommit(t *testing.T) {
	env := startS3Env(t, reportsOrg(t))
	previous := firstNight(t, env)
	reached, release := make(chan string, 1), make(chan struct{})
	defer close(release)
	env.log.Intercept(func(c fakeaws.S3Call) (int, string) {
		if c.Operation == "PutObject" && strings.HasSuffix(c.Key, "/report.json") {
			reached <- c.Key
			<-release
			return 503, "SlowDown"
		}
		return 0, ""
	})
	cmd, _ := startChild(t, childSpec{Steps: []childStep{{Args: []string{"scan", "--quiet", "--out", "s3://" + reportBucket + "/nightly"}}}})
	var key string
	select {
	case key = <-reached:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the child never uploaded report.json")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	folder := strings.TrimSuffix(key, "report.json")
	if l := env.latest("nightly"); l.RunPrefix != previous {
		t.Errorf("latest.json names %q, want the previous run %q", l.RunPrefix, previous)
	}
	keys := env.keys(folder)
	if len(keys) == 0 || slices.Contains(keys, key) {
		t.Errorf("the killed run's folder holds %v: want its other reports and no report.json", keys)
	}
}
