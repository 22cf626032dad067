package fakeaws

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestThrottleCodesPerService(t *testing.T) {
	srv := coreServe(t, coreScenario(t, coreSmallOrg+`
faults:
  throttle: {operations: [GetCallerIdentity, ListAccounts, ListBuckets]}
`))
	ctx := context.Background()
	cfg := coreAccountConfig(t, srv, "111111111111")
	_, err := coreSTS(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if code, st := coreErrCode(t, err), coreHTTPStatus(err); code != "Throttling" || st != 400 {
		t.Errorf("STS: %s %d, want Throttling 400", code, st)
	}
	_, err = coreOrgs(cfg).ListAccounts(ctx, &organizations.ListAccountsInput{})
	if code, st := coreErrCode(t, err), coreHTTPStatus(err); code != "TooManyRequestsException" || st != 400 {
		t.Errorf("Organizations: %s %d, want TooManyRequestsException 400", code, st)
	}
	_, err = coreS3(cfg).ListBuckets(ctx, &s3.ListBucketsInput{})
	if code, st := coreErrCode(t, err), coreHTTPStatus(err); code != "SlowDown" || st != 503 {
		t.Errorf("S3: %s %d, want SlowDown 503", code, st)
	}
	// Operations not listed are not throttled.
	if _, err := coreOrgs(cfg).DescribeOrganization(ctx, nil); err != nil {
		t.Errorf("DescribeOrganization: %v", err)
	}
	// The SDK retries throttling: 3 attempts reach the server.
	before := srv.Emulator.Counters().ByOperation["ListAccounts"]
	retrying := cfg.Copy()
	retrying.RetryMaxAttempts = 3
	_, err = coreOrgs(retrying).ListAccounts(ctx, &organizations.ListAccountsInput{})
	if err == nil || !strings.Contains(err.Error(), "exceeded maximum number of attempts") {
		t.Errorf("retried ListAccounts: %v", err)
	}
	if n := srv.Emulator.Counters().ByOperation["ListAccounts"] - before; n != 3 {
		t.Errorf("ListAccounts attempts %d, want 3", n)
	}
}

func TestThrottleRateIsDeterministic(t *testing.T) {
	run := func() []bool {
		srv := coreServe(t, coreScenario(t, coreSmallOrg+"faults: {throttle: {rate: 0.3}, seed: 7}\n"))
		cfg := coreAccountConfig(t, srv, "111111111111")
		var out []bool
		for range 200 {
			_, err := coreSTS(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
			out = append(out, err != nil)
		}
		return out
	}
	a, b := run(), run()
	hits := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("call %d differs between runs with the same seed", i)
		}
		if a[i] {
			hits++
		}
	}
	if math.Abs(float64(hits)/200-0.3) > 0.1 {
		t.Errorf("%d of 200 throttled, want about 60", hits)
	}
}

func TestDenyRules(t *testing.T) {
	srv := coreServe(t, coreScenario(t, coreSmallOrg+`
faults:
  deny:
    - {account: "333333333333", operation: AssumeRole}
    - {bucket: b-bucket, operation: GetBucketAcl}
    - {account: "111111111111", operation: ListRoots}
    - {operation: PutObject, object: "*.json"}
`))
	ctx := context.Background()
	mgmt := coreAccountConfig(t, srv, "111111111111")
	_, err := coreSTS(mgmt).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::333333333333:role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("x1"),
	})
	if code, st := coreErrCode(t, err), coreHTTPStatus(err); code != "AccessDenied" || st != 403 {
		t.Errorf("AssumeRole into denied account: %s %d", code, st)
	}
	// The rule names the role's account, not the caller's.
	coreAssume(t, srv, mgmt, "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole")
	_, err = coreOrgs(mgmt).ListRoots(ctx, nil)
	if code := coreErrCode(t, err); code != "AccessDeniedException" {
		t.Errorf("ListRoots: %s", code)
	}
	b := coreS3(coreAccountConfig(t, srv, "222222222222"))
	_, err = b.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("b-bucket")})
	if code, st := coreErrCode(t, err), coreHTTPStatus(err); code != "AccessDenied" || st != 403 {
		t.Errorf("GetBucketAcl: %s %d", code, st)
	}
	// object: the glob matches the object's name, whatever folder it is in.
	_, err = b.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b-bucket"), Key: aws.String("runs/1/report.json"), Body: strings.NewReader("{}")})
	if code, st := coreErrCode(t, err), coreHTTPStatus(err); code != "AccessDenied" || st != 403 {
		t.Errorf("PutObject of a denied name: %s %d", code, st)
	}
	if _, err := b.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b-bucket"), Key: aws.String("runs/1/report.json.csv"), Body: strings.NewReader("x")}); err != nil {
		t.Errorf("PutObject of another name: %v", err)
	}
}

func TestConnectionReset(t *testing.T) {
	srv := coreServe(t, coreScenario(t, coreSmallOrg+"faults: {reset: {operations: [GetCallerIdentity]}}\n"))
	cfg := coreAccountConfig(t, srv, "111111111111")
	_, err := coreSTS(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err == nil {
		t.Fatal("want a transport error")
	}
	var withStatus interface{ HTTPStatusCode() int }
	if errors.As(err, &withStatus) && withStatus.HTTPStatusCode() != 0 {
		t.Errorf("got an HTTP answer (%d), want a reset: %v", withStatus.HTTPStatusCode(), err)
	}
	if _, err := coreOrgs(cfg).DescribeOrganization(context.Background(), nil); err != nil {
		t.Errorf("other operations still work: %v", err)
	}
	if n := srv.Emulator.Counters().ByOperation["GetCallerIdentity"]; n != 1 {
		t.Errorf("reset call counted %d times, want 1", n)
	}
}

func TestLatencyAndJitter(t *testing.T) {
	srv := coreServe(t, coreScenario(t, coreSmallOrg+"faults: {latency: 40ms, jitter: 10ms}\n"))
	cfg := coreAccountConfig(t, srv, "111111111111")
	start := time.Now()
	for range 5 {
		if _, err := coreSTS(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatal(err)
		}
	}
	if el := time.Since(start); el < 5*30*time.Millisecond {
		t.Errorf("5 calls took %v, want at least 150ms", el)
	}
	// A cancelled request stops waiting.
	slow := coreServe(t, coreScenario(t, coreSmallOrg+"faults: {latency: 10s}\n"))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err := coreSTS(coreAccountConfig(t, slow, "111111111111")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err == nil || time.Since(start) > 2*time.Second {
		t.Errorf("cancelled call: %v after %v", err, time.Since(start))
	}
}

func TestFaultDelayBounds(t *testing.T) {
	f := newFaults(FaultsSpec{Latency: Duration(20 * time.Millisecond), Jitter: Duration(5 * time.Millisecond), Seed: 1})
	for range 1000 {
		if d := f.delay(); d < 15*time.Millisecond || d > 25*time.Millisecond {
			t.Fatalf("delay %v outside 20ms±5ms", d)
		}
	}
}
