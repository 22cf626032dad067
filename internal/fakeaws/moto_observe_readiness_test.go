package fakeaws_test

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ownerscan/ownerscan/internal/mototest"
)

// readinessPolicy is a policy both sides store for bucketRoundTrip.
const readinessPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"LogDelivery","Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::diff-roundtrip/*"}]}`

// readiness observes the calls readiness makes or relies on: the bucket
// policy's life cycle, logging, and object ACLs (a public-read object, and
// a version read by versionId), plus an anonymous read the public grant
// allows.
func (o *observer) readiness() {
	client := o.s3For(bucketRoundTrip)
	name := aws.String(bucketRoundTrip)
	getPolicy := func() string {
		out, err := client.GetBucketPolicy(o.ctx, &s3.GetBucketPolicyInput{Bucket: name})
		if err != nil {
			return "GetBucketPolicy " + errorShape(err)
		}
		return fmt.Sprintf("GetBucketPolicy same text as put: %t", aws.ToString(out.Policy) == readinessPolicy)
	}
	o.obs.Policies = append(o.obs.Policies, getPolicy())
	_, err := client.PutBucketPolicy(o.ctx, &s3.PutBucketPolicyInput{Bucket: name, Policy: aws.String(readinessPolicy)})
	o.obs.Policies = append(o.obs.Policies, "PutBucketPolicy "+outcome(err), getPolicy())
	_, err = client.DeleteBucketPolicy(o.ctx, &s3.DeleteBucketPolicyInput{Bucket: name})
	o.obs.Policies = append(o.obs.Policies, "DeleteBucketPolicy "+outcome(err), getPolicy())
	logging, err := client.GetBucketLogging(o.ctx, &s3.GetBucketLoggingInput{Bucket: name})
	if err != nil {
		o.obs.Policies = append(o.obs.Policies, "GetBucketLogging "+errorShape(err))
	} else {
		o.obs.Policies = append(o.obs.Policies, fmt.Sprintf("GetBucketLogging enabled: %t", logging.LoggingEnabled != nil))
	}

	writer := o.s3For(bucketWriter)
	_, err = writer.PutObject(o.ctx, &s3.PutObjectInput{Bucket: aws.String(bucketWriter), Key: aws.String("acl/public"),
		Body: strings.NewReader("public"), ACL: s3types.ObjectCannedACLPublicRead})
	if err != nil {
		o.fatalf("PutObject public-read: %v", err)
	}
	o.obs.ObjectACLs = append(o.obs.ObjectACLs, "acl/public: "+o.objectACL(bucketWriter, "acl/public", ""))
	versions, err := o.s3For(bucketVersions).ListObjectVersions(o.ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucketVersions), Prefix: aws.String("a")})
	if err != nil || len(versions.Versions) < 2 {
		o.fatalf("ListObjectVersions %s: %v", bucketVersions, err)
	}
	older := aws.ToString(versions.Versions[1].VersionId)
	o.obs.ObjectACLs = append(o.obs.ObjectACLs, "a (noncurrent version): "+o.objectACL(bucketVersions, "a", older))
	_, err = o.s3For(bucketVersions).GetObjectAcl(o.ctx, &s3.GetObjectAclInput{Bucket: aws.String(bucketVersions), Key: aws.String("a"), VersionId: aws.String("no-such-version")})
	o.obs.ObjectACLs = append(o.obs.ObjectACLs, "a (unknown version): "+errorShape(err))

	resp, err := http.Get(aws.ToString(o.mgmt.BaseEndpoint) + "/" + bucketWriter + "/acl/public")
	if err != nil {
		o.fatalf("anonymous GET: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	o.obs.ObjectACLs = append(o.obs.ObjectACLs, fmt.Sprintf("anonymous GET of a public-read object: HTTP %d", resp.StatusCode))
}

// objectACL renders an object ACL's shape: owner and grants, with the
// owner's canonical ID abstracted.
func (o *observer) objectACL(bucket, key, version string) string {
	in := &s3.GetObjectAclInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if version != "" {
		in.VersionId = aws.String(version)
	}
	out, err := o.s3For(bucket).GetObjectAcl(o.ctx, in)
	if err != nil {
		return errorShape(err)
	}
	owner := aws.ToString(out.Owner.ID)
	var grants []string
	for _, g := range out.Grants {
		who := aws.ToString(g.Grantee.URI)
		if id := aws.ToString(g.Grantee.ID); id != "" {
			who = "id:other"
			if id == owner {
				who = "owner"
			}
		}
		grants = append(grants, fmt.Sprintf("%s:%s:%s", g.Grantee.Type, who, g.Permission))
	}
	sort.Strings(grants)
	return fmt.Sprintf("owner hex64=%t %s", hex64.MatchString(owner), strings.Join(grants, " "))
}

// readinessDivergences are where moto does not do what S3 does on the
// readiness calls: it stores any policy text, and every object of moto
// has the one owner, so no object can deny its bucket owner its ACL.
var readinessDivergences = []divergenceProbe{
	{
		name: "PutBucketPolicy refuses text that is not JSON",
		aws:  "error MalformedPolicy HTTP 400",
		run: func(o *observer) string {
			_, err := o.s3For(bucketRoundTrip).PutBucketPolicy(o.ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucketRoundTrip), Policy: aws.String("not json")})
			return outcome(err)
		},
	},
	{
		name: "PutBucketPolicy refuses a statement about another bucket",
		aws:  "error MalformedPolicy HTTP 400",
		run: func(o *observer) string {
			policy := strings.ReplaceAll(readinessPolicy, bucketRoundTrip, "another-bucket")
			_, err := o.s3For(bucketRoundTrip).PutBucketPolicy(o.ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucketRoundTrip), Policy: aws.String(policy)})
			return outcome(err)
		},
	},
	{
		name: "GetObjectAcl by the bucket owner of an object another account wrote without a grant",
		aws:  "error AccessDenied HTTP 403",
		run: func(o *observer) string {
			// Member02 may write into Member01's bucket through the policy.
			owner, other := o.s3For(bucketRoundTrip), mototest.NewS3(o.cfgs["Member02"])
			policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + o.ids["Member02"] +
				`:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::` + bucketRoundTrip + `/*"}]}`
			if _, err := owner.PutBucketPolicy(o.ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucketRoundTrip), Policy: aws.String(policy)}); err != nil {
				return "PutBucketPolicy " + errorShape(err)
			}
			if _, err := other.PutObject(o.ctx, &s3.PutObjectInput{Bucket: aws.String(bucketRoundTrip), Key: aws.String("from-member02"), Body: strings.NewReader("x")}); err != nil {
				return "PutObject by Member02 " + errorShape(err)
			}
			_, err := owner.GetObjectAcl(o.ctx, &s3.GetObjectAclInput{Bucket: aws.String(bucketRoundTrip), Key: aws.String("from-member02")})
			return outcome(err)
		},
	},
	{
		name: "an explicit Deny of the bucket policy binds the bucket owner",
		aws:  "error AccessDenied HTTP 403",
		run: func(o *observer) string {
			owner := o.s3For(bucketRoundTrip)
			policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucketRoundTrip + `/*"}]}`
			if _, err := owner.PutBucketPolicy(o.ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucketRoundTrip), Policy: aws.String(policy)}); err != nil {
				return "PutBucketPolicy " + errorShape(err)
			}
			if _, err := owner.PutObject(o.ctx, &s3.PutObjectInput{Bucket: aws.String(bucketRoundTrip), Key: aws.String("denied"), Body: strings.NewReader("x")}); err != nil {
				return "PutObject " + errorShape(err)
			}
			_, err := owner.GetObject(o.ctx, &s3.GetObjectInput{Bucket: aws.String(bucketRoundTrip), Key: aws.String("denied")})
			return outcome(err)
		},
	},
}

func init() { divergenceProbes = append(divergenceProbes, readinessDivergences...) }
