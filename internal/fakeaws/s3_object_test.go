package fakeaws

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func objectScenario() *Scenario {
	return s3TestScenario(
		BucketSpec{Name: "versioned", Account: acctB, Versioning: versioningEnabled, Ownership: ownershipWriter, Writers: []string{acctC}},
		BucketSpec{Name: "plain", Account: acctB, Writers: []string{acctC}},
		BucketSpec{Name: "suspended", Account: acctB, Versioning: versioningSuspended},
		BucketSpec{Name: "c-bucket", Account: acctC},
	)
}

func TestPutGetVersionsAndDeleteMarkers(t *testing.T) {
	env := newS3Env(t, objectScenario())
	ctx := context.Background()
	b := env.client(acctB)
	v1 := put(t, b, "versioned", "doc.txt", "first", func(in *s3.PutObjectInput) { in.ContentType = aws.String("text/plain") })
	v2 := put(t, b, "versioned", "doc.txt", "second")
	sum := md5.Sum([]byte("second"))
	if aws.ToString(v2.ETag) != `"`+hex.EncodeToString(sum[:])+`"` {
		t.Fatalf("ETag %s is not the md5 of the content", aws.ToString(v2.ETag))
	}
	if aws.ToString(v1.VersionId) == aws.ToString(v2.VersionId) || len(aws.ToString(v1.VersionId)) != 32 {
		t.Fatalf("version IDs %q %q", aws.ToString(v1.VersionId), aws.ToString(v2.VersionId))
	}
	if got := getBody(t, b, "versioned", "doc.txt"); got != "second" {
		t.Fatalf("latest: %q", got)
	}
	old, err := b.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("versioned"), Key: aws.String("doc.txt"), VersionId: v1.VersionId})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(old.Body)
	old.Body.Close()
	if string(body) != "first" || aws.ToString(old.ContentType) != "text/plain" || aws.ToString(old.VersionId) != aws.ToString(v1.VersionId) {
		t.Fatalf("version 1: %q %q %q", body, aws.ToString(old.ContentType), aws.ToString(old.VersionId))
	}
	// Deterministic clock: the bucket's first write is at the base time.
	if !old.LastModified.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("LastModified %v", old.LastModified)
	}
	rng, err := b.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("versioned"), Key: aws.String("doc.txt"), Range: aws.String("bytes=1-3")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(rng.Body)
	rng.Body.Close()
	if string(body) != "eco" {
		t.Fatalf("range: %q", body)
	}

	del, err := b.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("versioned"), Key: aws.String("doc.txt")})
	if err != nil || !aws.ToBool(del.DeleteMarker) || aws.ToString(del.VersionId) == "" {
		t.Fatalf("DeleteObject: %+v %v", del, err)
	}
	_, err = b.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("versioned"), Key: aws.String("doc.txt")})
	wantErr(t, err, "NoSuchKey", 404)
	if responseHeader(err, "x-amz-delete-marker") != "true" {
		t.Fatalf("404 behind a delete marker lacks x-amz-delete-marker")
	}
	_, err = b.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("versioned"), Key: aws.String("doc.txt"), VersionId: del.VersionId})
	wantErr(t, err, "MethodNotAllowed", 405)
	_, err = b.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("versioned"), Key: aws.String("doc.txt"), VersionId: aws.String("0123456789abcdef0123456789abcdef")})
	wantErr(t, err, "NoSuchVersion", 404)
	vs, _ := listAllVersions(t, b, &s3.ListObjectVersionsInput{Bucket: aws.String("versioned")})
	if len(vs) != 3 {
		t.Fatalf("versions after delete: %+v", vs)
	}
	// Removing the marker by version ID brings the object back.
	del2, err := b.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("versioned"), Key: aws.String("doc.txt"), VersionId: del.VersionId})
	if err != nil || !aws.ToBool(del2.DeleteMarker) || aws.ToString(del2.VersionId) != aws.ToString(del.VersionId) {
		t.Fatalf("delete marker removal: %+v %v", del2, err)
	}
	if got := getBody(t, b, "versioned", "doc.txt"); got != "second" {
		t.Fatalf("after removing the marker: %q", got)
	}
	// Deleting a version by ID.
	if _, err := b.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("versioned"), Key: aws.String("doc.txt"), VersionId: v2.VersionId}); err != nil {
		t.Fatal(err)
	}
	if got := getBody(t, b, "versioned", "doc.txt"); got != "first" {
		t.Fatalf("after deleting v2: %q", got)
	}
	h, err := b.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("versioned"), Key: aws.String("doc.txt")})
	if err != nil || aws.ToInt64(h.ContentLength) != 5 || aws.ToString(h.VersionId) != aws.ToString(v1.VersionId) {
		t.Fatalf("HeadObject: %+v %v", h, err)
	}
}

func TestUnversionedAndSuspended(t *testing.T) {
	env := newS3Env(t, objectScenario())
	ctx := context.Background()
	b := env.client(acctB)
	for _, bucket := range []string{"plain", "suspended"} {
		put(t, b, bucket, "k", "one")
		put(t, b, bucket, "k", "two")
		vs, _ := listAllVersions(t, b, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
		if len(vs) != 1 || vs[0].id != "null" || !vs[0].latest {
			t.Fatalf("%s: versions %+v, want one null version", bucket, vs)
		}
	}
	if _, err := b.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("plain"), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	_, err := b.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("plain"), Key: aws.String("k")})
	wantErr(t, err, "NoSuchKey", 404)
	_, err = b.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("plain"), Key: aws.String("k")})
	wantErr(t, err, "NotFound", 404)
	// Suspended: a delete leaves a null delete marker in place of the null version.
	del, err := b.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("suspended"), Key: aws.String("k")})
	if err != nil || aws.ToString(del.VersionId) != "null" || !aws.ToBool(del.DeleteMarker) {
		t.Fatalf("suspended delete: %+v %v", del, err)
	}
	vs, _ := listAllVersions(t, b, &s3.ListObjectVersionsInput{Bucket: aws.String("suspended")})
	if len(vs) != 1 || !vs[0].marker || vs[0].id != "null" {
		t.Fatalf("suspended versions %+v", vs)
	}
	_, err = b.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("nonexistent-bucket"), Key: aws.String("k")})
	wantErr(t, err, "NoSuchBucket", 404)
}

func TestObjectAccessAndACLErrors(t *testing.T) {
	env := newS3Env(t, objectScenario())
	ctx := context.Background()
	b, c, d := env.client(acctB), env.client(acctC), env.client(acctD)
	_, err := d.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("plain"), Key: aws.String("k"), Body: strings.NewReader("x")})
	wantErr(t, err, "AccessDenied", 403)
	put(t, c, "plain", "from-c", "x") // C is a writer; the bucket is enforced, so B owns it
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("plain"), Key: aws.String("from-c")})
	wantErr(t, err, "AccessDenied", 403)
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("plain")})
	wantErr(t, err, "AccessDenied", 403)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("plain"), Key: aws.String("k"), Body: strings.NewReader("x"),
		ACL: types.ObjectCannedACLPublicRead})
	wantErr(t, err, "AccessControlListNotSupported", 400)
	_, err = b.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("plain"), Key: aws.String("k"), Body: strings.NewReader("x"),
		ACL: types.ObjectCannedACL("no-such-acl")})
	wantErr(t, err, "InvalidArgument", 400)
	_, err = b.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("plain"), Key: aws.String(strings.Repeat("k", 1025)), Body: strings.NewReader("x")})
	wantErr(t, err, "KeyTooLongError", 400)

	// public-read on an ObjectWriter bucket lets anyone authenticated read.
	put(t, c, "versioned", "public", "for all", func(in *s3.PutObjectInput) { in.ACL = types.ObjectCannedACLPublicRead })
	if got := getBody(t, d, "versioned", "public"); got != "for all" {
		t.Fatalf("public-read object read by D: %q", got)
	}
	acl, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("versioned"), Key: aws.String("public")})
	if err != nil || len(acl.Grants) != 2 || aws.ToString(acl.Grants[1].Grantee.URI) != groupAllUsers {
		t.Fatalf("public-read object ACL: %+v %v", acl, err)
	}
	// GetObjectAcl of a specific version.
	first := put(t, c, "versioned", "acl-versions", "a", func(in *s3.PutObjectInput) { in.ACL = types.ObjectCannedACLBucketOwnerFullControl })
	put(t, c, "versioned", "acl-versions", "b")
	acl, err = b.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("versioned"), Key: aws.String("acl-versions"), VersionId: first.VersionId})
	if err != nil || aws.ToString(acl.Owner.ID) != CanonicalIDFor(acctC) || len(acl.Grants) != 2 ||
		aws.ToString(acl.Grants[1].Grantee.ID) != CanonicalIDFor(acctB) || acl.Grants[1].Permission != types.PermissionFullControl {
		t.Fatalf("GetObjectAcl version 1 (bofc): %+v %v", acl, err)
	}
	_, err = b.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("versioned"), Key: aws.String("acl-versions")})
	wantErr(t, err, "AccessDenied", 403)
}

func TestCopyObject(t *testing.T) {
	env := newS3Env(t, objectScenario())
	ctx := context.Background()
	b, c := env.client(acctB), env.client(acctC)
	v1 := put(t, b, "versioned", "src key+%.txt", "version one")
	put(t, b, "versioned", "src key+%.txt", "version two")
	out, err := b.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("plain"), Key: aws.String("copy"),
		CopySource: aws.String("versioned/src%20key%2B%25.txt?versionId=" + aws.ToString(v1.VersionId))})
	if err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	sum := md5.Sum([]byte("version one"))
	if aws.ToString(out.CopyObjectResult.ETag) != `"`+hex.EncodeToString(sum[:])+`"` || aws.ToString(out.CopySourceVersionId) != aws.ToString(v1.VersionId) {
		t.Fatalf("CopyObject result: %+v", out)
	}
	if got := getBody(t, b, "plain", "copy"); got != "version one" {
		t.Fatalf("copied content %q", got)
	}
	_, err = b.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("plain"), Key: aws.String("copy"), CopySource: aws.String("versioned/missing")})
	wantErr(t, err, "NoSuchKey", 404)
	_, err = b.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("plain"), Key: aws.String("copy"), CopySource: aws.String("no-bucket-here/x")})
	wantErr(t, err, "NoSuchBucket", 404)
	// C may write into plain but cannot read B's object to copy it.
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("plain"), Key: aws.String("stolen"), CopySource: aws.String("versioned/src%20key%2B%25.txt")})
	wantErr(t, err, "AccessDenied", 403)
}

func TestMultipartErrors(t *testing.T) {
	env := newS3Env(t, objectScenario())
	ctx := context.Background()
	b := env.client(acctB)
	bucket, key := aws.String("plain"), aws.String("big")
	up, err := b.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("x"), minPartSize)
	p1, err := b.UploadPart(ctx, &s3.UploadPartInput{Bucket: bucket, Key: key, UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(big)})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := b.UploadPart(ctx, &s3.UploadPartInput{Bucket: bucket, Key: key, UploadId: up.UploadId, PartNumber: aws.Int32(2), Body: strings.NewReader("tail")})
	if err != nil {
		t.Fatal(err)
	}
	complete := func(parts ...types.CompletedPart) error {
		_, err := b.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: bucket, Key: key, UploadId: up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
		return err
	}
	part := func(n int32, etag *string) types.CompletedPart {
		return types.CompletedPart{PartNumber: aws.Int32(n), ETag: etag}
	}
	wantErr(t, complete(part(2, p2.ETag), part(1, p1.ETag)), "InvalidPartOrder", 400)
	wantErr(t, complete(part(1, p1.ETag), part(2, aws.String(`"00000000000000000000000000000000"`))), "InvalidPart", 400)
	wantErr(t, complete(part(2, p2.ETag), part(3, p2.ETag)), "InvalidPart", 400)
	small, err := b.UploadPart(ctx, &s3.UploadPartInput{Bucket: bucket, Key: key, UploadId: up.UploadId, PartNumber: aws.Int32(3), Body: strings.NewReader("s")})
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, complete(part(2, p2.ETag), part(3, small.ETag)), "EntityTooSmall", 400)
	if err := complete(part(1, p1.ETag), part(2, p2.ETag)); err != nil {
		t.Fatalf("complete: %v", err)
	}
	h, err := b.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: key})
	if err != nil || aws.ToInt64(h.ContentLength) != int64(minPartSize+4) || !strings.HasSuffix(aws.ToString(h.ETag), `-2"`) {
		t.Fatalf("multipart object: %+v %v", h, err)
	}
	wantErr(t, complete(part(1, p1.ETag)), "NoSuchUpload", 404)
	_, err = b.UploadPart(ctx, &s3.UploadPartInput{Bucket: bucket, Key: key, UploadId: aws.String("nope"), PartNumber: aws.Int32(1), Body: strings.NewReader("x")})
	wantErr(t, err, "NoSuchUpload", 404)
	up2, err := b.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: bucket, Key: key, UploadId: up2.UploadId}); err != nil {
		t.Fatalf("abort: %v", err)
	}
	_, err = b.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: bucket, Key: key, UploadId: up2.UploadId})
	wantErr(t, err, "NoSuchUpload", 404)
	_, err = env.client(acctD).CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: key})
	wantErr(t, err, "AccessDenied", 403)
}

// TestIntegrityHeaders drives the handler directly, since the SDK always
// sends correct checksums: wrong or missing integrity headers on
// PutBucketOwnershipControls, and a wrong payload hash.
func TestIntegrityHeaders(t *testing.T) {
	st, err := newS3Store(s3TestScenario(BucketSpec{Name: "b", Account: acctB, Ownership: ownershipWriter}))
	if err != nil {
		t.Fatal(err)
	}
	caller := &Caller{AccountID: acctB, CanonicalID: CanonicalIDFor(acctB), Region: "us-east-1"}
	body := `<OwnershipControls xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ObjectOwnership>BucketOwnerPreferred</ObjectOwnership></Rule></OwnershipControls>`
	cases := []struct {
		name    string
		headers map[string]string
		status  int
		code    string
	}{
		{"crc32 ok", map[string]string{"X-Amz-Checksum-Crc32": crc32Of([]byte(body))}, 200, ""},
		{"crc32 wrong", map[string]string{"X-Amz-Checksum-Crc32": "AAAAAA=="}, 400, "BadDigest"},
		{"content-md5 wrong", map[string]string{"Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg=="}, 400, "BadDigest"},
		{"content-md5 malformed", map[string]string{"Content-MD5": "zz"}, 400, "InvalidDigest"},
		{"none", nil, 400, "InvalidRequest"},
		{"sha256 mismatch", map[string]string{"X-Amz-Checksum-Crc32": crc32Of([]byte(body)),
			"X-Amz-Content-Sha256": strings.Repeat("0", 64)}, 400, "XAmzContentSHA256Mismatch"},
	}
	for _, c := range cases {
		r := httptest.NewRequest(http.MethodPut, "/b?ownershipControls=", strings.NewReader(body))
		for k, v := range c.headers {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		st.serve(w, r, caller)
		if w.Code != c.status || (c.code != "" && !strings.Contains(w.Body.String(), "<Code>"+c.code+"</Code>")) {
			t.Errorf("%s: %d %s, want %d %s", c.name, w.Code, w.Body.String(), c.status, c.code)
		}
	}
}

// TestDeterministicIDs: the same scenario and the same writes give the same
// version IDs, ETags and timestamps.
func TestDeterministicIDs(t *testing.T) {
	run := func() string {
		env := newS3Env(t, objectScenario())
		b := env.client(acctB)
		put(t, b, "versioned", "a", "1")
		put(t, b, "versioned", "a", "2")
		put(t, b, "versioned", "b", "3")
		out, err := b.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: aws.String("versioned")})
		if err != nil {
			t.Fatal(err)
		}
		var sb strings.Builder
		for _, v := range out.Versions {
			sb.WriteString(aws.ToString(v.Key) + " " + aws.ToString(v.VersionId) + " " + aws.ToString(v.ETag) + " " + v.LastModified.String() + "\n")
		}
		return sb.String()
	}
	if a, b := run(), run(); a != b || a == "" {
		t.Fatalf("listings differ:\n%s\n%s", a, b)
	}
}

// TestAWSChunkedUpload: a PutObject body in aws-chunked encoding with a
// trailing checksum (what SDKs send over HTTPS) is decoded and verified.
func TestAWSChunkedUpload(t *testing.T) {
	st, err := newS3Store(s3TestScenario(BucketSpec{Name: "b", Account: acctB}))
	if err != nil {
		t.Fatal(err)
	}
	caller := &Caller{AccountID: acctB, CanonicalID: CanonicalIDFor(acctB), Region: "us-east-1"}
	send := func(method, target, body string, headers map[string]string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		for k, v := range headers {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		st.serve(w, r, caller)
		return w
	}
	chunked := func(crc string) string {
		return "5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:" + crc + "\r\n\r\n"
	}
	headers := map[string]string{"Content-Encoding": "aws-chunked", "X-Amz-Content-Sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
		"X-Amz-Trailer": "x-amz-checksum-crc32", "X-Amz-Decoded-Content-Length": "11"}
	if w := send(http.MethodPut, "/b/k", chunked(crc32Of([]byte("hello world"))), headers); w.Code != 200 {
		t.Fatalf("chunked put: %d %s", w.Code, w.Body.String())
	}
	if w := send(http.MethodGet, "/b/k", "", nil); w.Body.String() != "hello world" {
		t.Fatalf("stored %q", w.Body.String())
	}
	if w := send(http.MethodPut, "/b/k", chunked("AAAAAA=="), headers); w.Code != 400 || !strings.Contains(w.Body.String(), "BadDigest") {
		t.Fatalf("bad trailing checksum: %d %s", w.Code, w.Body.String())
	}
	if w := send(http.MethodPut, "/b/k", "zz\r\nx", headers); w.Code != 400 {
		t.Fatalf("malformed chunks: %d", w.Code)
	}
}

// TestGrantHeadersOnWrite: a write with x-amz-grant-* headers gets exactly
// those grants as its ACL, and they give access while ACLs are enabled: a
// READ grant lets the grantee read the object, and GetObjectAcl shows it.
// Before, the emulator accepted the headers and dropped the grants.
func TestGrantHeadersOnWrite(t *testing.T) {
	env := newS3Env(t, s3TestScenario(BucketSpec{Name: "grants", Account: acctB, Ownership: ownershipWriter}))
	owner, reader, other := env.client(acctB), env.client(acctC), env.client(acctD)
	put(t, owner, "grants", "shared", "x", func(in *s3.PutObjectInput) {
		in.GrantRead = aws.String(`id="` + CanonicalIDFor(acctC) + `"`)
		in.GrantFullControl = aws.String("id=" + CanonicalIDFor(acctB))
	})
	if got := getBody(t, reader, "grants", "shared"); got != "x" {
		t.Errorf("the READ grantee reads %q", got)
	}
	if _, err := other.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("grants"), Key: aws.String("shared")}); errCode(t, err) != "AccessDenied" {
		t.Errorf("an account without a grant reads the object: %v", err)
	}
	acl, err := owner.GetObjectAcl(context.Background(), &s3.GetObjectAclInput{Bucket: aws.String("grants"), Key: aws.String("shared")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range acl.Grants {
		got = append(got, aws.ToString(g.Grantee.ID)+" "+string(g.Permission))
	}
	sort.Strings(got)
	want := []string{CanonicalIDFor(acctC) + " READ", CanonicalIDFor(acctB) + " FULL_CONTROL"}
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("object ACL %v, want %v", got, want)
	}
}
