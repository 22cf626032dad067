package fakeaws

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

const organizationsTargetPrefix = "AWSOrganizationsV20161128."

// Organizations List* page size limits (MaxResults 1-20, https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html).
const (
	orgMaxResults     = 20
	orgDefaultResults = 20
)

// orgInput holds the request members of every supported operation.
type orgInput struct {
	MaxResults           *int    `json:"MaxResults"`
	NextToken            *string `json:"NextToken"`
	ParentID             string  `json:"ParentId"`
	ChildID              string  `json:"ChildId"`
	ChildType            string  `json:"ChildType"`
	AccountID            string  `json:"AccountId"`
	OrganizationalUnitID string  `json:"OrganizationalUnitId"`
}

type orgPage struct {
	start, end int
	next       *string
}

func orgErr(code, format string, args ...any) *apiError {
	return &apiError{400, code, fmt.Sprintf(format, args...)}
}

// serveOrganizations answers an authenticated Organizations JSON 1.1 call.
func (e *Emulator) serveOrganizations(w http.ResponseWriter, req *request, c *Caller) {
	w.Header().Set("x-amzn-RequestId", w.Header().Get("x-amz-request-id"))
	out, aerr := e.organizationsCall(req, c)
	if aerr != nil {
		writeJSONError(w, aerr)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (e *Emulator) organizationsCall(req *request, c *Caller) (any, *apiError) {
	o := e.org
	var in orgInput
	if len(strings.TrimSpace(string(req.body))) > 0 {
		if err := json.Unmarshal(req.body, &in); err != nil {
			return nil, orgErr("SerializationException", "cannot parse request body: %v", err)
		}
	}
	if o.accountByID[c.AccountID] == nil {
		return nil, orgErr("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
	}
	if req.operation == "DescribeOrganization" {
		return map[string]any{"Organization": map[string]any{
			"Id":                 o.id,
			"Arn":                o.arn,
			"FeatureSet":         "ALL",
			"MasterAccountArn":   o.accountJSON(o.management).Arn,
			"MasterAccountId":    o.management.ID,
			"MasterAccountEmail": o.management.Email,
			"AvailablePolicyTypes": []map[string]string{
				{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"},
			},
		}}, nil
	}
	if _, known := orgListOps[req.operation]; !known {
		return nil, orgErr("UnknownOperationException", "The action or operation requested is invalid: %s", req.operation)
	}
	if c.AccountID != o.management.ID && !slices.Contains(e.scenario.DelegatedAdministrators, c.AccountID) {
		return nil, orgErr("AccessDeniedException", "You don't have permissions to access this resource. Only the management account of the organization or a delegated administrator can call %s.", req.operation)
	}
	return orgListOps[req.operation](e, req.operation, &in)
}

// orgListOps are the operations only the management account and delegated
// administrators may call.
var orgListOps = map[string]func(e *Emulator, op string, in *orgInput) (any, *apiError){
	"ListAccounts": func(e *Emulator, op string, in *orgInput) (any, *apiError) {
		o := e.org
		pg, err := e.page(op, "", len(o.accounts), in)
		if err != nil {
			return nil, err
		}
		accts := make([]orgAccountJSON, 0, pg.end-pg.start)
		for _, a := range o.accounts[pg.start:pg.end] {
			accts = append(accts, o.accountJSON(a))
		}
		return map[string]any{"Accounts": accts, "NextToken": pg.next}, nil
	},
	"ListRoots": func(e *Emulator, op string, in *orgInput) (any, *apiError) {
		o := e.org
		pg, err := e.page(op, "", 1, in)
		if err != nil {
			return nil, err
		}
		roots := []map[string]any{}
		if pg.start < pg.end {
			roots = append(roots, map[string]any{"Id": o.rootID, "Arn": o.rootARN, "Name": "Root",
				"PolicyTypes": []map[string]string{{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}}})
		}
		return map[string]any{"Roots": roots, "NextToken": pg.next}, nil
	},
	"ListOrganizationalUnitsForParent": func(e *Emulator, op string, in *orgInput) (any, *apiError) {
		o := e.org
		if err := o.checkParent(in.ParentID); err != nil {
			return nil, err
		}
		ids := o.childOUs[in.ParentID]
		pg, err := e.page(op, in.ParentID, len(ids), in)
		if err != nil {
			return nil, err
		}
		ous := make([]orgUnitJSON, 0, pg.end-pg.start)
		for _, id := range ids[pg.start:pg.end] {
			ous = append(ous, o.ouByID[id].json())
		}
		return map[string]any{"OrganizationalUnits": ous, "NextToken": pg.next}, nil
	},
	"ListAccountsForParent": func(e *Emulator, op string, in *orgInput) (any, *apiError) {
		o := e.org
		if err := o.checkParent(in.ParentID); err != nil {
			return nil, err
		}
		ids := o.childAccounts[in.ParentID]
		pg, err := e.page(op, in.ParentID, len(ids), in)
		if err != nil {
			return nil, err
		}
		accts := make([]orgAccountJSON, 0, pg.end-pg.start)
		for _, id := range ids[pg.start:pg.end] {
			accts = append(accts, o.accountJSON(o.accountByID[id]))
		}
		return map[string]any{"Accounts": accts, "NextToken": pg.next}, nil
	},
	"ListChildren": func(e *Emulator, op string, in *orgInput) (any, *apiError) {
		o := e.org
		if err := o.checkParent(in.ParentID); err != nil {
			return nil, err
		}
		var ids []string
		switch in.ChildType {
		case "ACCOUNT":
			ids = o.childAccounts[in.ParentID]
		case "ORGANIZATIONAL_UNIT":
			ids = o.childOUs[in.ParentID]
		default:
			return nil, orgErr("InvalidInputException", "ChildType must be ACCOUNT or ORGANIZATIONAL_UNIT, got %q", in.ChildType)
		}
		pg, err := e.page(op, in.ParentID+"/"+in.ChildType, len(ids), in)
		if err != nil {
			return nil, err
		}
		children := make([]map[string]string, 0, pg.end-pg.start)
		for _, id := range ids[pg.start:pg.end] {
			children = append(children, map[string]string{"Id": id, "Type": in.ChildType})
		}
		return map[string]any{"Children": children, "NextToken": pg.next}, nil
	},
	"ListParents": func(e *Emulator, op string, in *orgInput) (any, *apiError) {
		o := e.org
		parent, ok := o.parentOf[in.ChildID]
		if !ok {
			return nil, orgErr("ChildNotFoundException", "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified: %q.", in.ChildID)
		}
		pg, err := e.page(op, in.ChildID, 1, in)
		if err != nil {
			return nil, err
		}
		parents := []map[string]string{}
		if pg.start < pg.end {
			typ := "ORGANIZATIONAL_UNIT"
			if parent == o.rootID {
				typ = "ROOT"
			}
			parents = append(parents, map[string]string{"Id": parent, "Type": typ})
		}
		return map[string]any{"Parents": parents, "NextToken": pg.next}, nil
	},
	"DescribeAccount": func(e *Emulator, op string, in *orgInput) (any, *apiError) {
		o := e.org
		a := o.accountByID[in.AccountID]
		if a == nil {
			return nil, orgErr("AccountNotFoundException", "You specified an account that doesn't exist: %q.", in.AccountID)
		}
		return map[string]any{"Account": o.accountJSON(a)}, nil
	},
	"DescribeOrganizationalUnit": func(e *Emulator, op string, in *orgInput) (any, *apiError) {
		ou := e.org.ouByID[in.OrganizationalUnitID]
		if ou == nil {
			return nil, orgErr("OrganizationalUnitNotFoundException", "We can't find an OU with the OrganizationalUnitId that you specified: %q.", in.OrganizationalUnitID)
		}
		return map[string]any{"OrganizationalUnit": ou.json()}, nil
	},
}

func (o *organization) checkParent(id string) *apiError {
	if id == "" {
		return orgErr("InvalidInputException", "You must specify a ParentId.")
	}
	if !o.isParent(id) {
		return orgErr("ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified: %q.", id)
	}
	return nil
}

// page picks the slice of a listing of total items that this call returns.
// NextToken is opaque to clients: base64 of "op|scope|offset|empty"; a
// token from another operation or listing, or out of range, is
// InvalidInputException. With faults.empty_pages, every full page is
// followed by an empty page that still carries a NextToken.
func (e *Emulator) page(op, scope string, total int, in *orgInput) (orgPage, *apiError) {
	limit := orgDefaultResults
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > orgMaxResults {
			return orgPage{}, orgErr("InvalidInputException", "MaxResults must be between 1 and %d, got %d.", orgMaxResults, *in.MaxResults)
		}
		limit = *in.MaxResults
	}
	start, empty := 0, false
	if in.NextToken != nil {
		var ok bool
		start, empty, ok = decodeOrgToken(*in.NextToken, op, scope)
		if !ok || start > total {
			return orgPage{}, orgErr("InvalidInputException", "You specified an invalid value for nextToken.")
		}
	}
	if empty {
		return orgPage{start: start, end: start, next: encodeOrgToken(op, scope, start, false)}, nil
	}
	end := min(start+limit, total)
	pg := orgPage{start: start, end: end}
	if end < total {
		pg.next = encodeOrgToken(op, scope, end, e.scenario.Faults.EmptyPages)
	}
	return pg, nil
}

func encodeOrgToken(op, scope string, offset int, empty bool) *string {
	t := base64.RawURLEncoding.EncodeToString([]byte(op + "|" + scope + "|" + strconv.Itoa(offset) + "|" + strconv.FormatBool(empty)))
	return &t
}

func decodeOrgToken(token, op, scope string) (offset int, empty, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, false, false
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 4 || parts[0] != op || parts[1] != scope {
		return 0, false, false
	}
	offset, err = strconv.Atoi(parts[2])
	if err != nil || offset < 0 {
		return 0, false, false
	}
	empty, err = strconv.ParseBool(parts[3])
	return offset, empty, err == nil
}
