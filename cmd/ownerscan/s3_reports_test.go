package main

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ownerscan/ownerscan/report"
)

// night is the clock of the first run of the S3 tests; later runs add days.
var night = time.Date(2026, 11, 3, 2, 0, 7, 0, time.UTC)

// TestScanToS3: scan --out s3://BUCKET/PREFIX writes every report into
// PREFIX/YYYY/MM/DD/HHMMSSZ/ (the run's start), report.json after every
// other file, then latest.json naming the run; before the scan it proves
// the write (a multipart upload of report.json started and aborted); every
// call on the bucket names its expected owner, the caller's account; and
// nothing is written locally.
func TestScanToS3(t *testing.T) {
	env := startS3Env(t, reportsOrg(t))
	cwd, _ := os.ReadDir(".")
	code, stdout, stderr := runCLIAt(t, night, "scan", "--quiet", "--out", "s3://"+reportBucket+"/nightly")
	if code != exitFindings {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
	}
	folder := "nightly/2026/11/03/020007Z/"
	calls := reportCalls(env.log.Take())
	var want []string
	for _, name := range append(report.RenderedFiles(allFormats()), report.ObjectsCSVFile) {
		want = append(want, folder+name)
	}
	want = append(want, "nightly/latest.json")
	slices.Sort(want)
	if got := env.keys("nightly/"); !slices.Equal(got, want) {
		t.Errorf("keys %q,\nwant %q", got, want)
	}
	if !strings.Contains(stdout, "Reports: s3://"+reportBucket+"/"+folder) {
		t.Errorf("the summary does not name the run's folder:\n%s", stdout)
	}

	var writes []string
	for _, c := range calls {
		if owner := c.Header.Get("X-Amz-Expected-Bucket-Owner"); owner != "111111111111" {
			t.Errorf("%s %s: ExpectedBucketOwner %q, want the caller's account", c.Operation, c.Key, owner)
		}
		if c.Operation != "HeadBucket" && c.Operation != "GetObject" && c.Operation != "ListObjectsV2" {
			writes = append(writes, c.Operation+" "+strings.TrimPrefix(c.Key, folder))
		}
	}
	if len(writes) < 4 || !slices.Equal(writes[:2], []string{"CreateMultipartUpload report.json", "AbortMultipartUpload report.json"}) {
		t.Fatalf("writes %q: the write check does not come first", writes)
	}
	if last := writes[len(writes)-2:]; !slices.Equal(last, []string{"PutObject report.json", "PutObject nightly/latest.json"}) {
		t.Errorf("writes end with %q, want report.json then latest.json", last)
	}
	if i := slices.Index(writes, "PutObject objects.csv"); i < 0 || i > len(writes)-3 {
		t.Errorf("objects.csv is not written before report.json: %q", writes)
	}

	doc := env.document(folder + "report.json")
	l := env.latest("nightly")
	if l.RunPrefix != folder || !l.Complete || l.OrganizationID != doc.Organization.ID || !l.StartedAt.Equal(doc.StartedAt) || l.SchemaVersion != 1 {
		t.Errorf("latest.json %+v does not name the run (organization %s, started %s)", l, doc.Organization.ID, doc.StartedAt)
	}
	if after, _ := os.ReadDir("."); len(after) != len(cwd) {
		t.Errorf("a scan to S3 wrote into the working folder: %d entries, then %d", len(cwd), len(after))
	}
}

// allFormats is every report format.
func allFormats() []report.Format {
	var out []report.Format
	for _, f := range report.Formats {
		out = append(out, f.Name)
	}
	return out
}

// TestNightlyToS3: the README's nightly recipe, --out and --baseline the
// same s3:// prefix with --fail-on-new. The first night finds no earlier
// run: it says so, compares with nothing, and every finding counts (exit
// 1). The second compares with the first through latest.json: nothing new,
// exit 0. After a new ObjectWriter bucket, the third finds it new (exit 1).
// diff reads the same runs from S3 and agrees.
func TestNightlyToS3(t *testing.T) {
	env := startS3Env(t, reportsOrg(t))
	dest := "s3://" + reportBucket + "/nightly"
	nightly := func(n int) (int, string, string) {
		return runCLIAt(t, night.Add(time.Duration(n)*24*time.Hour), "scan", "--quiet", "--out", dest, "--baseline", dest, "--fail-on-new")
	}
	code, _, stderr := nightly(0)
	if code != exitFindings || !strings.Contains(stderr, "no complete run at the output location yet") {
		t.Fatalf("first night: exit %d, want 1 and a warning; stderr:\n%s", code, stderr)
	}
	first := env.document("nightly/2026/11/03/020007Z/report.json")
	if first.Baseline != nil {
		t.Errorf("the first night has a baseline: %+v", first.Baseline)
	}

	code, stdout, stderr := nightly(1)
	if code != exitOK || stderr != "" {
		t.Fatalf("second night: exit %d, want 0 (nothing new); stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	second := env.document("nightly/2026/11/04/020007Z/report.json")
	if b := second.Baseline; b == nil || !b.StartedAt.Equal(first.StartedAt) || b.New != 0 || b.Unchanged != len(first.Findings) {
		t.Errorf("second night's baseline %+v, want the first night's %d findings unchanged", second.Baseline, len(first.Findings))
	}

	id, secret, _ := env.em.CredentialsFor("222222222222")
	member := s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""),
		BaseEndpoint: aws.String(env.url)}, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := member.CreateBucket(context.Background(), &s3.CreateBucketInput{
		Bucket: aws.String("acme-b-new-uploads"), ObjectOwnership: s3types.ObjectOwnershipObjectWriter,
	}); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := nightly(2); code != exitFindings {
		t.Fatalf("third night: exit %d, want 1 (a new bucket on ObjectWriter); stderr:\n%s", code, stderr)
	}
	third := env.document("nightly/2026/11/05/020007Z/report.json")
	if b := third.Baseline; b == nil || !b.StartedAt.Equal(second.StartedAt) || b.New != 1 {
		t.Errorf("third night's baseline %+v, want the second night and one new finding", third.Baseline)
	}
	if l := env.latest("nightly"); l.RunPrefix != "nightly/2026/11/05/020007Z/" {
		t.Errorf("latest.json names %s, want the third night", l.RunPrefix)
	}

	// diff of the second night's folder and the prefix (latest.json: the
	// third night).
	code, stdout, stderr = runCLI(t, "diff", dest+"/2026/11/04/020007Z", dest, "--format", "json")
	if code != exitFindings {
		t.Fatalf("diff: exit %d, want 1; stderr:\n%s", code, stderr)
	}
	var changes struct {
		New []json.RawMessage `json:"new_findings"`
	}
	if err := json.Unmarshal([]byte(stdout), &changes); err != nil || len(changes.New) != 1 {
		t.Errorf("diff: %d new findings (%v), want 1", len(changes.New), err)
	}
	code, _, stderr = runCLI(t, "diff", dest+"/latest.json", dest+"/2026/11/05/020007Z/report.json")
	if code != exitOK {
		t.Errorf("diff of a run with itself: exit %d; stderr:\n%s", code, stderr)
	}
	code, _, stderr = runCLI(t, "diff", "--expected-bucket-owner", "222222222222", dest, dest)
	if code != exitUsage || !strings.Contains(stderr, "it is not account 222222222222's") {
		t.Errorf("diff of a bucket that is not the expected owner's: exit %d, stderr %q", code, stderr)
	}
}

// TestS3DestinationCheckedBeforeTheScan: a destination that cannot be
// written is exit 2 with one line, before the scan's first call: a bucket
// of another account than the expected one (configured, or by default the
// caller's), one that does not exist, a key prefix that is no key.
func TestS3DestinationCheckedBeforeTheScan(t *testing.T) {
	env := startS3Env(t, reportsOrg(t, `
  - name: member-reports
    account: "222222222222"
    ownership: BucketOwnerEnforced
`))
	for _, tc := range []struct {
		name, config, out, want string
	}{
		{"configured owner", "output:\n  s3:\n    expected_bucket_owner: \"222222222222\"\n", "s3://" + reportBucket + "/p",
			"--out: s3report: bucket ownerscan-reports: access denied: it is not account 222222222222's"},
		{"the caller's account by default", "", "s3://member-reports/p", "it is not account 111111111111's"},
		{"no such bucket", "", "s3://no-such-reports/p", "bucket no-such-reports does not exist"},
		{"not a bucket name", "", "s3://Reports/p", `"Reports" is not an S3 bucket name`},
		{"a bad owner", "output:\n  s3:\n    expected_bucket_owner: \"2222\"\n", "s3://" + reportBucket + "/p",
			`config: line 3: output.s3.expected_bucket_owner: "2222" is not an account ID`},
		{"a bad KMS key", "output:\n  s3:\n    kms_key_id: \"my key\"\n", "s3://" + reportBucket + "/p",
			`output.s3.kms_key_id: "my key" is not a KMS key ID`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := env.em.Counters()
			env.log.Take()
			args := []string{"scan", "--quiet", "--out", tc.out}
			if tc.config != "" {
				args = append(args, "--config", writeFile(t, "config.yaml", tc.config))
			}
			code, stdout, stderr := runCLIAt(t, night, args...)
			if code != exitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) || stdout != "" {
				t.Errorf("exit %d, stderr %q; want 2 and one line containing %q", code, stderr, tc.want)
			}
			if n := scanCalls(env.em.Counters()) - scanCalls(before); n != 0 {
				t.Errorf("%d calls of the scan made", n)
			}
			for _, c := range env.log.Take() {
				if c.Operation != "HeadBucket" {
					t.Errorf("%s %s/%s called", c.Operation, c.Bucket, c.Key)
				}
			}
		})
	}
}

// TestS3ReportsSSEKMS: with output.s3.kms_key_id, every write of the
// reports asks for SSE-KMS with that key, and S3 says each report is
// encrypted with it.
func TestS3ReportsSSEKMS(t *testing.T) {
	env := startS3Env(t, reportsOrg(t))
	const key = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	cfg := writeFile(t, "config.yaml", "output:\n  dir: s3://"+reportBucket+"/kms\n  s3:\n    kms_key_id: "+key+"\n")
	if code, _, stderr := runCLIAt(t, night, "scan", "--quiet", "--config", cfg); code != exitFindings {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	writes := 0
	for _, c := range reportCalls(env.log.Take()) {
		if c.Operation != "PutObject" && c.Operation != "CreateMultipartUpload" {
			continue
		}
		writes++
		if c.Header.Get("X-Amz-Server-Side-Encryption") != "aws:kms" || c.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id") != key {
			t.Errorf("%s %s asked for %q %q", c.Operation, c.Key, c.Header.Get("X-Amz-Server-Side-Encryption"), c.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"))
		}
	}
	if writes < 8 {
		t.Errorf("%d writes seen, want the write check, 7 reports and latest.json", writes)
	}
	for _, k := range env.keys("kms/") {
		h, err := env.client().HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(reportBucket), Key: aws.String(k)})
		if err != nil {
			t.Fatal(err)
		}
		if h.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms || aws.ToString(h.SSEKMSKeyId) != key {
			t.Errorf("%s is encrypted with %q %q", k, h.ServerSideEncryption, aws.ToString(h.SSEKMSKeyId))
		}
	}
}
