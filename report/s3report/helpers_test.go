package s3report

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/scanner"
)

// The test organization: the management account owns the report buckets,
// one of them in another region; another account owns a bucket too.
const (
	mgmtAccount  = "111111111111"
	otherAccount = "222222222222"
	testOrgID    = "o-abcdefghij"
)

const testScenario = `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
  - {id: "222222222222", name: Other}
buckets:
  - {name: reports, account: "111111111111", ownership: BucketOwnerEnforced, versioning: Enabled}
  - {name: eu-reports, account: "111111111111", region: eu-west-1, ownership: BucketOwnerEnforced}
  - {name: other-reports, account: "222222222222", ownership: BucketOwnerEnforced}
`

// testEnv is the emulator behind a call log, and the management account's
// configuration for it.
type testEnv struct {
	t   *testing.T
	log *fakeaws.CallLog
	cfg aws.Config
	em  *fakeaws.Emulator
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	return newTestEnvBehind(t, func(h http.Handler) http.Handler { return h })
}

// newTestEnvBehind is newTestEnv with the call log behind what wrap makes
// of it (a proxy that answers some calls itself, say).
func newTestEnvBehind(t *testing.T, wrap func(http.Handler) http.Handler) *testEnv {
	t.Helper()
	sc, err := fakeaws.ParseScenario([]byte(testScenario))
	if err != nil {
		t.Fatal(err)
	}
	em, err := fakeaws.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	log := fakeaws.NewCallLog(em)
	srv := httptest.NewServer(wrap(log))
	t.Cleanup(srv.Close)
	id, secret := em.ManagementCredentials()
	return &testEnv{t: t, log: log, em: em, cfg: aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(id, secret, ""),
		BaseEndpoint: aws.String(srv.URL),
	}}
}

// session is a Session of the management account with quick retries.
func (e *testEnv) session(opts Options) *Session {
	opts.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 3
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
		})
	}
	return NewSession(e.cfg, opts)
}

// s3 is a plain SDK client of the management account, to look at what a
// run left.
func (e *testEnv) s3(region string) *s3.Client {
	return s3.NewFromConfig(e.cfg, func(o *s3.Options) { o.Region = region; o.UsePathStyle = true })
}

// object reads an object, "" and false when it does not exist.
func (e *testEnv) object(bucket, key string) (string, bool) {
	e.t.Helper()
	out, err := e.s3("us-east-1").GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if isNoSuchKey(err) {
		return "", false
	}
	if err != nil {
		e.t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return string(data), true
}

// testDoc is the document of a small scan that started at started.
func testDoc(started time.Time, complete bool) *report.Document {
	res := &scanner.Result{
		StartedAt: started, FinishedAt: started.Add(time.Minute), Complete: complete,
		Organization: scanner.Organization{ID: testOrgID, ManagementAccountID: mgmtAccount},
		Accounts:     []scanner.Account{{ID: mgmtAccount, Name: "Mgmt", Status: scanner.AccountScanned}},
	}
	return report.NewDocument(res, report.Tool{Name: "ownerscan", Version: "test"}, nil)
}

// allFormats is every report format.
func allFormats() []report.Format {
	var out []report.Format
	for _, f := range report.Formats {
		out = append(out, f.Name)
	}
	return out
}

// objectRecord is the n-th record of a test's objects.csv.
func objectRecord(n int) scanner.ObjectRecord {
	return scanner.ObjectRecord{
		AccountID: otherAccount, Bucket: "shared-widgets", Key: fmt.Sprintf("data/%08d/some-longer-object-name.parquet", n),
		VersionID: fmt.Sprintf("%032x", n), IsLatest: true, OwnerCanonicalID: fakeaws.CanonicalIDFor("333333333333"),
		OwnerAccountID: "333333333333", OwnerAccountName: "Writer", Size: int64(n), LastModified: time.Unix(1700000000, 0).UTC(),
	}
}

// opsOn lists the operations of calls on keys ending with name.
func opsOn(calls []fakeaws.S3Call, name string) []string {
	var out []string
	for _, c := range calls {
		if strings.HasSuffix(c.Key, "/"+name) || c.Key == name {
			out = append(out, c.Operation)
		}
	}
	return out
}

// failing answers calls of operation op on objects named name with a 403.
func failing(op, name string) func(fakeaws.S3Call) (int, string) {
	return func(c fakeaws.S3Call) (int, string) {
		if c.Operation == op && (strings.HasSuffix(c.Key, "/"+name) || name == "") {
			return 403, "AccessDenied"
		}
		return 0, ""
	}
}

// at is a clock stopped at t.
func at(t time.Time) func() time.Time { return func() time.Time { return t } }
