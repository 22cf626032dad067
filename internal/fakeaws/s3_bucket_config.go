package fakeaws

// Bucket configuration operations: ownership controls, ACL, versioning.

import (
	"encoding/xml"
	"net/http"
	"strings"
)

// ownershipControlsXML is the body of PutBucketOwnershipControls.
type ownershipControlsXML struct {
	XMLName xml.Name `xml:"OwnershipControls"`
	Rules   []struct {
		ObjectOwnership string `xml:"ObjectOwnership"`
	} `xml:"Rule"`
}

func (req *s3Request) getOwnershipControls() *s3Error {
	if err := req.requireOwner(); err != nil {
		return err
	}
	b := req.bucket
	b.mu.RLock()
	ownership := b.ownership
	b.mu.RUnlock()
	if ownership == ownershipNotSet {
		return newS3Error(http.StatusNotFound, "OwnershipControlsNotFoundError",
			"The bucket ownership controls were not found").with("BucketName", b.name)
	}
	x := newXMLBuf()
	x.openNS("OwnershipControls")
	x.open("Rule")
	x.elem("ObjectOwnership", ownership)
	x.close("Rule")
	x.close("OwnershipControls")
	x.writeTo(req.w, http.StatusOK)
	return nil
}

// putOwnershipControls is PutBucketOwnershipControls. The body must carry an
// integrity header (the SDK sends x-amz-checksum-crc32); BucketOwnerEnforced
// is refused while the bucket ACL grants anyone but the owner.
func (req *s3Request) putOwnershipControls() *s3Error {
	if err := req.requireOwner(); err != nil {
		return err
	}
	body, serr := req.readBody(maxS3ConfigBody, true)
	if serr != nil {
		return serr
	}
	var oc ownershipControlsXML
	if err := xml.Unmarshal(body, &oc); err != nil || len(oc.Rules) != 1 {
		return errMalformedXML()
	}
	ownership := oc.Rules[0].ObjectOwnership
	switch ownership {
	case ownershipEnforced, ownershipPreferred, ownershipWriter:
	default:
		return errMalformedXML()
	}
	b := req.bucket
	b.mu.Lock()
	defer b.mu.Unlock()
	if ownership == ownershipEnforced && len(b.acl) > 0 {
		return errInvalidBucketACLWithOwnership()
	}
	b.ownership = ownership
	req.w.WriteHeader(http.StatusOK)
	return nil
}

func (req *s3Request) deleteOwnershipControls() *s3Error {
	if err := req.requireOwner(); err != nil {
		return err
	}
	b := req.bucket
	b.mu.Lock()
	b.ownership = ownershipNotSet
	b.mu.Unlock()
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

// getBucketACL is GetBucketAcl: for the owner, or a READ_ACP grant.
func (req *s3Request) getBucketACL() *s3Error {
	b := req.bucket
	b.mu.RLock()
	if !req.allowedBy("s3:GetBucketAcl", "", permReadACP, nil) {
		b.mu.RUnlock()
		return errAccessDenied()
	}
	grants := b.bucketGrants()
	b.mu.RUnlock()
	x := newXMLBuf()
	writeACLPolicy(x, b.ownerCanonical, grants)
	x.writeTo(req.w, http.StatusOK)
	return nil
}

// putBucketACL is PutBucketAcl from a canned x-amz-acl, x-amz-grant-*
// headers or an AccessControlPolicy body. On an enforced bucket anything
// beyond the owner's FULL_CONTROL is AccessControlListNotSupported.
func (req *s3Request) putBucketACL() *s3Error {
	b := req.bucket
	b.mu.RLock()
	allowed := req.allowedBy("s3:PutBucketAcl", "", permWriteACP, nil)
	b.mu.RUnlock()
	if !allowed {
		return errAccessDenied()
	}
	grants, serr := req.requestedBucketGrants(true)
	if serr != nil {
		return serr
	}
	grants = withoutOwnerFullControl(grants, b.ownerCanonical)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ownership == ownershipEnforced && len(grants) > 0 {
		return errACLNotSupported()
	}
	b.acl = grants
	req.w.WriteHeader(http.StatusOK)
	return nil
}

// requestedBucketGrants reads the ACL a request asks for: x-amz-acl, else
// x-amz-grant-* headers, else (when bodyAllowed) an AccessControlPolicy
// body, which is then required.
func (req *s3Request) requestedBucketGrants(bodyAllowed bool) ([]s3Grant, *s3Error) {
	if canned := req.r.Header.Get("X-Amz-Acl"); canned != "" {
		grants, ok := cannedBucketGrants(canned)
		if !ok {
			return nil, errInvalidArgument("Invalid canned ACL", "x-amz-acl", canned)
		}
		return grants, nil
	}
	grants, found, serr := parseGrantHeaders(req.r.Header)
	if serr != nil || found || !bodyAllowed {
		return grants, serr
	}
	body, serr := req.readBody(maxS3ConfigBody, false)
	if serr != nil {
		return nil, serr
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, newS3Error(http.StatusBadRequest, "MalformedACLError",
			"The XML you provided was not well-formed or did not validate against our published schema")
	}
	return parseACLPolicy(body)
}

// versioningXML is the body of PutBucketVersioning.
type versioningXML struct {
	XMLName   xml.Name `xml:"VersioningConfiguration"`
	Status    string   `xml:"Status"`
	MfaDelete string   `xml:"MfaDelete"`
}

func (req *s3Request) getBucketVersioning() *s3Error {
	if err := req.requireOwner(); err != nil {
		return err
	}
	b := req.bucket
	b.mu.RLock()
	status := b.versioning
	b.mu.RUnlock()
	x := newXMLBuf()
	x.openNS("VersioningConfiguration")
	if status != versioningNever {
		x.elem("Status", status)
	}
	x.close("VersioningConfiguration")
	x.writeTo(req.w, http.StatusOK)
	return nil
}

func (req *s3Request) putBucketVersioning() *s3Error {
	if err := req.requireOwner(); err != nil {
		return err
	}
	body, serr := req.readBody(maxS3ConfigBody, false)
	if serr != nil {
		return serr
	}
	var v versioningXML
	if err := xml.Unmarshal(body, &v); err != nil {
		return errMalformedXML()
	}
	if v.Status != versioningEnabled && v.Status != versioningSuspended {
		return errMalformedXML()
	}
	if v.MfaDelete == "Enabled" {
		return errNotImplemented("MFA delete")
	}
	b := req.bucket
	b.mu.Lock()
	b.versioning = v.Status
	b.mu.Unlock()
	req.w.WriteHeader(http.StatusOK)
	return nil
}
