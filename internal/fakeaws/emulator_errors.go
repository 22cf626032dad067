package fakeaws

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
)

// apiError is an error answer, written in the protocol of the service.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func errMalformedRequest(msg string) *apiError {
	return &apiError{status: 400, code: "InvalidRequest", message: msg}
}

// authFailure is a kind of authentication failure; each service names it
// differently.
type authFailure int

const (
	authMissing authFailure = iota
	authUnknownKey
	authBadSignature
	authBadToken
	authExpired
)

// authErr maps an authentication failure to the service's error code and
// status (S3 REST-XML, STS Query, Organizations JSON 1.1).
func authErr(service string, f authFailure) *apiError {
	const badSig = "The request signature we calculated does not match the signature you provided. Check your key and signing method."
	const badToken = "The security token included in the request is invalid."
	const expired = "The security token included in the request is expired"
	switch service {
	case "s3":
		switch f {
		case authMissing:
			return &apiError{403, "AccessDenied", "Access Denied"}
		case authUnknownKey:
			return &apiError{403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."}
		case authBadSignature:
			return &apiError{403, "SignatureDoesNotMatch", badSig}
		case authBadToken:
			return &apiError{400, "InvalidToken", "The provided token is malformed or otherwise invalid."}
		default:
			return &apiError{400, "ExpiredToken", "The provided token has expired."}
		}
	case "sts":
		switch f {
		case authMissing:
			return &apiError{403, "MissingAuthenticationToken", "Request is missing Authentication Token"}
		case authUnknownKey, authBadToken:
			return &apiError{403, "InvalidClientTokenId", badToken}
		case authBadSignature:
			return &apiError{403, "SignatureDoesNotMatch", badSig}
		default:
			return &apiError{400, "ExpiredTokenException", expired}
		}
	default:
		switch f {
		case authMissing:
			return &apiError{400, "MissingAuthenticationTokenException", "Request is missing Authentication Token"}
		case authUnknownKey, authBadToken:
			return &apiError{400, "UnrecognizedClientException", badToken}
		case authBadSignature:
			return &apiError{403, "SignatureDoesNotMatch", badSig}
		default:
			return &apiError{400, "ExpiredTokenException", expired}
		}
	}
}

func malformedCode(service string) string {
	switch service {
	case "s3":
		return "AuthorizationHeaderMalformed"
	case "sts":
		return "IncompleteSignature"
	default:
		return "IncompleteSignatureException"
	}
}

// writeError answers with err in the protocol of req's service.
func (e *Emulator) writeError(w http.ResponseWriter, r *http.Request, req *request, err *apiError) {
	switch req.service {
	case "sts":
		writeQueryError(w, err, w.Header().Get("x-amz-request-id"))
	case "organizations":
		writeJSONError(w, err)
	default:
		writeS3Error(w, err.status, err.code, err.message, nil)
	}
}

// writeQueryError writes an AWS Query protocol error (STS).
func writeQueryError(w http.ResponseWriter, err *apiError, requestID string) {
	type errorBody struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	body := struct {
		XMLName   xml.Name  `xml:"ErrorResponse"`
		Xmlns     string    `xml:"xmlns,attr"`
		Error     errorBody `xml:"Error"`
		RequestID string    `xml:"RequestId"`
	}{Xmlns: stsNamespace, RequestID: requestID, Error: errorBody{Type: "Sender", Code: err.code, Message: err.message}}
	if err.status >= 500 {
		body.Error.Type = "Receiver"
	}
	writeXML(w, err.status, body)
}

// writeJSONError writes an AWS JSON 1.1 protocol error (Organizations).
func writeJSONError(w http.ResponseWriter, err *apiError) {
	w.Header().Set("X-Amzn-ErrorType", err.code)
	writeJSON(w, err.status, map[string]string{"__type": err.code, "Message": err.message})
}

func writeXML(w http.ResponseWriter, status int, v any) {
	out, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, "fakeaws: encode XML: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	out, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "fakeaws: encode JSON: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	_, _ = w.Write(out)
}
