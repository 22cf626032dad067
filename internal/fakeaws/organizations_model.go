package fakeaws

import (
	"path"
	"time"
)

// orgJoinedTime is the JoinedTimestamp of every account: fixed, so reports
// of the same scenario are byte-identical.
var orgJoinedTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// orgUnit is an organizational unit.
type orgUnit struct {
	ID, ARN, Name, Path, ParentID string
}

// organization is the read-only Organizations view of a scenario: root,
// OUs and accounts with their parent links, in scenario order.
type organization struct {
	id, arn       string
	rootID        string
	rootARN       string
	management    *AccountSpec
	ous           []*orgUnit
	arnBase       string // "arn:<partition>:organizations::<management account>:", every ARN of the organization
	ouByID        map[string]*orgUnit
	accounts      []*AccountSpec
	accountByID   map[string]*AccountSpec
	parentOf      map[string]string   // account or OU ID -> parent ID
	childAccounts map[string][]string // parent ID -> account IDs
	childOUs      map[string][]string // parent ID -> OU IDs
}

func newOrganization(sc *Scenario) *organization {
	root4 := derivedID("root "+sc.OrganizationID, 4)
	base := "arn:" + sc.Partition + ":organizations::" + sc.ManagementAccount + ":"
	o := &organization{
		arnBase:       base,
		id:            sc.OrganizationID,
		arn:           base + "organization/" + sc.OrganizationID,
		rootID:        "r-" + root4,
		ouByID:        map[string]*orgUnit{},
		accountByID:   make(map[string]*AccountSpec, len(sc.Accounts)),
		parentOf:      make(map[string]string, len(sc.Accounts)+len(sc.OrganizationalUnits)),
		childAccounts: map[string][]string{},
		childOUs:      map[string][]string{},
	}
	o.rootARN = base + "root/" + o.id + "/" + o.rootID
	ouByPath := map[string]*orgUnit{}
	for _, p := range sc.OrganizationalUnits {
		ou := &orgUnit{
			ID:       "ou-" + root4 + "-" + derivedID("ou "+sc.OrganizationID+" "+p, 8),
			Name:     path.Base(p),
			Path:     p,
			ParentID: o.rootID,
		}
		ou.ARN = base + "ou/" + o.id + "/" + ou.ID
		if parent := path.Dir(p); parent != "." {
			ou.ParentID = ouByPath[parent].ID // withParentOUs put parents first
		}
		ouByPath[p] = ou
		o.ous = append(o.ous, ou)
		o.ouByID[ou.ID] = ou
		o.parentOf[ou.ID] = ou.ParentID
		o.childOUs[ou.ParentID] = append(o.childOUs[ou.ParentID], ou.ID)
	}
	for i := range sc.Accounts {
		a := &sc.Accounts[i]
		parent := o.rootID
		if a.OU != "" {
			parent = ouByPath[a.OU].ID
		}
		o.accounts = append(o.accounts, a)
		o.accountByID[a.ID] = a
		o.parentOf[a.ID] = parent
		o.childAccounts[parent] = append(o.childAccounts[parent], a.ID)
		if a.ID == sc.ManagementAccount {
			o.management = a
		}
	}
	return o
}

// isParent reports whether id is the root or an OU.
func (o *organization) isParent(id string) bool {
	return id == o.rootID || o.ouByID[id] != nil
}

// orgAccountJSON is the Organizations Account shape.
type orgAccountJSON struct {
	ID              string  `json:"Id"`
	Arn             string  `json:"Arn"`
	Email           string  `json:"Email"`
	Name            string  `json:"Name"`
	Status          string  `json:"Status,omitempty"`
	State           string  `json:"State"`
	JoinedMethod    string  `json:"JoinedMethod"`
	JoinedTimestamp float64 `json:"JoinedTimestamp"`
}

// accountJSON renders an account. Status is one of ACTIVE, SUSPENDED,
// PENDING_CLOSURE and is left out for CLOSED accounts, whose State says so.
func (o *organization) accountJSON(a *AccountSpec) orgAccountJSON {
	out := orgAccountJSON{
		ID:              a.ID,
		Arn:             o.arnBase + "account/" + o.id + "/" + a.ID,
		Email:           a.Email,
		Name:            a.Name,
		State:           a.Status,
		JoinedMethod:    "CREATED",
		JoinedTimestamp: float64(orgJoinedTime.Unix()),
	}
	if a.Status != StatusClosed {
		out.Status = a.Status
	}
	if a == o.management {
		out.JoinedMethod = "INVITED"
	}
	return out
}

type orgUnitJSON struct {
	ID   string `json:"Id"`
	Arn  string `json:"Arn"`
	Name string `json:"Name"`
}

func (ou *orgUnit) json() orgUnitJSON { return orgUnitJSON{ID: ou.ID, Arn: ou.ARN, Name: ou.Name} }
