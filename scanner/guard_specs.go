package scanner

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ownerscan/ownerscan/scanner/versionlist"
)

// What a successful answer of each operation the scanner calls must be
// before anything believes it (guard_answers.go). Only what AWS documents
// for every answer is required, so that no real answer is refused:
//
//   - S3 answers XML in namespace http://s3.amazonaws.com/doc/2006-03-01/
//     with the root element named here, as Content-Type application/xml; S3
//     may omit the Content-Type, so only a type that is not XML is refused.
//   - STS (Query protocol) answers XML whose root is <Operation>Response,
//     as text/xml.
//   - Organizations (JSON 1.1) answers a JSON object. Its Content-Type
//     (application/x-amz-json-1.1) is not checked: moto, the peer emulator
//     the tests also run against, sends text/html for it, and the shape of
//     the object decides anyway.
//
// The size limits come from the largest answer each operation can give,
// with at least twice that as headroom, and bound what a server can make
// the scanner read (and parse) per call:
//
//   - ListObjectVersions: at most 1,000 versions and delete markers per
//     page (MaxKeys), each at most about 3.5 KB (a 1,024-byte key URL-encoded
//     to at most 3 KB, plus the version ID, ETag, owner ID, date and tags),
//     so at most about 3.5 MB: 8 MiB. Pages here are usually 200-400 KB.
//   - ListBuckets: at most 10,000 buckets per page (MaxBuckets), each at
//     most about 300 bytes (a 63-character name, the date, the region and
//     the ARN), so about 3 MB: 8 MiB.
//   - GetBucketAcl, GetObjectAcl: at most 100 grants of at most about 450
//     bytes (an email grantee's address included): 128 KiB.
//   - GetBucketPolicy, whose answer is the policy document (JSON, at most
//     20 KB): 64 KiB.
//   - GetBucketOwnershipControls, HeadBucket, GetCallerIdentity, AssumeRole
//     (about 2 KB with a session token) and DescribeOrganization: 64 KiB.
//   - Organizations List* pages: at most 20 entries of about 1 KB: 1 MiB.
//   - Error answers (any status but 2xx) of any operation: 64 KiB, where
//     AWS's error documents are well under 1 KB.
//   - Any other operation: 8 MiB.
const (
	listingAnswerLimit = 8 << 20
	aclAnswerLimit     = 128 << 10
	smallAnswerLimit   = 64 << 10
	orgPageAnswerLimit = 1 << 20
	errorAnswerLimit   = 64 << 10
	otherAnswerLimit   = 8 << 20
	// largeAnswerAt is where a ListBuckets answer counts as large (about
	// 1,300 buckets; most accounts have far fewer): reading past it takes
	// a large-answer slot.
	largeAnswerAt = 256 << 10
)

// answerFormat is the kind of document an operation answers.
type answerFormat int

const (
	formatNone answerFormat = iota // no body is read (HeadBucket)
	formatXML                      // an XML document with a known root element
	formatJSON                     // a JSON object
)

// answerSpec is what a 2xx answer of one operation must be.
type answerSpec struct {
	format answerFormat
	root   string // formatXML: the root element's local name
	limit  int64  // body size limit in bytes
	// largeAt, when not 0, is the size past which reading the answer
	// takes one of the scan's few large-answer slots (gatedBody).
	largeAt int64
	// secret: the answer holds credentials, so errors about a document
	// that looks like the right one show no excerpt of it.
	secret bool
	// check, given the SDK's output, names what a valid answer must hold
	// and this one lacks ("" when nothing). It runs only when the document
	// parsed.
	check func(result any) string
}

// answerSpecs are keyed by service ID and operation name, as the SDK's
// middleware metadata names them ("S3", "ListBuckets").
var answerSpecs = map[[2]string]answerSpec{
	{"S3", "ListBuckets"}: {format: formatXML, root: "ListAllMyBucketsResult", limit: listingAnswerLimit, largeAt: largeAnswerAt, check: func(r any) string {
		if out, ok := r.(*s3.ListBucketsOutput); ok && (out.Owner == nil || aws.ToString(out.Owner.ID) == "") {
			return "no Owner ID in the answer"
		}
		return ""
	}},
	{"S3", "GetBucketOwnershipControls"}: {format: formatXML, root: "OwnershipControls", limit: smallAnswerLimit, check: func(r any) string {
		if out, ok := r.(*s3.GetBucketOwnershipControlsOutput); ok && (out.OwnershipControls == nil ||
			len(out.OwnershipControls.Rules) == 0 || out.OwnershipControls.Rules[0].ObjectOwnership == "") {
			return "no Rule with an ObjectOwnership in the answer"
		}
		return ""
	}},
	{"S3", "GetBucketAcl"}: {format: formatXML, root: "AccessControlPolicy", limit: aclAnswerLimit, check: checkACL},
	{"S3", "GetObjectAcl"}: {format: formatXML, root: "AccessControlPolicy", limit: aclAnswerLimit, check: checkACL},
	// The answer is the policy document itself, as S3 stored it.
	{"S3", "GetBucketPolicy"}: {format: formatJSON, limit: smallAnswerLimit, check: func(r any) string {
		if out, ok := r.(*s3.GetBucketPolicyOutput); ok && aws.ToString(out.Policy) == "" {
			return "no policy in the answer"
		}
		return ""
	}},
	// largeAt covers pages the SDK decodes (the fast decoder's swap
	// skipped, or OWNERSCAN_SDK_DECODER); fast-decoded ones also queue for
	// versionlist's own large-body buffer, always after this slot.
	{"S3", "ListObjectVersions"}: {format: formatXML, root: "ListVersionsResult", limit: listingAnswerLimit, largeAt: 1 << 20, check: func(r any) string {
		if out, ok := r.(*s3.ListObjectVersionsOutput); ok {
			return versionlist.PageProblem(out)
		}
		return ""
	}},
	{"S3", "HeadBucket"}: {format: formatNone, limit: smallAnswerLimit},
	{"STS", "GetCallerIdentity"}: {format: formatXML, root: "GetCallerIdentityResponse", limit: smallAnswerLimit, check: func(r any) string {
		if out, ok := r.(*sts.GetCallerIdentityOutput); ok && (aws.ToString(out.Account) == "" || aws.ToString(out.Arn) == "") {
			return "no Account and Arn in the answer"
		}
		return ""
	}},
	{"STS", "AssumeRole"}: {format: formatXML, root: "AssumeRoleResponse", limit: smallAnswerLimit, secret: true, check: func(r any) string {
		if out, ok := r.(*sts.AssumeRoleOutput); ok {
			if c := out.Credentials; c == nil || aws.ToString(c.AccessKeyId) == "" || aws.ToString(c.SecretAccessKey) == "" ||
				aws.ToString(c.SessionToken) == "" || c.Expiration == nil {
				return "no complete Credentials in the answer"
			}
		}
		return ""
	}},
	{"Organizations", "DescribeOrganization"}: {format: formatJSON, limit: smallAnswerLimit, check: func(r any) string {
		if out, ok := r.(*organizations.DescribeOrganizationOutput); ok && (out.Organization == nil ||
			aws.ToString(out.Organization.Id) == "" || aws.ToString(out.Organization.MasterAccountId) == "") {
			return "no Organization with an Id and MasterAccountId in the answer"
		}
		return ""
	}},
	{"Organizations", "ListAccounts"}: {format: formatJSON, limit: orgPageAnswerLimit, check: func(r any) string {
		if out, ok := r.(*organizations.ListAccountsOutput); ok {
			return checkIDList("Accounts", out.Accounts == nil, len(out.Accounts), func(i int) string { return aws.ToString(out.Accounts[i].Id) })
		}
		return ""
	}},
	{"Organizations", "ListAccountsForParent"}: {format: formatJSON, limit: orgPageAnswerLimit, check: func(r any) string {
		if out, ok := r.(*organizations.ListAccountsForParentOutput); ok {
			return checkIDList("Accounts", out.Accounts == nil, len(out.Accounts), func(i int) string { return aws.ToString(out.Accounts[i].Id) })
		}
		return ""
	}},
	{"Organizations", "ListRoots"}: {format: formatJSON, limit: orgPageAnswerLimit, check: func(r any) string {
		if out, ok := r.(*organizations.ListRootsOutput); ok {
			return checkIDList("Roots", out.Roots == nil, len(out.Roots), func(i int) string { return aws.ToString(out.Roots[i].Id) })
		}
		return ""
	}},
	{"Organizations", "ListOrganizationalUnitsForParent"}: {format: formatJSON, limit: orgPageAnswerLimit, check: func(r any) string {
		if out, ok := r.(*organizations.ListOrganizationalUnitsForParentOutput); ok {
			return checkIDList("OrganizationalUnits", out.OrganizationalUnits == nil, len(out.OrganizationalUnits),
				func(i int) string { return aws.ToString(out.OrganizationalUnits[i].Id) })
		}
		return ""
	}},
}

// checkACL requires the Owner and the AccessControlList of a bucket or
// object ACL (the list may be empty).
func checkACL(r any) string {
	var owner *s3types.Owner
	var grants []s3types.Grant
	switch out := r.(type) {
	case *s3.GetBucketAclOutput:
		owner, grants = out.Owner, out.Grants
	case *s3.GetObjectAclOutput:
		owner, grants = out.Owner, out.Grants
	default:
		return ""
	}
	switch {
	case owner == nil || aws.ToString(owner.ID) == "":
		return "no Owner ID in the answer"
	case grants == nil: // the SDK leaves it nil only when AccessControlList is absent
		return "no AccessControlList in the answer"
	}
	return ""
}

// checkIDList requires a page's list (it may be empty: Organizations may
// answer an empty page with a NextToken) and an Id on each entry.
func checkIDList(name string, absent bool, n int, id func(int) string) string {
	if absent {
		return "no " + name + " list in the answer"
	}
	for i := range n {
		if id(i) == "" {
			return "an entry of " + name + " without an Id"
		}
	}
	return ""
}

// specFor returns what an answer of service's operation must be; ok is
// false for an operation with no spec (only its size is then limited).
func specFor(service, operation string) (answerSpec, bool) {
	s, ok := answerSpecs[[2]string{service, operation}]
	return s, ok
}
