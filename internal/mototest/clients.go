package mototest

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Config builds an SDK configuration for any local endpoint (moto or
// fakeaws): region us-east-1, the given credentials, BaseEndpoint set. It
// reads nothing from the environment or shared config files, so tests stay
// hermetic whatever AWS_* variables the developer has set.
func Config(endpoint string, creds aws.CredentialsProvider) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  creds,
		BaseEndpoint: aws.String(endpoint),
	}
}

// StaticConfig is Config with long-term static credentials.
func StaticConfig(endpoint, accessKeyID, secretAccessKey string) aws.Config {
	return Config(endpoint, credentials.NewStaticCredentialsProvider(accessKeyID, secretAccessKey, ""))
}

// ManagementConfig is the configuration of moto's default account, which
// becomes the management account of an organization it creates.
func (s *Server) ManagementConfig() aws.Config {
	return StaticConfig(s.URL, AccessKeyID, SecretAccessKey)
}

// InRegion returns a copy of cfg for another region.
func InRegion(cfg aws.Config, region string) aws.Config {
	cfg = cfg.Copy()
	cfg.Region = region
	return cfg
}

// AssumeRoleConfig returns a copy of base whose credentials come from
// assuming roleARN with base's credentials. It retrieves the credentials once
// so a refused AssumeRole fails here rather than on first use.
func AssumeRoleConfig(ctx context.Context, base aws.Config, roleARN string) (aws.Config, error) {
	provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "mototest"
	})
	cfg := base.Copy()
	cfg.Credentials = aws.NewCredentialsCache(provider)
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return aws.Config{}, fmt.Errorf("mototest: assume %s: %w", roleARN, err)
	}
	return cfg, nil
}

// MemberRoleARN is the ARN of the role CreateAccount sets up in a member.
func MemberRoleARN(accountID string) string {
	return "arn:aws:iam::" + accountID + ":role/" + MemberRoleName
}

// MemberRoleName is the role Organizations creates in new member accounts.
const MemberRoleName = "OrganizationAccountAccessRole"

// NewS3 returns an S3 client for cfg with path-style addressing, as every
// client of a local endpoint must use.
func NewS3(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

// NewSTS returns an STS client for cfg.
func NewSTS(cfg aws.Config) *sts.Client { return sts.NewFromConfig(cfg) }

// NewOrganizations returns an Organizations client for cfg.
func NewOrganizations(cfg aws.Config) *organizations.Client {
	return organizations.NewFromConfig(cfg)
}
