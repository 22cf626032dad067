package scanner

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
)

// objectGrantsScenario: a versioned bucket of account 222222222222 whose
// object ACLs (written by the test) grant account 333333333333 READ.
const objectGrantsScenario = `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Management}
  - {id: "222222222222", name: Owner}
  - {id: "333333333333", name: Partner}
buckets:
  - name: object-grants
    account: "222222222222"
    ownership: ObjectWriter
    versioning: Enabled
    objects:
      - {key: "private.txt", size: 3}
`

// accountClient is an S3 client signing as an account of srv's scenario.
func accountClient(t *testing.T, srv *fakeaws.Server, account string) *s3.Client {
	t.Helper()
	id, secret, ok := srv.Emulator.CredentialsFor(account)
	if !ok {
		t.Fatalf("no keys for %s", account)
	}
	return s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""),
		BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1}, func(o *s3.Options) { o.UsePathStyle = true })
}

// TestE2EObjectGrantMigrationKeepsAccess: object ACL READ grants to an
// account, on a current version and on a noncurrent one, become a migration
// policy that, put on the bucket before the switch to BucketOwnerEnforced,
// lets the grantee read exactly those versions after it, through the real
// SDK against the emulator.
func TestE2EObjectGrantMigrationKeepsAccess(t *testing.T) {
	ctx := context.Background()
	srv := emulateYAML(t, objectGrantsScenario)
	owner := accountClient(t, srv, "222222222222")
	partner := accountClient(t, srv, "333333333333")
	bucket := aws.String("object-grants")
	grant := aws.String("id=" + fakeaws.CanonicalIDFor("333333333333"))

	// The owner writes current.txt and the first version of history.txt
	// with a READ grant to the partner, then a second version of
	// history.txt without one.
	write := func(key string, g *string) string {
		t.Helper()
		out, err := owner.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(key), Body: strings.NewReader("x"), GrantRead: g})
		if err != nil {
			t.Fatalf("PutObject %s: %v", key, err)
		}
		return aws.ToString(out.VersionId)
	}
	write("current.txt", grant)
	oldHistory := write("history.txt", grant)
	newHistory := write("history.txt", nil)

	read := func(key, versionID string) error {
		in := &s3.GetObjectInput{Bucket: bucket, Key: aws.String(key)}
		if versionID != "" {
			in.VersionId = aws.String(versionID)
		}
		out, err := partner.GetObject(ctx, in)
		if err == nil {
			out.Body.Close()
		}
		return err
	}
	type access struct {
		key, versionID string
		allowed        bool
	}
	want := []access{
		{"current.txt", "", true},
		{"history.txt", oldHistory, true},
		{"history.txt", newHistory, false},
		{"history.txt", "", false},
		{"private.txt", "", false},
	}
	check := func(when string) {
		t.Helper()
		for _, a := range want {
			err := read(a.key, a.versionID)
			if (err == nil) != a.allowed {
				t.Errorf("%s: the partner reads %s (version %q): %v, want allowed=%v", when, a.key, a.versionID, err, a.allowed)
			}
		}
	}
	check("through the object ACLs")

	opts := DefaultOptions()
	res := scanEmulator(t, srv, opts, nil)
	rd := bucketByName(t, res, "object-grants").Readiness
	if rd == nil || rd.Verdict != VerdictMigrate || rd.MigrationPolicy == "" {
		t.Fatalf("readiness: %s %+v", blockerKinds(rd), rd)
	}
	if _, err := owner.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: bucket, Policy: aws.String(rd.MigrationPolicy)}); err != nil {
		t.Fatalf("put the migration policy: %v\n%s", err, rd.MigrationPolicy)
	}
	if _, err := owner.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: bucket,
		OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnershipBucketOwnerEnforced}}}}); err != nil {
		t.Fatalf("switch: %v", err)
	}
	check("through the migration policy")

	// What the policy cannot narrow, as the blocker's fix says: a read
	// without a version ID carries no s3:versionid, so a later version of a
	// key whose current version was granted is readable too.
	write("current.txt", nil)
	if err := read("current.txt", ""); err != nil {
		t.Errorf("the partner cannot read a later version of current.txt, which the fix text says it can: %v", err)
	}
}
