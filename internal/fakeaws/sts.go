package fakeaws

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// AssumeRole limits (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
const (
	minSessionSeconds     = 900
	maxSessionSeconds     = 43200
	maxChainedSeconds     = 3600
	defaultSessionSeconds = 3600
)

var (
	roleARNPattern     = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})$`)
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

// parseRoleARN splits arn:aws:iam::<account>:role[/path]/<name>.
func parseRoleARN(arn string) (account, name string, ok bool) {
	m := roleARNPattern.FindStringSubmatch(arn)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

type stsMetadata struct {
	RequestID string `xml:"RequestId"`
}

// serveSTS answers an authenticated STS Query call.
func (e *Emulator) serveSTS(w http.ResponseWriter, r *http.Request, req *request, c *Caller) {
	requestID := w.Header().Get("x-amz-request-id")
	w.Header().Set("x-amzn-RequestId", requestID)
	switch req.operation {
	case "GetCallerIdentity":
		type result struct {
			Arn     string `xml:"Arn"`
			UserID  string `xml:"UserId"`
			Account string `xml:"Account"`
		}
		writeXML(w, http.StatusOK, struct {
			XMLName  xml.Name    `xml:"GetCallerIdentityResponse"`
			Xmlns    string      `xml:"xmlns,attr"`
			Result   result      `xml:"GetCallerIdentityResult"`
			Metadata stsMetadata `xml:"ResponseMetadata"`
		}{Xmlns: stsNamespace, Result: result{Arn: c.ARN, UserID: req.principal.UserID, Account: c.AccountID}, Metadata: stsMetadata{requestID}})
	case "AssumeRole":
		p, aerr := e.assumeRole(req, c)
		if aerr != nil {
			writeQueryError(w, aerr, requestID)
			return
		}
		e.writeAssumeRole(w, p, requestID)
	case "":
		writeQueryError(w, &apiError{400, "MissingAction", "Missing Action"}, requestID)
	default:
		writeQueryError(w, &apiError{400, "InvalidAction", "Could not find operation " + req.operation + " for version 2011-06-15"}, requestID)
	}
}

func validationErr(format string, args ...any) *apiError {
	return &apiError{400, "ValidationError", fmt.Sprintf(format, args...)}
}

// assumeRole checks an AssumeRole call and mints the session. Parameter
// problems are ValidationError (as STS answers them); anything the trust
// policy, the account state or the external ID refuses is AccessDenied.
func (e *Emulator) assumeRole(req *request, c *Caller) (*principal, *apiError) {
	form := req.form
	roleARN := form.Get("RoleArn")
	session := form.Get("RoleSessionName")
	if roleARN == "" {
		return nil, validationErr("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	}
	if !sessionNamePattern.MatchString(session) {
		return nil, validationErr("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64 and match pattern [\\w+=,.@-]*", session)
	}
	chained := req.principal.isSession()
	seconds := defaultSessionSeconds
	if s := form.Get("DurationSeconds"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < minSessionSeconds || n > maxSessionSeconds {
			return nil, validationErr("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value between %d and %d", s, minSessionSeconds, maxSessionSeconds)
		}
		seconds = n
	}
	if chained && seconds > maxChainedSeconds {
		return nil, validationErr("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	denied := &apiError{403, "AccessDenied", fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", c.ARN, roleARN)}
	account, roleName, ok := parseRoleARN(roleARN)
	if !ok {
		return nil, validationErr("%s is invalid", roleARN)
	}
	if !strings.HasPrefix(roleARN, "arn:"+e.part.Name+":") {
		return nil, denied // no such role in this partition
	}
	target := e.accounts[account]
	if target == nil || target.Status == StatusSuspended || target.Status == StatusClosed {
		return nil, denied
	}
	if caller := e.accounts[c.AccountID]; caller == nil || caller.Status == StatusSuspended || caller.Status == StatusClosed {
		return nil, denied
	}
	i := slices.IndexFunc(target.Roles, func(r RoleSpec) bool { return r.Name == roleName })
	if i < 0 {
		return nil, denied
	}
	role := target.Roles[i]
	if !slices.Contains(role.Trust, c.AccountID) {
		return nil, denied
	}
	if role.ExternalID != "" && form.Get("ExternalId") != role.ExternalID {
		return nil, denied
	}
	if !e.regionEnabled(account, c.Region) {
		// The caller has this opt-in region, the role's account does not.
		return nil, &apiError{403, "RegionDisabledException", fmt.Sprintf(
			"STS is not activated in this region for account:%s. Your account administrator can activate STS in this region using the IAM Console.", account)}
	}
	life := time.Duration(seconds) * time.Second
	if limit := e.scenario.SessionDuration.D(); limit > 0 && limit < life {
		life = limit
	}
	// Expiry is whole seconds, as STS sends it, so the client's view and
	// ours agree.
	expires := e.now().Add(life).Truncate(time.Second)
	return e.ids.mint(account, roleName, session, expires, newPermissions(role.Permissions)), nil
}

func (e *Emulator) writeAssumeRole(w http.ResponseWriter, p *principal, requestID string) {
	type credentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	}
	type assumedRoleUser struct {
		Arn           string `xml:"Arn"`
		AssumedRoleID string `xml:"AssumedRoleId"`
	}
	type result struct {
		AssumedRoleUser  assumedRoleUser `xml:"AssumedRoleUser"`
		Credentials      credentials     `xml:"Credentials"`
		PackedPolicySize int             `xml:"PackedPolicySize,omitempty"`
	}
	writeXML(w, http.StatusOK, struct {
		XMLName  xml.Name    `xml:"AssumeRoleResponse"`
		Xmlns    string      `xml:"xmlns,attr"`
		Result   result      `xml:"AssumeRoleResult"`
		Metadata stsMetadata `xml:"ResponseMetadata"`
	}{
		Xmlns: stsNamespace,
		Result: result{
			AssumedRoleUser: assumedRoleUser{Arn: p.ARN, AssumedRoleID: p.UserID},
			Credentials: credentials{
				AccessKeyID:     p.AccessKeyID,
				SecretAccessKey: p.Secret,
				SessionToken:    p.SessionToken,
				Expiration:      p.Expires.UTC().Format(time.RFC3339),
			},
		},
		Metadata: stsMetadata{requestID},
	})
}
