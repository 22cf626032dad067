package scanner

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"
)

// accountStream is a ListAccounts walk running ahead of the accounts phase.
// It starts in the prelude, beside DescribeOrganization, but an account can
// only be placed (in scope or not, management account or not, with whose
// credentials) once the prelude is over: pages wait for the phase, one at
// a time, which also paces the paging by how fast accounts are taken up.
type accountStream struct {
	pages  chan []orgAccount // closed when the walk ends
	cancel context.CancelFunc
	// Set before pages closes.
	n   int // pages read
	err error
}

// startAccountStream starts listing the organization's accounts.
func startAccountStream(ctx context.Context, api OrganizationsAPI) *accountStream {
	ctx, cancel := context.WithCancel(ctx)
	s := &accountStream{pages: make(chan []orgAccount), cancel: cancel}
	go func() {
		s.n, s.err = listAccounts(ctx, api, func(accts []orgAccount) {
			select {
			case s.pages <- accts:
			case <-ctx.Done():
			}
		})
		close(s.pages)
	}()
	return s
}

// abandon stops the walk (the prelude failed) and waits for it to end, so
// no call outlives the scan. A nil stream has nothing to stop.
func (s *accountStream) abandon() {
	if s == nil {
		return
	}
	s.cancel()
	for range s.pages {
	}
}

// accountsPhase starts each listed account in scope as soon as its
// ListAccounts page arrives.
func (r *run) accountsPhase(ctx context.Context, s *accountStream) error {
	defer s.cancel()
	// accountsInFlight bounds account tasks (AssumeRole + ListBuckets);
	// the request budget bounds their calls. Go blocks when the limit is
	// reached, which paces ListAccounts paging as well.
	var g errgroup.Group
	g.SetLimit(r.accountsInFlight())
	for accts := range s.pages {
		r.col.addOrgAccounts(int64(len(accts)))
		for _, a := range accts {
			r.dispatchAccount(ctx, &g, a)
		}
	}
	r.col.setListPages(int64(s.n))
	r.dir.listingDone()
	g.Wait()
	if s.err != nil {
		if ctx.Err() != nil {
			return nil // reported as an interruption by scan
		}
		return fmt.Errorf("scanner: %s: %w", awsErrorText(s.err), s.err)
	}
	if !r.listedManagementAccount() {
		// Organizations lists every account of the organization, its
		// management account included
		// (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html):
		// a listing that ended without it is not the whole organization.
		return fmt.Errorf("scanner: ListAccounts: the listing ended after %d account(s) without the management account %s: it does not name the whole organization",
			len(r.listed), r.col.managementAccount)
	}
	r.listedWhole = true
	return nil
}

// listedManagementAccount reports whether the organization listing named
// the management account.
func (r *run) listedManagementAccount() bool {
	for _, a := range r.listed {
		if a.ID == r.col.managementAccount {
			return true
		}
	}
	return false
}

// dispatchAccount decides what becomes of one listed account. Every listed
// account, in scope or not, is remembered for owner identity, with the
// canonical ID an earlier run learned for it, if any.
func (r *run) dispatchAccount(ctx context.Context, g *errgroup.Group, a orgAccount) {
	r.listed = append(r.listed, a)
	if id := r.opts.KnownCanonicalIDs[a.ID]; id != "" {
		r.dir.registerEarlier(id, memberRef{ID: a.ID, Name: a.Name})
	}
	var ancestors []string
	row := Account{ID: a.ID, Name: a.Name, State: a.State}
	if r.tree != nil {
		ancestors = r.tree.ancestors[a.ID]
		row.OUPath = r.tree.path[a.ID]
	}
	r.scope.noteAccount(r.opts, a, ancestors)
	if !r.filter.inScope(a, ancestors) {
		if skipReason(a.State) == "" {
			r.outside.add(a)
		}
		return
	}
	r.progress.AccountsTotal.Add(1)
	if a.ID == r.col.managementAccount && !r.opts.IncludeManagementAccount {
		row.Status = AccountSkipped
		row.Error = "excluded by include_management_account: false"
		r.outside.add(a)
		r.progress.AccountsDone.Add(1)
		r.send(ctx, event{account: &accountOutcome{row: row, page: int64(a.Page)}})
		return
	}
	if reason := skipReason(a.State); reason != "" {
		row.Status = AccountSkipped
		row.Error = reason
		r.progress.AccountsDone.Add(1)
		r.send(ctx, event{account: &accountOutcome{row: row, page: int64(a.Page)}})
		return
	}
	r.dir.expect()
	g.Go(func() error {
		r.scanAccount(ctx, a, row)
		return nil
	})
}
