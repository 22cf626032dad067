package mototest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestMotoStartSeedAndAssume proves the harness end to end: moto starts, an
// organization with members is created, a member role is assumed and the
// assumed credentials act in the member account, and Reset empties moto.
func TestMotoStartSeedAndAssume(t *testing.T) {
	srv := Start(t)
	ctx := context.Background()

	org, err := srv.CreateOrganization(ctx, "Alpha", "Beta")
	if err != nil {
		t.Fatal(err)
	}
	if org.ManagementAccountID != DefaultAccountID || len(org.Members) != 2 {
		t.Fatalf("organization = %+v, want management %s and 2 members", org, DefaultAccountID)
	}
	member, err := AssumeRoleConfig(ctx, srv.ManagementConfig(), MemberRoleARN(org.Members["Beta"]))
	if err != nil {
		t.Fatal(err)
	}
	id, err := NewSTS(member).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(id.Account); got != org.Members["Beta"] {
		t.Fatalf("assumed identity account = %s, want Beta's %s", got, org.Members["Beta"])
	}

	if err := CreateBucket(ctx, member, Bucket{Name: "beta-bucket", Versioned: true, Objects: []Object{
		{Key: "k", Size: 3, Versions: 2}, {Key: "k", Delete: true},
	}}); err != nil {
		t.Fatal(err)
	}
	list, err := NewS3(member).ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("beta-bucket")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Versions) != 2 || len(list.DeleteMarkers) != 1 {
		t.Fatalf("versions %d, delete markers %d; want 2 and 1", len(list.Versions), len(list.DeleteMarkers))
	}

	if err := srv.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	buckets, err := NewS3(member).ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(buckets.Buckets) != 0 {
		t.Fatalf("after Reset, ListBuckets = %d buckets, want 0", len(buckets.Buckets))
	}
}
