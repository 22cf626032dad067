package remediate

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/scanner"
)

// testOrg has one bucket per kind of plan: ready (with a policy of its
// own), migrate through a policy and a private ACL (a member's READ grant,
// no ownership controls at all), migrate through the ACL alone (a grant
// that only concerns ACL calls), and blocked (public).
const testOrg = `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
  - {id: "222222222222", name: Owner}
  - {id: "333333333333", name: Partner}
buckets:
  - name: ready-bucket
    account: "222222222222"
    ownership: ObjectWriter
    policy: |
      {"Version": "2012-10-17", "Statement": [{"Sid": "PartnerWrites", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::333333333333:root"}, "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::ready-bucket/*"}]}
    objects: [{key: from-partner.csv, uploader: "333333333333"}]
  - name: migrate-bucket
    account: "222222222222"
    ownership: unset
    acl: [{grantee: "333333333333", permission: READ}]
    objects: [{key: own.csv}]
  - name: acl-only-bucket
    account: "222222222222"
    ownership: BucketOwnerPreferred
    acl: [{grantee: "333333333333", permission: READ_ACP}]
  - name: public-bucket
    account: "222222222222"
    ownership: ObjectWriter
    acl: [{grantee: AllUsers, permission: READ}]
`

// env is an emulated organization, its plan, and a client per account.
type env struct {
	t       *testing.T
	srv     *fakeaws.Server
	plan    *Plan
	clients map[string]*s3.Client // account -> its administrator's S3 client
	dir     string
}

func newEnv(t *testing.T, scenario string) *env {
	t.Helper()
	sc, err := fakeaws.ParseScenario([]byte(scenario))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := fakeaws.NewServer(sc, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	e := &env{t: t, srv: srv, clients: map[string]*s3.Client{}, dir: t.TempDir()}
	for _, a := range sc.Accounts {
		id, secret, _ := srv.Emulator.CredentialsFor(a.ID)
		e.clients[a.ID] = s3.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
			Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")}, func(o *s3.Options) { o.UsePathStyle = true })
	}
	e.plan = e.makePlan()
	return e
}

// makePlan scans the organization and plans from the result.
func (e *env) makePlan() *Plan {
	e.t.Helper()
	key, secret := e.srv.Emulator.ManagementCredentials()
	s, err := scanner.New(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(e.srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, "")}, scanner.DefaultOptions(), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := s.Scan(context.Background(), nil, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	p, err := Build(BuildInput{Organization: res.Organization, Scanned: res.StartedAt, Source: "scan",
		Tool: PlanTool{Name: "ownerscan", Version: "test"}, Buckets: res.Buckets, Now: time.Now()})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// S3 makes env an Accounts: each account through its administrator.
func (e *env) S3(_ context.Context, accountID, _ string) (S3API, error) {
	return e.clients[accountID], nil
}

// controls reads every planned bucket's state.
func (e *env) controls() map[string]Controls {
	e.t.Helper()
	out := map[string]Controls{}
	for _, b := range e.plan.Buckets {
		bk := &bucketAPI{api: e.clients[b.AccountID], bucket: b.Bucket, owner: b.AccountID}
		c, err := bk.read(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		out[b.Bucket] = c
	}
	return out
}

// journal opens a journal in the test's folder.
func (e *env) journal(name string) (*Journal, []Entry) {
	e.t.Helper()
	j, prior, err := OpenJournal(filepath.Join(e.dir, name), time.Now)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { j.Close() })
	return j, prior
}

// apply runs Apply with --migrate-acls on a fresh or given journal.
func (e *env) apply(j *Journal, prior []Entry, accounts Accounts, stop <-chan struct{}) map[string]Outcome {
	e.t.Helper()
	outcomes, err := Apply(context.Background(), stop, e.plan, accounts, j, prior, ApplyOptions{MigrateACLs: true, BucketsInFlight: 4})
	if err != nil {
		e.t.Fatal(err)
	}
	byBucket := map[string]Outcome{}
	for _, o := range outcomes {
		byBucket[o.Bucket.Bucket] = o
	}
	return byBucket
}

// rollback runs Rollback of the journal file.
func (e *env) rollback(name string) map[string]UndoOutcome {
	e.t.Helper()
	j, entries := e.journal(name)
	defer j.Close()
	outcomes, err := Rollback(context.Background(), nil, e, j, entries, RollbackOptions{BucketsInFlight: 4})
	if err != nil {
		e.t.Fatal(err)
	}
	byBucket := map[string]UndoOutcome{}
	for _, o := range outcomes {
		byBucket[o.Bucket] = o
	}
	return byBucket
}

// accountsFunc adapts a function to Accounts.
type accountsFunc func(ctx context.Context, accountID, region string) (S3API, error)

func (f accountsFunc) S3(ctx context.Context, accountID, region string) (S3API, error) {
	return f(ctx, accountID, region)
}
