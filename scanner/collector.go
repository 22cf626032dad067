package scanner

import (
	"context"
	"sort"
	"sync/atomic"
)

// event is what workers send the collector: exactly one field is set.
type event struct {
	account *accountOutcome
	bucket  *bucketOutcome
	object  *ObjectRecord
}

// collector is the single goroutine that receives every account row,
// bucket result and object record. It alone writes to the sink and to the
// result rows.
type collector struct {
	sink     ObjectSink
	progress *Progress
	dir      *ownerDirectory

	accounts []*accountOutcome
	buckets  []*bucketOutcome
	sinkErr  error

	// Written by the orchestrating goroutine before the collector is joined.
	managementAccount string
	facts             callFacts
	ownerLookups      atomic.Int64

	// walkErr is why the organization walk (caller identity,
	// DescribeOrganization, ListAccounts) stopped, if it did.
	walkErr error
}

func newCollector(sink ObjectSink, p *Progress, dir *ownerDirectory) *collector {
	return &collector{sink: sink, progress: p, dir: dir}
}

func (c *collector) addOrgAccounts(n int64) { c.facts.orgAccounts += n }
func (c *collector) setListPages(n int64)   { c.facts.listPages = n }

// run drains events until the channel is closed. A sink error cancels the
// scan (its cause is kept); later records are dropped but every other
// event is still received, so no worker blocks.
func (c *collector) run(events <-chan event, cancel func(error)) {
	for e := range events {
		switch {
		case e.object != nil:
			if c.sinkErr != nil {
				continue
			}
			if err := c.sink.WriteObject(*e.object); err != nil {
				c.sinkErr = err
				cancel(err)
			}
		case e.account != nil:
			c.accounts = append(c.accounts, e.account)
			if e.account.row.Status == AccountFailed {
				c.progress.Findings.Add(1)
			}
		case e.bucket != nil:
			if !e.bucket.inScope {
				c.buckets = append(c.buckets, e.bucket) // its region lookup still counts as a call
				continue
			}
			c.buckets = append(c.buckets, e.bucket)
			c.progress.Findings.Add(int64(findingCount(e.bucket)))
		}
	}
}

// findingCount is how many findings a bucket raises (severity aside, which
// needs owner resolution).
func findingCount(b *bucketOutcome) int {
	n := 0
	if b.row.ObjectOwnership != OwnershipEnforced && b.row.ObjectOwnership != OwnershipUnknown {
		n++ // ACLS_ENABLED
	}
	n += len(b.grants)
	if b.row.CrossAccountObjects > 0 {
		n++
	}
	if b.row.UnknownOwnerObjects > 0 {
		n++ // OWNER_UNKNOWN
	}
	if b.row.Status == BucketFailed {
		n++
	}
	return n
}

// result builds the final Result once every worker is done: owners and
// grantees resolved (the directory is complete by now), findings raised,
// rows sorted, summary and call model computed.
func (c *collector) result(ctx context.Context, r *run) *Result {
	res := &Result{Complete: true, Scope: ScopeOf(r.opts)}
	facts := c.facts
	facts.accounts = map[string]*accountCalls{}
	facts.ownerLookups = c.ownerLookups.Load()
	acctCalls := func(id string) *accountCalls {
		a := facts.accounts[id]
		if a == nil {
			a = &accountCalls{}
			facts.accounts[id] = a
		}
		return a
	}

	// resolve waits for nothing but the one-off owner lookup, and not even
	// that once the scan was interrupted.
	resolve := func(id string) (memberRef, bool) {
		if ctx.Err() != nil {
			return c.dir.known(id)
		}
		m, ok, _ := c.dir.resolve(ctx, id)
		return m, ok
	}

	for _, a := range c.accounts {
		row := a.row
		if row.CanonicalID == "" {
			// Not reached today: the canonical ID an earlier run learned,
			// so that the next run's baseline keeps it.
			row.CanonicalID = r.opts.KnownCanonicalIDs[row.ID]
		}
		res.Accounts = append(res.Accounts, row)
		ac := acctCalls(a.row.ID)
		ac.page, ac.assumed, ac.listedBuckets, ac.bucketsListed = a.page, a.assumed, a.listedBuckets, a.bucketsListed
		if a.row.Status == AccountFailed {
			res.Complete = false
			res.Findings = append(res.Findings, accountErrorFinding(a.row))
		}
	}
	// Every owner and grantee is resolved first: the one-off lookup of
	// out-of-scope members runs now if one needs it, and only then is it
	// known which members' canonical IDs stay unknown.
	for _, b := range c.buckets {
		if !b.inScope {
			continue
		}
		for id := range b.owners {
			resolve(id)
		}
		for _, g := range b.grants {
			if g.kind == "" {
				resolve(g.canonicalID)
			}
		}
	}
	// A listing cut short (a failure, or a stop whose grace period ended
	// the page underway) did not name every member: an owner matching none
	// of those it named may be one it did not.
	members := r.membership(res.Accounts, c.walkErr != nil || !r.listedWhole)
	partition := r.partition
	if partition == "" {
		partition = DefaultPartition
	}
	for _, b := range c.buckets {
		ac := acctCalls(b.row.AccountID)
		n := bucketCalls(b)
		ac.calls += n
		ac.longestBucket = max(ac.longestBucket, bucketChain(b, c.facts.concurrency))
		if !b.inScope {
			continue
		}
		row := b.row
		row.ACLGrants = []Grant{}
		for _, g := range b.grants {
			row.ACLGrants = append(row.ACLGrants, resolveGrant(classifyCloudFront(g, partition), c.dir.known, members))
		}
		sortGrants(row.ACLGrants)
		row.ForeignOwners = []ForeignOwner{}
		for id, st := range b.owners {
			fo := ForeignOwner{CanonicalID: id, Objects: st.objects, Bytes: st.bytes, SampleKeys: append([]string{}, st.samples...), CandidateAccounts: []string{}}
			switch m, ok := c.dir.known(id); {
			case ok:
				fo.AccountID, fo.AccountName = m.ID, m.Name
			case members.external():
				fo.External = true
			default:
				fo.Unidentified = true
				fo.CandidateAccounts = append(fo.CandidateAccounts, members.unknown...)
			}
			row.ForeignOwners = append(row.ForeignOwners, fo)
		}
		sort.Slice(row.ForeignOwners, func(i, j int) bool { return row.ForeignOwners[i].CanonicalID < row.ForeignOwners[j].CanonicalID })
		if r.opts.Readiness.Enabled && row.ObjectOwnership != OwnershipEnforced {
			row.Readiness = assessReadiness(row, b.ready, partition, func(g rawGrant) Grant { return resolveGrant(g, c.dir.known, members) })
		}
		if row.Status == BucketFailed {
			res.Complete = false
		}
		res.Buckets = append(res.Buckets, row)
		res.Findings = append(res.Findings, bucketFindings(row, members, r.partition)...)
	}
	if res.Accounts == nil {
		res.Accounts = []Account{}
	}
	if res.Buckets == nil {
		res.Buckets = []Bucket{}
	}
	if c.walkErr != nil {
		res.Complete = false
		res.Findings = append(res.Findings, organizationErrorFinding(c.walkErr))
	}
	r.checkScope(ctx, res)
	if res.Findings == nil {
		res.Findings = []Finding{}
	}
	assignMissingIDs(res.Findings)
	sortResult(res)
	res.Summary = summarize(res)
	res.Calls = minCalls(&facts)
	return res
}

// resolveGrant classifies a grant, resolving a canonical user to a member;
// one that matches none is external only when it can be nothing else.
func resolveGrant(g rawGrant, known func(string) (memberRef, bool), members membership) Grant {
	out := Grant{Kind: g.kind, CanonicalID: g.canonicalID, URI: g.uri, Permission: g.permission}
	if g.kind != "" {
		return out
	}
	switch m, ok := known(g.canonicalID); {
	case ok:
		out.Kind, out.AccountID, out.AccountName = GranteeMember, m.ID, m.Name
	case members.external():
		out.Kind = GranteeExternal
	default:
		out.Kind = GranteeUnidentified
	}
	return out
}
