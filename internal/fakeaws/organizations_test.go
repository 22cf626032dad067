package fakeaws

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

func TestDescribeOrganizationFromAnyMember(t *testing.T) {
	sc := coreScenario(t, coreSmallOrg)
	srv := coreServe(t, sc)
	for _, acct := range []string{"111111111111", "333333333333"} {
		out, err := coreOrgs(coreAccountConfig(t, srv, acct)).DescribeOrganization(context.Background(), nil)
		if err != nil {
			t.Fatalf("%s: %v", acct, err)
		}
		o := out.Organization
		if *o.Id != sc.OrganizationID || !regexp.MustCompile(`^o-[a-z0-9]{10}$`).MatchString(*o.Id) {
			t.Errorf("org id %s, scenario %s", *o.Id, sc.OrganizationID)
		}
		if *o.MasterAccountId != "111111111111" || o.FeatureSet != types.OrganizationFeatureSetAll ||
			*o.MasterAccountArn != "arn:aws:organizations::111111111111:account/"+sc.OrganizationID+"/111111111111" {
			t.Errorf("organization %+v", o)
		}
	}
}

func TestListAccountsStateStatusAndFields(t *testing.T) {
	srv := coreServe(t, coreScenario(t, coreSmallOrg))
	out, err := coreOrgs(coreAccountConfig(t, srv, "111111111111")).ListAccounts(context.Background(), &organizations.ListAccountsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if out.NextToken != nil || len(out.Accounts) != 7 {
		t.Fatalf("got %d accounts, token %v", len(out.Accounts), out.NextToken)
	}
	byID := map[string]types.Account{}
	for _, a := range out.Accounts {
		byID[*a.Id] = a
	}
	want := map[string][2]string{ // id -> state, status
		"111111111111": {"ACTIVE", "ACTIVE"},
		"444444444444": {"SUSPENDED", "SUSPENDED"},
		"666666666666": {"CLOSED", ""},
		"777777777777": {"PENDING_CLOSURE", "PENDING_CLOSURE"},
	}
	for id, w := range want {
		a := byID[id]
		if string(a.State) != w[0] || string(a.Status) != w[1] {
			t.Errorf("%s: state %q status %q, want %q %q", id, a.State, a.Status, w[0], w[1])
		}
	}
	b := byID["222222222222"]
	if *b.Name != "B" || *b.Email != "222222222222@example.invalid" || b.JoinedMethod != types.AccountJoinedMethodCreated ||
		!b.JoinedTimestamp.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) || !strings.HasSuffix(*b.Arn, "/222222222222") {
		t.Errorf("account B %+v", b)
	}
}

func TestListAccountsPaging(t *testing.T) {
	for _, emptyPages := range []bool{false, true} {
		t.Run(fmt.Sprintf("empty_pages=%v", emptyPages), func(t *testing.T) {
			doc := "management_account: \"111111111111\"\ngenerate: {accounts: 45}\n"
			if emptyPages {
				doc += "faults: {empty_pages: true}\n"
			}
			srv := coreServe(t, coreScenario(t, doc))
			client := coreOrgs(coreAccountConfig(t, srv, "111111111111"))
			var ids []string
			var sizes []int
			var token *string
			for {
				out, err := client.ListAccounts(context.Background(), &organizations.ListAccountsInput{NextToken: token})
				if err != nil {
					t.Fatal(err)
				}
				sizes = append(sizes, len(out.Accounts))
				for _, a := range out.Accounts {
					ids = append(ids, *a.Id)
				}
				if token = out.NextToken; token == nil {
					break
				}
			}
			wantSizes := []int{20, 20, 6}
			if emptyPages {
				wantSizes = []int{20, 0, 20, 0, 6}
			}
			if !slices.Equal(sizes, wantSizes) {
				t.Errorf("page sizes %v, want %v", sizes, wantSizes)
			}
			if len(ids) != 46 || ids[0] != "111111111111" || ids[45] != GeneratedAccountID(45) {
				t.Errorf("%d ids, first %s last %s", len(ids), ids[0], ids[len(ids)-1])
			}
			sorted := slices.Clone(ids)
			slices.Sort(sorted)
			if len(slices.Compact(sorted)) != 46 {
				t.Error("duplicate accounts across pages")
			}
			// The SDK paginator gets the same accounts.
			p := organizations.NewListAccountsPaginator(client, &organizations.ListAccountsInput{MaxResults: aws.Int32(7)})
			n := 0
			for p.HasMorePages() {
				page, err := p.NextPage(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				n += len(page.Accounts)
			}
			if n != 46 {
				t.Errorf("paginator saw %d accounts", n)
			}
		})
	}
}

func TestOrganizationsInputErrors(t *testing.T) {
	srv := coreServe(t, coreScenario(t, coreSmallOrg))
	ctx := context.Background()
	c := coreOrgs(coreAccountConfig(t, srv, "111111111111"))
	_, err := c.ListAccounts(ctx, &organizations.ListAccountsInput{MaxResults: aws.Int32(21)})
	if code := coreErrCode(t, err); code != "InvalidInputException" {
		t.Errorf("MaxResults 21: %s", code)
	}
	_, err = c.ListAccounts(ctx, &organizations.ListAccountsInput{NextToken: aws.String("garbage!")})
	if code := coreErrCode(t, err); code != "InvalidInputException" {
		t.Errorf("bad token: %s", code)
	}
	// A token of another listing is rejected too.
	roots, err := c.ListRoots(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: roots.Roots[0].Id, ChildType: types.ChildTypeAccount, MaxResults: aws.Int32(1)})
	if err != nil || first.NextToken == nil {
		t.Fatalf("ListChildren: %v, token %v", err, first.NextToken)
	}
	_, err = c.ListAccounts(ctx, &organizations.ListAccountsInput{NextToken: first.NextToken})
	if code := coreErrCode(t, err); code != "InvalidInputException" {
		t.Errorf("foreign token: %s", code)
	}
	_, err = c.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: aws.String("ou-zzzz-00000000"), ChildType: types.ChildTypeAccount})
	if code := coreErrCode(t, err); code != "ParentNotFoundException" {
		t.Errorf("unknown parent: %s", code)
	}
	_, err = c.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String("999999999999")})
	if code := coreErrCode(t, err); code != "ChildNotFoundException" {
		t.Errorf("unknown child: %s", code)
	}
	_, err = c.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String("999999999999")})
	if code := coreErrCode(t, err); code != "AccountNotFoundException" {
		t.Errorf("unknown account: %s", code)
	}
	_, err = c.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: roots.Roots[0].Id, ChildType: "POLICY"})
	if code := coreErrCode(t, err); code != "InvalidInputException" {
		t.Errorf("bad child type: %s", code)
	}
}

func TestOrganizationsManagementOnly(t *testing.T) {
	srv := coreServe(t, coreScenario(t, coreSmallOrg))
	ctx := context.Background()
	member := coreOrgs(coreAccountConfig(t, srv, "222222222222"))
	calls := map[string]func() error{
		"ListAccounts": func() error { _, err := member.ListAccounts(ctx, nil); return err },
		"ListRoots":    func() error { _, err := member.ListRoots(ctx, nil); return err },
		"ListAccountsForParent": func() error {
			_, err := member.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String("r-abcd")})
			return err
		},
		"DescribeAccount": func() error {
			_, err := member.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String("222222222222")})
			return err
		},
		"ListParents": func() error {
			_, err := member.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String("222222222222")})
			return err
		},
	}
	for name, call := range calls {
		err := call()
		if code := coreErrCode(t, err); code != "AccessDeniedException" {
			t.Errorf("%s by member: %s", name, code)
		}
		if st := coreHTTPStatus(err); st != 400 {
			t.Errorf("%s status %d, want 400", name, st)
		}
	}
	// A session in the management account is the management account.
	mgmtSession := coreAssume(t, srv, coreAccountConfig(t, srv, "111111111111"), "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole")
	if _, err := coreOrgs(mgmtSession).ListAccounts(ctx, nil); err != nil {
		t.Errorf("management session: %v", err)
	}
}

func TestOrganizationTree(t *testing.T) {
	srv := coreServe(t, coreScenario(t, coreSmallOrg))
	ctx := context.Background()
	c := coreOrgs(coreAccountConfig(t, srv, "111111111111"))
	roots, err := c.ListRoots(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(roots.Roots) != 1 || !regexp.MustCompile(`^r-[a-z0-9]{4}$`).MatchString(*roots.Roots[0].Id) {
		t.Fatalf("roots %+v", roots.Roots)
	}
	root := *roots.Roots[0].Id
	ouPattern := regexp.MustCompile(`^ou-` + root[2:] + `-[a-z0-9]{8}$`)

	// Walk the tree with ListChildren and record every account's OU path.
	paths := map[string]string{}
	var walk func(parent, path string)
	walk = func(parent, path string) {
		accts, err := c.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: &parent, ChildType: types.ChildTypeAccount})
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range accts.Children {
			paths[*ch.Id] = path
		}
		ous, err := c.ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: &parent})
		if err != nil {
			t.Fatal(err)
		}
		for _, ou := range ous.OrganizationalUnits {
			if !ouPattern.MatchString(*ou.Id) {
				t.Errorf("OU id %s", *ou.Id)
			}
			walk(*ou.Id, strings.TrimPrefix(path+"/"+*ou.Name, "/"))
		}
	}
	walk(root, "")
	want := map[string]string{"111111111111": "", "222222222222": "Workloads", "333333333333": "Workloads/Dev",
		"444444444444": "Workloads/Dev", "555555555555": "Sandbox", "666666666666": "", "777777777777": ""}
	if fmt.Sprint(paths) != fmt.Sprint(want) {
		t.Errorf("paths %v, want %v", paths, want)
	}

	// ListAccountsForParent lists direct children only.
	workloads, err := c.ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: &root})
	if err != nil {
		t.Fatal(err)
	}
	var wl string
	for _, ou := range workloads.OrganizationalUnits {
		if *ou.Name == "Workloads" {
			wl = *ou.Id
		}
	}
	direct, err := c.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: &wl})
	if err != nil {
		t.Fatal(err)
	}
	if len(direct.Accounts) != 1 || *direct.Accounts[0].Id != "222222222222" {
		t.Errorf("direct children of Workloads: %+v", direct.Accounts)
	}

	// ListParents walks back up: C -> Dev -> Workloads -> root.
	child, chain := "333333333333", []types.ParentType{}
	for child != root {
		out, err := c.ListParents(ctx, &organizations.ListParentsInput{ChildId: &child})
		if err != nil || len(out.Parents) != 1 {
			t.Fatalf("ListParents(%s): %v %+v", child, err, out)
		}
		chain = append(chain, out.Parents[0].Type)
		child = *out.Parents[0].Id
	}
	if fmt.Sprint(chain) != "[ORGANIZATIONAL_UNIT ORGANIZATIONAL_UNIT ROOT]" {
		t.Errorf("parent chain %v", chain)
	}

	d, err := c.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String("555555555555")})
	if err != nil || *d.Account.Name != "E" {
		t.Errorf("DescribeAccount: %v %+v", err, d)
	}
	ou, err := c.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: &wl})
	if err != nil || *ou.OrganizationalUnit.Name != "Workloads" {
		t.Errorf("DescribeOrganizationalUnit: %v", err)
	}
}
