package fakeaws

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// writeMethod writes key into bucket as the client's account, with the
// canned ACL acl ("" none), by PutObject, CopyObject or a multipart upload.
type writeMethod func(t *testing.T, c *s3.Client, srcBucket, bucket, key string, acl types.ObjectCannedACL)

var writeMethods = map[string]writeMethod{
	"put": func(t *testing.T, c *s3.Client, _, bucket, key string, acl types.ObjectCannedACL) {
		put(t, c, bucket, key, "payload of "+key, func(in *s3.PutObjectInput) { in.ACL = acl })
	},
	"copy": func(t *testing.T, c *s3.Client, srcBucket, bucket, key string, acl types.ObjectCannedACL) {
		ctx := context.Background()
		put(t, c, srcBucket, "src/"+key, "copied payload")
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: aws.String(bucket), Key: aws.String(key), ACL: acl,
			CopySource: aws.String(srcBucket + "/src/" + key),
		})
		if err != nil {
			t.Fatalf("CopyObject: %v", err)
		}
	},
	"multipart": func(t *testing.T, c *s3.Client, _, bucket, key string, acl types.ObjectCannedACL) {
		ctx := context.Background()
		up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), ACL: acl})
		if err != nil {
			t.Fatalf("CreateMultipartUpload: %v", err)
		}
		part, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key),
			UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("the only part")})
		if err != nil {
			t.Fatalf("UploadPart: %v", err)
		}
		_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
			UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{
				Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}})
		if err != nil {
			t.Fatalf("CompleteMultipartUpload: %v", err)
		}
	},
}

// TestOwnershipMatrix: 3 settings x writer same/other account x with/without
// bucket-owner-full-control x put/copy/multipart. Each case asserts the
// owner ListObjectVersions reports, and whether the bucket owner may
// GetObject / GetObjectAcl the result: only when it owns the object, or when
// (ACLs enabled) the writer's bucket-owner-full-control ACL granted it.
func TestOwnershipMatrix(t *testing.T) {
	settings := []string{ownershipWriter, ownershipPreferred, ownershipEnforced}
	var buckets []BucketSpec
	for _, s := range settings {
		buckets = append(buckets, BucketSpec{Name: "matrix-" + strings.ToLower(s), Account: acctB, Ownership: s, Writers: []string{acctC}})
	}
	buckets = append(buckets,
		BucketSpec{Name: "src-b", Account: acctB},
		BucketSpec{Name: "src-c", Account: acctC})
	env := newS3Env(t, s3TestScenario(buckets...))
	clients := map[string]*s3.Client{acctB: env.client(acctB), acctC: env.client(acctC)}
	srcOf := map[string]string{acctB: "src-b", acctC: "src-c"}
	ownerB, ownerC := CanonicalIDFor(acctB), CanonicalIDFor(acctC)
	ctx := context.Background()

	for _, setting := range settings {
		for _, writer := range []string{acctB, acctC} {
			for _, acl := range []types.ObjectCannedACL{"", types.ObjectCannedACLBucketOwnerFullControl} {
				for _, method := range []string{"put", "copy", "multipart"} {
					writerName := map[string]string{acctB: "same", acctC: "other"}[writer]
					aclName := map[types.ObjectCannedACL]string{"": "no-acl", types.ObjectCannedACLBucketOwnerFullControl: "bofc"}[acl]
					name := fmt.Sprintf("%s/%s/%s/%s", setting, writerName, aclName, method)
					t.Run(name, func(t *testing.T) {
						bucket := "matrix-" + strings.ToLower(setting)
						key := strings.ReplaceAll(name, "/", "-")
						writeMethods[method](t, clients[writer], srcOf[writer], bucket, key, acl)

						wantOwner := ownerB
						if writer == acctC && (setting == ownershipWriter || setting == ownershipPreferred && acl == "") {
							wantOwner = ownerC
						}
						if got := ownerOf(t, clients[acctB], bucket, key); got != wantOwner {
							t.Fatalf("owner: got %s, want %s", got, wantOwner)
						}
						// The bucket owner reads it when it owns it or the ACL
						// granted it FULL_CONTROL; never through its policies.
						bucketOwnerMayRead := wantOwner == ownerB || acl == types.ObjectCannedACLBucketOwnerFullControl
						_, getErr := clients[acctB].GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
						_, aclErr := clients[acctB].GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String(bucket), Key: aws.String(key)})
						if bucketOwnerMayRead {
							if getErr != nil || aclErr != nil {
								t.Fatalf("bucket owner read: GetObject %v, GetObjectAcl %v", getErr, aclErr)
							}
						} else {
							wantErr(t, getErr, "AccessDenied", 403)
							wantErr(t, aclErr, "AccessDenied", 403)
						}
						// The writer reads what it owns, and nothing it does not.
						_, err := clients[writer].GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
						if writerOwns := CanonicalIDFor(writer) == wantOwner; writerOwns != (err == nil) {
							t.Fatalf("writer GetObject: owns=%v err=%v", writerOwns, err)
						}
					})
				}
			}
		}
	}
}

// TestEnforceThenRevert: enforcing makes the bucket owner own every existing
// version; reverting restores the recorded writers, except for versions
// written while enforced.
func TestEnforceThenRevert(t *testing.T) {
	env := newS3Env(t, s3TestScenario(BucketSpec{Name: "widgets", Account: acctB, Ownership: ownershipWriter,
		Versioning: versioningEnabled, Writers: []string{acctC}}))
	b, c := env.client(acctB), env.client(acctC)
	ctx := context.Background()
	ownerB, ownerC := CanonicalIDFor(acctB), CanonicalIDFor(acctC)
	setOwnership := func(o types.ObjectOwnership) {
		t.Helper()
		_, err := b.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String("widgets"),
			OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: o}}}})
		if err != nil {
			t.Fatalf("PutBucketOwnershipControls %s: %v", o, err)
		}
	}
	get := func(cl *s3.Client, key string) error {
		_, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("widgets"), Key: aws.String(key)})
		return err
	}

	put(t, c, "widgets", "before", "written by C")
	if got := ownerOf(t, b, "widgets", "before"); got != ownerC {
		t.Fatalf("before enforcing: owner %s, want C", got)
	}
	wantErr(t, get(b, "before"), "AccessDenied", 403)

	setOwnership(types.ObjectOwnershipBucketOwnerEnforced)
	if got := ownerOf(t, b, "widgets", "before"); got != ownerB {
		t.Fatalf("enforced: owner %s, want B", got)
	}
	if err := get(b, "before"); err != nil {
		t.Fatalf("enforced: bucket owner GetObject: %v", err)
	}
	wantErr(t, get(c, "before"), "AccessDenied", 403)
	put(t, c, "widgets", "during", "written by C while enforced")
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("widgets"), Key: aws.String("public"),
		Body: strings.NewReader("x"), ACL: types.ObjectCannedACLPublicRead})
	wantErr(t, err, "AccessControlListNotSupported", 400)

	setOwnership(types.ObjectOwnershipObjectWriter)
	if got := ownerOf(t, b, "widgets", "before"); got != ownerC {
		t.Fatalf("reverted: owner of a pre-enforcement write %s, want C again", got)
	}
	if got := ownerOf(t, b, "widgets", "during"); got != ownerB {
		t.Fatalf("reverted: owner of a write made while enforced %s, want B", got)
	}
	wantErr(t, get(b, "before"), "AccessDenied", 403)

	// Deleting the controls behaves as ObjectWriter and reads as not found.
	if _, err := b.DeleteBucketOwnershipControls(ctx, &s3.DeleteBucketOwnershipControlsInput{Bucket: aws.String("widgets")}); err != nil {
		t.Fatalf("DeleteBucketOwnershipControls: %v", err)
	}
	_, err = b.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("widgets")})
	wantErr(t, err, "OwnershipControlsNotFoundError", 404)
	if got := ownerOf(t, b, "widgets", "before"); got != ownerC {
		t.Fatalf("controls deleted: owner %s, want C", got)
	}
}

// TestMotivatingCaseSeeded is the story ownerscan exists for, seeded from
// a scenario: C's object in B's ObjectWriter bucket is listed with C as
// owner, and B's principals get 403 on GetObject, HeadObject and
// GetObjectAcl whatever B's policies say. A noncurrent version and an
// external owner are seeded too.
func TestMotivatingCaseSeeded(t *testing.T) {
	env := newS3Env(t, s3TestScenario(BucketSpec{
		Name: "our-shared-widgets", Account: acctB, Ownership: ownershipWriter, Versioning: versioningEnabled,
		Writers: []string{acctC},
		Objects: []ObjectSpec{
			{Key: "file.ext", Uploader: acctC, Size: 15},
			{Key: "mine.txt", Size: 3},
			{Key: "history.txt", Uploader: acctC, Size: 7},
			{Key: "history.txt", Size: 8},
			{Key: "outsider.bin", Uploader: "external:" + externalOwner, Size: 1},
			{Key: "gone.txt", Uploader: acctC, Size: 2},
			{Key: "gone.txt", Uploader: acctC, Delete: true},
		},
	}))
	b := env.client(acctB)
	ctx := context.Background()
	vs, _ := listAllVersions(t, b, &s3.ListObjectVersionsInput{Bucket: aws.String("our-shared-widgets")})
	got := map[string]string{}
	for _, v := range vs {
		label := v.key
		if !v.latest {
			label += "(noncurrent)"
		}
		if v.marker {
			label += "(marker)"
		}
		got[label] = v.owner
	}
	want := map[string]string{
		"file.ext":                CanonicalIDFor(acctC),
		"mine.txt":                CanonicalIDFor(acctB),
		"history.txt":             CanonicalIDFor(acctB),
		"history.txt(noncurrent)": CanonicalIDFor(acctC),
		"outsider.bin":            externalOwner,
		"gone.txt(noncurrent)":    CanonicalIDFor(acctC),
		"gone.txt(marker)":        CanonicalIDFor(acctC),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("owners:\n got %v\nwant %v", got, want)
	}
	_, err := b.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("our-shared-widgets"), Key: aws.String("file.ext")})
	wantErr(t, err, "AccessDenied", 403)
	_, err = b.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("our-shared-widgets"), Key: aws.String("file.ext")})
	wantErr(t, err, "AccessDenied", 403)
	_, err = b.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("our-shared-widgets"), Key: aws.String("file.ext")})
	wantErr(t, err, "Forbidden", 403) // HEAD errors have no body: the SDK uses the status text
	if body := getBody(t, b, "our-shared-widgets", "mine.txt"); len(body) != 3 {
		t.Fatalf("seeded content: %q, want 3 bytes", body)
	}
	// C reads its own object; its ACL names C as owner.
	c := env.client(acctC)
	if body := getBody(t, c, "our-shared-widgets", "file.ext"); len(body) != 15 {
		t.Fatalf("C's object: %d bytes, want 15", len(body))
	}
	acl, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("our-shared-widgets"), Key: aws.String("file.ext")})
	if err != nil || aws.ToString(acl.Owner.ID) != CanonicalIDFor(acctC) || len(acl.Grants) != 1 {
		t.Fatalf("GetObjectAcl by C: %+v, %v", acl, err)
	}
}

// TestSeededEnforcedBucketRemembersWriters: objects seeded into an
// enforced bucket count as written before enforcement.
func TestSeededEnforcedBucketRemembersWriters(t *testing.T) {
	env := newS3Env(t, s3TestScenario(BucketSpec{Name: "enforced", Account: acctB, Writers: []string{acctC},
		Objects: []ObjectSpec{{Key: "k", Uploader: acctC, Size: 1}}}))
	b := env.client(acctB)
	if got := ownerOf(t, b, "enforced", "k"); got != CanonicalIDFor(acctB) {
		t.Fatalf("enforced: owner %s, want B", got)
	}
	_, err := b.PutBucketOwnershipControls(context.Background(), &s3.PutBucketOwnershipControlsInput{Bucket: aws.String("enforced"),
		OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipBucketOwnerPreferred}}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := ownerOf(t, b, "enforced", "k"); got != CanonicalIDFor(acctC) {
		t.Fatalf("reverted: owner %s, want C", got)
	}
}

// TestConcurrentWritesListsAndOwnershipChanges runs writers, listers and
// ownership flips at once (for -race) and then checks every write landed.
func TestConcurrentWritesListsAndOwnershipChanges(t *testing.T) {
	env := newS3Env(t, s3TestScenario(BucketSpec{Name: "busy", Account: acctB, Ownership: ownershipWriter,
		Versioning: versioningEnabled, Writers: []string{acctC}}))
	b, c := env.client(acctB), env.client(acctC)
	ctx := context.Background()
	const writes = 40
	errs := make(chan error, 4*writes)
	done := make(chan struct{})
	for w, cl := range []*s3.Client{b, c} {
		go func() {
			for i := range writes {
				_, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("busy"), Key: aws.String(fmt.Sprintf("w%d/%02d", w, i)),
					Body: strings.NewReader("x")})
				errs <- err
			}
		}()
	}
	go func() {
		for i := range writes {
			o := types.ObjectOwnershipBucketOwnerEnforced
			if i%2 == 1 {
				o = types.ObjectOwnershipObjectWriter
			}
			_, err := b.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String("busy"),
				OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: o}}}})
			errs <- err
		}
	}()
	go func() {
		for range writes {
			_, err := b.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("busy")})
			errs <- err
		}
		close(done)
	}()
	for range 4 * writes {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	<-done
	vs, _ := listAllVersions(t, b, &s3.ListObjectVersionsInput{Bucket: aws.String("busy")})
	if len(vs) != 2*writes {
		t.Fatalf("%d versions after %d writes", len(vs), 2*writes)
	}
}
