package scanner

import (
	"context"
	"log/slog"
	"sync"
)

// ownerDirectory maps S3 canonical user IDs to member accounts. Each
// account's ID comes from its ListBuckets Owner.ID.
//
// Correct owner_account_id in objects.csv, without buffering objects and
// without serialising the scan: object records are resolved by the listing
// worker just before they are sent to the collector, so they must be right
// when written. Resolve answers at once for an ID already known. For an ID
// not (yet) known it waits until the directory is complete, i.e. the
// organization listing is done and every account in scope has finished (or
// failed) its ListBuckets; only then may "unknown" be read as "not a
// scanned member". Account work runs in the budget's priority lane and bucket
// tasks never hold back account tasks (the bucket queue is unbounded), so the
// directory completes early and waits are rare and short: only listings that
// meet a foreign owner before that point wait, holding one page and no
// budget slot; all other work goes on meanwhile.
//
// An owner still unknown when complete may be an active member outside the
// scan's scope (filtered out, or the management account with
// include_management_account: false). Before calling it external, the
// directory runs, once per scan, the lookup hook, which reads those accounts'
// canonical IDs (one AssumeRole and one one-bucket ListBuckets each). This
// costs calls only when such an owner turns up.
type ownerDirectory struct {
	log *slog.Logger

	mu          sync.RWMutex
	byCanonical map[string]memberRef
	earlier     map[string]bool // canonical IDs known only from Options.KnownCanonicalIDs
	accounts    map[string]bool // accounts whose canonical ID is known, from either source
	pending     int             // accounts in scope whose ListBuckets has not settled
	listed      bool            // the organization listing is done

	complete     chan struct{}
	completeOnce sync.Once

	lookup     func(ctx context.Context) // reads canonical IDs of out-of-scope members
	lookupOnce sync.Once
	lookupDone chan struct{}
}

// memberRef is a member account a canonical ID resolved to.
type memberRef struct{ ID, Name string }

func newOwnerDirectory(log *slog.Logger) *ownerDirectory {
	return &ownerDirectory{
		log:         log,
		byCanonical: map[string]memberRef{},
		earlier:     map[string]bool{},
		accounts:    map[string]bool{},
		complete:    make(chan struct{}),
		lookupDone:  make(chan struct{}),
	}
}

// register records the canonical ID an account's ListBuckets reported. If
// another account already reported the same ID (moto does this), the first
// one is kept; one known only from an earlier run gives way.
func (d *ownerDirectory) register(canonicalID string, m memberRef) {
	if canonicalID == "" {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.accounts[m.ID] = true
	if prev, ok := d.byCanonical[canonicalID]; ok && !d.earlier[canonicalID] {
		if prev.ID != m.ID {
			d.log.Warn("two accounts report the same canonical ID; keeping the first",
				"canonical_id", canonicalID, "kept", prev.ID, "ignored", m.ID)
		}
		return
	}
	delete(d.earlier, canonicalID)
	d.byCanonical[canonicalID] = m
}

// registerEarlier records a canonical ID learned in an earlier run
// (Options.KnownCanonicalIDs), for a member of the organization listing.
// What the scan learns itself takes precedence.
func (d *ownerDirectory) registerEarlier(canonicalID string, m memberRef) {
	if canonicalID == "" {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.accounts[m.ID] = true
	if _, ok := d.byCanonical[canonicalID]; ok {
		return
	}
	d.byCanonical[canonicalID] = m
	d.earlier[canonicalID] = true
}

// knowsAccount reports whether the canonical ID of an account is known.
func (d *ownerDirectory) knowsAccount(accountID string) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.accounts[accountID]
}

// expect announces an account whose ListBuckets is to come.
func (d *ownerDirectory) expect() {
	d.mu.Lock()
	d.pending++
	d.mu.Unlock()
}

// settle says an expected account's ListBuckets succeeded or failed.
func (d *ownerDirectory) settle() {
	d.mu.Lock()
	d.pending--
	done := d.listed && d.pending == 0
	d.mu.Unlock()
	if done {
		d.markComplete()
	}
}

// listingDone says no more accounts will be expected.
func (d *ownerDirectory) listingDone() {
	d.mu.Lock()
	d.listed = true
	done := d.pending == 0
	d.mu.Unlock()
	if done {
		d.markComplete()
	}
}

// markComplete releases every waiter; also used when the scan is aborted.
func (d *ownerDirectory) markComplete() {
	d.completeOnce.Do(func() { close(d.complete) })
}

// known resolves without waiting.
func (d *ownerDirectory) known(canonicalID string) (memberRef, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	m, ok := d.byCanonical[canonicalID]
	return m, ok
}

// resolve returns the member account of canonicalID, or ok=false when it
// belongs to no member (external). It waits as described on the type; the
// error is ctx's when ctx ends first.
func (d *ownerDirectory) resolve(ctx context.Context, canonicalID string) (memberRef, bool, error) {
	if m, ok := d.known(canonicalID); ok {
		return m, true, nil
	}
	select {
	case <-d.complete:
	case <-ctx.Done():
		return memberRef{}, false, ctx.Err()
	}
	if m, ok := d.known(canonicalID); ok {
		return m, true, nil
	}
	if d.lookup != nil {
		d.lookupOnce.Do(func() {
			go func() { defer close(d.lookupDone); d.lookup(ctx) }()
		})
		select {
		case <-d.lookupDone:
		case <-ctx.Done():
			return memberRef{}, false, ctx.Err()
		}
	}
	m, ok := d.known(canonicalID)
	return m, ok, nil
}
