package mototest

import (
	"bytes"
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"
)

// putConcurrency bounds the PutObject calls in flight while seeding one
// bucket: moto serves each request on a thread, and more than a handful at
// once only adds contention on the two shared CPU cores.
const putConcurrency = 8

// Org is an organization created in moto.
type Org struct {
	ID                  string
	ManagementAccountID string
	// Members maps each member account's name to the ID moto gave it.
	Members map[string]string
}

// CreateOrganization creates an organization (feature set ALL) owned by
// moto's default account and one member account per name, in order. moto
// creates accounts synchronously and gives them random IDs.
func (s *Server) CreateOrganization(ctx context.Context, memberNames ...string) (*Org, error) {
	client := NewOrganizations(s.ManagementConfig())
	out, err := client.CreateOrganization(ctx, &organizations.CreateOrganizationInput{
		FeatureSet: orgtypes.OrganizationFeatureSetAll,
	})
	if err != nil {
		return nil, fmt.Errorf("mototest: create organization: %w", err)
	}
	org := &Org{
		ID:                  aws.ToString(out.Organization.Id),
		ManagementAccountID: aws.ToString(out.Organization.MasterAccountId),
		Members:             make(map[string]string, len(memberNames)),
	}
	for _, name := range memberNames {
		acct, err := client.CreateAccount(ctx, &organizations.CreateAccountInput{
			AccountName: aws.String(name),
			Email:       aws.String(name + "@example.invalid"),
		})
		if err != nil {
			return nil, fmt.Errorf("mototest: create account %s: %w", name, err)
		}
		status := acct.CreateAccountStatus
		if status.State != orgtypes.CreateAccountStateSucceeded || aws.ToString(status.AccountId) == "" {
			return nil, fmt.Errorf("mototest: create account %s: state %s, reason %s", name, status.State, status.FailureReason)
		}
		org.Members[name] = aws.ToString(status.AccountId)
	}
	return org, nil
}

// Bucket describes a bucket to create through the S3 API.
type Bucket struct {
	Name   string
	Region string // "" = us-east-1
	// Ownership is BucketOwnerEnforced, BucketOwnerPreferred, ObjectWriter,
	// or "" for no ownership controls at all (what moto gives a new bucket).
	Ownership  string
	PublicRead bool // canned bucket ACL public-read: a READ grant to AllUsers
	Versioned  bool
	Objects    []Object // written in order by the bucket's account
}

// Object is one write into a Bucket.
type Object struct {
	Key      string
	Size     int
	Versions int  // PutObject this many times (default 1)
	Delete   bool // DeleteObject instead of a put (a delete marker when versioned)
}

// CreateBucket creates b with the credentials of cfg (the owning account)
// and writes its objects. Objects with distinct keys are written
// concurrently; the writes to one key keep their order.
func CreateBucket(ctx context.Context, cfg aws.Config, b Bucket) error {
	region := b.Region
	if region == "" {
		region = Region
	}
	client := NewS3(InRegion(cfg, region))
	in := &s3.CreateBucketInput{Bucket: aws.String(b.Name)}
	if region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{
			LocationConstraint: s3types.BucketLocationConstraint(region),
		}
	}
	if _, err := client.CreateBucket(ctx, in); err != nil {
		return fmt.Errorf("mototest: create bucket %s: %w", b.Name, err)
	}
	if b.Ownership != "" {
		_, err := client.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{
			Bucket: aws.String(b.Name),
			OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{
				{ObjectOwnership: s3types.ObjectOwnership(b.Ownership)},
			}},
		})
		if err != nil {
			return fmt.Errorf("mototest: put ownership controls on %s: %w", b.Name, err)
		}
	}
	if b.PublicRead {
		_, err := client.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(b.Name), ACL: s3types.BucketCannedACLPublicRead})
		if err != nil {
			return fmt.Errorf("mototest: put bucket acl on %s: %w", b.Name, err)
		}
	}
	if b.Versioned {
		_, err := client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
			Bucket:                  aws.String(b.Name),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled},
		})
		if err != nil {
			return fmt.Errorf("mototest: enable versioning on %s: %w", b.Name, err)
		}
	}
	return writeObjects(ctx, client, b.Name, b.Objects)
}

// writeObjects applies the writes, one goroutine per key so each key's
// versions keep their order.
func writeObjects(ctx context.Context, client *s3.Client, bucket string, objects []Object) error {
	byKey := map[string][]Object{}
	var keys []string
	for _, o := range objects {
		if _, seen := byKey[o.Key]; !seen {
			keys = append(keys, o.Key)
		}
		byKey[o.Key] = append(byKey[o.Key], o)
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(putConcurrency)
	for _, key := range keys {
		g.Go(func() error {
			for _, o := range byKey[key] {
				if err := writeObject(ctx, client, bucket, o); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}

func writeObject(ctx context.Context, client *s3.Client, bucket string, o Object) error {
	if o.Delete {
		if _, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.Key)}); err != nil {
			return fmt.Errorf("mototest: delete %s/%s: %w", bucket, o.Key, err)
		}
		return nil
	}
	body := bytes.Repeat([]byte("x"), o.Size)
	for v := 0; v < max(o.Versions, 1); v++ {
		_, err := client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(bucket), Key: aws.String(o.Key), Body: bytes.NewReader(body),
		})
		if err != nil {
			return fmt.Errorf("mototest: put %s/%s: %w", bucket, o.Key, err)
		}
	}
	return nil
}
