package main

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/scanner"
	"github.com/ownerscan/ownerscan/scanner/remediate"
)

// bucketControls is what a test sees of a bucket's ownership, ACL and
// policy, read as its owner through the real SDK.
type bucketControls struct {
	Ownership string
	Grants    []string // "type id|uri permission", sorted
	Policy    string   // "" when none
	HasPolicy bool
}

// ownerClient is an S3 client of an account's administrator in region. It
// rides out the faults a scenario injects (throttling, resets) quickly: a
// test's own reads need no backoff against a local emulator.
func ownerClient(srv *fakeaws.Server, account, region string) *s3.Client {
	id, secret, _ := srv.Emulator.CredentialsFor(account)
	retryer := func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 30
			o.RateLimiter = ratelimit.None
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
		})
	}
	return s3.NewFromConfig(aws.Config{Region: region, BaseEndpoint: aws.String(srv.URL), Retryer: retryer,
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")}, func(o *s3.Options) { o.UsePathStyle = true })
}

// readAllControls reads every bucket of the scenario, by name.
func readAllControls(t *testing.T, srv *fakeaws.Server) map[string]bucketControls {
	t.Helper()
	ctx := context.Background()
	out := map[string]bucketControls{}
	for _, b := range srv.Emulator.Scenario().Buckets {
		c := ownerClient(srv, b.Account, b.Region)
		var bc bucketControls
		own, err := c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(b.Name)})
		switch {
		case scanner.ErrorCode(err) == "OwnershipControlsNotFoundError":
			bc.Ownership = "NotSet"
		case err != nil:
			t.Fatalf("%s: %v", b.Name, err)
		default:
			bc.Ownership = string(own.OwnershipControls.Rules[0].ObjectOwnership)
		}
		acl, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(b.Name)})
		if err != nil {
			t.Fatalf("%s: %v", b.Name, err)
		}
		for _, g := range acl.Grants {
			bc.Grants = append(bc.Grants, fmt.Sprintf("%s %s%s %s", g.Grantee.Type, aws.ToString(g.Grantee.ID), aws.ToString(g.Grantee.URI), g.Permission))
		}
		sort.Strings(bc.Grants)
		pol, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(b.Name)})
		switch {
		case scanner.ErrorCode(err) == "NoSuchBucketPolicy":
		case err != nil && b.Name == "acme-c-restricted":
			bc.Policy = "unreadable: " + scanner.ErrorCode(err) // its policy denies reading it, to everyone but BreakGlass
		case err != nil:
			t.Fatalf("%s: %v", b.Name, err)
		default:
			bc.Policy, bc.HasPolicy = aws.ToString(pol.Policy), true
		}
		out[b.Name] = bc
	}
	return out
}

// planned reads a plan and sorts its buckets by verdict.
func planned(t *testing.T, path string) (p *remediate.Plan, byVerdict map[scanner.ReadinessVerdict][]string) {
	t.Helper()
	p, err := remediate.ReadPlanFile(path)
	if err != nil {
		t.Fatal(err)
	}
	byVerdict = map[scanner.ReadinessVerdict][]string{}
	for _, b := range p.Buckets {
		byVerdict[b.Verdict] = append(byVerdict[b.Verdict], b.Bucket)
	}
	return p, byVerdict
}

// writesSince lists the write operations (Put*, Delete*) counted between
// two snapshots.
func writesSince(before, after fakeaws.CounterSnapshot) []string {
	var out []string
	for op, n := range after.ByOperation {
		if (strings.HasPrefix(op, "Put") || strings.HasPrefix(op, "Delete")) && n > before.ByOperation[op] {
			out = append(out, fmt.Sprintf("%s x%d", op, n-before.ByOperation[op]))
		}
	}
	sort.Strings(out)
	return out
}

// sameControls reports the buckets whose controls differ.
func sameControls(t *testing.T, when string, got, want map[string]bucketControls, buckets ...string) {
	t.Helper()
	if len(buckets) == 0 {
		for name := range want {
			buckets = append(buckets, name)
		}
		sort.Strings(buckets)
	}
	for _, name := range buckets {
		if !reflect.DeepEqual(got[name], want[name]) {
			t.Errorf("%s: %s is\n  %+v\nwant\n  %+v", when, name, got[name], want[name])
		}
	}
}

// makeDemoPlan plans the demo organization served by srv into dir.
func makeDemoPlan(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "plan.json")
	// Exit 3: the demo organization plants an account that cannot be
	// scanned, so the plan is of what the scan could read.
	if code, _, stderr := runCLI(t, "plan", "--out", path, "--quiet"); code != exitIncomplete {
		t.Fatalf("plan: exit %d; stderr:\n%s", code, stderr)
	}
	return path
}
