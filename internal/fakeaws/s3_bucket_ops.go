package fakeaws

import (
	"encoding/base64"
	"encoding/xml"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// listBuckets is ListBuckets: the caller's account's buckets in name order
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html). BucketRegion is written only when the request used
// max-buckets, continuation-token, prefix or bucket-region; such requests
// get pages of max-buckets (default 10000) with a ContinuationToken.
func (req *s3Request) listBuckets() *s3Error {
	if req.c.AccountID == "" {
		return errAccessDenied()
	}
	q := req.q
	paginated := false
	for _, p := range []string{"max-buckets", "continuation-token", "prefix", "bucket-region"} {
		if _, ok := q[p]; ok {
			paginated = true
		}
	}
	limit := 10000
	if s := q.Get("max-buckets"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10000 {
			return errInvalidArgument("max-buckets must be an integer between 1 and 10000", "max-buckets", s)
		}
		limit = n
	}
	after := ""
	if tok := q.Get("continuation-token"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			return errInvalidArgument("The continuation token provided is incorrect", "continuation-token", tok)
		}
		after = string(raw)
	}
	prefix, region := q.Get("prefix"), q.Get("bucket-region")

	st := req.st
	st.mu.RLock()
	names := st.byAccount[req.c.AccountID]
	start := sort.SearchStrings(names, after)
	if after != "" && start < len(names) && names[start] == after {
		start++
	}
	var page []*s3Bucket
	truncated := false
	for _, name := range names[start:] {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		b := st.buckets[name]
		if region != "" && b.region != region {
			continue
		}
		if paginated && len(page) == limit {
			truncated = true
			break
		}
		page = append(page, b)
	}
	st.mu.RUnlock()

	x := newXMLBuf()
	x.openNS("ListAllMyBucketsResult")
	x.ownerElem(req.c.CanonicalID)
	x.open("Buckets")
	for _, b := range page {
		x.open("Bucket")
		x.elem("Name", b.name)
		x.timeElem("CreationDate", b.created)
		if paginated {
			x.elem("BucketRegion", b.region)
		}
		x.close("Bucket")
	}
	x.close("Buckets")
	if truncated {
		x.elem("ContinuationToken", base64.RawURLEncoding.EncodeToString([]byte(page[len(page)-1].name)))
	}
	if prefix != "" {
		x.elem("Prefix", prefix)
	}
	x.close("ListAllMyBucketsResult")
	x.writeTo(req.w, http.StatusOK)
	return nil
}

// createBucketConfiguration is the optional CreateBucket body.
type createBucketConfiguration struct {
	XMLName            xml.Name `xml:"CreateBucketConfiguration"`
	LocationConstraint string   `xml:"LocationConstraint"`
}

// createBucket is CreateBucket. The region is the body's LocationConstraint
// ("EU" means eu-west-1), else the signing region, else us-east-1; a
// constraint other than the signing region is
// IllegalLocationConstraintException. x-amz-object-ownership defaults to
// BucketOwnerEnforced, which refuses bucket ACL grants
// (InvalidBucketAclWithObjectOwnership).
func (req *s3Request) createBucket() *s3Error {
	c := req.c
	if c.AccountID == "" {
		return errAccessDenied()
	}
	if msg := invalidBucketName(req.name); msg != "" {
		return newS3Error(http.StatusBadRequest, "InvalidBucketName", "The specified bucket is not valid: "+msg).with("BucketName", req.name)
	}
	body, serr := req.readBody(maxS3ConfigBody, false)
	if serr != nil {
		return serr
	}
	region := ""
	if len(strings.TrimSpace(string(body))) > 0 {
		var cfg createBucketConfiguration
		if err := xml.Unmarshal(body, &cfg); err != nil {
			return errMalformedXML()
		}
		region = cfg.LocationConstraint
		if region == "EU" {
			region = "eu-west-1"
		}
		if region != "" && c.Region != "" && region != c.Region {
			return newS3Error(http.StatusBadRequest, "IllegalLocationConstraintException",
				"The "+region+" location constraint is incompatible for the region specific endpoint this request was sent to.")
		}
	}
	if region == "" {
		region = c.Region
	}
	if region == "" {
		region = DefaultRegion
	}
	ownership := ownershipEnforced
	if o := req.r.Header.Get("X-Amz-Object-Ownership"); o != "" {
		switch o {
		case ownershipEnforced, ownershipPreferred, ownershipWriter:
			ownership = o
		default:
			return errInvalidArgument("Invalid x-amz-object-ownership header", "x-amz-object-ownership", o)
		}
	}
	grants, serr := req.requestedBucketGrants(false)
	if serr != nil {
		return serr
	}
	grants = withoutOwnerFullControl(grants, c.CanonicalID)
	if ownership == ownershipEnforced && len(grants) > 0 {
		return errInvalidBucketACLWithOwnership()
	}

	st := req.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if existing := st.buckets[req.name]; existing != nil {
		if existing.account == c.AccountID {
			return newS3Error(http.StatusConflict, "BucketAlreadyOwnedByYou",
				"Your previous request to create the named bucket succeeded and you already own it.").with("BucketName", req.name)
		}
		return newS3Error(http.StatusConflict, "BucketAlreadyExists",
			"The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.").
			with("BucketName", req.name)
	}
	b := newBucket(req.name, c.AccountID, region, s3BaseTime.Add(time.Duration(st.created)*time.Second))
	st.created++
	b.ownership = ownership
	b.acl = grants
	st.buckets[b.name] = b
	names := st.byAccount[b.account]
	i := sort.SearchStrings(names, b.name)
	names = append(names, "")
	copy(names[i+1:], names[i:])
	names[i] = b.name
	st.byAccount[b.account] = names

	req.w.Header().Set("Location", "/"+b.name)
	req.w.WriteHeader(http.StatusOK)
	return nil
}

func errInvalidBucketACLWithOwnership() *s3Error {
	return newS3Error(http.StatusBadRequest, "InvalidBucketAclWithObjectOwnership",
		"Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
}

// invalidBucketName returns why name is not a valid general purpose bucket
// name, or "".
func invalidBucketName(name string) string {
	if len(name) < 3 || len(name) > 63 {
		return "must be 3 to 63 characters long"
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return "may contain only lowercase letters, digits, dots and hyphens"
		}
	}
	if !isAlnum(name[0]) || !isAlnum(name[len(name)-1]) {
		return "must begin and end with a letter or digit"
	}
	if strings.Contains(name, "..") {
		return "must not contain two adjacent periods"
	}
	if net.ParseIP(name) != nil {
		return "must not be formatted as an IP address"
	}
	return ""
}

func isAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// headBucket is HeadBucket: 200 with x-amz-bucket-region for callers allowed
// to list the bucket; 403 (still with the region header) for others.
func (req *s3Request) headBucket() *s3Error {
	b := req.bucket
	req.w.Header().Set("x-amz-bucket-region", b.region)
	b.mu.RLock()
	allowed := req.canList()
	b.mu.RUnlock()
	if !allowed {
		return errAccessDenied()
	}
	req.w.Header().Set("x-amz-access-point-alias", "false")
	req.w.WriteHeader(http.StatusOK)
	return nil
}

// getBucketLocation is GetBucketLocation: empty for us-east-1
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html). Only the bucket's account may call it; it is answered whatever the
// signing region.
func (req *s3Request) getBucketLocation() *s3Error {
	if err := req.requireOwner(); err != nil {
		return err
	}
	region := req.bucket.region
	if region == DefaultRegion {
		region = ""
	}
	x := newXMLBuf()
	x.openNS("LocationConstraint")
	x.b = appendXMLEscaped(x.b, region)
	x.close("LocationConstraint")
	x.writeTo(req.w, http.StatusOK)
	return nil
}
