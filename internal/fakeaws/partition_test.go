package fakeaws

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// inRegion returns cfg signing for region.
func inRegion(cfg aws.Config, region string) aws.Config {
	cfg.Region = region
	return cfg
}

// Every ARN of an aws-cn organization is in aws-cn, and its keys exist only
// in that partition's regions; Organizations answers only in its home region.
func TestPartitionScenario(t *testing.T) {
	srv := coreServe(t, coreScenario(t, `
partition: aws-cn
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
  - {id: "222222222222", name: Member}
buckets:
  - {name: cn-bucket, account: "222222222222"}
`))
	ctx := context.Background()
	if r := srv.Emulator.Scenario().Buckets[0].Region; r != "cn-northwest-1" || srv.Emulator.HomeRegion() != "cn-northwest-1" {
		t.Fatalf("default bucket region %s, home %s", r, srv.Emulator.HomeRegion())
	}
	mgmt := inRegion(coreAccountConfig(t, srv, "111111111111"), "cn-north-1")
	id, err := coreSTS(mgmt).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != "arn:aws-cn:iam::111111111111:user/fakeaws-admin" {
		t.Fatalf("GetCallerIdentity: %v, %v", id, err)
	}
	_, err = coreSTS(inRegion(mgmt, "us-east-1")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if coreErrCode(t, err) != "InvalidClientTokenId" {
		t.Errorf("aws-cn keys signed for us-east-1: %v", err)
	}
	out, err := coreOrgs(inRegion(mgmt, "cn-northwest-1")).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil || !strings.HasPrefix(aws.ToString(out.Organization.Arn), "arn:aws-cn:organizations::") {
		t.Fatalf("DescribeOrganization: %v, %v", out, err)
	}
	_, err = coreOrgs(mgmt).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{}) // cn-north-1
	if coreErrCode(t, err) != "InvalidSignatureException" {
		t.Errorf("Organizations signed outside its home region: %v", err)
	}
	_, err = coreSTS(mgmt).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("s1")})
	if coreErrCode(t, err) != "AccessDenied" {
		t.Errorf("AssumeRole of an aws ARN in aws-cn: %v", err)
	}
	member := coreAssume(t, srv, mgmt, "arn:aws-cn:iam::222222222222:role/OrganizationAccountAccessRole")
	if _, err := coreS3(inRegion(member, "cn-northwest-1")).GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("cn-bucket")}); err != nil {
		t.Errorf("member reads its bucket in its region: %v", err)
	}
}

const optInScenario = `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt, opt_in_regions: [ap-east-1]}
  - {id: "222222222222", name: Member}
  - {id: "333333333333", name: HongKong, opt_in_regions: [ap-east-1]}
buckets:
  - {name: hk-bucket, account: "333333333333", region: ap-east-1}
  - {name: home-bucket, account: "333333333333", region: us-east-1}
  - {name: far-bucket, account: "333333333333", region: eu-west-1}
`

// Opt-in regions: a key works only where its account enabled the region, an
// AssumeRole into an account without it is RegionDisabledException, and a
// bucket request crossing an opt-in region is 400
// IllegalLocationConstraintException, not 301.
func TestOptInRegions(t *testing.T) {
	srv := coreServe(t, coreScenario(t, optInScenario))
	ctx := context.Background()
	hk := func(cfg aws.Config) aws.Config { return inRegion(cfg, "ap-east-1") }
	mgmt := coreAccountConfig(t, srv, "111111111111")
	if _, err := coreSTS(hk(coreAccountConfig(t, srv, "222222222222"))).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); coreErrCode(t, err) != "InvalidClientTokenId" {
		t.Errorf("key of an account without ap-east-1, signed there: %v", err)
	}
	_, err := coreSTS(hk(mgmt)).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("s1")})
	if coreErrCode(t, err) != "RegionDisabledException" || coreHTTPStatus(err) != 403 {
		t.Errorf("AssumeRole from ap-east-1 into an account without it: %v", err)
	}
	member := coreAssume(t, srv, mgmt, "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole")
	for _, tc := range []struct {
		signed, bucket, code, region string
	}{
		{"us-east-1", "hk-bucket", "BadRequest", "ap-east-1"},         // HEAD: no body, the SDK names the status
		{"ap-east-1", "home-bucket", "BadRequest", "us-east-1"},       // from an opt-in region to a default one
		{"eu-west-1", "home-bucket", "MovedPermanently", "us-east-1"}, // between default regions: 301
	} {
		_, err := coreS3(inRegion(member, tc.signed)).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(tc.bucket)})
		if coreErrCode(t, err) != tc.code || responseHeader(err, "x-amz-bucket-region") != tc.region {
			t.Errorf("HeadBucket %s signed for %s: %v (region header %q)", tc.bucket, tc.signed, err, responseHeader(err, "x-amz-bucket-region"))
		}
	}
	_, err = coreS3(inRegion(member, "us-east-1")).GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("hk-bucket")})
	if coreErrCode(t, err) != "IllegalLocationConstraintException" || coreHTTPStatus(err) != 400 || !strings.Contains(err.Error(), "The ap-east-1 location constraint") {
		t.Errorf("GetBucketAcl of an ap-east-1 bucket from us-east-1: %v", err)
	}
	if _, err := coreS3(hk(member)).GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("hk-bucket")}); err != nil {
		t.Errorf("in its own region: %v", err)
	}
	if _, err := ParseScenario([]byte("management_account: \"111111111111\"\nbuckets:\n  - {name: hk, account: \"111111111111\", region: ap-east-1}\n")); err == nil || !strings.Contains(err.Error(), "has not enabled") {
		t.Errorf("a bucket in an opt-in region its account has not enabled: %v", err)
	}
}
