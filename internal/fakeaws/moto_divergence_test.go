package fakeaws_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/aws/smithy-go"

	"github.com/ownerscan/ownerscan/internal/mototest"
)

// divergenceProbe is a request on which moto is known to differ from AWS
// (moto's own documentation and what this test found). fakeaws must give the AWS answer; moto's answer is only logged, so
// the report shows where the two emulators part and why the differential
// comparison leaves these out.
type divergenceProbe struct {
	name string
	aws  string                   // the answer AWS gives, per its documentation
	run  func(o *observer) string // the SDK-visible answer, rendered
}

var divergenceProbes = []divergenceProbe{
	{
		name: "ListBuckets paged by MaxBuckets=1 as Member01 finds all 6 buckets",
		aws:  "6 buckets",
		run: func(o *observer) string {
			p := s3.NewListBucketsPaginator(mototest.NewS3(o.cfgs["Member01"]), &s3.ListBucketsInput{MaxBuckets: aws.Int32(1)})
			n := 0
			for page := 0; p.HasMorePages() && page < 20; page++ {
				out, err := p.NextPage(o.ctx)
				if err != nil {
					return errorShape(err)
				}
				n += len(out.Buckets)
			}
			return fmt.Sprintf("%d buckets", n)
		},
	},
	{
		name: "ListBuckets with MaxBuckets gives BucketRegion",
		aws:  "diff-eu in eu-west-1",
		run: func(o *observer) string {
			out, err := mototest.NewS3(o.cfgFor(bucketEU)).ListBuckets(o.ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(1000)})
			if err != nil {
				return errorShape(err)
			}
			for _, b := range out.Buckets {
				if aws.ToString(b.Name) == bucketEU {
					return fmt.Sprintf("%s in %s", bucketEU, aws.ToString(b.BucketRegion))
				}
			}
			return "diff-eu not listed"
		},
	},
	{
		name: "ListBuckets Owner.ID is the bucket ACL's Owner.ID",
		aws:  "same canonical ID",
		run: func(o *observer) string {
			out, err := mototest.NewS3(o.cfgFor(bucketWriter)).ListBuckets(o.ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(1000)})
			if err != nil {
				return errorShape(err)
			}
			owner, _ := o.bucketACL(bucketWriter)
			if got := aws.ToString(out.Owner.ID); got != owner {
				return fmt.Sprintf("ListBuckets %q, GetBucketAcl %q", got, owner)
			}
			return "same canonical ID"
		},
	},
	{
		name: "a member's canonical ID differs from the management account's",
		aws:  "distinct",
		run: func(o *observer) string {
			a, _ := o.bucketACL(bucketWriter)
			b, _ := mototest.NewS3(o.mgmt).GetBucketAcl(o.ctx, &s3.GetBucketAclInput{Bucket: aws.String(bucketMgmt)})
			if b == nil || aws.ToString(b.Owner.ID) == a {
				return "same for both accounts"
			}
			return "distinct"
		},
	},
	{
		name: "BucketOwnerEnforced refused while the bucket ACL grants AllUsers",
		aws:  "error InvalidBucketAclWithObjectOwnership HTTP 400",
		run: func(o *observer) string {
			_, err := o.s3For(bucketPreferred).PutBucketOwnershipControls(o.ctx, &s3.PutBucketOwnershipControlsInput{
				Bucket: aws.String(bucketPreferred),
				OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{
					{ObjectOwnership: s3types.ObjectOwnershipBucketOwnerEnforced}}},
			})
			return outcome(err)
		},
	},
	{
		name: "PutObject with ACL public-read refused on an enforced bucket",
		aws:  "error AccessControlListNotSupported HTTP 400",
		run: func(o *observer) string {
			_, err := o.s3For(bucketEnforced).PutObject(o.ctx, &s3.PutObjectInput{
				Bucket: aws.String(bucketEnforced), Key: aws.String("probe"), ACL: s3types.ObjectCannedACLPublicRead,
			})
			return outcome(err)
		},
	},
	{
		name: "another account without a grant cannot list a bucket",
		aws:  "error AccessDenied HTTP 403",
		run: func(o *observer) string {
			_, err := mototest.NewS3(o.cfgs["Member09"]).ListObjectsV2(o.ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucketWriter)})
			return outcome(err)
		},
	},
	{
		name: "a us-east-1 client addressing the eu-west-1 bucket is redirected",
		aws:  "error PermanentRedirect HTTP 301",
		run: func(o *observer) string {
			_, err := o.s3For(bucketEU).GetBucketOwnershipControls(o.ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(bucketEU)})
			return outcome(err)
		},
	},
	{
		name: "a wrong secret key is refused",
		aws:  "error SignatureDoesNotMatch HTTP 403",
		run: func(o *observer) string {
			creds, err := o.mgmt.Credentials.Retrieve(o.ctx)
			if err != nil {
				return errorShape(err)
			}
			cfg := mototest.StaticConfig(aws.ToString(o.mgmt.BaseEndpoint), creds.AccessKeyID, "wrong-"+creds.SecretAccessKey)
			_, err = mototest.NewS3(cfg).ListBuckets(o.ctx, &s3.ListBucketsInput{})
			return outcome(err)
		},
	},
	{
		name: "AssumeRole of a role that does not exist is denied",
		aws:  "error AccessDenied HTTP 403",
		run: func(o *observer) string {
			_, err := mototest.AssumeRoleConfig(o.ctx, o.mgmt, "arn:aws:iam::"+o.ids["Member01"]+":role/NoSuchRole")
			return outcome(err)
		},
	},
	{
		name: "an object written without encryption headers is SSE-S3",
		aws:  "AES256",
		run: func(o *observer) string {
			out, err := o.s3For(bucketRoundTrip).PutObject(o.ctx, &s3.PutObjectInput{
				Bucket: aws.String(bucketRoundTrip), Key: aws.String("sse/default"), Body: strings.NewReader("x"),
			})
			if err != nil {
				return errorShape(err)
			}
			return string(out.ServerSideEncryption)
		},
	},
	{
		name: "an unknown encryption algorithm is refused",
		aws:  "error InvalidArgument HTTP 400",
		run: func(o *observer) string {
			_, err := o.s3For(bucketRoundTrip).PutObject(o.ctx, &s3.PutObjectInput{
				Bucket: aws.String(bucketRoundTrip), Key: aws.String("sse/bad"), Body: strings.NewReader("x"), ServerSideEncryption: "rot13",
			})
			return outcome(err)
		},
	},
	{
		name: "a write naming another account as ExpectedBucketOwner is refused",
		aws:  "error AccessDenied HTTP 403",
		run: func(o *observer) string {
			_, err := o.s3For(bucketRoundTrip).PutObject(o.ctx, &s3.PutObjectInput{
				Bucket: aws.String(bucketRoundTrip), Key: aws.String("eo/probe"), Body: strings.NewReader("x"),
				ExpectedBucketOwner: aws.String("000000000000"),
			})
			return outcome(err)
		},
	},
	{
		name: "a member account may not call ListAccounts",
		aws:  "error AccessDeniedException",
		run: func(o *observer) string {
			out, err := mototest.NewOrganizations(o.cfgs["Member01"]).ListAccounts(o.ctx, &organizations.ListAccountsInput{})
			if err != nil {
				return errorCode(err)
			}
			return fmt.Sprintf("ok, %d accounts", len(out.Accounts))
		},
	},
}

// errorCode renders an API error by code alone, for JSON protocols whose
// HTTP status AWS does not document.
func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return "error " + apiErr.ErrorCode()
	}
	return "error " + err.Error()
}

// outcome renders a call's result: "ok" or its error shape.
func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	return errorShape(err)
}

// checkDivergences requires the AWS answer from fakeaws for every probe and
// logs moto's, marking where moto happens to agree.
func checkDivergences(t *testing.T, fake, moto *observer) {
	for _, p := range divergenceProbes {
		got, motoGot := p.run(fake), p.run(moto)
		if got != p.aws {
			t.Errorf("%s:\n fakeaws: %s\n     AWS: %s", p.name, got, p.aws)
		}
		verdict := "moto differs"
		if motoGot == p.aws {
			verdict = "moto agrees"
		}
		t.Logf("%s: AWS and fakeaws %q; %s: %q", p.name, p.aws, verdict, motoGot)
	}
}
