package remediate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/ownerscan/ownerscan/scanner"
)

// Accounts hands out the client that reads and writes an account's buckets
// in a region: through remediation_role_name, or however the deployment
// reaches the management account (scanner.Access.S3).
type Accounts interface {
	S3(ctx context.Context, accountID, region string) (S3API, error)
}

// Status is what became of a planned bucket in one run.
type Status string

// Statuses of a bucket after apply. Only skipped, failed and stopped make
// a run incomplete (exit 3).
const (
	StatusDone        Status = "done"         // every step applied and verified
	StatusWouldApply  Status = "would-apply"  // dry run: the state is as planned
	StatusAlreadyDone Status = "already-done" // an earlier run of this plan finished it
	StatusSkipped     Status = "skipped"      // not touched: changed since the plan, or its account is not active
	StatusFailed      Status = "failed"       // a call failed; the journal says where
	StatusStopped     Status = "stopped"      // a signal came; the journal says after which step
	StatusNotPlanned  Status = "not-applied"  // blocked or unknown: apply never changes it
	StatusNeedsFlag   Status = "needs-migrate-acls"
	StatusDeferred    Status = "deferred" // beyond --max-buckets: left for a later run
)

// Outcome is what one run did to one planned bucket.
type Outcome struct {
	Bucket *PlannedBucket
	Status Status
	// Done are the steps applied and verified in this run (or that a dry
	// run would apply), by action.
	Done []Action
	// Detail says why (skipped, failed, stopped, not applied), in words.
	Detail string
}

// Incomplete reports whether an outcome makes the run exit 3.
func (o Outcome) Incomplete() bool { return o.Status.incomplete() }

// incomplete reports whether a bucket left in status s makes an apply or a
// rollback exit 3: it was not worked on to the end.
func (s Status) incomplete() bool {
	return s == StatusSkipped || s == StatusFailed || s == StatusStopped
}

// ApplyOptions configure one apply.
type ApplyOptions struct {
	MigrateACLs bool // --migrate-acls
	MaxBuckets  int  // --max-buckets: 0 = no cap
	DryRun      bool // no --yes: read, compare, write nothing
	// BucketsInFlight bounds the buckets worked on at once; each has one
	// call in flight at a time, so the scan's concurrency keeps the
	// request budget full.
	BucketsInFlight int
	// Inactive names the accounts of the plan that are not ACTIVE in the
	// organization now, with their state: their buckets are skipped.
	Inactive map[string]string
	Log      *slog.Logger
}

// Apply applies plan: every applicable bucket (ready; migrate with
// MigrateACLs; never blocked or unknown), at most MaxBuckets of them, each
// only while its state is the one planned, each step journalled before
// and after, read back and verified. prior is what the journal held
// already (earlier runs of the same plan): buckets they finished are not
// touched again, and one they left part-way is resumed where the journal
// says, if its state is still what they left. Once stop is closed no new
// step starts; steps underway finish. A nil journal is allowed only for a
// dry run. The error is non-nil only when the run could not start (a
// journal of another plan).
func Apply(ctx context.Context, stop <-chan struct{}, plan *Plan, accounts Accounts, journal *Journal, prior []Entry, o ApplyOptions) ([]Outcome, error) {
	hist, err := readHistory(prior)
	if err != nil {
		return nil, err
	}
	if err := hist.checkPlan(plan); err != nil {
		return nil, err
	}
	if journal == nil && !o.DryRun {
		return nil, errors.New("remediate: apply: no journal")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	o.BucketsInFlight = max(o.BucketsInFlight, 1)
	a := &applier{plan: plan, accounts: accounts, journal: journal, opts: o, hist: hist, stop: stop, log: o.Log.With("component", "remediate.apply")}
	if err := a.record(Entry{Event: EventRunStart, Command: CommandApply, PlanDigest: plan.Digest,
		OrganizationID: plan.Organization.ID, Partition: plan.Organization.Partition}); err != nil {
		return nil, err
	}
	outcomes := make([]Outcome, len(plan.Buckets))
	g := new(errgroup.Group)
	g.SetLimit(o.BucketsInFlight)
	taken := 0
	for i := range plan.Buckets {
		b := &plan.Buckets[i]
		out := &outcomes[i]
		*out = Outcome{Bucket: b}
		if !a.admit(b, out, &taken) {
			continue
		}
		g.Go(func() error {
			a.bucket(ctx, b, out)
			return nil
		})
	}
	_ = g.Wait() // the workers return no error: each outcome says what happened
	_ = a.record(Entry{Event: EventRunEnd, Reason: Summary(outcomes)})
	return outcomes, nil
}

// applier is the state of one Apply.
type applier struct {
	plan     *Plan
	accounts Accounts
	journal  *Journal
	opts     ApplyOptions
	hist     *history
	stop     <-chan struct{}
	log      *slog.Logger
}

// admit decides, before any call, whether a bucket is worked on in this
// run; out says why not. taken counts buckets against MaxBuckets.
func (a *applier) admit(b *PlannedBucket, out *Outcome, taken *int) bool {
	switch {
	case b.Verdict == scanner.VerdictBlocked || b.Verdict == scanner.VerdictUnknown:
		out.Status, out.Detail = StatusNotPlanned, notPlannedReason(b)
		return false
	case b.Verdict == scanner.VerdictMigrate && !a.opts.MigrateACLs:
		out.Status, out.Detail = StatusNeedsFlag, "migrate: its ACL access moves into the bucket policy only with --migrate-acls"
		return false
	case !b.Applicable(a.opts.MigrateACLs):
		out.Status, out.Detail = StatusNotPlanned, "no steps"
		return false
	}
	if h := a.hist.buckets[b.Key()]; h != nil && h.complete {
		out.Status, out.Detail = StatusAlreadyDone, "an earlier run of this plan applied it (see the journal)"
		return false
	}
	if state, inactive := a.opts.Inactive[b.AccountID]; inactive {
		out.Status, out.Detail = StatusSkipped, "its account is "+state+" in the organization now"
		a.bucketEntry(b, Entry{Event: EventBucketSkipped, Reason: out.Detail})
		return false
	}
	if a.opts.MaxBuckets > 0 && *taken >= a.opts.MaxBuckets {
		out.Status, out.Detail = StatusDeferred, fmt.Sprintf("beyond --max-buckets %d: left for a later run", a.opts.MaxBuckets)
		return false
	}
	*taken++
	return true
}

// notPlannedReason names what blocks a bucket, from its blockers.
func notPlannedReason(b *PlannedBucket) string {
	var kinds []string
	for _, bl := range b.Blockers {
		if bl.Verdict == b.Verdict && !slices.Contains(kinds, string(bl.Kind)) {
			kinds = append(kinds, string(bl.Kind))
		}
	}
	return fmt.Sprintf("%s (%s): apply never changes it", b.Verdict, strings.Join(kinds, ", "))
}

// stopping reports whether a graceful stop was asked for.
func (a *applier) stopping() bool {
	select {
	case <-a.stop:
		return true
	default:
		return false
	}
}

// record writes an entry to the journal (nothing in a dry run).
func (a *applier) record(e Entry) error {
	if a.opts.DryRun {
		return nil
	}
	return a.journal.Write(e)
}

// bucketEntry records an entry about b.
func (a *applier) bucketEntry(b *PlannedBucket, e Entry) error {
	e.AccountID, e.Bucket, e.Region = b.AccountID, b.Bucket, b.Region
	return a.record(e)
}

// bucket works on one bucket: it reads the state, decides from the plan
// and the journal which step comes next, and applies the steps from there.
func (a *applier) bucket(ctx context.Context, b *PlannedBucket, out *Outcome) {
	bk, live, status, why := openBucket(ctx, a.stop, a.accounts, b.AccountID, b.Bucket, b.Region)
	switch status {
	case StatusStopped:
		out.Status, out.Detail = status, why
		return
	case StatusFailed:
		a.fail(b, out, Entry{Event: EventBucketSkipped}, why)
		return
	}
	next, err := a.resumeAt(b, live, out)
	if err != nil {
		out.Status, out.Detail = StatusSkipped, err.Error()
		a.bucketEntry(b, Entry{Event: EventBucketSkipped, Reason: out.Detail, Previous: &live, Fingerprint: live.Fingerprint()})
		a.log.Warn("bucket skipped", "bucket", b.Key(), "reason", out.Detail)
		return
	}
	if a.opts.DryRun {
		out.Status = StatusWouldApply
		for _, s := range b.Steps[next:] {
			out.Done = append(out.Done, s.Action)
		}
		return
	}
	state := live
	for i := next; i < len(b.Steps); i++ {
		if a.stopping() || a.journal.Failed() != nil {
			a.stopped(b, out, i)
			return
		}
		var ok bool
		if state, ok = a.step(ctx, bk, b, i, state, out); !ok {
			return
		}
	}
	out.Status = StatusDone
	if err := a.bucketEntry(b, Entry{Event: EventBucketDone}); err != nil {
		out.Detail = "applied and verified, but the journal could not say so: " + err.Error()
	}
}

// openBucket reaches a bucket and reads its state, unless a stop was asked
// for first. On failure it returns StatusStopped or StatusFailed and why;
// nothing was changed.
func openBucket(ctx context.Context, stop <-chan struct{}, accounts Accounts, accountID, bucket, region string) (*bucketAPI, Controls, Status, string) {
	select {
	case <-stop:
		return nil, Controls{}, StatusStopped, "stopped by a signal before it was started: nothing changed"
	default:
	}
	api, err := accounts.S3(ctx, accountID, region)
	if err != nil {
		return nil, Controls{}, StatusFailed, "cannot reach the account: " + err.Error()
	}
	bk := &bucketAPI{api: api, bucket: bucket, owner: accountID}
	live, err := bk.read(ctx)
	if err != nil {
		return nil, Controls{}, StatusFailed, "cannot read its state: " + err.Error()
	}
	// The state goes into the journal, whose reader refuses what S3 could
	// not have answered: journalling such an answer would make the whole
	// journal unreadable, and every bucket in it impossible to roll back.
	if err := live.validate(); err != nil {
		return nil, Controls{}, StatusFailed, "its state as S3 answered it cannot be journalled: " + err.Error()
	}
	return bk, live, "", ""
}

// resumeAt returns the index of the first step to apply to a bucket in
// state live. Without a standing step in the journal the state must be the
// planned one (step 0: bucket-read is journalled with every value a
// rollback needs). After an earlier run that stopped part-way, the state
// must be what that run left: after its last step (resume after it), or,
// for a step started and not confirmed, before it (start it again).
func (a *applier) resumeAt(b *PlannedBucket, live Controls, out *Outcome) (int, error) {
	h := a.hist.buckets[b.Key()]
	fp := live.Fingerprint()
	if h == nil || len(h.steps) == 0 {
		if fp != b.Fingerprint {
			return 0, errors.New("changed since plan: " + whatChanged(b, live))
		}
		return 0, a.bucketEntry(b, Entry{Event: EventBucketRead, Previous: &live, Fingerprint: fp})
	}
	t := h.top()
	switch {
	case fp == t.target.Fingerprint():
		if !t.done {
			// The step took effect, its end was not journalled (killed):
			// journal it now, under this run.
			prev, target := t.previous, t.target
			if err := a.bucketEntry(b, Entry{Event: EventStepStart, Step: t.step, Action: t.action, Previous: &prev, Target: &target,
				Reason: "found in effect when the apply resumed"}); err != nil {
				return 0, err
			}
			if err := a.bucketEntry(b, Entry{Event: EventStepDone, Step: t.step, Action: t.action, Reason: "found in effect when the apply resumed"}); err != nil {
				return 0, err
			}
		}
		return t.step, nil
	case !t.done && fp == t.previous.Fingerprint():
		return t.step - 1, nil
	}
	return 0, fmt.Errorf("changed since an earlier apply of this plan stopped after step %d (%s): its state is neither what that run left nor what it started from; roll the journal back, then make a new plan", t.step, t.action)
}

// whatChanged says how a bucket's state differs from the plan's, as far
// as the plan can tell (it holds the ownership and the grants; of the
// policy only the fingerprint).
func whatChanged(b *PlannedBucket, live Controls) string {
	if live.ObjectOwnership != b.ObjectOwnership {
		return fmt.Sprintf("Object Ownership is %s, the plan saw %s", live.ObjectOwnership, b.ObjectOwnership)
	}
	now := foreignGrants(live.ACL)
	if was := plannedGrantSet(b.ACLGrants); !sameSet(now, was) {
		return fmt.Sprintf("the bucket ACL grants %s, the plan saw %s", describeGrants(now), describeGrants(was))
	}
	return "its bucket policy (or its ACL's owner) is not the one the plan saw"
}

func foreignGrants(acl ACL) []string {
	var out []string
	for _, g := range acl.Grants {
		if g.Type == "CanonicalUser" && g.ID == acl.Owner {
			continue
		}
		who := g.URI
		if who == "" {
			who = "id=" + g.ID + g.EmailAddress
		}
		out = append(out, g.Permission+" to "+who)
	}
	return out
}

func plannedGrantSet(grants []PlannedGrant) []string {
	var out []string
	for _, g := range grants {
		who := g.URI
		if who == "" {
			who = "id=" + g.CanonicalID
		}
		out = append(out, g.Permission+" to "+who)
	}
	return out
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	count := map[string]int{}
	for _, s := range a {
		count[s]++
	}
	for _, s := range b {
		count[s]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}

func describeGrants(g []string) string {
	if len(g) == 0 {
		return "nothing to anyone but the owner"
	}
	return strings.Join(g, ", ")
}

// step applies step i of b to a bucket in state: journal the start (the
// state before and after), write and read back (bucketAPI.set), journal
// the end. It returns the state after the step, and false when the bucket
// stops here (out says why).
func (a *applier) step(ctx context.Context, bk *bucketAPI, b *PlannedBucket, i int, state Controls, out *Outcome) (Controls, bool) {
	s := b.Steps[i]
	n := i + 1
	target := s.after(state)
	if err := a.bucketEntry(b, Entry{Event: EventStepStart, Step: n, Action: s.Action, Previous: &state, Target: &target}); err != nil {
		a.stopped(b, out, i)
		return state, false
	}
	w, inEffect := bk.set(ctx, s.Action, target, state, s.Action == ActionPutBucketACL)
	writeErr, readErr := w.writeErr, w.readErr
	switch {
	case inEffect:
		if err := a.bucketEntry(b, Entry{Event: EventStepDone, Step: n, Action: s.Action, Reason: w.verified("in effect")}); err != nil {
			out.Done = append(out.Done, s.Action)
			a.stopped(b, out, n)
			return target, false
		}
		out.Done = append(out.Done, s.Action)
		return target, true
	case writeErr != nil && readErr == nil && samePart(s.Action, w.seen, state):
		a.failStep(b, out, n, s.Action, writeErr.Error(), fmt.Sprintf("step %d (%s) failed; the bucket is as before it", n, s.Action))
	case writeErr != nil:
		a.failStep(b, out, n, s.Action, writeErr.Error(), fmt.Sprintf("step %d (%s) failed and its effect could not be read back (%v): roll back to check", n, s.Action, errOrNil(readErr)))
	case readErr != nil:
		a.failStep(b, out, n, s.Action, readErr.Error(), fmt.Sprintf("step %d (%s) was sent, but reading it back failed: roll back to check", n, s.Action))
	default:
		a.failStep(b, out, n, s.Action, "", fmt.Sprintf("step %d (%s) was accepted, but reading it back does not show it (something else changed the bucket?)", n, s.Action))
	}
	return state, false
}

func errOrNil(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

// failStep records a failed step: the bucket stops there.
func (a *applier) failStep(b *PlannedBucket, out *Outcome, n int, action Action, errText, why string) {
	out.Status, out.Detail = StatusFailed, why
	if errText != "" {
		out.Detail = why + ": " + errText
	}
	a.bucketEntry(b, Entry{Event: EventStepFailed, Step: n, Action: action, Error: errText, Reason: why})
	a.log.Warn("step failed", "bucket", b.Key(), "step", n, "action", action, "error", errText)
}

// fail records a bucket that failed before its first step.
func (a *applier) fail(b *PlannedBucket, out *Outcome, e Entry, why string) {
	out.Status, out.Detail = StatusFailed, why+": nothing changed"
	e.Reason = out.Detail
	a.bucketEntry(b, e)
	a.log.Warn("bucket failed", "bucket", b.Key(), "reason", why)
}

// stopped records where a bucket stopped: after step done of its steps.
func (a *applier) stopped(b *PlannedBucket, out *Outcome, done int) {
	var did, left []string
	for i, s := range b.Steps {
		if i < done {
			did = append(did, string(s.Action))
		} else {
			left = append(left, string(s.Action))
		}
	}
	why := "stopped by a signal"
	if err := a.journal.Failed(); err != nil {
		why = "stopped: the journal cannot be written (" + err.Error() + ")"
	}
	switch {
	case done == 0:
		out.Detail = why + " before its first step: nothing changed"
	default:
		out.Detail = fmt.Sprintf("%s after step %d of %d (%s done; %s not started): apply again to finish, or roll back", why, done, len(b.Steps),
			strings.Join(did, ", "), strings.Join(left, ", "))
	}
	out.Status = StatusStopped
	a.bucketEntry(b, Entry{Event: EventBucketStopped, Step: done, Action: actionAt(b, done), Reason: out.Detail})
}

// actionAt is the action of step n (from 1), "" for 0.
func actionAt(b *PlannedBucket, n int) Action {
	if n < 1 || n > len(b.Steps) {
		return ""
	}
	return b.Steps[n-1].Action
}

// Summary counts outcomes by status, in words, for run-end and the CLI.
func Summary(outcomes []Outcome) string {
	statuses := make([]Status, len(outcomes))
	for i, o := range outcomes {
		statuses[i] = o.Status
	}
	return countStatuses(statuses)
}

// countStatuses says how many of each status, in the order they first come.
func countStatuses(statuses []Status) string {
	counts := map[Status]int{}
	var order []Status
	for _, s := range statuses {
		if counts[s] == 0 {
			order = append(order, s)
		}
		counts[s]++
	}
	parts := make([]string, len(order))
	for i, s := range order {
		parts[i] = fmt.Sprintf("%d %s", counts[s], s)
	}
	return strings.Join(parts, ", ")
}
