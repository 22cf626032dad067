package scanner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"golang.org/x/sync/errgroup"
)

// run is the state of one Scan.
type run struct {
	opts     Options
	log      *slog.Logger
	clients  clientFactory
	budget   *budget
	progress *Progress
	dir      *ownerDirectory
	queue    *bucketQueue
	events   chan event
	col      *collector

	// Set by the prelude, read-only afterwards.
	callerAccount  string
	partition      string
	orgCreds       aws.CredentialsProvider // nil = the caller's
	orgRoleAccount string
	memberSTS      STSAPI // signs AssumeRole into members

	listBucketsPage int64

	// stop closes to ask for a graceful stop (ScanUntil); nil never does.
	// stopGrace is how long calls in flight may then still run.
	stop      <-chan struct{}
	stopGrace time.Duration

	filter  accountFilter
	tree    *ouTree
	outside outsideAccounts
}

// outsideAccounts are active members the scan does not cover (filtered
// out, or the excluded management account): the owner lookup's candidates.
type outsideAccounts struct {
	mu   sync.Mutex
	list []orgAccount
}

func (o *outsideAccounts) add(a orgAccount) {
	o.mu.Lock()
	o.list = append(o.list, a)
	o.mu.Unlock()
}

func newRun(opts Options, log *slog.Logger, clients clientFactory, b *budget, sink ObjectSink, p *Progress) *run {
	r := &run{
		opts:     opts,
		log:      log,
		clients:  clients,
		budget:   b,
		progress: p,
		dir:      newOwnerDirectory(log.With("component", "scanner.owners")),
		queue:    newBucketQueue(),
		// Buffer: enough for every worker to hand over a result without
		// waiting on the collector.
		events: make(chan event, 4*opts.Concurrency),
		filter: accountFilter{include: opts.AccountsInclude, exclude: opts.AccountsExclude},
	}
	r.stopGrace = StopGrace
	r.col = newCollector(sink, p, r.dir)
	r.col.facts.concurrency = int64(opts.Concurrency)
	r.dir.lookup = r.lookupOutsideOwners
	return r
}

// Goroutine limits above the request budget. Each account task and each
// bucket task has at most one call in flight, so twice the budget keeps it
// full while some tasks wait (on the budget queue, on the owner directory,
// or on the collector), and bounds memory by concurrency.
func (r *run) accountsInFlight() int { return 2 * r.opts.Concurrency }
func (r *run) bucketWorkers() int    { return 2 * r.opts.Concurrency }

func (r *run) scan(parent context.Context) (*Result, error) {
	started := time.Now().UTC()
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	// Two ways to end early: parent ending cancels every call at once;
	// r.stop closing stops new work and gives calls in flight stopGrace.
	scanDone := make(chan struct{})
	defer close(scanDone)
	go r.watchStop(cancel, scanDone)

	collectorDone := make(chan struct{})
	go func() { defer close(collectorDone); r.col.run(r.events, cancel) }()

	var workers sync.WaitGroup
	for range r.bucketWorkers() {
		workers.Add(1)
		go func() { defer workers.Done(); r.bucketWorker(ctx) }()
	}

	org, startErr := r.prelude(ctx)
	var listErr error
	if startErr == nil {
		listErr = r.accountsPhase(ctx)
	}
	r.dir.markComplete() // release any waiter if the listing failed
	r.queue.close()
	workers.Wait()
	close(r.events)
	<-collectorDone

	stopped := r.stopRequested() && parent.Err() == nil
	resultCtx := ctx
	if stopped {
		// Resolve owners from what is known: no new call after a stop.
		c, cancelResult := context.WithCancel(ctx)
		cancelResult()
		resultCtx = c
	}
	if walkErr := errors.Join(startErr, listErr); walkErr != nil && parent.Err() == nil {
		// Accounts the walk never reached have no row to carry the
		// failure: the report says it in a finding of its own.
		r.col.walkErr = walkErr
	}
	res := r.col.result(resultCtx, r)
	res.StartedAt = started
	res.FinishedAt = time.Now().UTC()
	res.Organization = org

	err := startErr
	if err == nil {
		err = listErr
	}
	if err == nil && r.col.sinkErr != nil {
		err = fmt.Errorf("scanner: write object record: %w", r.col.sinkErr)
	}
	if err == nil && parent.Err() != nil {
		err = fmt.Errorf("scanner: scan interrupted: %w", parent.Err())
	}
	if err == nil && stopped {
		err = ErrStopped
	}
	if err != nil {
		res.Complete = false
	}
	return res, err
}

// prelude learns who the caller is, assumes the organization role if any,
// describes the organization and, when a filter names an OU, walks the tree.
// Its calls are on the critical path of everything: priority lane.
func (r *run) prelude(ctx context.Context) (Organization, error) {
	pctx := withPriority(ctx)
	callerSTS := r.clients.STS(nil)
	// GetCallerIdentity and DescribeOrganization (with the organization
	// role's AssumeRole before it) do not depend on each other: they run
	// concurrently, one round trip off the critical path of the scan.
	type identity struct {
		out *sts.GetCallerIdentityOutput
		err error
	}
	idc := make(chan identity, 1)
	go func() {
		out, err := callerSTS.GetCallerIdentity(pctx, &sts.GetCallerIdentityInput{})
		idc <- identity{out, err}
	}()
	r.memberSTS = callerSTS
	var orgErr error
	var out *organizations.DescribeOrganizationOutput
	api := r.clients.Organizations(nil)
	if arn := r.opts.OrganizationRoleARN; arn != "" {
		creds := assumedRole(callerSTS, arn, r.opts.ExternalID, r.opts.SessionName, orgSessionDuration)
		r.col.facts.orgRole = true
		if err := retrieveNow(pctx, creds); err != nil {
			orgErr = fmt.Errorf("scanner: organization role %s: %s", arn, err)
		} else {
			r.orgCreds = creds
			r.orgRoleAccount = accountOfARN(arn)
			r.memberSTS = r.clients.STS(creds)
			api = r.clients.Organizations(creds)
		}
	}
	if orgErr == nil {
		var err error
		out, err = api.DescribeOrganization(pctx, &organizations.DescribeOrganizationInput{})
		if err != nil {
			orgErr = fmt.Errorf("scanner: DescribeOrganization: %s: %w", awsErrorText(err), err)
		}
	}
	id := <-idc
	if id.err != nil {
		return Organization{}, fmt.Errorf("scanner: GetCallerIdentity: %s: %w", awsErrorText(id.err), id.err)
	}
	r.callerAccount = aws.ToString(id.out.Account)
	r.partition = r.opts.Partition
	if r.partition == "" {
		r.partition = partitionOf(aws.ToString(id.out.Arn))
	}
	if r.partition == "" {
		r.partition = DefaultPartition
	}
	if orgErr != nil {
		return Organization{}, orgErr
	}
	org := Organization{}
	if out.Organization != nil {
		org.ID = aws.ToString(out.Organization.Id)
		org.ManagementAccountID = aws.ToString(out.Organization.MasterAccountId)
	}
	r.log.Info("organization", "id", org.ID, "management_account", org.ManagementAccountID, "caller_account", r.callerAccount)
	r.col.managementAccount = org.ManagementAccountID
	if needsOUWalk(r.opts.AccountsInclude, r.opts.AccountsExclude) {
		tree, err := walkOUs(pctx, api)
		if err != nil {
			return org, fmt.Errorf("scanner: walk organizational units: %s: %w", awsErrorText(err), err)
		}
		r.tree = tree
		r.col.facts.ouWalk = tree
	}
	return org, nil
}

// accountsPhase lists the accounts and starts each account in scope as soon
// as its ListAccounts page arrives.
func (r *run) accountsPhase(ctx context.Context) error {
	api := r.clients.Organizations(r.orgCreds)
	// accountsInFlight bounds account tasks (AssumeRole + ListBuckets);
	// the request budget bounds their calls. Go blocks when the limit is
	// reached, which paces ListAccounts paging as well.
	var g errgroup.Group
	g.SetLimit(r.accountsInFlight())
	pages, err := listAccounts(withPriority(ctx), api, func(page int, accts []orgAccount) {
		r.col.addOrgAccounts(int64(len(accts)))
		for _, a := range accts {
			r.dispatchAccount(ctx, &g, a)
		}
	})
	r.col.setListPages(int64(pages))
	r.dir.listingDone()
	g.Wait()
	if err != nil {
		if ctx.Err() != nil {
			return nil // reported as an interruption by scan
		}
		return fmt.Errorf("scanner: %s: %w", awsErrorText(err), err)
	}
	return nil
}

// dispatchAccount decides what becomes of one listed account.
func (r *run) dispatchAccount(ctx context.Context, g *errgroup.Group, a orgAccount) {
	var ancestors []string
	row := Account{ID: a.ID, Name: a.Name, State: a.State}
	if r.tree != nil {
		ancestors = r.tree.ancestors[a.ID]
		row.OUPath = r.tree.path[a.ID]
	}
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

// send hands an event to the collector. It never drops one: the collector
// drains the channel until it is closed.
func (r *run) send(_ context.Context, e event) { r.events <- e }

// credentialsFor returns the credentials to scan an account with, and
// whether an AssumeRole is involved. The caller's own account uses the
// caller's credentials; the organization role's account uses that role's.
func (r *run) credentialsFor(accountID string) (aws.CredentialsProvider, *aws.CredentialsCache) {
	switch {
	case accountID == r.callerAccount:
		return nil, nil
	case r.orgCreds != nil && accountID == r.orgRoleAccount:
		return r.orgCreds, nil
	}
	c := assumedRole(r.memberSTS, roleARN(r.partition, accountID, r.opts.MemberRoleName),
		r.opts.ExternalID, r.opts.SessionName, memberSessionDuration)
	return c, c
}

// isInterrupted reports whether err comes from the scan's context ending.
func isInterrupted(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ctx.Err()))
}
