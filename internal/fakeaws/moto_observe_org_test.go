package fakeaws_test

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ownerscan/ownerscan/internal/mototest"
)

// organization observes DescribeOrganization and pages ListAccounts with
// two page sizes; it also learns the account ID <-> name maps.
func (o *observer) organization() {
	caller, err := mototest.NewSTS(o.mgmt).GetCallerIdentity(o.ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		o.fatalf("GetCallerIdentity (management): %v", err)
	}
	orgs := mototest.NewOrganizations(o.mgmt)
	desc, err := orgs.DescribeOrganization(o.ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		o.fatalf("DescribeOrganization: %v", err)
	}
	o.obs.OrgFeatureSet = string(desc.Organization.FeatureSet)
	mgmtID := aws.ToString(desc.Organization.MasterAccountId)
	o.obs.OrgMasterIsCaller = mgmtID == aws.ToString(caller.Account)

	arnRE := regexp.MustCompile(`^arn:aws:organizations::` + regexp.QuoteMeta(mgmtID) + `:account/o-[a-z0-9]+/\d{12}$`)
	o.obs.AccountArnsWellFormed = true
	for _, size := range []int32{20, 7} {
		var pages []int
		var tokens []bool
		var token *string
		for {
			out, err := orgs.ListAccounts(o.ctx, &organizations.ListAccountsInput{MaxResults: aws.Int32(size), NextToken: token})
			if err != nil {
				o.fatalf("ListAccounts(MaxResults %d): %v", size, err)
			}
			pages = append(pages, len(out.Accounts))
			tokens = append(tokens, out.NextToken != nil)
			for _, a := range out.Accounts {
				if size != 20 {
					continue
				}
				id, name := aws.ToString(a.Id), aws.ToString(a.Name)
				if id == mgmtID {
					name = "management"
				}
				o.names[id], o.ids[name] = name, id
				o.obs.Accounts = append(o.obs.Accounts, fmt.Sprintf("%s %s/%s", name, a.State, a.Status))
				if !arnRE.MatchString(aws.ToString(a.Arn)) {
					o.obs.AccountArnsWellFormed = false
					o.t.Logf("account %s: Arn %q is not arn:aws:organizations::<mgmt>:account/o-.../<id>", name, aws.ToString(a.Arn))
				}
			}
			if out.NextToken == nil || len(pages) > 100 {
				break
			}
			token = out.NextToken
		}
		if size == 20 {
			o.obs.AccountPages20 = pages
		} else {
			o.obs.AccountPages7, o.obs.AccountTokens7 = pages, tokens
		}
	}
	sort.Strings(o.obs.Accounts)
}

// assumeRoles assumes OrganizationAccountAccessRole in every member and
// records the identity the session key is bound to.
func (o *observer) assumeRoles() {
	o.obs.AssumedKeysASIA = true
	for _, name := range o.org.Members {
		id, ok := o.ids[name]
		if !ok {
			o.fatalf("member %s missing from ListAccounts", name)
		}
		cfg, err := mototest.AssumeRoleConfig(o.ctx, o.mgmt, mototest.MemberRoleARN(id))
		if err != nil {
			o.fatalf("%v", err)
		}
		creds, _ := cfg.Credentials.Retrieve(o.ctx)
		if !strings.HasPrefix(creds.AccessKeyID, "ASIA") || creds.SessionToken == "" {
			o.obs.AssumedKeysASIA = false
		}
		who, err := mototest.NewSTS(cfg).GetCallerIdentity(o.ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			o.fatalf("GetCallerIdentity as %s: %v", name, err)
		}
		o.obs.AssumedIdentities = append(o.obs.AssumedIdentities,
			o.norm(aws.ToString(who.Account)+" "+aws.ToString(who.Arn)))
		o.cfgs[name] = cfg
	}
}

var (
	rootIDShape = regexp.MustCompile(`^r-[0-9a-z]{4,32}$`)
	ouIDShape   = regexp.MustCompile(`^ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}$`)
)

// ouTree walks the tree from the root the way the scanner resolves OU
// filters and paths: ListRoots, then per parent ListOrganizationalUnits-
// ForParent, ListAccountsForParent and ListChildren, and ListParents of
// members at each depth. IDs are compared by shape, the tree by names.
func (o *observer) ouTree() {
	orgs := mototest.NewOrganizations(o.mgmt)
	roots, err := orgs.ListRoots(o.ctx, &organizations.ListRootsInput{})
	if err != nil {
		o.fatalf("ListRoots: %v", err)
	}
	for _, r := range roots.Roots {
		o.obs.Roots = append(o.obs.Roots, fmt.Sprintf("name=%q id-shape=%t", aws.ToString(r.Name), rootIDShape.MatchString(aws.ToString(r.Id))))
	}
	if len(roots.Roots) != 1 {
		o.fatalf("ListRoots returned %d roots, want 1", len(roots.Roots))
	}
	paths := map[string]string{} // parent ID -> path
	o.walkOU(orgs, aws.ToString(roots.Roots[0].Id), "Root", paths)

	for _, name := range []string{"Member01", "Member04", "Member05"} {
		out, err := orgs.ListParents(o.ctx, &organizations.ListParentsInput{ChildId: aws.String(o.ids[name])})
		if err != nil {
			o.fatalf("ListParents %s: %v", name, err)
		}
		var parents []string
		for _, p := range out.Parents {
			parents = append(parents, fmt.Sprintf("%s %s", p.Type, paths[aws.ToString(p.Id)]))
		}
		o.obs.Parents = append(o.obs.Parents, name+": "+strings.Join(parents, ","))
	}

	acct, err := orgs.DescribeAccount(o.ctx, &organizations.DescribeAccountInput{AccountId: aws.String(o.ids["Member04"])})
	if err != nil {
		o.fatalf("DescribeAccount: %v", err)
	}
	a := acct.Account
	o.obs.DescribeAccount = append(o.obs.DescribeAccount, fmt.Sprintf("%s %s/%s email=%t",
		aws.ToString(a.Name), a.State, a.Status, aws.ToString(a.Email) != ""))
	_, err = orgs.DescribeAccount(o.ctx, &organizations.DescribeAccountInput{AccountId: aws.String("000000000000")})
	o.obs.DescribeAccount = append(o.obs.DescribeAccount, "unknown account: "+errorShape(err))
}

// walkOU records one parent and recurses into its OUs.
func (o *observer) walkOU(orgs *organizations.Client, parentID, path string, paths map[string]string) {
	paths[parentID] = path
	var accounts []string
	ap := organizations.NewListAccountsForParentPaginator(orgs, &organizations.ListAccountsForParentInput{ParentId: aws.String(parentID)})
	for ap.HasMorePages() {
		out, err := ap.NextPage(o.ctx)
		if err != nil {
			o.fatalf("ListAccountsForParent %s: %v", path, err)
		}
		for _, a := range out.Accounts {
			accounts = append(accounts, o.names[aws.ToString(a.Id)])
		}
	}
	sort.Strings(accounts)
	childAccounts := o.countChildren(orgs, parentID, orgtypes.ChildTypeAccount)
	childOUs := o.countChildren(orgs, parentID, orgtypes.ChildTypeOrganizationalUnit)
	o.obs.OUTree = append(o.obs.OUTree, fmt.Sprintf("%s: children(ACCOUNT)=%d children(OU)=%d accounts=%s",
		path, childAccounts, childOUs, strings.Join(accounts, ",")))

	var ous []orgtypes.OrganizationalUnit
	op := organizations.NewListOrganizationalUnitsForParentPaginator(orgs, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parentID)})
	for op.HasMorePages() {
		out, err := op.NextPage(o.ctx)
		if err != nil {
			o.fatalf("ListOrganizationalUnitsForParent %s: %v", path, err)
		}
		ous = append(ous, out.OrganizationalUnits...)
	}
	sort.Slice(ous, func(i, j int) bool { return aws.ToString(ous[i].Name) < aws.ToString(ous[j].Name) })
	for _, ou := range ous {
		if !ouIDShape.MatchString(aws.ToString(ou.Id)) {
			o.obs.OUTree = append(o.obs.OUTree, fmt.Sprintf("%s/%s: OU ID %q is not ou-<root>-<suffix>", path, aws.ToString(ou.Name), aws.ToString(ou.Id)))
		}
		o.walkOU(orgs, aws.ToString(ou.Id), path+"/"+aws.ToString(ou.Name), paths)
	}
}

// countChildren pages ListChildren for one child type.
func (o *observer) countChildren(orgs *organizations.Client, parentID string, childType orgtypes.ChildType) int {
	n := 0
	p := organizations.NewListChildrenPaginator(orgs, &organizations.ListChildrenInput{ParentId: aws.String(parentID), ChildType: childType})
	for p.HasMorePages() {
		out, err := p.NextPage(o.ctx)
		if err != nil {
			o.fatalf("ListChildren %s %s: %v", parentID, childType, err)
		}
		n += len(out.Children)
	}
	return n
}
