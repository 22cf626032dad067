package scanner

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// errRegionOutOfScope says a region lookup proved the bucket is in none of
// the regions allow list's regions.
var errRegionOutOfScope = errors.New("scanner: bucket outside the regions allow list")

// lookupRegion finds where a bucket lives when ListBuckets named no region
// (S3 always does when asked with MaxBuckets, so this is a fallback for
// S3-compatible servers and for safety). It counts its calls in out.
//
//  1. HeadBucket in the control region: S3 puts the bucket's region in
//     x-amz-bucket-region on a 200, a 403 and the 301 it answers for a
//     bucket in another region alike.
//  2. A bucket in an opt-in region is answered 400
//     (IllegalLocationConstraintException, not 301;
//     https://github.com/boto/botocore/pull/3303). When that answer names
//     no region in its header, the region its message names is tried
//     (a HEAD answer has no message, so usually none).
//  3. Still unknown: HeadBucket in each candidate opt-in region (those of
//     the regions allow list, else every opt-in region of the partition
//     known to ownerscan). The bucket's own region answers with the header.
//     With an allow list, every candidate answering "not here" (400, or
//     403 without a region) proves the bucket is outside it
//     (errRegionOutOfScope); a candidate that failed otherwise proves
//     nothing, and the lookup fails.
func (r *run) lookupRegion(ctx context.Context, s3For func(region string) S3API, bucket string, out *bucketOutcome) (string, error) {
	head := func(asked string) (string, error) {
		region, err := bucketRegion(ctx, s3For(asked), asked, bucket)
		if !errors.Is(err, errNotStarted) {
			out.regionLookups++
		}
		if err == nil && !r.part.Contains(region) {
			// Placed by such a region the bucket could fall outside the
			// allow list and leave the report: it is no answer at all.
			return "", fmt.Errorf("HeadBucket in %s named region %q, which is no region of partition %s", asked, region, r.part.Name)
		}
		return region, err
	}
	region, err := head(r.controlRegion)
	if err == nil || !isBadRequest(err) {
		return region, err
	}
	firstErr := err
	tried := []string{r.controlRegion}
	var unanswered error // the first candidate that could not say "not here"
	// A wrong region answers 400, a region the account has not enabled 403
	// without a region (the key does not exist there): both mean "not
	// here". Any other failure (throttled past retries, a 5xx, a dropped
	// connection) says nothing about where the bucket lives. Only a stop
	// ends the search early.
	try := func(c string) (string, bool, error) {
		tried = append(tried, c)
		region, err := head(c)
		switch {
		case err == nil:
			return region, true, nil
		case errors.Is(err, errNotStarted) || ctx.Err() != nil:
			return "", true, err
		case !saysNotHere(err) && unanswered == nil:
			unanswered = fmt.Errorf("HeadBucket in candidate region %s: %s: %w", c, awsErrorText(err), err)
		}
		return "", false, nil
	}
	if named := regionInMessage(err); named != "" && r.part.Contains(named) {
		if region, done, err := try(named); done {
			return region, err
		}
	}
	for _, c := range r.optInCandidates() {
		if slices.Contains(tried, c) {
			continue
		}
		if region, done, err := try(c); done {
			return region, err
		}
	}
	if unanswered != nil {
		// The bucket may live in the region that did not answer: it is
		// neither found nor proved outside the allow list.
		return "", fmt.Errorf("the bucket is in an opt-in region (HeadBucket in %s: %s) and the search for it failed: %w",
			r.controlRegion, awsErrorText(firstErr), unanswered)
	}
	if len(r.opts.Regions) > 0 {
		return "", errRegionOutOfScope
	}
	return "", fmt.Errorf("the bucket is in an opt-in region (HeadBucket in %s: %s) and none of the opt-in regions ownerscan knows answered for it: %w",
		r.controlRegion, awsErrorText(firstErr), firstErr)
}

// optInCandidates are the regions a bucket answered 400 from the control
// region may live in: the opt-in regions of the allow list, else every
// opt-in region of the partition ownerscan knows.
func (r *run) optInCandidates() []string {
	if len(r.opts.Regions) == 0 {
		return r.part.KnownOptInRegions
	}
	var out []string
	for _, reg := range r.opts.Regions {
		if r.part.OptIn(reg) {
			out = append(out, reg)
		}
	}
	return out
}

// bucketRegion asks HeadBucket, sent to api's region (asked), where a bucket lives.
// S3 names the region in the x-amz-bucket-region header whatever the
// answer: 200, 403, or the 301 it gives when the bucket lives elsewhere
// (which the SDK turns into a MovedPermanently error; see
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html). So the
// header decides, from a success or an error response alike; only an error
// without it fails the lookup. A success without it was answered by the
// bucket's own region (any other answers 301 or 400): the one asked, not
// us-east-1 (which only an empty GetBucketLocation constraint means).
func bucketRegion(ctx context.Context, api S3API, asked, bucket string) (string, error) {
	head, err := api.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	if err == nil {
		if region := aws.ToString(head.BucketRegion); region != "" {
			return normalizeRegion(region, true), nil
		}
		return asked, nil
	}
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) && respErr.Response != nil {
		if region := respErr.Response.Header.Get("x-amz-bucket-region"); region != "" {
			return normalizeRegion(region, true), nil
		}
	}
	return "", err
}

// saysNotHere reports whether a failed HeadBucket in a candidate region
// means the bucket does not live there: 400 (another region's bucket), or
// 403 without x-amz-bucket-region (bucketRegion already took any answer
// naming a region), which a region the account has not enabled answers.
func saysNotHere(err error) bool {
	var respErr *smithyhttp.ResponseError
	return isBadRequest(err) || errors.As(err, &respErr) && respErr.HTTPStatusCode() == http.StatusForbidden
}

// isBadRequest reports an HTTP 400 answer: what S3 sends when a request
// crosses an opt-in region (on a HEAD, without a body, the SDK names it
// BadRequest).
func isBadRequest(err error) bool {
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) && respErr.HTTPStatusCode() == http.StatusBadRequest {
		return true
	}
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "IllegalLocationConstraintException"
}

// locationInMessage matches S3's "The eu-south-1 location constraint is
// incompatible for the region specific endpoint this request was sent to."
var locationInMessage = regexp.MustCompile(`The ([a-z0-9-]+) location constraint is incompatible`)

// regionInMessage returns the region an IllegalLocationConstraintException
// message names ("unspecified" is us-east-1), or "".
func regionInMessage(err error) string {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return ""
	}
	m := locationInMessage.FindStringSubmatch(apiErr.ErrorMessage())
	switch {
	case m == nil:
		return ""
	case m[1] == "unspecified":
		return "us-east-1"
	}
	return m[1]
}
