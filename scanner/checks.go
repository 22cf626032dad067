package scanner

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// bucketOutcome is one bucket's result before owners are resolved.
type bucketOutcome struct {
	row     Bucket
	inScope bool // false when a region lookup put it outside the regions allow list
	grants  []rawGrant
	owners  map[string]*ownerStats // foreign owner canonical ID -> stats

	// What the checks called, for the call model.
	regionLookup     bool
	ownershipChecked bool
	aclChecked       bool
	listed           bool
	listPages        int64
}

// rawGrant is a bucket ACL grant as S3 returned it.
type rawGrant struct {
	kind        GranteeKind // a group kind, or "" for a canonical user (resolved later)
	canonicalID string
	uri         string
	permission  string
}

// Group URIs of bucket ACL grantees (aws-facts.md §7).
const (
	uriAllUsers           = "http://acs.amazonaws.com/groups/global/AllUsers"
	uriAuthenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	uriLogDelivery        = "http://acs.amazonaws.com/groups/s3/LogDelivery"
)

const errNotScannedInterrupted = "not scanned: interrupted"

// checkBucket runs the checks of DESIGN.md "What is checked" on one bucket:
// ownership controls; for a bucket not enforced the bucket ACL and (objects
// mode full) every version and delete marker. An enforced bucket costs one
// call. Any failure marks the bucket failed with the AWS error code.
func (r *run) checkBucket(ctx context.Context, job bucketJob) *bucketOutcome {
	out := &bucketOutcome{inScope: true, row: Bucket{
		AccountID:   job.account.ID,
		AccountName: job.account.Name,
		Name:        job.name,
		Region:      job.region,
		ObjectScan:  ObjectScanSkipped,
	}}
	fail := func(op string, err error) *bucketOutcome {
		out.row.Status = BucketFailed
		out.row.Error = op + ": " + awsErrorText(err)
		if msg := stoppedError(ctx, op, err); msg != "" {
			out.row.Error = msg
		}
		r.log.Warn("bucket check failed", "account", job.account.ID, "bucket", job.name, "error", out.row.Error)
		return out
	}
	if r.stopping(ctx) {
		out.row.Status, out.row.Error = BucketFailed, errNotScannedInterrupted
		return out
	}
	// Once the scan is stopping, every further call of this bucket's checks
	// (listing pages included) is refused: the bucket ends at the next call
	// boundary, failed as "interrupted during OP".
	s3For := func(region string) S3API { return stoppableS3{r.clients.S3(job.account.ID, region, job.creds), r} }
	if job.region == "" {
		out.regionLookup = true
		region, err := bucketRegion(ctx, s3For(listBucketsRegion), job.name)
		if err != nil {
			return fail("HeadBucket", err)
		}
		out.row.Region = region
		if !regionInScope(out.row.Region, r.opts.Regions) {
			out.inScope = false
			return out
		}
	}
	api := s3For(out.row.Region)

	out.ownershipChecked = true
	own, err := ownershipOf(ctx, api, job.name)
	if err != nil {
		return fail("GetBucketOwnershipControls", err)
	}
	out.row.ObjectOwnership = own
	if own == OwnershipEnforced {
		out.row.Status = BucketCompliant
		out.row.OwnerCanonicalID = job.canonicalID
		return out
	}
	out.row.Status = BucketNoncompliant

	out.aclChecked = true
	if r.opts.ObjectsMode != ObjectsModeFull {
		if err := r.readACL(ctx, api, job, out); err != nil {
			return fail("GetBucketAcl", err)
		}
		return out
	}
	// The ACL and the listing's first page do not depend on each other:
	// both go out at once, and the listing counts its first entry only
	// once the ACL has named the bucket owner (one round trip less on
	// the bucket's critical path; a failed ACL read costs the one
	// listing page already asked for).
	aclDone := make(chan error, 1)
	go func() { aclDone <- r.readACL(ctx, api, job, out) }()
	aclErr, aclWaited := error(nil), false
	waitACL := func() error {
		if !aclWaited {
			aclErr, aclWaited = <-aclDone, true
		}
		return aclErr
	}
	out.listed = true
	listErr := r.listVersionsAfter(ctx, api, job, out, waitACL)
	if err := waitACL(); err != nil {
		out.row.ObjectScan = ObjectScanSkipped
		return fail("GetBucketAcl", err)
	}
	if listErr != nil {
		out.row.ObjectScan = ObjectScanFailed
		return fail("ListObjectVersions", listErr)
	}
	return out
}

// readACL reads a bucket's ACL into out: the owner (job.canonicalID when
// the ACL names none) and the grants to anyone else.
func (r *run) readACL(ctx context.Context, api S3API, job bucketJob, out *bucketOutcome) error {
	acl, err := api.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(job.name)})
	if err != nil {
		return err
	}
	owner := job.canonicalID
	if acl.Owner != nil && aws.ToString(acl.Owner.ID) != "" {
		owner = aws.ToString(acl.Owner.ID)
	}
	out.row.OwnerCanonicalID = owner
	out.grants = foreignGrants(acl, owner)
	return nil
}

// ownershipOf reads a bucket's Object Ownership. OwnershipControlsNotFoundError
// means no setting (NotSet), which behaves as ObjectWriter; an answer
// without a rule is an error, never NotSet.
func ownershipOf(ctx context.Context, api S3API, bucket string) (ObjectOwnership, error) {
	out, err := api.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(bucket)})
	if err != nil {
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode() == "OwnershipControlsNotFoundError" {
			return OwnershipNotSet, nil
		}
		return OwnershipUnknown, err
	}
	if out.OwnershipControls == nil || len(out.OwnershipControls.Rules) == 0 || out.OwnershipControls.Rules[0].ObjectOwnership == "" {
		// Only the 404 above means no setting: an answer without a rule
		// is not one (guard_answers.go refuses it before it gets here).
		return OwnershipUnknown, errors.New("the answer holds no ownership rule")
	}
	return ObjectOwnership(out.OwnershipControls.Rules[0].ObjectOwnership), nil
}

// foreignGrants returns the grants of an ACL to anyone but the owner.
func foreignGrants(acl *s3.GetBucketAclOutput, owner string) []rawGrant {
	var grants []rawGrant
	for _, g := range acl.Grants {
		if g.Grantee == nil {
			continue
		}
		id, uri := aws.ToString(g.Grantee.ID), aws.ToString(g.Grantee.URI)
		if uri == "" && (id == owner || id == "") {
			continue
		}
		rg := rawGrant{canonicalID: id, uri: uri, permission: string(g.Permission)}
		if uri != "" {
			rg.canonicalID = ""
			rg.kind = groupKind(uri)
		}
		grants = append(grants, rg)
	}
	return grants
}

// groupKind classifies a group grantee URI.
func groupKind(uri string) GranteeKind {
	switch uri {
	case uriAllUsers:
		return GranteeAllUsers
	case uriAuthenticatedUsers:
		return GranteeAuthenticatedUsers
	case uriLogDelivery:
		return GranteeLogDelivery
	}
	return GranteeOtherGroup
}

// bucketRegion asks HeadBucket, sent to the listing region, where a bucket
// lives. S3 names the region in the x-amz-bucket-region header whatever the
// answer: 200, 403, or the 301 it gives when the bucket lives elsewhere
// (which the SDK turns into a MovedPermanently error, aws-facts.md §6). So the
// header decides, from a success or an error response alike; only an error
// without it fails the lookup.
func bucketRegion(ctx context.Context, api S3API, bucket string) (string, error) {
	head, err := api.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	if err == nil {
		return normalizeRegion(aws.ToString(head.BucketRegion), true), nil
	}
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) && respErr.Response != nil {
		if region := respErr.Response.Header.Get("x-amz-bucket-region"); region != "" {
			return normalizeRegion(region, true), nil
		}
	}
	return "", err
}
