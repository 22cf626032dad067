package fakeaws

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func putPolicy(t *testing.T, c *s3.Client, bucket, policy string) error {
	t.Helper()
	_, err := c.PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policy)})
	return err
}

func TestBucketPolicyRoundTrip(t *testing.T) {
	env := newS3Env(t, s3TestScenario(
		BucketSpec{Name: "b-policy", Account: acctB, Ownership: "ObjectWriter"},
		BucketSpec{Name: "b-writers", Account: acctB, Ownership: "ObjectWriter", Writers: []string{acctC}},
	))
	ctx := context.Background()
	b := env.client(acctB)
	_, err := b.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("b-policy")})
	wantErr(t, err, "NoSuchBucketPolicy", http.StatusNotFound)

	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"ListForC","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::b-policy"}]}`
	if err := putPolicy(t, b, "b-policy", policy); err != nil {
		t.Fatal(err)
	}
	out, err := b.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("b-policy")})
	if err != nil || aws.ToString(out.Policy) != policy {
		t.Fatalf("GetBucketPolicy = %v, %v; want the policy as put", aws.ToString(out.Policy), err)
	}
	_, err = env.client(acctC).GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("b-policy")})
	wantErr(t, err, "AccessDenied", http.StatusForbidden)
	if _, err := b.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("b-policy")}); err != nil {
		t.Fatal(err)
	}
	_, err = b.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("b-policy")})
	wantErr(t, err, "NoSuchBucketPolicy", http.StatusNotFound)

	// writers is a policy statement like any other: visible, and gone with
	// the policy.
	out, err = b.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("b-writers")})
	if err != nil || !strings.Contains(aws.ToString(out.Policy), `"arn:aws:iam::333333333333:root"`) {
		t.Fatalf("writers policy = %v, %v", aws.ToString(out.Policy), err)
	}
	c := env.client(acctC)
	put(t, c, "b-writers", "from-c", "x")
	if _, err := b.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("b-writers")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b-writers"), Key: aws.String("again"), Body: strings.NewReader("x")})
	wantErr(t, err, "AccessDenied", http.StatusForbidden)
}

func TestPutBucketPolicyRefusesWhatS3Refuses(t *testing.T) {
	env := newS3Env(t, s3TestScenario(BucketSpec{Name: "b-policy", Account: acctB}))
	b := env.client(acctB)
	stmt := func(s string) string { return `{"Version":"2012-10-17","Statement":[` + s + `]}` }
	cases := map[string]string{
		"not JSON":          `Version: 2012`,
		"other bucket":      stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}`),
		"other service":     stmt(`{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"arn:aws:s3:::b-policy/*"}`),
		"bad principal":     stmt(`{"Effect":"Allow","Principal":{"AWS":"someone"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b-policy/*"}`),
		"no principal":      stmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b-policy/*"}`),
		"bad effect":        stmt(`{"Effect":"Maybe","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b-policy/*"}`),
		"unknown operator":  stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b-policy/*","Condition":{"StringRoughly":{"k":"v"}}}`),
		"unknown element":   stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b-policy/*","Extra":1}`),
		"too large":         stmt(`{"Sid":"` + strings.Repeat("A", maxBucketPolicyBytes) + `","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b-policy/*"}`),
		"no statement":      `{"Version":"2012-10-17"}`,
		"empty statements":  `{"Version":"2012-10-17","Statement":[]}`,
		"bad version":       `{"Version":"1999-01-01","Statement":[]}`,
		"action and not":    stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","NotAction":"s3:PutObject","Resource":"arn:aws:s3:::b-policy/*"}`),
		"service principal": stmt(`{"Effect":"Allow","Principal":{"Service":"not-a-service"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b-policy/*"}`),
	}
	for name, policy := range cases {
		t.Run(name, func(t *testing.T) {
			wantErr(t, putPolicy(t, b, "b-policy", policy), "MalformedPolicy", http.StatusBadRequest)
		})
	}
}

// TestBucketPolicyGrantsAndDenies: what a bucket policy allows and denies
// on the calls readiness migrates ACL grants to, for the grantees it names.
func TestBucketPolicyGrantsAndDenies(t *testing.T) {
	env := newS3Env(t, s3TestScenario(BucketSpec{Name: "b-shared", Account: acctB, Ownership: "ObjectWriter", Versioning: "Enabled",
		Objects: []ObjectSpec{{Key: "b/own.txt", Size: 3}, {Key: "c/theirs.txt", Uploader: "external:" + externalOwner, Size: 3}}}))
	ctx := context.Background()
	b, c, d := env.client(acctB), env.client(acctC), env.client(acctD)
	list := func(cl *s3.Client) error {
		_, err := cl.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("b-shared")})
		return err
	}
	wantErr(t, list(c), "AccessDenied", http.StatusForbidden)
	policy := `{"Version":"2012-10-17","Statement":[
	  {"Sid":"ListForC","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":["s3:ListBucket","s3:ListBucketVersions"],"Resource":"arn:aws:s3:::b-shared"},
	  {"Sid":"ReadForCanonicalD","Effect":"Allow","Principal":{"CanonicalUser":"` + CanonicalIDFor(acctD) + `"},"Action":"s3:Get*","Resource":"arn:aws:s3:::b-shared/*"},
	  {"Sid":"WriteWithOwnerFullControl","Effect":"Allow","Principal":{"AWS":"333333333333"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b-shared/*","Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}},
	  {"Sid":"NoDeletes","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject*","Resource":"arn:aws:s3:::b-shared/*"}]}`
	if err := putPolicy(t, b, "b-shared", policy); err != nil {
		t.Fatal(err)
	}
	if err := list(c); err != nil {
		t.Errorf("C listing versions with the policy: %v", err)
	}
	wantErr(t, list(d), "AccessDenied", http.StatusForbidden)
	if got := getBody(t, d, "b-shared", "b/own.txt"); len(got) != 3 {
		t.Errorf("D reading through a CanonicalUser principal got %q", got)
	}
	// The bucket policy has no say over an object another account owns.
	_, err := d.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b-shared"), Key: aws.String("c/theirs.txt")})
	wantErr(t, err, "AccessDenied", http.StatusForbidden)
	// The write condition: only with bucket-owner-full-control.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b-shared"), Key: aws.String("c/new"), Body: strings.NewReader("x")})
	wantErr(t, err, "AccessDenied", http.StatusForbidden)
	put(t, c, "b-shared", "c/new", "x", func(in *s3.PutObjectInput) { in.ACL = s3types.ObjectCannedACLBucketOwnerFullControl })
	// An explicit Deny binds the bucket owner too.
	_, err = b.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("b-shared"), Key: aws.String("b/own.txt")})
	wantErr(t, err, "AccessDenied", http.StatusForbidden)
}

// TestAnonymousAccess: unsigned requests are the anonymous user, allowed
// by AllUsers grants and by "*" in a bucket policy, else 403.
func TestAnonymousAccess(t *testing.T) {
	env := newS3Env(t, s3TestScenario(BucketSpec{Name: "b-site", Account: acctB, Ownership: "ObjectWriter",
		Objects: []ObjectSpec{{Key: "public.html", ACL: "public-read", Size: 4}, {Key: "private.html", Size: 4}}}))
	get := func(key string) int {
		resp, err := http.Get(env.srv.URL + "/b-site/" + key)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get("public.html"); got != http.StatusOK {
		t.Errorf("anonymous GET of a public-read object = %d", got)
	}
	if got := get("private.html"); got != http.StatusForbidden {
		t.Errorf("anonymous GET of a private object = %d", got)
	}
	b := env.client(acctB)
	if err := putPolicy(t, b, "b-site", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b-site/private.html"}]}`); err != nil {
		t.Fatal(err)
	}
	if got := get("private.html"); got != http.StatusOK {
		t.Errorf("anonymous GET allowed by the bucket policy = %d", got)
	}
	resp, err := http.Get(env.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("anonymous ListBuckets = %d, want 403", resp.StatusCode)
	}
}

// TestLogDelivery: server access logs reach the target through the
// LogDelivery grant while ACLs count, and through the logging service's
// bucket policy statement (scoped by aws:SourceAccount and aws:SourceArn)
// once the target is enforced.
func TestLogDelivery(t *testing.T) {
	env := newS3Env(t, s3TestScenario(
		BucketSpec{Name: "b-app", Account: acctB, Logging: &LoggingSpec{TargetBucket: "b-logs", TargetPrefix: "app/"}},
		BucketSpec{Name: "b-logs", Account: acctB, Ownership: "ObjectWriter",
			ACL: []GrantSpec{{Grantee: "LogDelivery", Permission: "WRITE"}, {Grantee: "LogDelivery", Permission: "READ_ACP"}}},
	))
	ctx := context.Background()
	b := env.client(acctB)
	logging, err := b.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: aws.String("b-app")})
	if err != nil || aws.ToString(logging.LoggingEnabled.TargetBucket) != "b-logs" || aws.ToString(logging.LoggingEnabled.TargetPrefix) != "app/" {
		t.Fatalf("GetBucketLogging = %+v, %v", logging, err)
	}
	none, err := b.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: aws.String("b-logs")})
	if err != nil || none.LoggingEnabled != nil {
		t.Fatalf("GetBucketLogging of a bucket without logging = %+v, %v", none, err)
	}
	deliver := func() LogDelivery {
		t.Helper()
		ds := env.srv.Emulator.DeliverAccessLogs()
		if len(ds) != 1 {
			t.Fatalf("deliveries = %+v", ds)
		}
		return ds[0]
	}
	if d := deliver(); d.Error != "" || !strings.HasPrefix(d.Key, "app/") {
		t.Fatalf("delivery through the LogDelivery grant = %+v", d)
	}
	// Enforcement is refused while the grant exists.
	enforce := func() error {
		_, err := b.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String("b-logs"),
			OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnershipBucketOwnerEnforced}}}})
		return err
	}
	wantErr(t, enforce(), "InvalidBucketAclWithObjectOwnership", http.StatusBadRequest)
	if _, err := b.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("b-logs"), ACL: s3types.BucketCannedACLPrivate}); err != nil {
		t.Fatal(err)
	}
	if err := enforce(); err != nil {
		t.Fatal(err)
	}
	if d := deliver(); d.Error != "AccessDenied" {
		t.Fatalf("delivery with no grant that counts = %+v, want AccessDenied", d)
	}
	wrongSource := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b-logs/*",
	  "Condition":{"StringEquals":{"aws:SourceAccount":"333333333333"}}}]}`
	if err := putPolicy(t, b, "b-logs", wrongSource); err != nil {
		t.Fatal(err)
	}
	if d := deliver(); d.Error != "AccessDenied" {
		t.Fatalf("delivery for another source account = %+v, want AccessDenied", d)
	}
	rightSource := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b-logs/app/*",
	  "Condition":{"StringEquals":{"aws:SourceAccount":"222222222222"},"ArnLike":{"aws:SourceArn":"arn:aws:s3:::b-app"}}}]}`
	if err := putPolicy(t, b, "b-logs", rightSource); err != nil {
		t.Fatal(err)
	}
	if d := deliver(); d.Error != "" {
		t.Fatalf("delivery through the logging service policy = %+v", d)
	}
}

// TestObjectACLReads: GetObjectAcl as S3 serves it to the bucket owner: an
// object another account owns is AccessDenied unless its ACL grants the
// bucket owner; a public-read object shows its AllUsers grant; a version
// is read by versionId.
func TestObjectACLReads(t *testing.T) {
	env := newS3Env(t, s3TestScenario(BucketSpec{Name: "b-acls", Account: acctB, Ownership: "ObjectWriter", Versioning: "Enabled",
		Writers: []string{acctC},
		Objects: []ObjectSpec{
			{Key: "c-private", Uploader: acctC, Size: 1},
			{Key: "c-bofc", Uploader: acctC, ACL: "bucket-owner-full-control", Size: 1},
			{Key: "public", ACL: "public-read", Size: 1},
			{Key: "public", Size: 1},
		}}))
	ctx := context.Background()
	b := env.client(acctB)
	acl := func(key, version string) (*s3.GetObjectAclOutput, error) {
		in := &s3.GetObjectAclInput{Bucket: aws.String("b-acls"), Key: aws.String(key)}
		if version != "" {
			in.VersionId = aws.String(version)
		}
		return b.GetObjectAcl(ctx, in)
	}
	_, err := acl("c-private", "")
	wantErr(t, err, "AccessDenied", http.StatusForbidden)
	out, err := acl("c-bofc", "")
	if err != nil || aws.ToString(out.Owner.ID) != CanonicalIDFor(acctC) || len(out.Grants) != 2 {
		t.Fatalf("GetObjectAcl of C's object with bucket-owner-full-control = %+v, %v", out, err)
	}
	vs, _ := listAllVersions(t, b, &s3.ListObjectVersionsInput{Bucket: aws.String("b-acls"), Prefix: aws.String("public")})
	var older string
	for _, v := range vs {
		if !v.latest {
			older = v.id
		}
	}
	out, err = acl("public", older)
	if err != nil || len(out.Grants) != 2 || aws.ToString(out.Grants[1].Grantee.URI) != groupAllUsers {
		t.Fatalf("GetObjectAcl of the public-read version = %+v, %v", out, err)
	}
	if out, err = acl("public", ""); err != nil || len(out.Grants) != 1 {
		t.Fatalf("GetObjectAcl of the private latest version = %+v, %v", out, err)
	}
}

func TestScenarioPolicyAndLoggingValidation(t *testing.T) {
	base := "management_account: \"111111111111\"\naccounts: [{id: \"222222222222\"}, {id: \"333333333333\"}]\nbuckets:\n"
	cases := map[string]struct{ yaml, want string }{
		"policy and writers": {`  - name: b-one
    account: "222222222222"
    writers: ["333333333333"]
    policy: '{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b-one/*"}}'
`, "buckets[0].writers: a bucket has writers"},
		"malformed policy": {`  - name: b-one
    account: "222222222222"
    policy: '{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}}'
`, "buckets[0].policy: MalformedPolicy: Policy has invalid resource"},
		"logging elsewhere": {`  - {name: b-one, account: "222222222222", logging: {target_bucket: b-two}}
  - {name: b-two, account: "333333333333"}
`, "same account and region"},
		"logging nowhere": {`  - {name: b-one, account: "222222222222", logging: {target_bucket: b-none}}
`, `unknown bucket "b-none"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseScenario([]byte(base + c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	sc, err := ParseScenario([]byte(base + `  - name: b-one
    account: "222222222222"
    ownership: ObjectWriter
    policy: |
      {"Statement": {"Effect": "Allow", "Principal": {"AWS": "333333333333"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b-one/*"}}
    objects: [{key: k, uploader: "333333333333"}]
    logging: {target_bucket: b-one, target_prefix: self/}
`))
	if err != nil {
		t.Fatalf("a bucket with a policy (whose objects any account may have written) and logging into itself: %v", err)
	}
	if _, err := New(sc); err != nil {
		t.Fatal(err)
	}
}

func TestWildcard(t *testing.T) {
	cases := []struct {
		pattern, s string
		fold, want bool
	}{
		{"s3:PutObject", "s3:putobject", true, true},
		{"s3:Get*", "s3:GetObjectVersion", true, true},
		{"s3:Get*", "s3:PutObject", true, false},
		{"b/*", "b/k/with/slashes", false, true},
		{"b/*", "B/k", false, false},
		{"b/a?c", "b/abc", false, true},
		{"b/a${*}b", "b/a*b", false, true},
		{"b/a${*}b", "b/axb", false, false},
		{"b/a${?}${$}", "b/a?$", false, true},
		{"b/${aws:username}", "b/${aws:username}", false, false},
		{"b/*.txt", "b/x.txt", false, true},
		{"b/*.txt", "b/x.txtz", false, false},
	}
	for _, c := range cases {
		if got := compileWildcard(c.pattern, c.fold).match(c.s); got != c.want {
			t.Errorf("%q matching %q = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

// TestBucketPolicyDeniesItsOwnReading: a policy may deny the policy calls to
// all but one principal (aws:PrincipalArn), the audit role included.
func TestBucketPolicyDeniesItsOwnReading(t *testing.T) {
	env := newS3Env(t, s3TestScenario(BucketSpec{Name: "b-locked", Account: acctB}))
	b := env.client(acctB)
	lock := func(except string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":["s3:GetBucketPolicy","s3:PutBucketPolicy"],"Resource":"arn:aws:s3:::b-locked",
		  "Condition":{"ArnNotLike":{"aws:PrincipalArn":"` + except + `"}}}]}`
	}
	if err := putPolicy(t, b, "b-locked", lock("arn:aws:iam::222222222222:user/fakeaws-admin")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetBucketPolicy(context.Background(), &s3.GetBucketPolicyInput{Bucket: aws.String("b-locked")}); err != nil {
		t.Fatalf("the excepted principal cannot read the policy: %v", err)
	}
	if err := putPolicy(t, b, "b-locked", lock("arn:aws:iam::222222222222:role/BreakGlass")); err != nil {
		t.Fatal(err)
	}
	_, err := b.GetBucketPolicy(context.Background(), &s3.GetBucketPolicyInput{Bucket: aws.String("b-locked")})
	wantErr(t, err, "AccessDenied", http.StatusForbidden)
	wantErr(t, putPolicy(t, b, "b-locked", lock("*")), "AccessDenied", http.StatusForbidden)

	role := &Caller{AccountID: acctB, ARN: "arn:aws:sts::222222222222:assumed-role/Audit/ownerscan"}
	if got := principalARN(role); got != "arn:aws:iam::222222222222:role/Audit" {
		t.Errorf("aws:PrincipalArn of an assumed role = %q", got)
	}
}
