package fakeaws

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sort"
)

// s3Error is an S3 error answer: status, code, message and the extra
// elements some codes carry (BucketName, Endpoint, ...).
type s3Error struct {
	status  int
	code    string
	message string
	extra   map[string]string
	headers map[string]string // response headers to add, e.g. x-amz-bucket-region
}

func newS3Error(status int, code, message string) *s3Error {
	return &s3Error{status: status, code: code, message: message}
}

func (e *s3Error) with(name, value string) *s3Error {
	if e.extra == nil {
		e.extra = map[string]string{}
	}
	e.extra[name] = value
	return e
}

func (e *s3Error) withHeader(name, value string) *s3Error {
	if e.headers == nil {
		e.headers = map[string]string{}
	}
	e.headers[name] = value
	return e
}

func (e *s3Error) Error() string { return e.code + ": " + e.message }

func errNoSuchBucket(bucket string) *s3Error {
	return newS3Error(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist").with("BucketName", bucket)
}

func errNoSuchKey(key string) *s3Error {
	return newS3Error(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.").with("Key", key)
}

func errAccessDenied() *s3Error {
	return newS3Error(http.StatusForbidden, "AccessDenied", "Access Denied")
}

func errMalformedXML() *s3Error {
	return newS3Error(http.StatusBadRequest, "MalformedXML",
		"The XML you provided was not well-formed or did not validate against our published schema")
}

func errInvalidArgument(message, name, value string) *s3Error {
	return newS3Error(http.StatusBadRequest, "InvalidArgument", message).
		with("ArgumentName", name).with("ArgumentValue", value)
}

func errACLNotSupported() *s3Error {
	return newS3Error(http.StatusBadRequest, "AccessControlListNotSupported", "The bucket does not allow ACLs")
}

func errNotImplemented(what string) *s3Error {
	return newS3Error(http.StatusNotImplemented, "NotImplemented",
		"A header or operation you provided implies functionality that is not implemented: "+what)
}

// writeS3Error writes an S3 error document:
// <Error><Code/><Message/>extra...<RequestId/><HostId/></Error>. extra
// elements are written in name order. The request ID is the response's
// x-amz-request-id header, set here when missing.
func writeS3Error(w http.ResponseWriter, status int, code, message string, extra map[string]string) {
	requestID := ensureRequestID(w)
	x := newXMLBuf()
	x.open("Error")
	x.elem("Code", code)
	x.elem("Message", message)
	names := make([]string, 0, len(extra))
	for name := range extra {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		x.elem(name, extra[name])
	}
	x.elem("RequestId", requestID)
	x.elem("HostId", w.Header().Get("X-Amz-Id-2"))
	x.close("Error")
	x.writeTo(w, status)
}

// write writes e; HEAD requests get the status and headers only, as S3
// sends them (the SDK then derives the code from the status text).
func (e *s3Error) write(w http.ResponseWriter, r *http.Request) {
	for name, value := range e.headers {
		w.Header().Set(name, value)
	}
	if r.Method == http.MethodHead {
		ensureRequestID(w)
		w.WriteHeader(e.status)
		return
	}
	writeS3Error(w, e.status, e.code, e.message, e.extra)
}

// ensureRequestID returns the response's x-amz-request-id, setting a fresh
// one (and x-amz-id-2) when the server has not.
func ensureRequestID(w http.ResponseWriter) string {
	h := w.Header()
	if id := h.Get("X-Amz-Request-Id"); id != "" {
		if h.Get("X-Amz-Id-2") == "" {
			h.Set("X-Amz-Id-2", "fakeaws-"+id)
		}
		return id
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	h.Set("X-Amz-Request-Id", id)
	h.Set("X-Amz-Id-2", "fakeaws-"+id)
	return id
}
