package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/report/s3report"
)

// reportBucket is the report bucket of the S3 tests, in the management
// account, as deploy/scheduled-audit.yaml makes it: enforced, versioned.
const reportBucket = "ownerscan-reports"

const reportBucketYAML = `
  - name: ` + reportBucket + `
    account: "111111111111"
    ownership: BucketOwnerEnforced
    versioning: Enabled
`

// reportsOrg is the complete demo organization with the report bucket
// (buckets are the scenario's last list) and, when extra is given, more
// bucket entries.
func reportsOrg(t *testing.T, extra ...string) *fakeaws.Scenario {
	t.Helper()
	yml := completeDemoYAML(t)
	return parseScenario(t, strings.TrimRight(yml, "\n")+"\n"+reportBucketYAML+strings.Join(extra, ""))
}

// s3Env is an emulator behind a call log, with this test's AWS environment
// pointed at it as startEmulator does.
type s3Env struct {
	t   *testing.T
	em  *fakeaws.Emulator
	log *fakeaws.CallLog
	url string
}

func startS3Env(t *testing.T, sc *fakeaws.Scenario) *s3Env {
	t.Helper()
	em, err := fakeaws.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	log := fakeaws.NewCallLog(em)
	srv := httptest.NewServer(log)
	t.Cleanup(srv.Close)
	accessKey, secretKey := em.ManagementCredentials()
	isolateAWSEnv(t)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", accessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secretKey)
	t.Setenv("AWS_REGION", "us-east-1")
	return &s3Env{t: t, em: em, log: log, url: srv.URL}
}

// client is an S3 client of the management account, to look at the report
// bucket.
func (e *s3Env) client() *s3.Client {
	ak, sk := e.em.ManagementCredentials()
	return s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(ak, sk, ""),
		BaseEndpoint: aws.String(e.url)}, func(o *s3.Options) { o.UsePathStyle = true })
}

// keys lists the report bucket's keys under prefix.
func (e *s3Env) keys(prefix string) []string {
	e.t.Helper()
	out, err := e.client().ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(reportBucket), Prefix: aws.String(prefix)})
	if err != nil {
		e.t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

// object reads a key of the report bucket; ok is false when it is absent.
func (e *s3Env) object(key string) (data []byte, ok bool) {
	e.t.Helper()
	out, err := e.client().GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(reportBucket), Key: aws.String(key)})
	if err != nil {
		if strings.Contains(err.Error(), "NoSuchKey") {
			return nil, false
		}
		e.t.Fatal(err)
	}
	defer out.Body.Close()
	data, err = io.ReadAll(out.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return data, true
}

// latest is latest.json under prefix (zero when there is none).
func (e *s3Env) latest(prefix string) s3report.Latest {
	e.t.Helper()
	var l s3report.Latest
	if data, ok := e.object(prefix + "/latest.json"); ok {
		if err := json.Unmarshal(data, &l); err != nil {
			e.t.Fatal(err)
		}
	}
	return l
}

// document reads a report.json of the report bucket.
func (e *s3Env) document(key string) *report.Document {
	e.t.Helper()
	data, ok := e.object(key)
	if !ok {
		e.t.Fatalf("no %s", key)
	}
	var doc report.Document
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		e.t.Fatal(err)
	}
	return &doc
}

// reportWriterOps are the operations the reports make on their bucket;
// the scan itself only reads bucket configuration there.
var reportWriterOps = []string{"HeadBucket", "ListObjectsV2", "PutObject", "GetObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "AbortMultipartUpload"}

// reportCalls are the calls of the reports on their bucket.
func reportCalls(calls []fakeaws.S3Call) []fakeaws.S3Call {
	var out []fakeaws.S3Call
	for _, c := range calls {
		if c.Bucket == reportBucket && slices.Contains(reportWriterOps, c.Operation) {
			out = append(out, c)
		}
	}
	return out
}

// runCLIAt runs the command line as runCLI does, with the clock at now.
func runCLIAt(t *testing.T, now time.Time, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := &app{
		stdout: &out, stderr: &errOut,
		hardExit: func(code int) { t.Errorf("hard exit %d", code) },
		now:      func() time.Time { return now },
	}
	code = a.run(context.Background(), args)
	return code, out.String(), errOut.String()
}

// scanCalls counts the scan's own calls: anything of Organizations, STS
// AssumeRole, and S3 ListBuckets and bucket reads.
func scanCalls(c fakeaws.CounterSnapshot) int64 {
	var n int64
	for _, op := range []string{"DescribeOrganization", "ListAccounts", "AssumeRole", "ListBuckets", "GetBucketOwnershipControls", "GetBucketAcl", "ListObjectVersions"} {
		n += c.ByOperation[op]
	}
	return n
}
