package scanner

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// bucketOutcome is one bucket's result before owners are resolved.
type bucketOutcome struct {
	row     Bucket
	inScope bool // false when a region lookup put it outside the regions allow list
	grants  []rawGrant
	owners  map[string]*ownerStats // foreign owner canonical ID -> stats
	// acl is the whole ACL as GetBucketAcl answered it, kept until the
	// bucket's state fingerprint is taken (finishReadiness).
	acl      []s3types.Grant
	aclOwner string // Owner.ID as GetBucketAcl gave it ("" when none)

	// What the checks called, for the call model.
	regionLookups    int64 // HeadBucket calls to find the region
	ownershipChecked bool
	aclChecked       bool
	listed           bool
	listPages        int64

	// Readiness reads (readiness_reads.go); nil when readiness is off or
	// the bucket is enforced.
	ready *readinessFacts
}

// rawGrant is a bucket ACL grant as S3 returned it.
type rawGrant struct {
	kind        GranteeKind // a group kind, or "" for a canonical user (resolved later)
	canonicalID string
	uri         string
	permission  string
}

// Group URIs of bucket ACL grantees (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html).
const (
	uriAllUsers           = "http://acs.amazonaws.com/groups/global/AllUsers"
	uriAuthenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	uriLogDelivery        = "http://acs.amazonaws.com/groups/s3/LogDelivery"
)

const errNotScannedInterrupted = "not scanned: interrupted"

// checkBucket runs the checks of the package documentation on one bucket:
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
		region, err := r.lookupRegion(ctx, s3For, job.name, out)
		if errors.Is(err, errRegionOutOfScope) {
			out.inScope = false
			return out
		}
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

	// The bucket policy (readiness) depends on nothing else: it goes out
	// beside the ACL and the listing's first page, and costs the bucket's
	// chain no round trip.
	policyDone := r.startPolicyRead(ctx, api, job, out)
	out.aclChecked = true
	if r.opts.ObjectsMode != ObjectsModeFull {
		aclErr := r.readACL(ctx, api, job, out)
		policyErr := <-policyDone
		if aclErr != nil {
			return fail("GetBucketAcl", aclErr)
		}
		if policyErr != nil {
			return fail("GetBucketPolicy", policyErr)
		}
		return r.finishReadiness(ctx, api, job, out, fail)
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
	policyErr := <-policyDone
	if err := waitACL(); err != nil {
		out.row.ObjectScan = ObjectScanSkipped
		return fail("GetBucketAcl", err)
	}
	if listErr != nil {
		out.row.ObjectScan = ObjectScanFailed
		return fail("ListObjectVersions", listErr)
	}
	if policyErr != nil {
		return fail("GetBucketPolicy", policyErr)
	}
	return r.finishReadiness(ctx, api, job, out, fail)
}

// startPolicyRead starts the readiness read of the bucket policy, when
// readiness is on; the channel gives its error (nil at once when off).
func (r *run) startPolicyRead(ctx context.Context, api S3API, job bucketJob, out *bucketOutcome) <-chan error {
	done := make(chan error, 1)
	if !r.opts.Readiness.Enabled {
		done <- nil
		return done
	}
	out.ready = &readinessFacts{sampleSize: r.opts.Readiness.ObjectACLSample}
	go func() { done <- readPolicy(ctx, api, job.name, out.ready) }()
	return done
}

// finishReadiness ends a bucket's readiness reads once its owner is known
// and its versions listed: the policy's ACL demands, and the object ACL
// sample, read after the listing because the sample is the versions of
// lowest rank among all of them (one round of calls, in parallel).
func (r *run) finishReadiness(ctx context.Context, api S3API, job bucketJob, out *bucketOutcome, fail func(string, error) *bucketOutcome) *bucketOutcome {
	f := out.ready
	if f == nil {
		return out
	}
	f.analysePolicy(out.row.OwnerCanonicalID)
	switch {
	case f.sampleSize == 0:
		f.skipped = "readiness.object_acl_sample is 0"
	case !out.listed:
		f.skipped = "objects.mode is off: no versions were listed to sample"
	case len(f.chooser) > 0:
		if err := readObjectACLs(ctx, api, job.name, out.row.OwnerCanonicalID, f); err != nil {
			return fail("GetObjectAcl", err)
		}
	}
	f.chooser = nil
	if f.policyRead {
		out.row.StateFingerprint = BucketControls{Ownership: out.row.ObjectOwnership, ACLOwner: out.aclOwner,
			ACLGrants: out.acl, Policy: f.policyText}.Fingerprint()
	}
	out.acl, f.policyText = nil, nil
	if len(out.grants) == 0 && !f.sampledGrants() {
		// Nothing will move into the policy, so no migration policy is
		// written from it: its statements need not wait in memory for the
		// end of the scan.
		f.doc = nil
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
	out.grants = foreignGrants(acl.Grants, owner)
	out.acl = acl.Grants
	if acl.Owner != nil {
		out.aclOwner = aws.ToString(acl.Owner.ID)
	}
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
func foreignGrants(acl []s3types.Grant, owner string) []rawGrant {
	var grants []rawGrant
	for _, g := range acl {
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
