package fakeaws

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestThrottleBurst: every distinct request is throttled on its first
// `burst` arrivals, whichever client sends it and in whatever order, so a
// client with one more attempt than the burst gets through and one with
// fewer does not; operations not listed are never throttled.
func TestThrottleBurst(t *testing.T) {
	srv := coreServe(t, coreScenario(t, coreSmallOrg+`
faults:
  throttle: {burst: 3, operations: [GetCallerIdentity, ListAccounts, ListBuckets]}
`))
	ctx := context.Background()
	withAttempts := func(n int) aws.Config {
		cfg := coreAccountConfig(t, srv, "111111111111")
		cfg.RetryMaxAttempts = 0
		cfg.Retryer = func() aws.Retryer {
			return retry.AddWithMaxBackoffDelay(retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = n }), time.Millisecond)
		}
		return cfg
	}
	calls := func(op string) int64 { return srv.Emulator.Counters().ByOperation[op] }

	// Three attempts: all throttled; the fourth arrival of the same request
	// passes.
	_, err := coreSTS(withAttempts(3)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err == nil || !strings.Contains(err.Error(), "exceeded maximum number of attempts") {
		t.Fatalf("GetCallerIdentity with 3 attempts: %v, want throttled out", err)
	}
	if _, err := coreSTS(withAttempts(1)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("4th arrival of GetCallerIdentity: %v", err)
	}
	if n := calls("GetCallerIdentity"); n != 4 {
		t.Errorf("GetCallerIdentity reached the emulator %d times, want 4", n)
	}

	// Four attempts ride out a burst of three, per distinct request: the
	// pages of ListAccounts are distinct requests, each throttled 3 times.
	orgs := coreOrgs(withAttempts(4))
	pages := 0
	for p := organizations.NewListAccountsPaginator(orgs, &organizations.ListAccountsInput{MaxResults: aws.Int32(3)}); p.HasMorePages(); pages++ {
		if _, err := p.NextPage(ctx); err != nil {
			t.Fatalf("ListAccounts page %d: %v", pages+1, err)
		}
	}
	if n := calls("ListAccounts"); pages < 2 || n != int64(4*pages) {
		t.Errorf("ListAccounts: %d pages in %d calls, want 4 calls per page", pages, n)
	}
	// Not listed: never throttled.
	if _, err := orgs.DescribeOrganization(ctx, nil); err != nil || calls("DescribeOrganization") != 1 {
		t.Errorf("DescribeOrganization: %v after %d calls", err, calls("DescribeOrganization"))
	}
	// Another caller's ListBuckets is another request.
	for _, acct := range []string{"111111111111", "222222222222"} {
		cfg := withAttempts(4)
		id, secret, _ := srv.Emulator.CredentialsFor(acct)
		cfg.Credentials = coreConfig(srv, id, secret, "").Credentials
		if _, err := coreS3(cfg).ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
			t.Errorf("ListBuckets as %s: %v", acct, err)
		}
	}
	if n := calls("ListBuckets"); n != 8 {
		t.Errorf("ListBuckets: %d calls, want 4 per caller", n)
	}
}
