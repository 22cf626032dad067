package scanner

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// OrganizationsAPI is the part of the Organizations client the scanner uses.
// *organizations.Client satisfies it, and so do the SDK paginators' client
// interfaces.
type OrganizationsAPI interface {
	DescribeOrganization(ctx context.Context, in *organizations.DescribeOrganizationInput, optFns ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error)
	ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
	ListRoots(ctx context.Context, in *organizations.ListRootsInput, optFns ...func(*organizations.Options)) (*organizations.ListRootsOutput, error)
	ListOrganizationalUnitsForParent(ctx context.Context, in *organizations.ListOrganizationalUnitsForParentInput, optFns ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error)
	ListAccountsForParent(ctx context.Context, in *organizations.ListAccountsForParentInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error)
}

// STSAPI is the part of the STS client the scanner uses. It includes
// stscreds.AssumeRoleAPIClient.
type STSAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

// S3API is the part of the S3 client the scanner uses. It includes
// s3.ListBucketsAPIClient and s3.ListObjectVersionsAPIClient.
type S3API interface {
	ListBuckets(ctx context.Context, in *s3.ListBucketsInput, optFns ...func(*s3.Options)) (*s3.ListBucketsOutput, error)
	HeadBucket(ctx context.Context, in *s3.HeadBucketInput, optFns ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
	GetBucketOwnershipControls(ctx context.Context, in *s3.GetBucketOwnershipControlsInput, optFns ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error)
	GetBucketAcl(ctx context.Context, in *s3.GetBucketAclInput, optFns ...func(*s3.Options)) (*s3.GetBucketAclOutput, error)
	ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, optFns ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
	// Readiness reads, for buckets not enforced.
	GetBucketPolicy(ctx context.Context, in *s3.GetBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	GetObjectAcl(ctx context.Context, in *s3.GetObjectAclInput, optFns ...func(*s3.Options)) (*s3.GetObjectAclOutput, error)
}

// Compile-time proof that the real clients satisfy the interfaces.
var (
	_ OrganizationsAPI = (*organizations.Client)(nil)
	_ STSAPI           = (*sts.Client)(nil)
	_ S3API            = (*s3.Client)(nil)
)

// clientFactory hands out API clients. The real one (awsClients) builds SDK
// clients over one shared, budgeted HTTP client; unit tests substitute fakes.
type clientFactory interface {
	// STS returns the STS client of region signing with creds (nil = the
	// caller's).
	STS(region string, creds aws.CredentialsProvider) STSAPI
	// Organizations returns the Organizations client signing with creds;
	// region is the partition's home region, where its endpoint lives.
	Organizations(region string, creds aws.CredentialsProvider) OrganizationsAPI
	// S3 returns the S3 client of one account in one region; the same
	// client for the same (account, region).
	S3(accountID, region string, creds aws.CredentialsProvider) S3API
}
