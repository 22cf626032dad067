package remediate

import (
	"fmt"
)

// history is what a journal says: the plan and organization it belongs
// to, and per bucket the steps that stand (applied, not undone).
type history struct {
	planDigest     string
	organizationID string
	partition      string
	buckets        map[string]*bucketHistory
	order          []string // bucket keys, first seen first
}

// bucketHistory is one bucket's standing steps.
type bucketHistory struct {
	accountID, bucket, region string
	// steps are the steps started and not undone, in the order they were
	// started; the last may not have finished (killed, failed, unknown).
	steps []journalStep
	// complete: the last apply of the bucket ended with bucket-done and
	// nothing of it was undone since.
	complete bool
}

// journalStep is one standing step.
type journalStep struct {
	run              string
	step             int
	action           Action
	previous, target Controls
	done             bool // step-done written: verified in effect
}

func (b *bucketHistory) key() string { return b.accountID + "/" + b.bucket }

// top is the last standing step, nil when none.
func (b *bucketHistory) top() *journalStep {
	if len(b.steps) == 0 {
		return nil
	}
	return &b.steps[len(b.steps)-1]
}

// readHistory replays a journal's entries. Entries that disagree with each
// other (two plans or organizations, a bucket in two regions, a step
// finished that never started) make it refuse the journal.
func readHistory(entries []Entry) (*history, error) {
	h := &history{buckets: map[string]*bucketHistory{}}
	for i, e := range entries {
		if err := h.add(e); err != nil {
			return nil, refuse(fmt.Sprintf("journal entry %d (%s): %v", i+1, e.Event, err))
		}
	}
	return h, nil
}

func (h *history) add(e Entry) error {
	if e.Event == EventRunStart {
		if h.planDigest == "" {
			h.planDigest, h.organizationID, h.partition = e.PlanDigest, e.OrganizationID, e.Partition
		} else if e.PlanDigest != h.planDigest || e.OrganizationID != h.organizationID {
			return fmt.Errorf("of plan %s in %s, while the journal began with plan %s in %s", e.PlanDigest, e.OrganizationID, h.planDigest, h.organizationID)
		}
		return nil
	}
	if e.Bucket == "" {
		return nil // run-end, note
	}
	if h.planDigest == "" {
		return fmt.Errorf("a bucket entry before any run-start")
	}
	key := e.AccountID + "/" + e.Bucket
	b := h.buckets[key]
	if b == nil {
		b = &bucketHistory{accountID: e.AccountID, bucket: e.Bucket, region: e.Region}
		h.buckets[key] = b
		h.order = append(h.order, key)
	}
	if b.region != e.Region {
		return fmt.Errorf("%s in %s, earlier in %s", key, e.Region, b.region)
	}
	find := func(run string, step int) int {
		for i := range b.steps {
			if b.steps[i].run == run && b.steps[i].step == step {
				return i
			}
		}
		return -1
	}
	switch e.Event {
	case EventStepStart:
		if e.Step == 0 {
			return fmt.Errorf("a step of %s without its number and action", key)
		}
		if e.Previous == nil || e.Target == nil {
			return fmt.Errorf("step %d of %s without its states", e.Step, key)
		}
		if t := b.top(); t != nil && !t.done && t.step == e.Step && t.action == e.Action {
			// A resumed apply starts again the step a stopped run had
			// started: the new start stands for both.
			b.steps = b.steps[:len(b.steps)-1]
		}
		b.steps = append(b.steps, journalStep{run: e.Run, step: e.Step, action: e.Action, previous: *e.Previous, target: *e.Target})
		b.complete = false
	case EventStepDone:
		i := find(e.Run, e.Step)
		if i < 0 {
			return fmt.Errorf("step %d of %s done but never started", e.Step, key)
		}
		b.steps[i].done = true
	case EventBucketDone:
		b.complete = true
	case EventUndoDone:
		i := find(e.UndoRun, e.Step)
		if i < 0 {
			return fmt.Errorf("undid step %d of run %s of %s, which does not stand", e.Step, e.UndoRun, key)
		}
		b.steps = append(b.steps[:i], b.steps[i+1:]...)
		b.complete = false
	}
	return nil
}
