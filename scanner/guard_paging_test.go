package scanner

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// TestListAccountsStuckToken: a ListAccounts that answers the same page
// and token again and again fails on its second page, and no account is
// passed on twice.
func TestListAccountsStuckToken(t *testing.T) {
	calls := 0
	api := fakeOrg{listAccounts: func(*organizations.ListAccountsInput) (*organizations.ListAccountsOutput, error) {
		calls++
		return &organizations.ListAccountsOutput{
			Accounts:  []orgtypes.Account{{Id: aws.String("111111111111")}, {Id: aws.String("222222222222")}},
			NextToken: aws.String("stuck"),
		}, nil
	}}
	var got []string
	_, err := listAccounts(context.Background(), api, func(accts []orgAccount) {
		for _, a := range accts {
			got = append(got, a.ID)
		}
	})
	if err == nil || !strings.Contains(err.Error(), "ListAccounts: pagination does not advance") || calls != 2 {
		t.Fatalf("%d calls, err %v", calls, err)
	}
	if len(got) != 2 {
		t.Errorf("accounts passed on: %v", got)
	}
}

// cyclicTree is an organization whose OU listing names an OU again below
// itself (ou-b lists ou-a as its child).
type cyclicTree struct{ fakeOrg }

func (cyclicTree) ListRoots(context.Context, *organizations.ListRootsInput, ...func(*organizations.Options)) (*organizations.ListRootsOutput, error) {
	return &organizations.ListRootsOutput{Roots: []orgtypes.Root{{Id: aws.String("r-abcd")}}}, nil
}

func (cyclicTree) ListOrganizationalUnitsForParent(_ context.Context, in *organizations.ListOrganizationalUnitsForParentInput, _ ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error) {
	child := map[string]string{"r-abcd": "ou-a", "ou-a": "ou-b", "ou-b": "ou-a"}[aws.ToString(in.ParentId)]
	return &organizations.ListOrganizationalUnitsForParentOutput{OrganizationalUnits: []orgtypes.OrganizationalUnit{{Id: aws.String(child), Name: aws.String(child)}}}, nil
}

func (cyclicTree) ListAccountsForParent(context.Context, *organizations.ListAccountsForParentInput, ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error) {
	return &organizations.ListAccountsForParentOutput{Accounts: []orgtypes.Account{}}, nil
}

// TestWalkOUsCycle: an OU tree that loops ends the walk with an error
// instead of walking for ever.
func TestWalkOUsCycle(t *testing.T) {
	_, err := walkOUs(context.Background(), cyclicTree{})
	if err == nil || !strings.Contains(err.Error(), "organizational unit ou-a is listed twice") {
		t.Fatalf("err %v", err)
	}
}
