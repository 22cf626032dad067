package scanner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ownerscan/ownerscan/internal/awspartition"
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

	// configRegion is the region of the caller's AWS configuration ("" when
	// none): it picks the partition of GetCallerIdentity and, when every
	// account has it, the region of STS and ListBuckets.
	configRegion string

	// Set by the prelude, read-only afterwards.
	callerAccount  string
	part           awspartition.Partition  // the caller's
	partition      string                  // part.Name
	controlRegion  string                  // STS, ListBuckets and region lookups: a region every account has
	orgCreds       aws.CredentialsProvider // nil = the caller's
	orgRoleAccount string
	memberSTS      STSAPI // signs AssumeRole into members

	listBucketsPage int64 // MaxBuckets of ListBuckets (WithListBucketsPageSize)

	// stop closes to ask for a graceful stop (ScanUntil); nil never does.
	// stopGrace is how long calls in flight may then still run.
	stop      <-chan struct{}
	stopGrace time.Duration

	filter  accountFilter
	tree    *ouTree
	outside outsideAccounts
	// scope records which filter entries matched something (checkScope).
	scope scopeUse
	// listed is every account the organization listing named, in scope or
	// not. Appended by the accounts phase only; read once it has ended.
	listed []orgAccount
	// listedWhole says the organization listing reached its last page:
	// only then is every member named in listed. Set by the accounts
	// phase; false when the scan stopped or failed before.
	listedWhole bool
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

	org, accounts, startErr := r.prelude(ctx)
	var listErr error
	if startErr == nil {
		listErr = r.accountsPhase(ctx, accounts)
	} else {
		accounts.abandon()
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

// send hands an event to the collector. It never drops one: the collector
// drains the channel until it is closed.
func (r *run) send(_ context.Context, e event) { r.events <- e }

// credentialsFor returns the credentials to scan an account with, and the
// member role session to assume first (nil when none): the caller's, the
// organization role's, or its member role's, as accountRoute decides.
func (r *run) credentialsFor(accountID string) (aws.CredentialsProvider, *aws.CredentialsCache) {
	switch accountRoute(accountID, r.callerAccount, r.col.managementAccount, r.orgRoleAccount, r.orgCreds != nil) {
	case routeOrganizationRole:
		return r.orgCreds, nil
	case routeCaller:
		return nil, nil
	}
	c := assumedRole(r.memberSTS, roleARN(r.partition, accountID, r.opts.MemberRoleName),
		r.opts.ExternalID, r.opts.SessionName, memberSessionDuration)
	return c, c
}

// isInterrupted reports whether err comes from the scan's context ending.
func isInterrupted(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ctx.Err()))
}
