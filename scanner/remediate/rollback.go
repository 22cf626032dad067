package remediate

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"golang.org/x/sync/errgroup"
)

// Statuses of a bucket after rollback.
const (
	StatusRestored     Status = "restored"      // every standing step undone and verified
	StatusWouldRestore Status = "would-restore" // dry run: it is as apply left it
	StatusNothingToDo  Status = "nothing-to-undo"
)

// UndoOutcome is what a rollback did to one bucket.
type UndoOutcome struct {
	AccountID, Bucket, Region string
	Status                    Status
	// Undone are the steps undone (or that a dry run would undo), last
	// applied first.
	Undone []Action
	Detail string
}

// Key names the bucket: account/bucket.
func (u UndoOutcome) Key() string { return u.AccountID + "/" + u.Bucket }

// Incomplete reports whether the outcome makes the run exit 3.
func (u UndoOutcome) Incomplete() bool { return u.Status.incomplete() }

// JournalOrigin is what a journal says it belongs to.
type JournalOrigin struct {
	PlanDigest, OrganizationID, Partition string
}

// OriginOf reads a journal's entries for the plan and organization they
// belong to; a journal without any run is refused.
func OriginOf(entries []Entry) (JournalOrigin, error) {
	h, err := readHistory(entries)
	if err != nil {
		return JournalOrigin{}, err
	}
	return h.origin()
}

// origin is the plan and organization of a journal's history.
func (h *history) origin() (JournalOrigin, error) {
	if h.planDigest == "" {
		return JournalOrigin{}, refuse("the journal records no run of apply: nothing to roll back")
	}
	return JournalOrigin{PlanDigest: h.planDigest, OrganizationID: h.organizationID, Partition: h.partition}, nil
}

// RollbackOptions configure one rollback.
type RollbackOptions struct {
	DryRun          bool // no --yes: read, compare, write nothing
	BucketsInFlight int
	Log             *slog.Logger
}

// Rollback undoes every step the journal's entries say stands, last first
// per bucket, and only in a bucket that shows, for every such step, what
// the step set or what it found: a bucket changed since apply in any of
// them is left entirely alone, with the reason. Each undo is checked again
// as it comes; one found changed then stops the bucket there, so a bucket
// is never left with neither its ACL grants nor the policy that replaced
// them. A step started and never confirmed (a killed run) is
// checked against the bucket: undone if it took effect, dropped if the
// bucket is as before it. Each undo is journalled before and after and
// read back. Once stop is closed no new undo starts.
func Rollback(ctx context.Context, stop <-chan struct{}, accounts Accounts, journal *Journal, entries []Entry, o RollbackOptions) ([]UndoOutcome, error) {
	h, err := readHistory(entries)
	if err != nil {
		return nil, err
	}
	origin, err := h.origin()
	if err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	r := &roller{applier{accounts: accounts, journal: journal, opts: ApplyOptions{DryRun: o.DryRun}, stop: stop, log: o.Log.With("component", "remediate.rollback")}}
	if err := r.record(Entry{Event: EventRunStart, Command: CommandRollback, PlanDigest: origin.PlanDigest,
		OrganizationID: origin.OrganizationID, Partition: origin.Partition}); err != nil {
		return nil, err
	}
	var outcomes []UndoOutcome
	var standing []*bucketHistory
	for _, key := range h.order {
		if b := h.buckets[key]; len(b.steps) > 0 {
			standing = append(standing, b)
		}
	}
	outcomes = make([]UndoOutcome, len(standing))
	g := new(errgroup.Group)
	g.SetLimit(max(o.BucketsInFlight, 1))
	for i, b := range standing {
		out := &outcomes[i]
		*out = UndoOutcome{AccountID: b.accountID, Bucket: b.bucket, Region: b.region}
		g.Go(func() error {
			r.bucket(ctx, b, out)
			return nil
		})
	}
	_ = g.Wait() // each outcome says what happened
	statuses := make([]Status, len(outcomes))
	for i, out := range outcomes {
		statuses[i] = out.Status
	}
	_ = r.record(Entry{Event: EventRunEnd, Reason: countStatuses(statuses)})
	return outcomes, nil
}

// roller is the state of one Rollback: it reaches buckets and journals
// as an applier does.
type roller struct{ applier }

func (r *roller) entry(b *bucketHistory, e Entry) error {
	e.AccountID, e.Bucket, e.Region = b.accountID, b.bucket, b.region
	return r.record(e)
}

// bucket undoes one bucket's standing steps, last first.
func (r *roller) bucket(ctx context.Context, b *bucketHistory, out *UndoOutcome) {
	bk, live, status, why := openBucket(ctx, r.stop, r.accounts, b.accountID, b.bucket, b.region)
	switch status {
	case StatusStopped:
		out.Status, out.Detail = status, why
		return
	case StatusFailed:
		out.Status, out.Detail = status, why+": nothing changed"
		return
	}
	if k, detail := firstChanged(b, live); k >= 0 {
		s := b.steps[k]
		out.Status, out.Detail = StatusSkipped, detail
		r.entry(b, Entry{Event: EventUndoSkipped, UndoRun: s.run, Step: s.step, Action: s.action, Previous: &live, Reason: detail})
		r.log.Warn("bucket left as it is", "bucket", b.key(), "reason", detail)
		return
	}
	wrote := false
	for k := len(b.steps) - 1; k >= 0; k-- {
		s := b.steps[k]
		if r.stopping() || r.journal.Failed() != nil {
			out.Status, out.Detail = StatusStopped, fmt.Sprintf("stopped before undoing step %d (%s)%s", s.step, s.action, undoneSoFar(out.Undone))
			r.entry(b, Entry{Event: EventUndoSkipped, UndoRun: s.run, Step: s.step, Action: s.action, Reason: out.Detail})
			return
		}
		switch {
		case samePart(s.action, live, s.target):
			restore := withPart(s.action, live, s.previous)
			if r.opts.DryRun {
				out.Undone = append(out.Undone, s.action)
				live = restore
				continue
			}
			var ok bool
			if live, ok = r.undo(ctx, bk, b, s, live, restore, out); !ok {
				return
			}
			wrote = true
		case samePart(s.action, live, s.previous):
			// Never took effect (a failed or killed step), or put back
			// by hand: nothing to write.
			if err := r.entry(b, Entry{Event: EventUndoDone, UndoRun: s.run, Step: s.step, Action: s.action,
				Reason: "already as before the step: nothing written"}); err != nil {
				out.Status, out.Detail = StatusStopped, "the journal cannot be written: "+err.Error()
				return
			}
		default:
			out.Status = StatusSkipped
			out.Detail = fmt.Sprintf("not as apply left it: %s; step %d (%s) and the steps before it are left as they are%s",
				describeDifference(s.action, live, s.target), s.step, s.action, undoneSoFar(out.Undone))
			r.entry(b, Entry{Event: EventUndoSkipped, UndoRun: s.run, Step: s.step, Action: s.action, Previous: &live, Reason: out.Detail})
			return
		}
	}
	switch {
	case r.opts.DryRun:
		out.Status = StatusWouldRestore
	case wrote:
		out.Status = StatusRestored
	default:
		out.Status, out.Detail = StatusNothingToDo, "already as before the apply"
	}
}

// firstChanged checks a whole bucket before anything of it is undone: it
// walks the standing steps last first as the undo would, and returns the
// index of the first whose control is neither what the step set nor what
// it found, with why; -1 when every step can be undone or dropped. A
// bucket changed anywhere since apply is then left entirely as it is:
// undoing its later steps before finding an earlier one changed would
// leave a mix nobody planned, such as the ACL grants back beside a policy
// its owner rewrote.
func firstChanged(b *bucketHistory, live Controls) (int, string) {
	for k := len(b.steps) - 1; k >= 0; k-- {
		s := b.steps[k]
		switch {
		case samePart(s.action, live, s.target):
			live = withPart(s.action, live, s.previous)
		case samePart(s.action, live, s.previous):
		default:
			return k, fmt.Sprintf("not as apply left it: %s; nothing of the bucket is undone (step %d, %s, and every step of it stand)",
				describeDifference(s.action, live, s.target), s.step, s.action)
		}
	}
	return -1, ""
}

// undo writes one step's previous value back, reads it back, and journals
// both ends. It returns the state after, and false when the bucket stops.
func (r *roller) undo(ctx context.Context, bk *bucketAPI, b *bucketHistory, s journalStep, live, restore Controls, out *UndoOutcome) (Controls, bool) {
	if err := r.entry(b, Entry{Event: EventUndoStart, UndoRun: s.run, Step: s.step, Action: s.action, Previous: &live, Target: &restore}); err != nil {
		out.Status, out.Detail = StatusStopped, "the journal cannot be written: "+err.Error()+undoneSoFar(out.Undone)
		return live, false
	}
	w, inEffect := bk.set(ctx, s.action, restore, live, false)
	if inEffect {
		out.Undone = append(out.Undone, s.action)
		if err := r.entry(b, Entry{Event: EventUndoDone, UndoRun: s.run, Step: s.step, Action: s.action, Reason: w.verified("restored")}); err != nil {
			out.Status, out.Detail = StatusStopped, "the journal cannot be written: "+err.Error()+undoneSoFar(out.Undone)
			return restore, false
		}
		return restore, true
	}
	why := w.writeErr
	if why == nil {
		why = w.readErr
	}
	text := "reading it back does not show it restored"
	if why != nil {
		text = why.Error()
	}
	out.Status = StatusFailed
	out.Detail = fmt.Sprintf("undoing step %d (%s) failed: %s; it and the steps before it stand%s", s.step, s.action, text, undoneSoFar(out.Undone))
	r.entry(b, Entry{Event: EventUndoFailed, UndoRun: s.run, Step: s.step, Action: s.action, Error: text, Reason: out.Detail})
	r.log.Warn("undo failed", "bucket", b.key(), "step", s.step, "action", s.action, "error", text)
	return live, false
}

// undoneSoFar says which steps were undone before a bucket stopped.
func undoneSoFar(undone []Action) string {
	if len(undone) == 0 {
		return ""
	}
	names := make([]string, len(undone))
	for i, a := range undone {
		names[i] = string(a)
	}
	return " (undone before: " + strings.Join(names, ", ") + ")"
}

// describeDifference says how the live control differs from what a step
// set.
func describeDifference(part Action, live, target Controls) string {
	switch part {
	case ActionEnforce:
		return fmt.Sprintf("Object Ownership is %s, apply left %s", live.ObjectOwnership, target.ObjectOwnership)
	case ActionPutBucketACL:
		return fmt.Sprintf("the bucket ACL grants %s, apply left it private", describeGrants(foreignGrants(live.ACL)))
	}
	if !live.Policy.Present {
		return "the bucket has no policy, apply left the migration policy"
	}
	return "the bucket policy is not the one apply put"
}
