package fakeaws

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// s3Request is one authenticated S3 call being served.
type s3Request struct {
	st     *s3Store
	w      http.ResponseWriter
	r      *http.Request
	c      *Caller
	q      url.Values
	op     string
	bucket *s3Bucket // nil for ListBuckets and CreateBucket
	name   string    // bucket name from the request
	key    string
}

// s3Handler serves one operation on a bucket that exists and is in the
// caller's signing region. A returned error is written as an S3 error.
type s3Handler func(*s3Request) *s3Error

// s3Handlers maps SDK operation names to their handlers.
var s3Handlers = map[string]s3Handler{
	"HeadBucket":                    (*s3Request).headBucket,
	"GetBucketLocation":             (*s3Request).getBucketLocation,
	"GetBucketOwnershipControls":    (*s3Request).getOwnershipControls,
	"PutBucketOwnershipControls":    (*s3Request).putOwnershipControls,
	"DeleteBucketOwnershipControls": (*s3Request).deleteOwnershipControls,
	"GetBucketAcl":                  (*s3Request).getBucketACL,
	"PutBucketAcl":                  (*s3Request).putBucketACL,
	"GetBucketVersioning":           (*s3Request).getBucketVersioning,
	"PutBucketVersioning":           (*s3Request).putBucketVersioning,
	"ListObjectsV2":                 (*s3Request).listObjectsV2,
	"ListObjectVersions":            (*s3Request).listObjectVersions,
	"PutObject":                     (*s3Request).putObject,
	"CopyObject":                    (*s3Request).copyObject,
	"GetObject":                     (*s3Request).getObject,
	"HeadObject":                    (*s3Request).getObject,
	"GetObjectAcl":                  (*s3Request).getObjectACL,
	"DeleteObject":                  (*s3Request).deleteObject,
	"CreateMultipartUpload":         (*s3Request).createMultipartUpload,
	"UploadPart":                    (*s3Request).uploadPart,
	"CompleteMultipartUpload":       (*s3Request).completeMultipartUpload,
	"AbortMultipartUpload":          (*s3Request).abortMultipartUpload,
	"GetBucketPolicy":               (*s3Request).getBucketPolicy,
	"PutBucketPolicy":               (*s3Request).putBucketPolicy,
	"DeleteBucketPolicy":            (*s3Request).deleteBucketPolicy,
	"GetBucketLogging":              (*s3Request).getBucketLogging,
}

// serve handles one authenticated S3 request (A's ServeHTTP has counted it,
// checked its signature and applied faults). c may be nil for an anonymous
// caller. Order of checks, as S3: the bucket must exist (404 NoSuchBucket),
// the request must be signed for the bucket's region (301
// PermanentRedirect, except GetBucketLocation), then access (403).
func (st *s3Store) serve(w http.ResponseWriter, r *http.Request, c *Caller) {
	q := r.URL.Query()
	op, name, key := classifyS3(r, q)
	st.serveClassified(w, r, c, s3Call{op: op, bucket: name, key: key, query: q})
}

// s3Call is what classifyS3 made of a request, with its query parameters.
type s3Call struct {
	op, bucket, key string
	query           url.Values
}

// serveClassified is serve of a request already classified.
func (st *s3Store) serveClassified(w http.ResponseWriter, r *http.Request, c *Caller, call s3Call) {
	if c == nil {
		c = &Caller{CanonicalID: anonymousCanonicalID}
	}
	req := &s3Request{st: st, w: w, r: r, c: c, q: call.query, op: call.op, name: call.bucket, key: call.key}
	ensureRequestID(w)
	if err := req.dispatch(); err != nil {
		err.write(w, r)
	}
}

func (req *s3Request) dispatch() *s3Error {
	switch req.op {
	case "ListBuckets":
		return req.listBuckets()
	case "CreateBucket":
		return req.createBucket()
	}
	h, ok := s3Handlers[req.op]
	if !ok {
		return errNotImplemented(req.op)
	}
	b := req.st.bucket(req.name)
	if b == nil {
		return errNoSuchBucket(req.name)
	}
	req.bucket = b
	if req.op != "GetBucketLocation" && req.c.Region != "" && req.c.Region != b.region {
		if req.st.part.OptIn(req.c.Region) || req.st.part.OptIn(b.region) {
			return errIllegalLocation(b)
		}
		return errPermanentRedirect(b, req.r.Method == http.MethodHead)
	}
	if exp := req.r.Header.Get("X-Amz-Expected-Bucket-Owner"); exp != "" && exp != b.account {
		// HeadBucket names the bucket's region whatever the answer.
		if req.op == "HeadBucket" {
			return errAccessDenied().withHeader("x-amz-bucket-region", b.region)
		}
		return errAccessDenied()
	}
	return h(req)
}

// errPermanentRedirect is S3's answer to a request signed for another
// region than the bucket's (PermanentRedirect, 301). HEAD requests get no body, so
// the SDK reports MovedPermanently.
func errPermanentRedirect(b *s3Bucket, head bool) *s3Error {
	e := newS3Error(http.StatusMovedPermanently, "PermanentRedirect",
		"The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.").
		with("Bucket", b.name).
		with("Endpoint", b.name+".s3."+b.region+".amazonaws.com").
		withHeader("x-amz-bucket-region", b.region)
	return e
}

// errIllegalLocation is S3's answer to a request sent to another region
// than the bucket's when either region is an opt-in region: 400
// IllegalLocationConstraintException naming the bucket's location
// constraint ("unspecified" for us-east-1), not a 301
// (https://github.com/cloud-custodian/cloud-custodian/issues/8005; the
// AWS SDK for JavaScript v3 reads x-amz-bucket-region from this answer,
// which is modelled here too).
func errIllegalLocation(b *s3Bucket) *s3Error {
	constraint := b.region
	if constraint == DefaultRegion {
		constraint = "unspecified"
	}
	return newS3Error(http.StatusBadRequest, "IllegalLocationConstraintException",
		"The "+constraint+" location constraint is incompatible for the region specific endpoint this request was sent to.").
		withHeader("x-amz-bucket-region", b.region)
}

// classifyS3 names the SDK operation of an S3 request and its bucket and
// key. The bucket comes from a virtual-host name ({bucket}.localhost,
// {bucket}.s3.{region}.amazonaws.com, {bucket}.s3.amazonaws.com) or else the
// first path segment. Unrecognised requests are "Unknown" (serve answers
// 501 NotImplemented). x-id query parameters are ignored. q is the
// request's query, parsed.
func classifyS3(r *http.Request, q url.Values) (operation, bucket, key string) {
	bucket, key = s3Target(r)
	has := func(name string) bool { _, ok := q[name]; return ok }
	if bucket == "" {
		if r.Method == http.MethodGet {
			return "ListBuckets", "", ""
		}
		return "Unknown", "", ""
	}
	if key == "" {
		return classifyBucketOp(r.Method, has, q), bucket, ""
	}
	switch r.Method {
	case http.MethodPut:
		switch {
		case has("uploadId") && r.Header.Get("X-Amz-Copy-Source") != "":
			return "UploadPartCopy", bucket, key
		case has("uploadId"):
			return "UploadPart", bucket, key
		case has("acl"):
			return "PutObjectAcl", bucket, key
		case has("tagging"):
			return "PutObjectTagging", bucket, key
		case r.Header.Get("X-Amz-Copy-Source") != "":
			return "CopyObject", bucket, key
		}
		return "PutObject", bucket, key
	case http.MethodPost:
		switch {
		case has("uploads"):
			return "CreateMultipartUpload", bucket, key
		case has("uploadId"):
			return "CompleteMultipartUpload", bucket, key
		}
	case http.MethodDelete:
		if has("uploadId") {
			return "AbortMultipartUpload", bucket, key
		}
		if has("tagging") {
			return "DeleteObjectTagging", bucket, key
		}
		return "DeleteObject", bucket, key
	case http.MethodGet:
		switch {
		case has("acl"):
			return "GetObjectAcl", bucket, key
		case has("uploadId"):
			return "ListParts", bucket, key
		case has("tagging"):
			return "GetObjectTagging", bucket, key
		case has("attributes"):
			return "GetObjectAttributes", bucket, key
		}
		return "GetObject", bucket, key
	case http.MethodHead:
		return "HeadObject", bucket, key
	}
	return "Unknown", bucket, key
}

func classifyBucketOp(method string, has func(string) bool, q url.Values) string {
	switch method {
	case http.MethodHead:
		return "HeadBucket"
	case http.MethodPut:
		switch {
		case has("ownershipControls"):
			return "PutBucketOwnershipControls"
		case has("acl"):
			return "PutBucketAcl"
		case has("versioning"):
			return "PutBucketVersioning"
		case has("policy"):
			return "PutBucketPolicy"
		case has("logging"):
			return "PutBucketLogging"
		case has("tagging"):
			return "PutBucketTagging"
		case len(q) == 0 || (len(q) == 1 && has("x-id")):
			return "CreateBucket"
		}
	case http.MethodGet:
		switch {
		case has("ownershipControls"):
			return "GetBucketOwnershipControls"
		case has("acl"):
			return "GetBucketAcl"
		case has("versioning"):
			return "GetBucketVersioning"
		case has("location"):
			return "GetBucketLocation"
		case has("versions"):
			return "ListObjectVersions"
		case has("uploads"):
			return "ListMultipartUploads"
		case has("policy"):
			return "GetBucketPolicy"
		case has("logging"):
			return "GetBucketLogging"
		case has("tagging"):
			return "GetBucketTagging"
		case q.Get("list-type") == "2":
			return "ListObjectsV2"
		}
		return "ListObjects"
	case http.MethodDelete:
		switch {
		case has("ownershipControls"):
			return "DeleteBucketOwnershipControls"
		case has("policy"):
			return "DeleteBucketPolicy"
		case has("tagging"):
			return "DeleteBucketTagging"
		}
		return "DeleteBucket"
	case http.MethodPost:
		if has("delete") {
			return "DeleteObjects"
		}
	}
	return "Unknown"
}

// s3Target splits a request into bucket and key, for path-style and
// virtual-host-style addressing. The key is the decoded path after the
// bucket; callers must not clean the path ("a//b" and "a/./b" are keys).
func s3Target(r *http.Request) (bucket, key string) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	if vb := virtualHostBucket(r.Host); vb != "" {
		return vb, path
	}
	bucket, key, _ = strings.Cut(path, "/")
	return bucket, key
}

// virtualHostBucket returns the bucket named by a virtual-host style Host,
// or "" for path style (IP literals, localhost, s3.* endpoints).
func virtualHostBucket(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" || net.ParseIP(strings.Trim(host, "[]")) != nil {
		return ""
	}
	if b, ok := strings.CutSuffix(host, ".localhost"); ok {
		return b
	}
	if i := strings.Index(host, ".s3."); i > 0 {
		return host[:i]
	}
	if i := strings.Index(host, ".s3-"); i > 0 {
		return host[:i]
	}
	return ""
}

// callerIsOwner reports whether the caller belongs to the bucket's account.
func (req *s3Request) callerIsOwner() bool {
	return req.c.AccountID != "" && req.c.AccountID == req.bucket.account
}

// requireOwner allows only principals of the bucket's account.
func (req *s3Request) requireOwner() *s3Error {
	if !req.callerIsOwner() {
		return errAccessDenied()
	}
	return nil
}

// bucketACLAllows reports whether the bucket ACL grants the caller perm;
// ACLs count only while the bucket is not enforced. Callers hold b.mu.
func (req *s3Request) bucketACLAllows(perm string) bool {
	b := req.bucket
	if b.ownership == ownershipEnforced {
		return false
	}
	return grantsAllow(b.acl, req.c.CanonicalID, req.c.AccountID != "", perm)
}

// allowedBy decides an access to the bucket (key "") or to an object of
// it that is the bucket owner's, as S3 does for a bucket's own resources:
// an explicit Deny of the bucket policy refuses it for everyone; else the
// bucket's account, an Allow of the bucket policy, or (while ACLs are
// enabled) a bucket ACL grant of aclPerm allow it. keys are the request's
// condition keys beyond those every request has. Callers hold b.mu.
func (req *s3Request) allowedBy(action, key, aclPerm string, keys map[string]string) bool {
	switch req.policyDecision(req.bucket, action, key, keys) {
	case policyDenies:
		return false
	case policyAllows:
		return true
	}
	return req.callerIsOwner() || req.bucketACLAllows(aclPerm)
}

// policyDecision evaluates bucket b's policy for this request's caller.
// Callers hold b.mu.
func (req *s3Request) policyDecision(b *s3Bucket, action, key string, keys map[string]string) policyDecision {
	if b.policy == nil {
		return policySilent
	}
	resource := b.name
	if key != "" {
		resource += "/" + key
	}
	all := map[string]string{}
	if req.c.AccountID != "" {
		all["aws:principalaccount"] = req.c.AccountID
		all["aws:principalarn"] = principalARN(req.c)
	}
	for k, v := range keys {
		all[k] = v
	}
	return b.policy.decide(policyContext{action: action, resource: resource, caller: req.c, keys: all})
}

// principalARN is the aws:PrincipalArn of a signed caller: the role's ARN
// for an assumed-role session, else the caller's own ARN
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
func principalARN(c *Caller) string {
	rest, ok := strings.CutPrefix(c.ARN, "arn:aws:sts::"+c.AccountID+":assumed-role/")
	if !ok {
		return c.ARN
	}
	role, _, _ := strings.Cut(rest, "/")
	return "arn:aws:iam::" + c.AccountID + ":role/" + role
}

// canWrite: an object write (s3:PutObject) of the request's key, with the
// condition keys its ACL headers set (s3:x-amz-acl, s3:x-amz-grant-*), by
// the bucket owner, the bucket policy, or a WRITE grant of the bucket ACL.
// Callers hold b.mu.
func (req *s3Request) canWrite() bool {
	keys := map[string]string{}
	if v := req.r.Header.Get("X-Amz-Acl"); v != "" {
		keys["s3:x-amz-acl"] = v
	}
	for _, gh := range grantHeaders {
		if v := req.r.Header.Get(gh.header); v != "" {
			keys[strings.ToLower("s3:"+gh.header)] = v
		}
	}
	return req.allowedBy("s3:PutObject", req.key, permWrite, keys)
}

// listActions are the IAM actions S3 authorizes the listings as.
var listActions = map[string]string{
	"ListObjectVersions":   "s3:ListBucketVersions",
	"ListMultipartUploads": "s3:ListBucketMultipartUploads",
}

// canList: a listing of the bucket (HeadBucket and ListObjects* are
// s3:ListBucket, ListObjectVersions s3:ListBucketVersions) by the bucket
// owner, the bucket policy, or a READ grant of the bucket ACL. Callers
// hold b.mu.
func (req *s3Request) canList() bool {
	action, ok := listActions[req.op]
	if !ok {
		action = "s3:ListBucket"
	}
	return req.allowedBy(action, "", permRead, nil)
}
