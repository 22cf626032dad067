package scanner

import (
	"context"
	"fmt"
	"path"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"golang.org/x/sync/errgroup"
)

// organizationsPageSize is the largest page Organizations List* calls allow.
const organizationsPageSize = 20

// orgAccount is one account as ListAccounts described it.
type orgAccount struct {
	ID    string
	Name  string
	State string // State, or Status when State is absent
	Page  int    // 1-based ListAccounts page it came on (critical path)
}

func toOrgAccount(a orgtypes.Account, page int) orgAccount {
	state := string(a.State)
	if state == "" {
		state = string(a.Status)
	}
	return orgAccount{ID: aws.ToString(a.Id), Name: aws.ToString(a.Name), State: state, Page: page}
}

// skipReason says why an account in the organization cannot be scanned
// because of its lifecycle state, or "" when it can.
func skipReason(state string) string {
	switch orgtypes.AccountState(state) {
	case orgtypes.AccountStateSuspended, orgtypes.AccountStatePendingClosure,
		orgtypes.AccountStateClosed, orgtypes.AccountStatePendingActivation:
		return "account state " + state + ": not scanned"
	}
	return ""
}

// listAccounts reads every page of ListAccounts, calling onPage with each
// page's accounts as it arrives. It keeps going while NextToken is set, even
// after an empty page (Organizations may return those), and fails when the
// pages stop advancing (pageGuard). An account listed again is not passed
// on twice. It returns the number of pages read.
func listAccounts(ctx context.Context, api OrganizationsAPI, onPage func(accounts []orgAccount)) (int, error) {
	in := &organizations.ListAccountsInput{MaxResults: aws.Int32(organizationsPageSize)}
	pages := 0
	seen := map[string]struct{}{}
	var guard pageGuard
	for {
		out, err := api.ListAccounts(ctx, in)
		if err != nil {
			return pages, fmt.Errorf("ListAccounts: %w", err)
		}
		pages++
		accts := make([]orgAccount, 0, len(out.Accounts))
		for _, a := range out.Accounts {
			id := aws.ToString(a.Id)
			if _, dup := seen[id]; dup {
				continue
			}
			seen[id] = struct{}{}
			accts = append(accts, toOrgAccount(a, pages))
		}
		onPage(accts)
		token := aws.ToString(out.NextToken)
		if err := guard.next(token, len(accts) > 0); err != nil {
			return pages, fmt.Errorf("ListAccounts: %w", err)
		}
		if token == "" {
			return pages, nil
		}
		in.NextToken = out.NextToken
	}
}

// ouTree is what a walk of the organization tree learned: for each account,
// its path of names from the root and the IDs of the root and every OU above
// it (so an OU filter covers the whole subtree).
type ouTree struct {
	mu        sync.Mutex
	path      map[string]string   // account ID -> "Root/Workloads/Dev"
	ancestors map[string][]string // account ID -> [r-..., ou-..., ou-...]
	visited   map[string]struct{} // roots and OUs reached
	roots     []*ouNode
}

// ouNode is one parent (root or OU) of the walk and what listing it cost.
type ouNode struct {
	page      int64 // the parent's OU-listing page this node was found on (0 for a root)
	ouPages   int64 // pages read
	acctPages int64
	ouCount   int64 // child OUs found
	acctCount int64 // accounts directly under this parent
	children  []*ouNode
}

// minCalls is the number of Organizations calls the walk needs for what it
// found: ListRoots, then per parent max(1, ceil(n/20)) pages of each listing.
func (t *ouTree) minCalls() int64 {
	var sum func(n *ouNode) int64
	sum = func(n *ouNode) int64 {
		c := pagesFor(n.ouCount, organizationsPageSize) + pagesFor(n.acctCount, organizationsPageSize)
		for _, ch := range n.children {
			c += sum(ch)
		}
		return c
	}
	total := int64(1)
	for _, r := range t.roots {
		total += sum(r)
	}
	return total
}

// chain is the longest chain of walk calls that must follow each other:
// ListRoots, then down the tree, each child after the OU page that named it.
func (t *ouTree) chain() int64 {
	var longest func(n *ouNode) int64
	longest = func(n *ouNode) int64 {
		c := max(n.acctPages, n.ouPages)
		for _, ch := range n.children {
			c = max(c, ch.page+longest(ch))
		}
		return c
	}
	var c int64
	for _, r := range t.roots {
		c = max(c, longest(r))
	}
	return 1 + c
}

// ouWalkConcurrency bounds the parents (root or OU) whose children are being
// listed at once; the request budget bounds the calls themselves.
const ouWalkConcurrency = 8

// walkOUs lists the tree under every root: ListRoots, then for each parent
// (root or OU) every page of ListOrganizationalUnitsForParent and of
// ListAccountsForParent, nested to any depth. It runs only when a filter
// names an OU or root, which keeps calls at the minimum otherwise. Every
// listing fails when its pages stop advancing (pageGuard), and the walk
// fails when an OU turns up twice (a cycle would never end).
func walkOUs(ctx context.Context, api OrganizationsAPI) (*ouTree, error) {
	t := &ouTree{path: map[string]string{}, ancestors: map[string][]string{}, visited: map[string]struct{}{}}
	roots, err := listRoots(ctx, api)
	if err != nil {
		return nil, err
	}
	g, gctx := errgroup.WithContext(ctx)
	// Tasks are spawned from inside tasks; a limit there could deadlock, so
	// the walk bounds itself with a semaphore taken around each parent.
	sem := make(chan struct{}, ouWalkConcurrency)
	for _, r := range roots {
		name := aws.ToString(r.Name)
		if name == "" {
			name = "Root"
		}
		n := &ouNode{}
		t.roots = append(t.roots, n)
		id := aws.ToString(r.Id)
		t.visited[id] = struct{}{}
		t.walk(gctx, g, sem, api, n, id, name, []string{id})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return t, nil
}

// listRoots reads every page of ListRoots. An organization has one root:
// none is an answer that cannot be right.
func listRoots(ctx context.Context, api OrganizationsAPI) ([]orgtypes.Root, error) {
	in := &organizations.ListRootsInput{}
	var roots []orgtypes.Root
	var guard pageGuard
	for {
		out, err := api.ListRoots(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("ListRoots: %w", err)
		}
		roots = append(roots, out.Roots...)
		token := aws.ToString(out.NextToken)
		if err := guard.next(token, len(out.Roots) > 0); err != nil {
			return nil, fmt.Errorf("ListRoots: %w", err)
		}
		if token == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	if len(roots) == 0 {
		return nil, fmt.Errorf("ListRoots: the organization has no root")
	}
	return roots, nil
}

// visit records that the walk reached parent id, and fails when it was
// reached before: an OU listed under two parents (or under itself) would
// be walked again and again.
func (t *ouTree) visit(id string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, again := t.visited[id]; again {
		return fmt.Errorf("organizational unit %s is listed twice in the tree", id)
	}
	t.visited[id] = struct{}{}
	return nil
}

// walk schedules the listing of one parent's children on g.
func (t *ouTree) walk(ctx context.Context, g *errgroup.Group, sem chan struct{}, api OrganizationsAPI, n *ouNode, parentID, parentPath string, ancestors []string) {
	g.Go(func() error {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-sem }()
		in := &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parentID), MaxResults: aws.Int32(organizationsPageSize)}
		var ouGuard pageGuard
		for {
			out, err := api.ListOrganizationalUnitsForParent(ctx, in)
			if err != nil {
				return fmt.Errorf("ListOrganizationalUnitsForParent %s: %w", parentID, err)
			}
			n.ouPages++
			n.ouCount += int64(len(out.OrganizationalUnits))
			for _, ou := range out.OrganizationalUnits {
				id := aws.ToString(ou.Id)
				if err := t.visit(id); err != nil {
					return fmt.Errorf("ListOrganizationalUnitsForParent %s: %w", parentID, err)
				}
				child := &ouNode{page: n.ouPages}
				n.children = append(n.children, child)
				anc := append(append([]string(nil), ancestors...), id)
				t.walk(ctx, g, sem, api, child, id, parentPath+"/"+aws.ToString(ou.Name), anc)
			}
			token := aws.ToString(out.NextToken)
			if err := ouGuard.next(token, len(out.OrganizationalUnits) > 0); err != nil {
				return fmt.Errorf("ListOrganizationalUnitsForParent %s: %w", parentID, err)
			}
			if token == "" {
				break
			}
			in.NextToken = out.NextToken
		}
		ain := &organizations.ListAccountsForParentInput{ParentId: aws.String(parentID), MaxResults: aws.Int32(organizationsPageSize)}
		var acctGuard pageGuard
		for {
			out, err := api.ListAccountsForParent(ctx, ain)
			if err != nil {
				return fmt.Errorf("ListAccountsForParent %s: %w", parentID, err)
			}
			n.acctPages++
			fresh := 0
			t.mu.Lock()
			for _, a := range out.Accounts {
				id := aws.ToString(a.Id)
				if _, dup := t.path[id]; dup {
					continue // the first parent that listed it places it
				}
				fresh++
				t.path[id] = parentPath
				t.ancestors[id] = ancestors
			}
			t.mu.Unlock()
			n.acctCount += int64(fresh)
			token := aws.ToString(out.NextToken)
			if err := acctGuard.next(token, fresh > 0); err != nil {
				return fmt.Errorf("ListAccountsForParent %s: %w", parentID, err)
			}
			if token == "" {
				break
			}
			ain.NextToken = out.NextToken
		}
		return nil
	})
}

// needsOUWalk reports whether any account filter names an OU or a root.
func needsOUWalk(include, exclude []string) bool {
	for _, e := range append(append([]string(nil), include...), exclude...) {
		if ouIDPattern.MatchString(e) || rootIDPattern.MatchString(e) {
			return true
		}
	}
	return false
}

// accountFilter decides which accounts are in scope: an account matches an
// entry by its ID, by the ID of the root or of any OU above it (the whole
// subtree), or by a name glob (path.Match). An empty include list includes
// every account; exclude wins over include.
type accountFilter struct {
	include, exclude []string
}

func (f accountFilter) inScope(a orgAccount, ancestors []string) bool {
	if len(f.include) > 0 && !matchesAny(f.include, a, ancestors) {
		return false
	}
	return !matchesAny(f.exclude, a, ancestors)
}

func matchesAny(entries []string, a orgAccount, ancestors []string) bool {
	for _, e := range entries {
		if entryMatches(e, a, ancestors) {
			return true
		}
	}
	return false
}

// entryMatches says whether one filter entry selects the account: by its
// ID, by the root or an OU above it, or by a glob on its name.
func entryMatches(e string, a orgAccount, ancestors []string) bool {
	switch {
	case accountIDPattern.MatchString(e):
		return e == a.ID
	case ouIDPattern.MatchString(e) || rootIDPattern.MatchString(e):
		return slices.Contains(ancestors, e)
	}
	ok, _ := path.Match(e, a.Name)
	return ok
}
