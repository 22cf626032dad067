package fakeaws

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
)

// Multipart limits, as S3's but the size of a whole object: objects live
// in memory, so an assembled upload is capped at 1 GiB (S3: 5 TiB), enough
// to stream a report of some millions of rows through the real client.
const (
	maxPartNumber   = 10000
	minPartSize     = 5 << 20 // every part but the last
	maxUploadedSize = 1 << 30
)

// s3Upload is a multipart upload in progress. Its ACL and initiator are
// fixed by CreateMultipartUpload: they decide who owns the completed object
// (CompleteMultipartUpload has no ACL,
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html).
type s3Upload struct {
	id          string
	key         string
	initiator   string // canonical ID
	account     string // initiator's account ID
	acl         string
	grants      []s3Grant // of a custom acl
	contentType string
	encryption  objectEncryption
	parts       map[int]s3Part
}

type s3Part struct {
	etag string // quoted md5 of data
	data []byte
}

// createMultipartUpload is CreateMultipartUpload: the same access and ACL
// checks as PutObject.
func (req *s3Request) createMultipartUpload() *s3Error {
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
	b := req.bucket
	b.mu.Lock()
	defer b.mu.Unlock()
	if serr := req.checkWriteAllowed(acl, grants); serr != nil {
		return serr
	}
	sum := sha256.Sum256([]byte("fakeaws upload " + b.name + "\x00" + req.key + "\x00" + strconv.FormatInt(b.uploadSeq, 10)))
	b.uploadSeq++
	u := &s3Upload{
		id:          hex.EncodeToString(sum[:24]),
		key:         req.key,
		initiator:   req.c.CanonicalID,
		account:     req.c.AccountID,
		acl:         acl,
		grants:      grants,
		contentType: req.r.Header.Get("Content-Type"),
		encryption:  enc,
		parts:       map[int]s3Part{},
	}
	b.uploads[u.id] = u
	enc.setHeaders(req.w.Header())
	x := newXMLBuf()
	x.openNS("InitiateMultipartUploadResult")
	x.elem("Bucket", b.name)
	x.elem("Key", req.key)
	x.elem("UploadId", u.id)
	x.close("InitiateMultipartUploadResult")
	x.writeTo(req.w, http.StatusOK)
	return nil
}

// upload returns the upload named by ?uploadId= for this key, if the caller
// initiated it or owns the bucket. Callers hold b.mu.
func (req *s3Request) upload() (*s3Upload, *s3Error) {
	id := req.q.Get("uploadId")
	u := req.bucket.uploads[id]
	if u == nil || u.key != req.key {
		return nil, newS3Error(http.StatusNotFound, "NoSuchUpload",
			"The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.").
			with("UploadId", id)
	}
	if u.initiator != req.c.CanonicalID && !req.callerIsOwner() {
		return nil, errAccessDenied()
	}
	return u, nil
}

func (req *s3Request) uploadPart() *s3Error {
	s := req.q.Get("partNumber")
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxPartNumber {
		return errInvalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", s)
	}
	body, serr := req.readBody(maxS3ObjectBody, false)
	if serr != nil {
		return serr
	}
	b := req.bucket
	b.mu.Lock()
	defer b.mu.Unlock()
	u, serr := req.upload()
	if serr != nil {
		return serr
	}
	p := s3Part{etag: quotedMD5(body), data: body}
	u.parts[n] = p
	req.w.Header().Set("ETag", p.etag)
	u.encryption.setHeaders(req.w.Header())
	req.w.WriteHeader(http.StatusOK)
	return nil
}

// completeMultipartXML is the CompleteMultipartUpload body.
type completeMultipartXML struct {
	XMLName xml.Name `xml:"CompleteMultipartUpload"`
	Parts   []struct {
		PartNumber int    `xml:"PartNumber"`
		ETag       string `xml:"ETag"`
	} `xml:"Part"`
}

// completeMultipartUpload assembles the listed parts into a new version
// written by the initiator with the ACL of CreateMultipartUpload, under the
// bucket's ownership setting at completion. The ETag is S3's: md5 of the
// parts' binary md5s, "-" and the part count.
func (req *s3Request) completeMultipartUpload() *s3Error {
	body, serr := req.readBody(maxS3ConfigBody, false)
	if serr != nil {
		return serr
	}
	var cm completeMultipartXML
	if err := xml.Unmarshal(body, &cm); err != nil || len(cm.Parts) == 0 {
		return errMalformedXML()
	}
	b := req.bucket
	b.mu.Lock()
	defer b.mu.Unlock()
	u, serr := req.upload()
	if serr != nil {
		return serr
	}
	var content bytes.Buffer
	md5s := make([]byte, 0, md5.Size*len(cm.Parts))
	for i := 1; i < len(cm.Parts); i++ {
		if cm.Parts[i].PartNumber <= cm.Parts[i-1].PartNumber {
			return newS3Error(http.StatusBadRequest, "InvalidPartOrder",
				"The list of parts was not in ascending order. Parts must be ordered by part number.").with("UploadId", u.id)
		}
	}
	total := 0
	for _, p := range cm.Parts {
		part, ok := u.parts[p.PartNumber]
		if !ok || strings.Trim(p.ETag, `"`) != strings.Trim(part.etag, `"`) {
			return newS3Error(http.StatusBadRequest, "InvalidPart",
				"One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.").
				with("UploadId", u.id).with("PartNumber", strconv.Itoa(p.PartNumber))
		}
		total += len(part.data)
	}
	if total <= maxUploadedSize {
		content.Grow(total) // one allocation, not a doubling per part
	}
	for i, p := range cm.Parts {
		part := u.parts[p.PartNumber]
		if i < len(cm.Parts)-1 && len(part.data) < minPartSize {
			return newS3Error(http.StatusBadRequest, "EntityTooSmall",
				"Your proposed upload is smaller than the minimum allowed object size.").
				with("PartNumber", strconv.Itoa(p.PartNumber)).with("MinSizeAllowed", strconv.Itoa(minPartSize))
		}
		if content.Len()+len(part.data) > maxUploadedSize {
			return newS3Error(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
		}
		content.Write(part.data)
		raw, _ := hex.DecodeString(strings.Trim(part.etag, `"`))
		md5s = append(md5s, raw...)
	}
	sum := md5.Sum(md5s)
	etag := `"` + hex.EncodeToString(sum[:]) + "-" + strconv.Itoa(len(cm.Parts)) + `"`
	v := &s3Version{
		writer:      u.initiator,
		owner:       ownerAtWrite(b.ownership, b.ownerCanonical, u.initiator, u.acl),
		acl:         u.acl,
		grants:      u.grants,
		size:        int64(content.Len()),
		etag:        etag,
		content:     content.Bytes(),
		contentType: u.contentType,
		encryption:  u.encryption,
	}
	b.putVersion(u.key, v)
	delete(b.uploads, u.id)
	req.setVersionHeader(v.id)
	u.encryption.setHeaders(req.w.Header())
	x := newXMLBuf()
	x.openNS("CompleteMultipartUploadResult")
	x.elem("Location", "/"+b.name+"/"+u.key)
	x.elem("Bucket", b.name)
	x.elem("Key", u.key)
	x.elem("ETag", etag)
	x.close("CompleteMultipartUploadResult")
	x.writeTo(req.w, http.StatusOK)
	return nil
}

func (req *s3Request) abortMultipartUpload() *s3Error {
	b := req.bucket
	b.mu.Lock()
	defer b.mu.Unlock()
	u, serr := req.upload()
	if serr != nil {
		return serr
	}
	delete(b.uploads, u.id)
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}
