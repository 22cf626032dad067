package fakeaws

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func bucketScenario() *Scenario {
	return s3TestScenario(
		BucketSpec{Name: "b-east", Account: acctB},
		BucketSpec{Name: "b-west", Account: acctB, Region: "eu-west-1", Ownership: OwnershipUnset},
		BucketSpec{Name: "b-acl", Account: acctB, Ownership: ownershipWriter,
			ACL: []GrantSpec{{Grantee: "AllUsers", Permission: "READ"}, {Grantee: acctD, Permission: "READ_ACP"}}},
		BucketSpec{Name: "a-first", Account: acctB, Ownership: ownershipPreferred},
		BucketSpec{Name: "c-own", Account: acctC},
	)
}

func TestListBuckets(t *testing.T) {
	env := newS3Env(t, bucketScenario())
	ctx := context.Background()
	b := env.client(acctB)

	out, err := b.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, bk := range out.Buckets {
		names = append(names, aws.ToString(bk.Name))
		if bk.BucketRegion != nil {
			t.Errorf("unpaginated ListBuckets returned BucketRegion for %s", aws.ToString(bk.Name))
		}
	}
	if got := strings.Join(names, ","); got != "a-first,b-acl,b-east,b-west" {
		t.Fatalf("buckets of B: %s", got)
	}
	if aws.ToString(out.Owner.ID) != CanonicalIDFor(acctB) || out.Owner.DisplayName != nil {
		t.Fatalf("owner: %+v", out.Owner)
	}

	// Paginated: pages of one, BucketRegion present, exact sequence.
	p := s3.NewListBucketsPaginator(b, &s3.ListBucketsInput{MaxBuckets: aws.Int32(1)})
	var paged []string
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, bk := range page.Buckets {
			paged = append(paged, aws.ToString(bk.Name)+"@"+aws.ToString(bk.BucketRegion))
		}
	}
	if got := strings.Join(paged, ","); pages != 4 || got != "a-first@us-east-1,b-acl@us-east-1,b-east@us-east-1,b-west@eu-west-1" {
		t.Fatalf("paginated (%d pages): %s", pages, got)
	}

	// Filters.
	out, err = b.ListBuckets(ctx, &s3.ListBucketsInput{Prefix: aws.String("b-"), BucketRegion: aws.String("eu-west-1")})
	if err != nil || len(out.Buckets) != 1 || aws.ToString(out.Buckets[0].Name) != "b-west" || aws.ToString(out.Prefix) != "b-" {
		t.Fatalf("filtered: %+v %v", out, err)
	}
	_, err = b.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(10001)})
	wantErr(t, err, "InvalidArgument", 400)

	// Each account sees only its own.
	out, err = env.client(acctC).ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(out.Buckets) != 1 || aws.ToString(out.Owner.ID) != CanonicalIDFor(acctC) {
		t.Fatalf("C's buckets: %+v %v", out, err)
	}
}

func TestHeadBucketAndLocation(t *testing.T) {
	env := newS3Env(t, bucketScenario())
	ctx := context.Background()
	b := env.client(acctB)
	out, err := b.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("b-east")})
	if err != nil || aws.ToString(out.BucketRegion) != "us-east-1" {
		t.Fatalf("HeadBucket: %+v %v", out, err)
	}
	_, err = b.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("no-such-bucket")})
	wantErr(t, err, "NotFound", 404)
	_, err = env.client(acctD).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("b-east")})
	wantErr(t, err, "Forbidden", 403)
	if r := responseHeader(err, "x-amz-bucket-region"); r != "us-east-1" {
		t.Fatalf("403 HeadBucket region header %q", r)
	}
	// Wrong region: 301 without a body, region in the header.
	_, err = b.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("b-west")})
	wantErr(t, err, "MovedPermanently", 301)
	if r := responseHeader(err, "x-amz-bucket-region"); r != "eu-west-1" {
		t.Fatalf("301 HeadBucket region header %q", r)
	}
	out, err = env.client(acctB, "eu-west-1").HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("b-west")})
	if err != nil || aws.ToString(out.BucketRegion) != "eu-west-1" {
		t.Fatalf("HeadBucket in region: %+v %v", out, err)
	}

	// GetBucketLocation answers from any region; empty for us-east-1.
	loc, err := b.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("b-west")})
	if err != nil || loc.LocationConstraint != "eu-west-1" {
		t.Fatalf("GetBucketLocation b-west: %+v %v", loc, err)
	}
	loc, err = b.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("b-east")})
	if err != nil || loc.LocationConstraint != "" {
		t.Fatalf("GetBucketLocation b-east: %+v %v", loc, err)
	}
	_, err = env.client(acctC).GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("b-east")})
	wantErr(t, err, "AccessDenied", 403)
}

func TestPermanentRedirect(t *testing.T) {
	env := newS3Env(t, bucketScenario())
	ctx := context.Background()
	west := env.client(acctB, "eu-west-1")
	_, err := west.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("b-east")})
	wantErr(t, err, "PermanentRedirect", 301)
	if r := responseHeader(err, "x-amz-bucket-region"); r != "us-east-1" {
		t.Fatalf("region header %q", r)
	}
	_, err = west.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("b-east")})
	wantErr(t, err, "PermanentRedirect", 301)
	_, err = west.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b-east"), Key: aws.String("k")})
	wantErr(t, err, "PermanentRedirect", 301)
	// A missing bucket is 404 whatever the region.
	_, err = west.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("nope-nope")})
	wantErr(t, err, "NoSuchBucket", 404)
}

func TestCreateBucket(t *testing.T) {
	env := newS3Env(t, bucketScenario())
	ctx := context.Background()
	c := env.client(acctC)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("c-new")}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	oc, err := c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("c-new")})
	if err != nil || oc.OwnershipControls.Rules[0].ObjectOwnership != types.ObjectOwnershipBucketOwnerEnforced {
		t.Fatalf("default ownership: %+v %v", oc, err)
	}
	cw := env.client(acctC, "eu-west-1")
	_, err = cw.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("c-west"), ObjectOwnership: types.ObjectOwnershipObjectWriter,
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintEuWest1}})
	if err != nil {
		t.Fatalf("CreateBucket eu-west-1: %v", err)
	}
	if _, owner, _ := env.srv.Emulator.s3.bucketInfo("c-west"); owner != "eu-west-1" {
		t.Fatalf("c-west region %q", owner)
	}
	oc, err = cw.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("c-west")})
	if err != nil || oc.OwnershipControls.Rules[0].ObjectOwnership != types.ObjectOwnershipObjectWriter {
		t.Fatalf("x-amz-object-ownership: %+v %v", oc, err)
	}
	out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(out.Buckets) != 3 {
		t.Fatalf("C's buckets after create: %+v %v", out, err)
	}

	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("c-new")})
	wantErr(t, err, "BucketAlreadyOwnedByYou", 409)
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("b-east")})
	wantErr(t, err, "BucketAlreadyExists", 409)
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("Bad_Name")})
	wantErr(t, err, "InvalidBucketName", 400)
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("c-mismatch"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintEuWest1}})
	wantErr(t, err, "IllegalLocationConstraintException", 400)
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("c-public"), ACL: types.BucketCannedACLPublicRead})
	wantErr(t, err, "InvalidBucketAclWithObjectOwnership", 400)
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("c-public"), ACL: types.BucketCannedACLPublicRead,
		ObjectOwnership: types.ObjectOwnershipBucketOwnerPreferred})
	if err != nil {
		t.Fatalf("public bucket with ACLs enabled: %v", err)
	}
	acl, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("c-public")})
	if err != nil || len(acl.Grants) != 2 || aws.ToString(acl.Grants[1].Grantee.URI) != groupAllUsers {
		t.Fatalf("public-read bucket ACL: %+v %v", acl, err)
	}
}

func TestOwnershipControlsErrors(t *testing.T) {
	env := newS3Env(t, bucketScenario())
	ctx := context.Background()
	b := env.client(acctB)
	_, err := env.client(acctB, "eu-west-1").GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("b-west")})
	wantErr(t, err, "OwnershipControlsNotFoundError", 404)
	_, err = env.client(acctC).GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("b-east")})
	wantErr(t, err, "AccessDenied", 403)
	// b-acl grants AllUsers READ: enforcing is refused until the grant goes.
	enforce := &s3.PutBucketOwnershipControlsInput{Bucket: aws.String("b-acl"),
		OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced}}}}
	_, err = b.PutBucketOwnershipControls(ctx, enforce)
	wantErr(t, err, "InvalidBucketAclWithObjectOwnership", 400)
	if _, err := b.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("b-acl"), ACL: types.BucketCannedACLPrivate}); err != nil {
		t.Fatalf("PutBucketAcl private: %v", err)
	}
	if _, err := b.PutBucketOwnershipControls(ctx, enforce); err != nil {
		t.Fatalf("enforce after removing grants: %v", err)
	}
	_, err = b.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("b-acl"), ACL: types.BucketCannedACLPublicRead})
	wantErr(t, err, "AccessControlListNotSupported", 400)
}

func TestBucketACL(t *testing.T) {
	env := newS3Env(t, bucketScenario())
	ctx := context.Background()
	b := env.client(acctB)
	acl, err := b.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("b-acl")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range acl.Grants {
		got = append(got, fmt.Sprintf("%s:%s%s:%s", g.Grantee.Type, aws.ToString(g.Grantee.ID), aws.ToString(g.Grantee.URI), g.Permission))
	}
	want := []string{
		"CanonicalUser:" + CanonicalIDFor(acctB) + ":FULL_CONTROL",
		"Group:" + groupAllUsers + ":READ",
		"CanonicalUser:" + CanonicalIDFor(acctD) + ":READ_ACP",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || aws.ToString(acl.Owner.ID) != CanonicalIDFor(acctB) {
		t.Fatalf("grants:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// D has READ_ACP; C has nothing.
	if _, err := env.client(acctD).GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("b-acl")}); err != nil {
		t.Fatalf("GetBucketAcl with READ_ACP grant: %v", err)
	}
	_, err = env.client(acctC).GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("b-east")})
	wantErr(t, err, "AccessDenied", 403)

	// An AccessControlPolicy body with an xsi:type grantee.
	_, err = b.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("a-first"), AccessControlPolicy: &types.AccessControlPolicy{
		Owner: &types.Owner{ID: aws.String(CanonicalIDFor(acctB))},
		Grants: []types.Grant{
			{Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String(CanonicalIDFor(acctB))}, Permission: types.PermissionFullControl},
			{Grantee: &types.Grantee{Type: types.TypeGroup, URI: aws.String(groupLogDelivery)}, Permission: types.PermissionWrite},
			{Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String(CanonicalIDFor(acctC))}, Permission: types.PermissionRead},
		}}})
	if err != nil {
		t.Fatalf("PutBucketAcl XML: %v", err)
	}
	acl, err = b.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("a-first")})
	if err != nil || len(acl.Grants) != 3 || aws.ToString(acl.Grants[1].Grantee.URI) != groupLogDelivery ||
		aws.ToString(acl.Grants[2].Grantee.ID) != CanonicalIDFor(acctC) {
		t.Fatalf("after PutBucketAcl: %+v %v", acl, err)
	}
	// C's READ grant now lets C list a-first.
	if _, err := env.client(acctC).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("a-first")}); err != nil {
		t.Fatalf("list with READ grant: %v", err)
	}
	// On the enforced bucket only the owner's full control is accepted.
	_, err = b.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("b-east"), AccessControlPolicy: &types.AccessControlPolicy{
		Owner: &types.Owner{ID: aws.String(CanonicalIDFor(acctB))},
		Grants: []types.Grant{
			{Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String(CanonicalIDFor(acctC))}, Permission: types.PermissionRead},
		}}})
	wantErr(t, err, "AccessControlListNotSupported", 400)
	if _, err := b.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("b-east"), ACL: types.BucketCannedACLPrivate}); err != nil {
		t.Fatalf("private ACL on enforced bucket: %v", err)
	}
}

func TestBucketVersioning(t *testing.T) {
	env := newS3Env(t, bucketScenario())
	ctx := context.Background()
	b := env.client(acctB)
	v, err := b.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("b-east")})
	if err != nil || v.Status != "" {
		t.Fatalf("never versioned: %+v %v", v, err)
	}
	for _, s := range []types.BucketVersioningStatus{types.BucketVersioningStatusEnabled, types.BucketVersioningStatusSuspended} {
		_, err = b.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("b-east"),
			VersioningConfiguration: &types.VersioningConfiguration{Status: s}})
		if err != nil {
			t.Fatalf("PutBucketVersioning %s: %v", s, err)
		}
		v, err = b.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("b-east")})
		if err != nil || v.Status != s {
			t.Fatalf("GetBucketVersioning after %s: %+v %v", s, v, err)
		}
	}
	_, err = env.client(acctC).GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("b-east")})
	wantErr(t, err, "AccessDenied", 403)
}

func TestVirtualHostAddressing(t *testing.T) {
	env := newS3Env(t, bucketScenario())
	ctx := context.Background()
	vh := env.virtualHostClient(acctB)
	put(t, vh, "b-east", "dir/file name.txt", "hello")
	if got := getBody(t, vh, "b-east", "dir/file name.txt"); got != "hello" {
		t.Fatalf("virtual host GetObject: %q", got)
	}
	// The same object through path style.
	if got := getBody(t, env.client(acctB), "b-east", "dir/file name.txt"); got != "hello" {
		t.Fatalf("path style GetObject: %q", got)
	}
	out, err := vh.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(out.Buckets) != 4 {
		t.Fatalf("ListBuckets via localhost: %+v %v", out, err)
	}
}

func TestClassifyS3(t *testing.T) {
	cases := []struct{ method, target, host, header, op, bucket, key string }{
		{"GET", "/?x-id=ListBuckets", "127.0.0.1", "", "ListBuckets", "", ""},
		{"GET", "/b?versions=&prefix=x", "127.0.0.1", "", "ListObjectVersions", "b", ""},
		{"GET", "/b?list-type=2", "127.0.0.1", "", "ListObjectsV2", "b", ""},
		{"GET", "/b?ownershipControls=", "127.0.0.1", "", "GetBucketOwnershipControls", "b", ""},
		{"GET", "/b?ownershipControls", "127.0.0.1", "", "GetBucketOwnershipControls", "b", ""},
		{"PUT", "/b", "127.0.0.1", "", "CreateBucket", "b", ""},
		{"HEAD", "/b", "127.0.0.1", "", "HeadBucket", "b", ""},
		{"PUT", "/b/k/with/slashes?x-id=PutObject", "127.0.0.1", "", "PutObject", "b", "k/with/slashes"},
		{"PUT", "/b/k", "127.0.0.1", "src/k", "CopyObject", "b", "k"},
		{"GET", "/k?acl=", "b.localhost:4566", "", "GetObjectAcl", "b", "k"},
		{"GET", "/?location=", "b.s3.us-east-1.amazonaws.com", "", "GetBucketLocation", "b", ""},
		{"POST", "/b/k?uploads=", "localhost", "", "CreateMultipartUpload", "b", "k"},
		{"PUT", "/b/k?partNumber=1&uploadId=u", "localhost", "", "UploadPart", "b", "k"},
		{"POST", "/b/k?uploadId=u", "localhost", "", "CompleteMultipartUpload", "b", "k"},
		{"DELETE", "/b/k?versionId=v", "localhost", "", "DeleteObject", "b", "k"},
		{"DELETE", "/b?ownershipControls=", "localhost", "", "DeleteBucketOwnershipControls", "b", ""},
	}
	for _, c := range cases {
		r := httptest.NewRequest(c.method, c.target, nil)
		r.Host = c.host
		if c.header != "" {
			r.Header.Set("X-Amz-Copy-Source", c.header)
		}
		op, bucket, key := classifyS3(r, r.URL.Query())
		if op != c.op || bucket != c.bucket || key != c.key {
			t.Errorf("%s %s (Host %s): got %s %q %q, want %s %q %q", c.method, c.target, c.host, op, bucket, key, c.op, c.bucket, c.key)
		}
	}
}
