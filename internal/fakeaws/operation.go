package fakeaws

import "net/http"

// RequestOperation names the service ("s3", "sts", "organizations") and
// operation of a request the way the emulator counts them ("ListBuckets",
// "GetBucketAcl", "AssumeRole", "ListAccounts"...), and its bucket for S3.
// It reads the body of an STS or Organizations request and puts it back,
// so the request can still be served: a proxy in front of the emulator
// (internal/sabotage) picks the requests it tampers with by it.
func RequestOperation(r *http.Request) (service, operation, bucket string) {
	req := &request{}
	if sig, err := parseSigV4(r); err == nil {
		req.service = sig.Service
	} else {
		req.service = guessService(r)
	}
	if err := classify(r, req); err != nil && req.operation == "" {
		req.operation = "Unknown"
	}
	return req.service, req.operation, req.bucket
}
