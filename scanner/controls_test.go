package scanner

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
)

func userGrant(id string, p s3types.Permission) s3types.Grant {
	return s3types.Grant{Grantee: &s3types.Grantee{Type: s3types.TypeCanonicalUser, ID: aws.String(id)}, Permission: p}
}

// TestFingerprintCoversEachControl: every control and every part of the
// ACL changes the fingerprint; the order S3 lists grants in does not; a
// policy that is absent differs from one that is empty.
func TestFingerprintCoversEachControl(t *testing.T) {
	base := BucketControls{
		Ownership: OwnershipObjectWriter,
		ACLOwner:  "owner",
		ACLGrants: []s3types.Grant{userGrant("owner", s3types.PermissionFullControl), userGrant("other", s3types.PermissionRead)},
		Policy:    aws.String(`{"Version":"2012-10-17","Statement":[]}`),
	}
	fp := base.Fingerprint()
	if len(fp) != len("sha256:")+64 || fp[:7] != "sha256:" {
		t.Fatalf("fingerprint %q is not sha256:<64 hex>", fp)
	}
	reordered := base
	reordered.ACLGrants = []s3types.Grant{base.ACLGrants[1], base.ACLGrants[0]}
	if reordered.Fingerprint() != fp {
		t.Error("the order of the grants changed the fingerprint")
	}
	variants := map[string]func(c *BucketControls){
		"ownership": func(c *BucketControls) { c.Ownership = OwnershipNotSet },
		"ACL owner": func(c *BucketControls) { c.ACLOwner = "someone" },
		"a grant more": func(c *BucketControls) {
			c.ACLGrants = append(c.ACLGrants, userGrant("third", s3types.PermissionWrite))
		},
		"a grant less": func(c *BucketControls) { c.ACLGrants = c.ACLGrants[:1] },
		"a permission": func(c *BucketControls) {
			c.ACLGrants = []s3types.Grant{c.ACLGrants[0], userGrant("other", s3types.PermissionWrite)}
		},
		"a grantee": func(c *BucketControls) {
			c.ACLGrants = []s3types.Grant{c.ACLGrants[0], userGrant("another", s3types.PermissionRead)}
		},
		"no policy":         func(c *BucketControls) { c.Policy = nil },
		"empty policy text": func(c *BucketControls) { c.Policy = aws.String("") },
		"policy whitespace": func(c *BucketControls) { c.Policy = aws.String(`{"Version": "2012-10-17","Statement":[]}`) },
		"a group grantee": func(c *BucketControls) {
			c.ACLGrants = append(c.ACLGrants, s3types.Grant{Grantee: &s3types.Grantee{Type: s3types.TypeGroup, URI: aws.String(uriAllUsers)}, Permission: s3types.PermissionRead})
		},
	}
	seen := map[string]string{fp: "base"}
	for name, change := range variants {
		c := base
		c.ACLGrants = append([]s3types.Grant(nil), base.ACLGrants...)
		change(&c)
		got := c.Fingerprint()
		if other, dup := seen[got]; dup {
			t.Errorf("%s gives the fingerprint of %s", name, other)
		}
		seen[got] = name
	}
}

// TestScanRecordsTheStateFingerprint: a scan records, for each bucket not
// enforced, the fingerprint of what it read, the same one a fresh read of
// the three settings through the SDK gives; a grant added to the ACL
// changes it at the next scan; enforced buckets have none.
func TestScanRecordsTheStateFingerprint(t *testing.T) {
	srv := emulateYAML(t, `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: A}
  - {id: "222222222222", name: B}
buckets:
  - name: writer-bucket
    account: "222222222222"
    ownership: ObjectWriter
    acl: [{grantee: "111111111111", permission: READ}]
    writers: ["111111111111"]
  - {name: unset-bucket, account: "222222222222", ownership: unset}
  - {name: enforced-bucket, account: "222222222222"}
`)
	opts := DefaultOptions()
	res := scanEmulator(t, srv, opts, nil)
	if fp := bucketByName(t, res, "enforced-bucket").StateFingerprint; fp != "" {
		t.Errorf("enforced bucket has a fingerprint %q", fp)
	}
	id, secret, _ := srv.Emulator.CredentialsFor("222222222222")
	owner := s3.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")}, func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()
	for _, name := range []string{"writer-bucket", "unset-bucket"} {
		b := bucketByName(t, res, name)
		if b.StateFingerprint == "" {
			t.Fatalf("%s: no fingerprint", name)
		}
		if got := freshFingerprint(t, ctx, owner, name, b.ObjectOwnership); got != b.StateFingerprint {
			t.Errorf("%s: scan recorded %s, a fresh read gives %s", name, b.StateFingerprint, got)
		}
	}
	// The ACL gains a grant: the next scan sees another state.
	if _, err := owner.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("unset-bucket"),
		GrantRead: aws.String(`id="` + fakeaws.CanonicalIDFor("111111111111") + `"`)}); err != nil {
		t.Fatal(err)
	}
	again := scanEmulator(t, srv, opts, nil)
	if bucketByName(t, again, "unset-bucket").StateFingerprint == bucketByName(t, res, "unset-bucket").StateFingerprint {
		t.Error("a grant added to the ACL left the fingerprint as it was")
	}
	if bucketByName(t, again, "writer-bucket").StateFingerprint != bucketByName(t, res, "writer-bucket").StateFingerprint {
		t.Error("an unchanged bucket got another fingerprint")
	}
	// Without readiness the policy is not read: no fingerprint.
	opts.Readiness.Enabled = false
	if fp := bucketByName(t, scanEmulator(t, srv, opts, nil), "writer-bucket").StateFingerprint; fp != "" {
		t.Errorf("readiness off: fingerprint %q, want none (the policy was not read)", fp)
	}
}

// freshFingerprint reads a bucket's ACL and policy through the SDK.
func freshFingerprint(t *testing.T, ctx context.Context, c *s3.Client, bucket string, own ObjectOwnership) string {
	t.Helper()
	acl, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	controls := BucketControls{Ownership: own, ACLOwner: aws.ToString(acl.Owner.ID), ACLGrants: acl.Grants}
	if pol, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)}); err == nil {
		controls.Policy = pol.Policy
	} else if apiErrorCode(err) != "NoSuchBucketPolicy" {
		t.Fatal(err)
	}
	return controls.Fingerprint()
}
