package remediate

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/ownerscan/ownerscan/scanner"
)

// TestApplyRefusesAJournalWhoseStepsAreNotThePlans: a journal of the
// plan's digest is still untrusted input. One that says a bucket's step 3
// was started, where the plan gives it a single step, made a resumed
// apply start after the last step, apply nothing and report the bucket
// done (and a dry run index past the plan's steps and panic).
func TestApplyRefusesAJournalWhoseStepsAreNotThePlans(t *testing.T) {
	e := newEnv(t, testOrg)
	b := e.plan.Buckets[planIndex(t, e.plan, "ready-bucket")]
	if len(b.Steps) != 1 {
		t.Fatalf("ready-bucket has %d steps, the test needs one", len(b.Steps))
	}
	live := e.controls()["ready-bucket"]
	target := live
	target.ObjectOwnership = scanner.OwnershipEnforced
	j, _ := e.journal("j")
	for _, en := range []Entry{
		{Event: EventRunStart, Command: CommandApply, PlanDigest: e.plan.Digest, OrganizationID: e.plan.Organization.ID, Partition: e.plan.Organization.Partition},
		{Event: EventStepStart, AccountID: b.AccountID, Bucket: b.Bucket, Region: b.Region, Step: 3, Action: ActionEnforce, Previous: &live, Target: &target},
	} {
		if err := j.Write(en); err != nil {
			t.Fatal(err)
		}
	}
	prior, _, err := ReadJournalFile(filepath.Join(e.dir, "j"))
	if err != nil {
		t.Fatal(err)
	}
	for _, dry := range []bool{false, true} {
		journal := j
		if dry {
			journal = nil
		}
		outcomes, err := Apply(context.Background(), nil, e.plan, e, journal, prior, ApplyOptions{MigrateACLs: true, DryRun: dry})
		if !errors.Is(err, ErrRefused) {
			t.Errorf("dry run %v: %v, want the journal refused; outcomes %+v", dry, err, outcomes)
		}
	}
	if err := CheckJournalPlan(prior, e.plan); !errors.Is(err, ErrRefused) {
		t.Errorf("CheckJournalPlan: %v, want the journal refused", err)
	}
	if now := e.controls()["ready-bucket"]; now.ObjectOwnership != live.ObjectOwnership {
		t.Errorf("ready-bucket changed: %+v", now)
	}
}

// TestJournalRefusesAStepWithoutItsNumber: a step-start that names no step
// is refused when the journal is replayed, before anything indexes the
// plan's steps by it or a rollback takes it for a policy step.
func TestJournalRefusesAStepWithoutItsNumber(t *testing.T) {
	e := newEnv(t, testOrg)
	b := e.plan.Buckets[planIndex(t, e.plan, "ready-bucket")]
	live := e.controls()["ready-bucket"]
	j, _ := e.journal("j")
	for _, en := range []Entry{
		{Event: EventRunStart, Command: CommandApply, PlanDigest: e.plan.Digest, OrganizationID: e.plan.Organization.ID, Partition: e.plan.Organization.Partition},
		{Event: EventStepStart, AccountID: b.AccountID, Bucket: b.Bucket, Region: b.Region, Previous: &live, Target: &live},
	} {
		if err := j.Write(en); err != nil {
			t.Fatal(err)
		}
	}
	prior, _, err := ReadJournalFile(filepath.Join(e.dir, "j"))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckJournalPlan(prior, e.plan); !errors.Is(err, ErrRefused) {
		t.Errorf("CheckJournalPlan: %v, want the journal refused", err)
	}
	if _, err := OriginOf(prior); !errors.Is(err, ErrRefused) {
		t.Errorf("OriginOf: %v, want the journal refused", err)
	}
}
