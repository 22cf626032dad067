package fakeaws

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ownerscan/ownerscan/internal/awspartition"
)

// maxControlBody caps the body of an STS or Organizations request.
const maxControlBody = 1 << 20

// Emulator serves S3, STS and Organizations for one scenario. It is an
// http.Handler; requests are routed on the service of their SigV4
// credential scope. Safe for concurrent use.
type Emulator struct {
	scenario *Scenario
	part     awspartition.Partition
	accounts map[string]*AccountSpec
	ids      *identities
	s3       *s3Store
	org      *organization
	faults   *faults
	counters *counters
	refused  refusals // calls denied for good, for Minimum
	now      func() time.Time
	requests atomic.Uint64
	keys     signingKeys // of the requests verified
}

// New builds an emulator for sc. It applies defaults, expands Generate and
// validates sc in place (ParseScenario has already done so for parsed ones).
func New(sc *Scenario) (*Emulator, error) {
	if sc == nil {
		return nil, errors.New("fakeaws: new: nil scenario")
	}
	if err := prepareScenario(sc, nil); err != nil {
		return nil, fmt.Errorf("fakeaws: new: %w", err)
	}
	e := &Emulator{
		scenario: sc,
		accounts: make(map[string]*AccountSpec, len(sc.Accounts)),
		ids:      newIdentities(sc.Accounts, sc.Partition),
		org:      newOrganization(sc),
		faults:   newFaults(sc.Faults),
		counters: newCounters(),
		now:      time.Now,
	}
	e.part, _ = awspartition.Lookup(sc.Partition) // validated by prepareScenario
	for i := range sc.Accounts {
		e.accounts[sc.Accounts[i].ID] = &sc.Accounts[i]
	}
	st, err := newS3Store(sc)
	if err != nil {
		return nil, fmt.Errorf("fakeaws: new: s3: %w", err)
	}
	e.s3 = st
	return e, nil
}

// Scenario returns the (defaulted, expanded) scenario the emulator serves.
func (e *Emulator) Scenario() *Scenario { return e.scenario }

// CredentialsFor returns the long-term access key of an account's
// administrator (principal arn:<partition>:iam::<id>:user/fakeaws-admin),
// who may call every operation.
func (e *Emulator) CredentialsFor(accountID string) (accessKeyID, secretAccessKey string, ok bool) {
	p, ok := e.ids.account(accountID)
	if !ok {
		return "", "", false
	}
	return p.AccessKeyID, p.Secret, true
}

// UserCredentials returns the long-term access key of a user of the
// scenario (accounts[].users), who may call only what its permissions
// allow.
func (e *Emulator) UserCredentials(accountID, userName string) (accessKeyID, secretAccessKey string, ok bool) {
	p, ok := e.ids.user(accountID, userName)
	if !ok {
		return "", "", false
	}
	return p.AccessKeyID, p.Secret, true
}

// Partition returns the scenario's partition (aws, aws-cn, aws-us-gov).
func (e *Emulator) Partition() string { return e.part.Name }

// HomeRegion returns the home region of the scenario's partition, a region
// every account has: where a client of the emulator should sign.
func (e *Emulator) HomeRegion() string { return e.part.HomeRegion }

// ManagementCredentials returns the management account's long-term key.
func (e *Emulator) ManagementCredentials() (accessKeyID, secretAccessKey string) {
	id, secret, _ := e.CredentialsFor(e.scenario.ManagementAccount)
	return id, secret
}

// Counters returns a snapshot of the calls received so far.
func (e *Emulator) Counters() CounterSnapshot { return e.counters.snapshot() }

// CountersPath is the unsigned endpoint that serves Counters as JSON.
const CountersPath = "/_fakeaws/counters"

// request is what ServeHTTP learns about a call before dispatching it.
type request struct {
	service   string // s3 | sts | organizations
	operation string
	bucket    string
	key       string     // S3 object key, "" for bucket and account calls
	body      []byte     // STS and Organizations only
	form      url.Values // STS only
	query     url.Values // S3 only: the query parameters
	sig       *sigV4
	principal *principal
}

// ServeHTTP authenticates, counts, applies faults and dispatches one call.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == CountersPath && r.Method == http.MethodGet && r.Header.Get("Authorization") == "" {
		e.serveCounters(w)
		return
	}
	if r.URL.Path == MinimumPath && r.Method == http.MethodPost && r.Header.Get("Authorization") == "" {
		e.serveMinimum(w, r)
		return
	}
	w.Header().Set("X-Amz-Request-Id", e.requestID())
	req := &request{}
	sig, sigErr := parseSigV4(r)
	if sigErr == nil {
		req.sig = sig
		req.service = sig.Service
	} else {
		req.service = guessService(r)
	}
	if err := classify(r, req); err != nil {
		e.counters.add(req.operation, "")
		e.writeError(w, r, req, errMalformedRequest(err.Error()))
		return
	}
	if sig != nil {
		req.principal, _ = e.ids.lookup(sig.AccessKeyID)
	}
	acct := ""
	if req.principal != nil {
		acct = req.principal.AccountID
	}
	e.counters.add(req.operation, acct)
	sw := &statusWriter{ResponseWriter: w}
	defer e.noteRefusal(sw, req)
	w = sw

	caller, aerr := e.authenticate(r, req, sigErr)
	if aerr != nil {
		if aerr.code == "AccessDenied" {
			e.writeS3HeadRegion(w, r, req)
		}
		e.writeError(w, r, req, aerr)
		return
	}
	ferr := e.applyFaults(w, r, req, caller)
	switch ferr {
	case nil:
	case errResetAfterEffect:
		// Served in full, then the connection drops before the answer.
		e.dispatch(&lostAnswerWriter{h: http.Header{}}, r, req, caller)
		resetConnection(w)
		return
	case errConnectionReset:
		return
	default:
		e.writeError(w, r, req, ferr.(*apiError))
		return
	}
	e.dispatch(w, r, req, caller)
}

// dispatch authorizes an authenticated call and serves it.
func (e *Emulator) dispatch(w http.ResponseWriter, r *http.Request, req *request, caller *Caller) {
	if aerr := e.authorize(r, req, caller); aerr != nil {
		e.writeS3HeadRegion(w, r, req)
		e.writeError(w, r, req, aerr)
		return
	}
	switch req.service {
	case "s3":
		e.s3.serveClassified(w, r, caller, s3Call{op: req.operation, bucket: req.bucket, key: req.key, query: req.query})
	case "sts":
		e.serveSTS(w, r, req, caller)
	case "organizations":
		e.serveOrganizations(w, req, caller)
	}
}

// writeS3HeadRegion adds x-amz-bucket-region to a denied HeadBucket: S3
// names a bucket's region to anyone who asks (x-amz-bucket-region in
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html).
func (e *Emulator) writeS3HeadRegion(w http.ResponseWriter, r *http.Request, req *request) {
	if req.service != "s3" || r.Method != http.MethodHead || req.bucket == "" {
		return
	}
	if _, region, ok := e.s3.bucketInfo(req.bucket); ok {
		w.Header().Set("x-amz-bucket-region", region)
	}
}

// regionEnabled reports whether an account has a region of the partition:
// a default region, or an opt-in region it enabled.
func (e *Emulator) regionEnabled(accountID, region string) bool {
	if e.part.DefaultRegion(region) {
		return true
	}
	a := e.accounts[accountID]
	return a != nil && e.part.OptIn(region) && slices.Contains(a.OptInRegions, region)
}

// guessService names the protocol of an unsigned or malformed request, so
// its error can be written in a form the client understands.
func guessService(r *http.Request) string {
	if strings.HasPrefix(r.Header.Get("X-Amz-Target"), organizationsTargetPrefix) {
		return "organizations"
	}
	if r.Method == http.MethodPost && r.URL.Path == "/" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return "sts"
	}
	return "s3"
}

// classify reads what the call is: operation, bucket, and for the control
// plane services the body (kept for signature checking and dispatch).
func classify(r *http.Request, req *request) error {
	switch req.service {
	case "s3":
		req.query = r.URL.Query()
		req.operation, req.bucket, req.key = classifyS3(r, req.query)
		return nil
	case "sts", "organizations":
		body, err := io.ReadAll(io.LimitReader(r.Body, maxControlBody+1))
		if err != nil {
			return fmt.Errorf("read body: %w", err)
		}
		if len(body) > maxControlBody {
			// Put back what was read in front of the rest, so that a
			// proxy classifying the request (RequestOperation) still
			// forwards the body whole.
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
			return errors.New("request body too large")
		}
		req.body = body
		r.Body = io.NopCloser(bytes.NewReader(body))
		if req.service == "organizations" {
			req.operation = strings.TrimPrefix(r.Header.Get("X-Amz-Target"), organizationsTargetPrefix)
			return nil
		}
		form := r.URL.Query()
		if len(body) > 0 {
			posted, err := url.ParseQuery(string(body))
			if err != nil {
				return fmt.Errorf("form body: %w", err)
			}
			for k, v := range posted {
				form[k] = v
			}
		}
		req.form = form
		req.operation = form.Get("Action")
		return nil
	default:
		req.operation = "Unknown"
		return fmt.Errorf("unknown service %q in the credential scope (want s3, sts or organizations)", req.service)
	}
}

// authenticate checks the signature and session of req and returns the
// caller: nil, with no error, for an unsigned S3 request, which S3 serves
// as the anonymous user.
func (e *Emulator) authenticate(r *http.Request, req *request, sigErr error) (*Caller, *apiError) {
	switch {
	case errors.Is(sigErr, errNoSignature) && req.service == "s3":
		return nil, nil // anonymous: S3 decides per request (public grants and policies)
	case errors.Is(sigErr, errNoSignature):
		return nil, authErr(req.service, authMissing)
	case sigErr != nil:
		return nil, &apiError{status: 400, code: malformedCode(req.service), message: sigErr.Error()}
	case req.principal == nil:
		return nil, authErr(req.service, authUnknownKey)
	}
	p := req.principal
	if !e.regionEnabled(p.AccountID, req.sig.Region) {
		// Keys exist only in the regions of their partition that their
		// account has: IAM data is not copied into an opt-in region
		// until the account enables it.
		return nil, authErr(req.service, authUnknownKey)
	}
	if p.isSession() {
		if req.sig.SecurityToken != p.SessionToken {
			return nil, authErr(req.service, authBadToken)
		}
		if !e.now().Before(p.Expires) {
			return nil, authErr(req.service, authExpired)
		}
	} else if req.sig.SecurityToken != "" {
		return nil, authErr(req.service, authBadToken)
	}
	payloadHash := unsignedPayload
	if req.service == "s3" {
		if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" {
			payloadHash = h
		} else if h := r.URL.Query().Get("X-Amz-Content-Sha256"); h != "" {
			payloadHash = h
		} else if !req.sig.Presigned {
			return nil, &apiError{status: 400, code: "InvalidRequest", message: "Missing required header for this request: x-amz-content-sha256"}
		}
	} else {
		sum := sha256.Sum256(req.body)
		payloadHash = hex.EncodeToString(sum[:])
	}
	if err := req.sig.verify(r, &e.keys, p.Secret, payloadHash, e.now()); err != nil {
		if errors.Is(err, errSignatureMismatch) {
			return nil, authErr(req.service, authBadSignature)
		}
		if errors.Is(err, errPresignExpired) {
			return nil, &apiError{status: 403, code: "AccessDenied", message: "Request has expired"}
		}
		return nil, &apiError{status: 400, code: malformedCode(req.service), message: err.Error()}
	}
	if req.service == "organizations" && req.sig.Region != e.part.HomeRegion {
		// Organizations has one endpoint per partition, in its home
		// region; no other region's endpoint exists.
		return nil, &apiError{status: 403, code: "InvalidSignatureException",
			message: "Credential should be scoped to a valid region, not '" + req.sig.Region + "'. "}
	}
	return &Caller{
		AccessKeyID: p.AccessKeyID,
		AccountID:   p.AccountID,
		CanonicalID: CanonicalIDFor(p.AccountID),
		ARN:         p.ARN,
		Region:      req.sig.Region,
		Service:     req.service,
	}, nil
}

func (e *Emulator) requestID() string {
	n := e.requests.Add(1)
	var msg [40]byte
	sum := sha256.Sum256(strconv.AppendUint(append(msg[:0], "fakeaws request "...), n, 10))
	const upperHex = "0123456789ABCDEF"
	var id [16]byte
	for i, c := range sum[:8] {
		id[2*i], id[2*i+1] = upperHex[c>>4], upperHex[c&15]
	}
	return string(id[:])
}
