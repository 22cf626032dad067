package fakeaws

import (
	"net/http"
	"path"
	"strings"
)

// permissions is the set of IAM actions a principal's policies allow, as
// patterns with IAM's wildcards (* and ?), matched case-insensitively as IAM
// matches action names. Resources and conditions are not modelled: a
// principal either may call an operation or not.
type permissions struct {
	patterns []string // lower case
}

// newPermissions returns the permissions of a scenario list; nil (the key
// absent) allows everything, an empty list nothing.
func newPermissions(actions []string) *permissions {
	if actions == nil {
		return nil
	}
	p := &permissions{patterns: make([]string, len(actions))}
	for i, a := range actions {
		p.patterns[i] = strings.ToLower(a)
	}
	return p
}

// allows reports whether action may be called. A nil set allows all.
func (p *permissions) allows(action string) bool {
	if p == nil {
		return true
	}
	action = strings.ToLower(action)
	for _, pat := range p.patterns {
		// path.Match's * stops at "/", which IAM action names never hold.
		if ok, _ := path.Match(pat, action); ok {
			return true
		}
	}
	return false
}

// s3Actions maps the S3 operations the emulator serves to the IAM action
// that authorizes each (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html).
// A request for a specific version (versionId) needs the *Version variant,
// see iamAction.
var s3Actions = map[string]string{
	"ListBuckets":                   "s3:ListAllMyBuckets",
	"CreateBucket":                  "s3:CreateBucket",
	"DeleteBucket":                  "s3:DeleteBucket",
	"HeadBucket":                    "s3:ListBucket",
	"GetBucketLocation":             "s3:GetBucketLocation",
	"GetBucketOwnershipControls":    "s3:GetBucketOwnershipControls",
	"PutBucketOwnershipControls":    "s3:PutBucketOwnershipControls",
	"DeleteBucketOwnershipControls": "s3:PutBucketOwnershipControls",
	"GetBucketAcl":                  "s3:GetBucketAcl",
	"PutBucketAcl":                  "s3:PutBucketAcl",
	"GetBucketVersioning":           "s3:GetBucketVersioning",
	"PutBucketVersioning":           "s3:PutBucketVersioning",
	"GetBucketPolicy":               "s3:GetBucketPolicy",
	"PutBucketPolicy":               "s3:PutBucketPolicy",
	"DeleteBucketPolicy":            "s3:DeleteBucketPolicy",
	"GetBucketLogging":              "s3:GetBucketLogging",
	"GetBucketTagging":              "s3:GetBucketTagging",
	"PutBucketTagging":              "s3:PutBucketTagging",
	"DeleteBucketTagging":           "s3:PutBucketTagging",
	"ListObjects":                   "s3:ListBucket",
	"ListObjectsV2":                 "s3:ListBucket",
	"ListObjectVersions":            "s3:ListBucketVersions",
	"ListMultipartUploads":          "s3:ListBucketMultipartUploads",
	"ListParts":                     "s3:ListMultipartUploadParts",
	"GetObject":                     "s3:GetObject",
	"HeadObject":                    "s3:GetObject",
	"GetObjectAcl":                  "s3:GetObjectAcl",
	"PutObjectAcl":                  "s3:PutObjectAcl",
	"GetObjectAttributes":           "s3:GetObjectAttributes",
	"GetObjectTagging":              "s3:GetObjectTagging",
	"PutObjectTagging":              "s3:PutObjectTagging",
	"DeleteObjectTagging":           "s3:DeleteObjectTagging",
	"PutObject":                     "s3:PutObject",
	"CopyObject":                    "s3:PutObject",
	"CreateMultipartUpload":         "s3:PutObject",
	"UploadPart":                    "s3:PutObject",
	"UploadPartCopy":                "s3:PutObject",
	"CompleteMultipartUpload":       "s3:PutObject",
	"AbortMultipartUpload":          "s3:AbortMultipartUpload",
	"DeleteObject":                  "s3:DeleteObject",
	"DeleteObjects":                 "s3:DeleteObject",
}

// versionActions maps object actions to their variant for a request that
// names a version: for the caller's policies (iamAction) and the bucket
// policy (canReadObject) alike.
var versionActions = map[string]string{
	"s3:GetObject":        "s3:GetObjectVersion",
	"s3:GetObjectAcl":     "s3:GetObjectVersionAcl",
	"s3:PutObjectAcl":     "s3:PutObjectVersionAcl",
	"s3:DeleteObject":     "s3:DeleteObjectVersion",
	"s3:GetObjectTagging": "s3:GetObjectVersionTagging",
}

// iamAction is the action that authorizes req, "" for an operation no
// policy governs (GetCallerIdentity), and "?" for an operation the emulator
// does not know (only a "*" permission lets it through).
func iamAction(req *request) string {
	switch req.service {
	case "sts":
		switch req.operation {
		case "GetCallerIdentity":
			return ""
		case "AssumeRole":
			return "sts:AssumeRole"
		}
	case "organizations":
		if req.operation != "" {
			return "organizations:" + req.operation
		}
	case "s3":
		if a, ok := s3Actions[req.operation]; ok {
			if v, ok := versionActions[a]; ok && req.query.Get("versionId") != "" {
				return v
			}
			return a
		}
	}
	return "?"
}

// authorize denies a call the principal's policies do not allow, with the
// service's own AccessDenied.
func (e *Emulator) authorize(r *http.Request, req *request, c *Caller) *apiError {
	p := req.principal
	if p == nil || p.Perms == nil {
		return nil
	}
	action := iamAction(req)
	if action != "" && !p.Perms.allows(action) {
		if action == "?" {
			action = req.service + ":" + req.operation
		}
		return accessDenied(req.service, c, action)
	}
	if req.service == "s3" && req.operation == "CopyObject" {
		if src := copySourceAction(r); src != "" && !p.Perms.allows(src) {
			return accessDenied(req.service, c, src)
		}
	}
	return nil
}

// copySourceAction is the action CopyObject needs on its source besides
// s3:PutObject on its destination: s3:GetObject, or s3:GetObjectVersion
// when the source names a version
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html).
// It is "" for a malformed x-amz-copy-source, which the handler refuses.
func copySourceAction(r *http.Request) string {
	_, _, version, serr := parseCopySource(r.Header.Get("X-Amz-Copy-Source"))
	switch {
	case serr != nil:
		return ""
	case version != "":
		return "s3:GetObjectVersion"
	}
	return "s3:GetObject"
}

// accessDenied is the service's answer to a call of action that no
// identity-based policy of the caller allows.
func accessDenied(service string, c *Caller, action string) *apiError {
	msg := "User: " + c.ARN + " is not authorized to perform: " + action + " because no identity-based policy allows the " + action + " action"
	switch service {
	case "organizations":
		return &apiError{400, "AccessDeniedException", "You don't have permissions to access this resource. " + msg}
	default: // S3 and STS both answer 403 AccessDenied, each in its own protocol
		return &apiError{403, "AccessDenied", msg}
	}
}
