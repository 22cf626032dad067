package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/scanner"
)

// Accounts of testdata/readiness.yaml.
const (
	readinessOwner   = "222222222222"
	readinessPartner = "333333333333"
)

// readinessVerdicts is what testdata/readiness.yaml must give: one bucket
// per verdict and kind of blocker.
var readinessVerdicts = map[string]string{
	"ready-plain":                     "ready",
	"migrate-member-grant":            "migrate BUCKET_ACL_GRANT",
	"migrate-log-delivery":            "migrate LOG_DELIVERY_GRANT",
	"blocked-cloudfront-logs":         "blocked CLOUDFRONT_LOG_TARGET",
	"blocked-public-bucket":           "blocked BUCKET_ACL_GRANT",
	"blocked-policy-public-read":      "blocked POLICY_REQUIRES_ACL",
	"ready-policy-owner-full-control": "ready",
	"migrate-public-object":           "migrate OBJECT_ACL_GRANTS",
}

// TestReadinessThroughTheCLI scans testdata/readiness.yaml with `ownerscan
// scan`, checks each bucket's verdict in report.json, readiness.csv and the
// summary, and then proves every verdict against the emulator through the
// real SDK: for each migrate bucket it puts the migration policy, resets
// the ACL and switches to BucketOwnerEnforced, and every grantee that had
// access keeps it (and nobody gains any); ready buckets switch as they are
// and keep working; a blocked one breaks as its blocker says.
func TestReadinessThroughTheCLI(t *testing.T) {
	sc, err := fakeaws.LoadScenario(filepath.Join("testdata", "readiness.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	srv := startEmulator(t, sc)
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "scan", "--out", out, "--quiet")
	if code != exitFindings {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitFindings, stderr)
	}
	doc := readReport(t, out)
	if !doc.Complete {
		t.Fatalf("scan incomplete: %+v", doc.Findings)
	}
	csv := string(readFile(t, filepath.Join(out, report.ReadinessCSVFile)))
	for name, want := range readinessVerdicts {
		b := findBucket(t, doc.Result, name)
		if got := verdictAndKinds(b.Readiness); got != want {
			t.Errorf("%s: readiness %q, want %q", name, got, want)
		}
		verdict, _, _ := strings.Cut(want, " ")
		if !strings.Contains(csv, readinessOwner+","+name+",us-east-1,"+string(b.ObjectOwnership)+","+verdict+",") {
			t.Errorf("readiness.csv has no %s row for %s:\n%s", verdict, name, csv)
		}
	}
	for _, v := range []string{"ready", "migrate", "blocked"} {
		if !strings.Contains(stdout, "\n  "+v+" ") {
			t.Errorf("the summary lists no %s bucket:\n%s", v, stdout)
		}
	}

	p := newProver(t, srv)
	// Access through ACLs, before anything changes.
	p.accessHolds("before the migration")
	p.migrate(doc.Result, "migrate-member-grant")
	p.migrate(doc.Result, "migrate-log-delivery")
	p.migrate(doc.Result, "migrate-public-object")
	p.accessHolds("after the migration")

	// Ready buckets switch as they are, and the partner's writes with
	// bucket-owner-full-control keep working.
	p.enforce("ready-plain")
	p.enforce("ready-policy-owner-full-control")
	if err := p.put(p.partner, "ready-policy-owner-full-control", "in/after.csv", s3types.ObjectCannedACLBucketOwnerFullControl); err != nil {
		t.Errorf("ready bucket: the partner's bucket-owner-full-control write after the switch: %v", err)
	}
	// The blocked policy's writes work today and break after the switch,
	// as POLICY_REQUIRES_ACL says.
	if err := p.put(p.partner, "blocked-policy-public-read", "up/before.csv", s3types.ObjectCannedACLPublicRead); err != nil {
		t.Fatalf("blocked bucket: the partner's public-read write before the switch: %v", err)
	}
	p.enforce("blocked-policy-public-read")
	if err := p.put(p.partner, "blocked-policy-public-read", "up/after.csv", s3types.ObjectCannedACLPublicRead); apiCode(err) != "AccessControlListNotSupported" {
		t.Errorf("blocked bucket: the partner's public-read write after the switch = %v, want AccessControlListNotSupported", err)
	}
}

// verdictAndKinds renders a readiness as "verdict KIND KIND" (each kind
// once, in order).
func verdictAndKinds(rd *scanner.Readiness) string {
	if rd == nil {
		return "<none>"
	}
	parts := []string{string(rd.Verdict)}
	for _, b := range rd.Blockers {
		if k := string(b.Kind); !strings.Contains(strings.Join(parts, " "), k) {
			parts = append(parts, k)
		}
	}
	return strings.Join(parts, " ")
}

// prover acts on the emulator as the bucket owner, the partner account,
// an outsider (the management account) and the anonymous user.
type prover struct {
	t                                 *testing.T
	ctx                               context.Context
	srv                               *fakeaws.Server
	owner, partner, outsider, anybody *s3.Client
	writes                            int
}

func newProver(t *testing.T, srv *fakeaws.Server) *prover {
	client := func(creds aws.CredentialsProvider) *s3.Client {
		return s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1},
			func(o *s3.Options) { o.UsePathStyle = true })
	}
	keys := func(account string) aws.CredentialsProvider {
		id, secret, ok := srv.Emulator.CredentialsFor(account)
		if !ok {
			t.Fatalf("no keys for %s", account)
		}
		return credentials.NewStaticCredentialsProvider(id, secret, "")
	}
	return &prover{t: t, ctx: context.Background(), srv: srv,
		owner: client(keys(readinessOwner)), partner: client(keys(readinessPartner)),
		outsider: client(keys(srv.Emulator.Scenario().ManagementAccount)), anybody: client(aws.AnonymousCredentials{})}
}

// accessHolds checks, for each grantee of a migrate bucket, the access its
// ACL grant gave, and that others still have none.
func (p *prover) accessHolds(when string) {
	t := p.t
	t.Helper()
	list := func(c *s3.Client, bucket string) error {
		if _, err := c.ListObjectVersions(p.ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)}); err != nil {
			return err
		}
		_, err := c.ListObjectsV2(p.ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		return err
	}
	get := func(c *s3.Client, bucket, key string) error {
		out, err := c.GetObject(p.ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err == nil {
			out.Body.Close()
		}
		return err
	}
	// The partner's bucket READ and WRITE grants.
	if err := list(p.partner, "migrate-member-grant"); err != nil {
		t.Errorf("%s: the partner cannot list migrate-member-grant: %v", when, err)
	}
	written := fmt.Sprintf("partner/%d.csv", p.writes)
	if err := p.put(p.partner, "migrate-member-grant", written, ""); err != nil {
		t.Errorf("%s: the partner cannot write into migrate-member-grant: %v", when, err)
	}
	// Bucket WRITE also lets the grantee delete (at least the objects it
	// wrote, which it owns until the switch makes them the bucket owner's):
	// the migration must keep that.
	if _, err := p.partner.DeleteObject(p.ctx, &s3.DeleteObjectInput{Bucket: aws.String("migrate-member-grant"), Key: aws.String(written)}); err != nil {
		t.Errorf("%s: the partner cannot delete %s, which it wrote, from migrate-member-grant: %v", when, written, err)
	}
	if err := list(p.outsider, "migrate-member-grant"); apiCode(err) != "AccessDenied" {
		t.Errorf("%s: an account without a grant lists migrate-member-grant: %v", when, err)
	}
	// Server access logs of log-source, delivered as the logging service.
	for _, d := range p.srv.Emulator.DeliverAccessLogs() {
		if d.SourceBucket == "log-source" && d.Error != "" {
			t.Errorf("%s: access logs of log-source not delivered into %s: %s", when, d.TargetBucket, d.Error)
		}
	}
	// The public-read object, for anyone; its private neighbour for no one.
	if err := get(p.anybody, "migrate-public-object", "press/logo.png"); err != nil {
		t.Errorf("%s: an anonymous reader cannot read the public-read object: %v", when, err)
	}
	if err := get(p.anybody, "migrate-public-object", "press/notes.txt"); apiCode(err) != "AccessDenied" {
		t.Errorf("%s: an anonymous reader reads the private object: %v", when, err)
	}
}

// migrate applies a migrate verdict: the migration policy, a private bucket
// ACL, then BucketOwnerEnforced, as the ACLS_ENABLED remediation says.
func (p *prover) migrate(res *scanner.Result, bucket string) {
	t := p.t
	t.Helper()
	rd := findBucket(t, res, bucket).Readiness
	if rd == nil || rd.Verdict != scanner.VerdictMigrate || rd.MigrationPolicy == "" {
		t.Fatalf("%s: no migration to apply: %+v", bucket, rd)
	}
	name := aws.String(bucket)
	if _, err := p.owner.PutBucketPolicy(p.ctx, &s3.PutBucketPolicyInput{Bucket: name, Policy: aws.String(rd.MigrationPolicy)}); err != nil {
		t.Fatalf("%s: put the migration policy: %v\n%s", bucket, err, rd.MigrationPolicy)
	}
	if len(findBucket(t, res, bucket).ACLGrants) > 0 {
		// The grants stop the switch until the ACL is reset.
		if err := p.switchToEnforced(bucket); apiCode(err) != "InvalidBucketAclWithObjectOwnership" {
			t.Errorf("%s: enforcing with the ACL grants still there = %v, want InvalidBucketAclWithObjectOwnership", bucket, err)
		}
		if _, err := p.owner.PutBucketAcl(p.ctx, &s3.PutBucketAclInput{Bucket: name, ACL: s3types.BucketCannedACLPrivate}); err != nil {
			t.Fatalf("%s: reset the bucket ACL: %v", bucket, err)
		}
	}
	p.enforce(bucket)
}

// enforce switches a bucket to BucketOwnerEnforced and reads it back.
func (p *prover) enforce(bucket string) {
	t := p.t
	t.Helper()
	if err := p.switchToEnforced(bucket); err != nil {
		t.Fatalf("%s: switch to BucketOwnerEnforced: %v", bucket, err)
	}
	out, err := p.owner.GetBucketOwnershipControls(p.ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(bucket)})
	if err != nil || out.OwnershipControls.Rules[0].ObjectOwnership != s3types.ObjectOwnershipBucketOwnerEnforced {
		t.Fatalf("%s: ownership after the switch: %+v, %v", bucket, out, err)
	}
}

func (p *prover) switchToEnforced(bucket string) error {
	_, err := p.owner.PutBucketOwnershipControls(p.ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(bucket),
		OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnershipBucketOwnerEnforced}}}})
	return err
}

// put writes an object as c, with a canned ACL unless acl is "".
func (p *prover) put(c *s3.Client, bucket, key string, acl s3types.ObjectCannedACL) error {
	p.writes++
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("probe")}
	if acl != "" {
		in.ACL = acl
	}
	_, err := c.PutObject(p.ctx, in)
	return err
}

// apiCode is an error's API error code ("" for nil or another error).
func apiCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}
