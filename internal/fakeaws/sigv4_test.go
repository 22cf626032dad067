package fakeaws

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// coreCallAll calls one operation of each service with cfg and returns the
// three errors: STS, Organizations, S3.
func coreCallAll(cfg aws.Config) (stsErr, orgErr, s3Err error) {
	ctx := context.Background()
	_, stsErr = coreSTS(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	_, orgErr = coreOrgs(cfg).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	_, s3Err = coreS3(cfg).ListBuckets(ctx, &s3.ListBucketsInput{})
	return
}

func TestSigV4Errors(t *testing.T) {
	srv := coreServe(t, coreScenario(t, coreSmallOrg))
	keyID, secret := srv.Emulator.ManagementCredentials()
	session := coreAssume(t, srv, coreAccountConfig(t, srv, "111111111111"), "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole")
	sessionCreds, _ := session.Credentials.Retrieve(context.Background())
	type want struct {
		code   string
		status int
	}
	tests := []struct {
		name              string
		cfg               aws.Config
		wantSTS, wantOrgs want
		wantS3            want
	}{
		{"wrong secret", coreConfig(srv, keyID, secret[:39]+"x", ""),
			want{"SignatureDoesNotMatch", 403}, want{"SignatureDoesNotMatch", 403}, want{"SignatureDoesNotMatch", 403}},
		{"unknown key", coreConfig(srv, "AKIAUNKNOWNUNKNOWN12", secret, ""),
			want{"InvalidClientTokenId", 403}, want{"UnrecognizedClientException", 400}, want{"InvalidAccessKeyId", 403}},
		{"session key without token", coreConfig(srv, sessionCreds.AccessKeyID, sessionCreds.SecretAccessKey, ""),
			want{"InvalidClientTokenId", 403}, want{"UnrecognizedClientException", 400}, want{"InvalidToken", 400}},
		{"session key with another token", coreConfig(srv, sessionCreds.AccessKeyID, sessionCreds.SecretAccessKey, "bogus"),
			want{"InvalidClientTokenId", 403}, want{"UnrecognizedClientException", 400}, want{"InvalidToken", 400}},
		{"session secret wrong", coreConfig(srv, sessionCreds.AccessKeyID, secret, sessionCreds.SessionToken),
			want{"SignatureDoesNotMatch", 403}, want{"SignatureDoesNotMatch", 403}, want{"SignatureDoesNotMatch", 403}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := []error{}
			stsErr, orgErr, s3Err := coreCallAll(tt.cfg)
			errs = append(errs, stsErr, orgErr, s3Err)
			for i, w := range []want{tt.wantSTS, tt.wantOrgs, tt.wantS3} {
				if errs[i] == nil {
					t.Errorf("service %d: no error, want %s", i, w.code)
					continue
				}
				if code := coreErrCode(t, errs[i]); code != w.code {
					t.Errorf("service %d: code %s, want %s", i, code, w.code)
				}
				if st := coreHTTPStatus(errs[i]); st != w.status {
					t.Errorf("service %d: status %d, want %d", i, st, w.status)
				}
			}
		})
	}
}

func TestSigV4AnonymousAndMalformed(t *testing.T) {
	srv := coreServe(t, coreScenario(t, coreSmallOrg))
	resp, err := http.Get(srv.URL + "/b-bucket?list-type=2")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("anonymous S3: status %d, want 403", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodHead, srv.URL+"/b-bucket", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("x-amz-bucket-region") != "us-east-1" {
		t.Errorf("anonymous HeadBucket: %d region %q", resp.StatusCode, resp.Header.Get("x-amz-bucket-region"))
	}
	form := url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}
	resp, err = http.Post(srv.URL+"/", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	body := new(bytes.Buffer)
	_, _ = body.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(body.String(), "<Code>MissingAuthenticationToken</Code>") {
		t.Errorf("anonymous STS: %d %s", resp.StatusCode, body)
	}
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader("{}"))
	req.Header.Set("X-Amz-Target", "AWSOrganizationsV20161128.ListAccounts")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAX/20240101/us-east-1/organizations/aws4_request")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body.Reset()
	_, _ = body.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(body.String(), `"__type":"IncompleteSignatureException"`) {
		t.Errorf("malformed Organizations auth: %d %s", resp.StatusCode, body)
	}
}

func TestSigV4PresignedURL(t *testing.T) {
	srv := coreServe(t, coreScenario(t, coreSmallOrg))
	cfg := coreAccountConfig(t, srv, "222222222222")
	presigner := s3.NewPresignClient(coreS3(cfg))
	req, err := presigner.PresignHeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String("b-bucket")})
	if err != nil {
		t.Fatal(err)
	}
	do := func(u string) int {
		r, _ := http.NewRequest(req.Method, u, nil)
		for k, v := range req.SignedHeader {
			if !strings.EqualFold(k, "host") {
				r.Header[k] = v
			}
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := do(req.URL); st == 403 || st == 400 {
		t.Errorf("valid presigned HeadBucket: status %d", st)
	}
	tampered := strings.Replace(req.URL, "X-Amz-Signature=", "X-Amz-Signature=0", 1)
	if st := do(tampered); st != 403 {
		t.Errorf("tampered presigned URL: status %d, want 403", st)
	}
}

func TestCanonicalQueryAndURI(t *testing.T) {
	got := canonicalQuery("versions=&prefix=a%20b&key-marker=x%2Fy&delimiter=%2F&acl", false)
	want := "acl=&delimiter=%2F&key-marker=x%2Fy&prefix=a%20b&versions="
	if got != want {
		t.Errorf("canonicalQuery = %q, want %q", got, want)
	}
	if got := canonicalQuery("X-Amz-Signature=abc&b=2&a=1&a=0", true); got != "a=0&a=1&b=2" {
		t.Errorf("presigned canonicalQuery = %q", got)
	}
	if got := uriEncode("a b/~*"); got != "a%20b%2F~%2A" {
		t.Errorf("uriEncode = %q", got)
	}
}

func TestSigV4S3KeysWithSpecialCharacters(t *testing.T) {
	// Keys that need escaping in the path must verify: the path is signed as
	// sent, not encoded twice. The S3 answer itself is helper B's concern;
	// here only the absence of a signature error matters.
	srv := coreServe(t, coreScenario(t, coreSmallOrg))
	c := coreS3(coreAccountConfig(t, srv, "222222222222"))
	for _, key := range []string{"plain.txt", "with space.txt", "dir/sub/file", "üñí©ødé", "a+b=c&d", "tilde~star*(paren)", "%41"} {
		_, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("b-bucket"), Key: aws.String(key)})
		if err != nil && coreHTTPStatus(err) == 403 {
			t.Errorf("key %q: %v", key, err)
		}
	}
}

// TestSigningKeys: the cached signing keys are the ones SigV4 derives (the
// example of AWS's documentation, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html),
// one per scope, the same whether cached or not, also past the cache's
// bound and from many goroutines.
func TestSigningKeys(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	var c signingKeys
	for _, keys := range []*signingKeys{nil, &c, &c} {
		if got := hex.EncodeToString(keys.key(secret, "20150830", "us-east-1", "iam")); got != "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9" {
			t.Fatalf("signing key %s", got)
		}
	}
	other := [][4]string{{secret + "x", "20150830", "us-east-1", "iam"}, {secret, "20150831", "us-east-1", "iam"},
		{secret, "20150830", "us-west-2", "iam"}, {secret, "20150830", "us-east-1", "s3"}}
	seen := map[string]bool{}
	for _, o := range other {
		k := hex.EncodeToString(c.key(o[0], o[1], o[2], o[3]))
		if seen[k] || k == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9" {
			t.Fatalf("scope %v shares a key", o)
		}
		seen[k] = true
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range maxSigningKeys + 100 {
				date := fmt.Sprintf("2025%04d", i)
				if !bytes.Equal(c.key(secret, date, "us-east-1", "s3"), deriveSigningKey(secret, date, "us-east-1", "s3")) {
					t.Errorf("goroutine %d: key %d differs", g, i)
					return
				}
			}
		}()
	}
	wg.Wait()
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(c.keys) > maxSigningKeys {
		t.Errorf("%d keys cached, bound %d", len(c.keys), maxSigningKeys)
	}
}

// TestCanonicalValue: a header value's canonical form is its white space
// trimmed and each run made one space (strings.Fields' white space, the
// Unicode kind included), fast path or not.
func TestCanonicalValue(t *testing.T) {
	values := []string{"", " ", "a", "a b", "a  b", " a", "a ", "a\tb", "a\u00a0b", "a\u0085b", "é b", "\u2003a", "a b c", "x\x01y", "a \tb"}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Z", "0", " ", " ", "\t", "\n", "\u00a0", "é", "\x7f", ";", "="}
	for range 2000 {
		var b strings.Builder
		for range r.IntN(8) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		values = append(values, b.String())
	}
	for _, v := range values {
		if got, want := string(appendCanonicalValue(nil, v)), strings.Join(strings.Fields(v), " "); got != want {
			t.Errorf("%q: %q, want %q", v, got, want)
		}
	}
}
