package fakeaws

import (
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxKeyLength is S3's limit on object key length in bytes.
const maxKeyLength = 1024

// objectWriteACL reads and checks the ACL a write carries: canned x-amz-acl
// or x-amz-grant-* headers. It returns the canned name ("" none, "custom"
// for explicit grants).
func (req *s3Request) objectWriteACL() (acl string, grants []s3Grant, serr *s3Error) {
	acl = req.r.Header.Get("X-Amz-Acl")
	if !validObjectACL(acl) {
		return "", nil, errInvalidArgument("Invalid canned ACL", "x-amz-acl", acl)
	}
	grants, found, serr := parseGrantHeaders(req.r.Header)
	if serr != nil {
		return "", nil, serr
	}
	if found {
		if acl != "" {
			return "", nil, newS3Error(http.StatusBadRequest, "InvalidRequest",
				"Specifying both Canned ACLs and Header Grants is not allowed")
		}
		acl = aclCustom
	}
	return acl, grants, nil
}

// checkWriteAllowed is the access and Object Ownership check of every
// object write: the caller must be allowed to write into the bucket, and an
// enforced bucket accepts no ACL but bucket-owner-full-control (or grant
// headers giving only the bucket owner FULL_CONTROL). Callers hold b.mu.
func (req *s3Request) checkWriteAllowed(acl string, grants []s3Grant) *s3Error {
	b := req.bucket
	if !req.canWrite() {
		return errAccessDenied()
	}
	if b.ownership == ownershipEnforced {
		switch {
		case acl == "" || acl == aclBucketOwnerFullControl:
		case acl == aclCustom && onlyOwnerFullControl(grants, b.ownerCanonical):
		default:
			return errACLNotSupported()
		}
	}
	return nil
}

// checkWritableKey refuses keys S3 refuses and keys of generated objects,
// which are read-only in fakeaws.
func (req *s3Request) checkWritableKey(key string) *s3Error {
	if len(key) > maxKeyLength {
		return newS3Error(http.StatusBadRequest, "KeyTooLongError", "Your key is too long")
	}
	if req.bucket.isGeneratedKey(key) {
		return errNotImplemented("writes to generated objects (they are computed from their index and read-only)")
	}
	return nil
}

// storeWrite records a new version written by the caller, with the ACL
// its write carried (grants: those of a custom ACL). Callers hold b.mu for
// writing.
func (req *s3Request) storeWrite(key, acl string, grants []s3Grant, content []byte, etag, contentType string, enc objectEncryption) *s3Version {
	b := req.bucket
	v := &s3Version{
		encryption:  enc,
		writer:      req.c.CanonicalID,
		owner:       ownerAtWrite(b.ownership, b.ownerCanonical, req.c.CanonicalID, acl),
		acl:         acl,
		grants:      grants,
		size:        int64(len(content)),
		etag:        etag,
		content:     content,
		contentType: contentType,
	}
	if v.content == nil {
		v.content = []byte{}
	}
	b.putVersion(key, v)
	return v
}

// setVersionHeader writes x-amz-version-id for buckets that have ever had
// versioning enabled.
func (req *s3Request) setVersionHeader(id string) {
	if req.bucket.versioning != versioningNever {
		req.w.Header().Set("x-amz-version-id", id)
	}
}

// putObject is PutObject.
func (req *s3Request) putObject() *s3Error {
	if serr := req.checkWritableKey(req.key); serr != nil {
		return serr
	}
	acl, grants, serr := req.objectWriteACL()
	if serr != nil {
		return serr
	}
	enc, serr := req.writeEncryption()
	if serr != nil {
		return serr
	}
	body, serr := req.readBody(maxS3ObjectBody, false)
	if serr != nil {
		return serr
	}
	b := req.bucket
	b.mu.Lock()
	defer b.mu.Unlock()
	if serr := req.checkWriteAllowed(acl, grants); serr != nil {
		return serr
	}
	v := req.storeWrite(req.key, acl, grants, body, quotedMD5(body), req.r.Header.Get("Content-Type"), enc)
	req.w.Header().Set("ETag", v.etag)
	enc.setHeaders(req.w.Header())
	req.setVersionHeader(v.id)
	req.w.WriteHeader(http.StatusOK)
	return nil
}

// copyObject is CopyObject. The copy's owner follows the ACL of the copy
// request (the source's ACL is not carried,
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html); the caller
// must be able to read the source version.
func (req *s3Request) copyObject() *s3Error {
	if serr := req.checkWritableKey(req.key); serr != nil {
		return serr
	}
	acl, grants, serr := req.objectWriteACL()
	if serr != nil {
		return serr
	}
	enc, serr := req.writeEncryption()
	if serr != nil {
		return serr
	}
	srcName, srcKey, srcVersion, serr := parseCopySource(req.r.Header.Get("X-Amz-Copy-Source"))
	if serr != nil {
		return serr
	}
	src := req.st.bucket(srcName)
	if src == nil {
		return errNoSuchBucket(srcName)
	}
	src.mu.RLock()
	view, found := src.lookupVersion(srcKey, srcVersion)
	var content []byte
	switch {
	case !found && srcVersion != "":
		serr = errNoSuchVersion(srcKey, srcVersion)
	case !found || view.deleteMarker && srcVersion == "":
		serr = errNoSuchKey(srcKey)
	case view.deleteMarker:
		serr = newS3Error(http.StatusBadRequest, "InvalidRequest",
			"The source of a copy request may not specifically refer to a delete marker by version id.")
	case !req.canReadObject(src, view, "s3:GetObject", srcVersion, permRead):
		serr = errAccessDenied()
	case view.size > maxS3ObjectBody:
		serr = newS3Error(http.StatusBadRequest, "InvalidRequest", "fakeaws copies objects of at most 64 MiB")
	default:
		content, _ = io.ReadAll(src.content(view))
	}
	src.mu.RUnlock()
	if serr != nil {
		return serr
	}

	b := req.bucket
	b.mu.Lock()
	defer b.mu.Unlock()
	if serr := req.checkWriteAllowed(acl, grants); serr != nil {
		return serr
	}
	contentType := ""
	if view.stored != nil {
		contentType = view.stored.contentType
	}
	if strings.EqualFold(req.r.Header.Get("X-Amz-Metadata-Directive"), "REPLACE") {
		contentType = req.r.Header.Get("Content-Type")
	}
	v := req.storeWrite(req.key, acl, grants, content, quotedMD5(content), contentType, enc)
	enc.setHeaders(req.w.Header())
	if view.id != nullVersionID {
		req.w.Header().Set("x-amz-copy-source-version-id", view.id)
	}
	req.setVersionHeader(v.id)
	x := newXMLBuf()
	x.openNS("CopyObjectResult")
	x.timeElem("LastModified", v.lastModified())
	x.elem("ETag", v.etag)
	x.close("CopyObjectResult")
	x.writeTo(req.w, http.StatusOK)
	return nil
}

// parseCopySource splits x-amz-copy-source: "[/]bucket/key[?versionId=id]",
// URL-encoded.
func parseCopySource(h string) (bucket, key, versionID string, serr *s3Error) {
	bad := newS3Error(http.StatusBadRequest, "InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey").
		with("ArgumentName", "x-amz-copy-source").with("ArgumentValue", h)
	path, query, _ := strings.Cut(strings.TrimPrefix(h, "/"), "?")
	if query != "" {
		vals, err := url.ParseQuery(query)
		if err != nil {
			return "", "", "", bad
		}
		versionID = vals.Get("versionId")
	}
	decoded, err := url.PathUnescape(path)
	if err != nil {
		return "", "", "", bad
	}
	bucket, key, _ = strings.Cut(decoded, "/")
	if bucket == "" || key == "" {
		return "", "", "", bad
	}
	return bucket, key, versionID, nil
}

func errNoSuchVersion(key, versionID string) *s3Error {
	return newS3Error(http.StatusNotFound, "NoSuchVersion",
		"The specified version does not exist.").with("Key", key).with("VersionId", versionID)
}

// canReadObject decides a read of version v of bucket b (action
// s3:GetObject with ACL permission READ, or s3:GetObjectAcl with READ_ACP;
// with versionID set, their ...Version forms and the s3:versionid key).
// An explicit Deny of b's policy refuses it; else the version's owner may,
// the bucket policy may allow it only on a version the bucket owner owns
// (it has no say over another account's object), and while ACLs are
// enabled the object's ACL may grant it. So an object another account
// wrote into an ObjectWriter bucket stays 403 for the bucket owner's
// principals unless its ACL grants them
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html).
// Callers hold b.mu.
func (req *s3Request) canReadObject(b *s3Bucket, v versionView, action, versionID, perm string) bool {
	var keys map[string]string
	if versionID != "" {
		action = versionActions[action]
		keys = map[string]string{"s3:versionid": versionID}
	}
	d := req.policyDecision(b, action, v.key, keys)
	switch {
	case d == policyDenies:
		return false
	case v.owner == req.c.CanonicalID:
		return true
	case v.owner == b.ownerCanonical && d == policyAllows:
		return true
	case v.stored == nil || b.ownership == ownershipEnforced:
		return false
	}
	return grantsAllow(b.objectGrants(v.stored), req.c.CanonicalID, req.c.AccountID != "", perm)
}

// readableVersion looks up the version a GetObject-like request names and
// checks that the caller may read it with perm. Callers hold b.mu.
func (req *s3Request) readableVersion(action, perm string) (versionView, *s3Error) {
	b := req.bucket
	versionID := req.q.Get("versionId")
	view, found := b.lookupVersion(req.key, versionID)
	switch {
	case !found && versionID != "":
		return view, errNoSuchVersion(req.key, versionID)
	case !found:
		return view, errNoSuchKey(req.key)
	case view.deleteMarker:
		e := errNoSuchKey(req.key)
		if versionID != "" {
			e = newS3Error(http.StatusMethodNotAllowed, "MethodNotAllowed",
				"The specified method is not allowed against this resource.").with("Method", req.r.Method).with("ResourceType", "DeleteMarker")
		}
		e.withHeader("x-amz-delete-marker", "true")
		if b.versioning != versioningNever {
			e.withHeader("x-amz-version-id", view.id)
		}
		return view, e
	case !req.canReadObject(b, view, action, versionID, perm):
		return view, errAccessDenied()
	}
	return view, nil
}

// getObject is GetObject and HeadObject. Only the version's owner, or an
// object ACL grant, may read it: an object another account wrote into an
// ObjectWriter bucket is 403 for the bucket's own principals.
func (req *s3Request) getObject() *s3Error {
	b := req.bucket
	b.mu.RLock()
	view, serr := req.readableVersion("s3:GetObject", permRead)
	var content io.ReadSeeker
	var enc objectEncryption // generated objects: SSE-S3
	contentType := "binary/octet-stream"
	if serr == nil {
		content = b.content(view)
		if view.stored != nil && view.stored.contentType != "" {
			contentType = view.stored.contentType
		}
		if view.stored != nil {
			enc = view.stored.encryption
		}
	}
	b.mu.RUnlock()
	if serr != nil {
		return serr
	}
	h := req.w.Header()
	h.Set("ETag", view.etag)
	h.Set("Content-Type", contentType)
	enc.setHeaders(h)
	h.Set("Last-Modified", view.lastModified.UTC().Format(http.TimeFormat))
	req.setVersionHeader(view.id)
	http.ServeContent(req.w, req.r, "", view.lastModified, content)
	return nil
}

// getObjectACL is GetObjectAcl (optionally of a versionId): READ_ACP is the
// object owner's, or granted by the object ACL.
func (req *s3Request) getObjectACL() *s3Error {
	b := req.bucket
	b.mu.RLock()
	view, serr := req.readableVersion("s3:GetObjectAcl", permReadACP)
	var grants []s3Grant
	if serr == nil {
		if view.stored != nil {
			grants = b.objectGrants(view.stored)
		} else {
			grants = []s3Grant{userGrant(view.owner, permFullControl)}
		}
	}
	b.mu.RUnlock()
	if serr != nil {
		return serr
	}
	req.setVersionHeader(view.id)
	x := newXMLBuf()
	writeACLPolicy(x, view.owner, grants)
	x.writeTo(req.w, http.StatusOK)
	return nil
}

// deleteObject is DeleteObject. Only the bucket owner (or a WRITE grant of
// the bucket ACL) may delete. Without versionId: removes the object of an
// unversioned bucket, else adds a delete marker owned by the caller (the
// bucket owner when enforced). With versionId: removes that version.
func (req *s3Request) deleteObject() *s3Error {
	if serr := req.checkWritableKey(req.key); serr != nil {
		return serr
	}
	b := req.bucket
	b.mu.Lock()
	defer b.mu.Unlock()
	action, keys := "s3:DeleteObject", map[string]string(nil)
	if id, ok := req.q["versionId"]; ok {
		action, keys = "s3:DeleteObjectVersion", map[string]string{"s3:versionid": id[0]}
	}
	if !req.allowedBy(action, req.key, permWrite, keys) {
		return errAccessDenied()
	}
	h := req.w.Header()
	if id, ok := req.q["versionId"]; ok {
		if removed, ok := b.deleteVersion(req.key, id[0]); ok {
			h.Set("x-amz-version-id", removed.id)
			if removed.deleteMarker {
				h.Set("x-amz-delete-marker", "true")
			}
		}
	} else {
		writer := req.c.CanonicalID
		if m := b.deleteLatest(req.key, writer, ownerAtWrite(b.ownership, b.ownerCanonical, writer, "")); m != nil {
			h.Set("x-amz-version-id", m.id)
			h.Set("x-amz-delete-marker", "true")
		}
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}
