package fakeaws_test

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// remediationPolicy is pretty-printed on purpose: a rollback puts back the
// policy text it read, and reads it back byte for byte.
const remediationPolicy = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Sid\": \"Logs\", \"Effect\": \"Allow\", \"Principal\": {\"Service\": \"logging.s3.amazonaws.com\"},\n     \"Action\": \"s3:PutObject\", \"Resource\": \"arn:aws:s3:::" + bucketRoundTrip + "/*\"}\n  ]\n}"

// logDeliveryWrite is the grant the remediation observations add and take away.
var logDeliveryWrite = s3types.Grant{Grantee: &s3types.Grantee{Type: s3types.TypeGroup, URI: aws.String("http://acs.amazonaws.com/groups/s3/LogDelivery")},
	Permission: s3types.PermissionWrite}

// remediation observes the writes apply and rollback make and the reads
// that verify them, on bucketRoundTrip: an ACL put as an
// AccessControlPolicy (the owner and grants GetBucketAcl gave, plus one),
// reset to private, and put back as it was; a pretty-printed policy put
// and read back byte for byte, then deleted.
func (o *observer) remediation() {
	client := o.s3For(bucketRoundTrip)
	name := aws.String(bucketRoundTrip)
	acl, err := client.GetBucketAcl(o.ctx, &s3.GetBucketAclInput{Bucket: name})
	if err != nil {
		o.fatalf("GetBucketAcl: %v", err)
	}
	withLogs := &s3types.AccessControlPolicy{Owner: acl.Owner, Grants: append(append([]s3types.Grant(nil), acl.Grants...), logDeliveryWrite)}
	step := func(what string, err error) {
		_, shape := o.bucketACL(bucketRoundTrip)
		o.obs.Remediation = append(o.obs.Remediation, what+" "+outcome(err)+": "+shape)
	}
	_, err = client.PutBucketAcl(o.ctx, &s3.PutBucketAclInput{Bucket: name, AccessControlPolicy: withLogs})
	step("PutBucketAcl AccessControlPolicy with a LogDelivery grant", err)
	_, err = client.PutBucketAcl(o.ctx, &s3.PutBucketAclInput{Bucket: name, ACL: s3types.BucketCannedACLPrivate})
	step("PutBucketAcl private", err)
	_, err = client.PutBucketAcl(o.ctx, &s3.PutBucketAclInput{Bucket: name, AccessControlPolicy: withLogs})
	step("PutBucketAcl the earlier AccessControlPolicy again", err)
	_, err = client.PutBucketAcl(o.ctx, &s3.PutBucketAclInput{Bucket: name, ACL: s3types.BucketCannedACLPrivate})
	step("PutBucketAcl private again", err)

	_, err = client.PutBucketPolicy(o.ctx, &s3.PutBucketPolicyInput{Bucket: name, Policy: aws.String(remediationPolicy)})
	o.obs.Remediation = append(o.obs.Remediation, "PutBucketPolicy pretty-printed "+outcome(err))
	out, err := client.GetBucketPolicy(o.ctx, &s3.GetBucketPolicyInput{Bucket: name})
	if err != nil {
		o.obs.Remediation = append(o.obs.Remediation, "GetBucketPolicy "+errorShape(err))
	} else {
		o.obs.Remediation = append(o.obs.Remediation, "GetBucketPolicy byte for byte as put: "+boolText(aws.ToString(out.Policy) == remediationPolicy))
	}
	_, err = client.DeleteBucketPolicy(o.ctx, &s3.DeleteBucketPolicyInput{Bucket: name})
	o.obs.Remediation = append(o.obs.Remediation, "DeleteBucketPolicy "+outcome(err))
}

func boolText(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// remediationDivergences: moto does not refuse an ACL grant on an enforced
// bucket, as S3 does (S3 user guide, "object-ownership-error-responses";
// the refusal to enforce while grants exist is probed above).
var remediationDivergences = []divergenceProbe{
	{
		name: "PutBucketAcl granting LogDelivery WRITE on an enforced bucket",
		aws:  "error AccessControlListNotSupported HTTP 400",
		run: func(o *observer) string {
			client, name := o.s3For(bucketRoundTrip), aws.String(bucketRoundTrip)
			if _, err := client.PutBucketAcl(o.ctx, &s3.PutBucketAclInput{Bucket: name, ACL: s3types.BucketCannedACLPrivate}); err != nil {
				return "PutBucketAcl private " + errorShape(err)
			}
			if err := enforce(o, client); err != nil {
				return "enforce " + errorShape(err)
			}
			_, err := client.PutBucketAcl(o.ctx, &s3.PutBucketAclInput{Bucket: name, GrantWrite: aws.String(`uri="http://acs.amazonaws.com/groups/s3/LogDelivery"`)})
			return outcome(err)
		},
	},
}

func enforce(o *observer, client *s3.Client) error {
	_, err := client.PutBucketOwnershipControls(o.ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(bucketRoundTrip),
		OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnershipBucketOwnerEnforced}}}})
	return err
}

func init() { divergenceProbes = append(divergenceProbes, remediationDivergences...) }
