package s3report

import (
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in, bucket, key, err string
	}{
		{in: "s3://reports", bucket: "reports"},
		{in: "s3://reports/", bucket: "reports"},
		{in: "s3://reports/ownerscan/nightly/", bucket: "reports", key: "ownerscan/nightly"},
		{in: "s3://my.reports-1/p/report.json", bucket: "my.reports-1", key: "p/report.json"},
		{in: "reports/p", err: "not an s3:// URL"},
		{in: "s3://", err: "not an S3 bucket name"},
		{in: "s3://Reports/p", err: "not an S3 bucket name"},
		{in: "s3://ab/p", err: "not an S3 bucket name"},
		{in: "s3://a..b/p", err: "not an S3 bucket name"},
		{in: "s3://reports/a//b", err: "empty segment"},
		{in: "s3://reports/a/../b", err: `".." segment`},
		{in: "s3://reports/a\x00b", err: "control character"},
		{in: "s3://reports/" + strings.Repeat("k", 901), err: "longer than 900 bytes"},
		{in: "s3://reports/\xff", err: "not valid UTF-8"},
	} {
		u, err := ParseURL(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseURL(%q) = %v, %v; want an error with %q", tc.in, u, err, tc.err)
			}
			continue
		}
		if err != nil || u.Bucket != tc.bucket || u.Key != tc.key {
			t.Errorf("ParseURL(%q) = %+v, %v; want %s %q", tc.in, u, err, tc.bucket, tc.key)
		}
	}
	if got := (URL{Bucket: "b"}).Join("latest.json").String(); got != "s3://b/latest.json" {
		t.Errorf("Join at the top: %s", got)
	}
	if got := (URL{Bucket: "b", Key: "p"}).Join("latest.json").String(); got != "s3://b/p/latest.json" {
		t.Errorf("Join under a prefix: %s", got)
	}
}

// TestStartRefusesAnotherOwnersBucket: a bucket of another account than
// the expected owner (configured, or by default the caller's) is refused
// by S3 before anything is written; so is a bucket that does not exist.
func TestStartRefusesAnotherOwnersBucket(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		owner  string
		bucket string
		want   string
	}{
		{"configured owner is not the bucket's", otherAccount, "reports", "access denied: it is not account 222222222222's"},
		{"the caller's own account by default", "", "other-reports", "access denied: it is not account 111111111111's"},
		{"no such bucket", "", "no-such-reports", "bucket no-such-reports does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t)
			_, err := env.session(Options{ExpectedBucketOwner: tc.owner}).Start(ctx, URL{Bucket: tc.bucket, Key: "p"}, at(night1), true)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Start: %v, want %q", err, tc.want)
			}
			for _, c := range env.log.Take() {
				if c.Operation != "HeadBucket" {
					t.Errorf("%s %s called on a refused bucket", c.Operation, c.Key)
				}
			}
		})
	}
}

// TestStartFindsTheBucketRegion: a bucket in another region than the
// caller's is found through HeadBucket's x-amz-bucket-region and written
// there.
func TestStartFindsTheBucketRegion(t *testing.T) {
	env := newTestEnv(t)
	s := env.session(Options{})
	dest, _ := ParseURL("s3://eu-reports/p")
	r := runReports(t, s, dest, night1, true, 3)
	if r.c.region != "eu-west-1" {
		t.Errorf("client region %s, want eu-west-1", r.c.region)
	}
	calls := env.log.Take()
	if calls[0].Operation != "HeadBucket" || calls[0].Status != 301 {
		t.Errorf("first call %s answered %d, want a HeadBucket redirected", calls[0].Operation, calls[0].Status)
	}
	for _, c := range calls[1:] {
		if c.Status >= 300 && c.Operation != "GetObject" {
			t.Errorf("%s %s answered %d", c.Operation, c.Key, c.Status)
		}
	}
}

// TestWriteCheck: a principal that may not write is refused at Start,
// before the scan; one that may write but not abort multipart uploads
// writes its reports, and is only warned.
func TestWriteCheck(t *testing.T) {
	env := newTestEnv(t)
	env.log.Intercept(failing("CreateMultipartUpload", ""))
	_, err := env.session(Options{}).Start(context.Background(), URL{Bucket: "reports", Key: "p"}, at(night1), true)
	if err == nil || !strings.Contains(err.Error(), "cannot write to s3://reports/p") || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("Start: %v, want a refused write", err)
	}

	env = newTestEnv(t)
	env.log.Intercept(failing("AbortMultipartUpload", ""))
	var logs strings.Builder
	s := env.session(Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	runReports(t, s, URL{Bucket: "reports", Key: "p"}, night1, true, 3)
	if !strings.Contains(logs.String(), "cannot abort a multipart upload") {
		t.Errorf("no warning about the missing abort permission; logs:\n%s", logs.String())
	}
}
