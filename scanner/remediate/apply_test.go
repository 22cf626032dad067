package remediate

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ownerscan/ownerscan/scanner"
)

// TestApplyThenRollback: apply changes exactly what each verdict says,
// verified by reading back; blocked buckets are untouched; rollback puts
// every control back exactly (ownership, ACL grants, policy text byte for
// byte), and a second rollback finds nothing to undo.
func TestApplyThenRollback(t *testing.T) {
	e := newEnv(t, testOrg)
	before := e.controls()
	steps := map[string][]Action{}
	for _, b := range e.plan.Buckets {
		for _, s := range b.Steps {
			steps[b.Bucket] = append(steps[b.Bucket], s.Action)
		}
	}
	want := map[string][]Action{
		"ready-bucket":    {ActionEnforce},
		"migrate-bucket":  {ActionPutBucketPolicy, ActionPutBucketACL, ActionEnforce},
		"acl-only-bucket": {ActionPutBucketACL, ActionEnforce},
	}
	if !reflect.DeepEqual(steps, want) {
		t.Fatalf("planned steps %v, want %v", steps, want)
	}

	j, prior := e.journal("j")
	got := e.apply(j, prior, e, nil)
	j.Close()
	after := e.controls()
	for name, o := range got {
		switch name {
		case "public-bucket":
			if o.Status != StatusNotPlanned || !reflect.DeepEqual(after[name], before[name]) {
				t.Errorf("%s: %s, state %+v; want not applied and untouched", name, o.Status, after[name])
			}
		default:
			if o.Status != StatusDone || !reflect.DeepEqual(o.Done, want[name]) {
				t.Errorf("%s: %s %v (%s), want done %v", name, o.Status, o.Done, o.Detail, want[name])
			}
			if after[name].ObjectOwnership != scanner.OwnershipEnforced || !after[name].ACL.equal(privateACL(before[name].ACL.Owner)) {
				t.Errorf("%s after apply: %+v", name, after[name])
			}
		}
	}
	if p := after["migrate-bucket"].Policy; !p.Present || p.Text != e.plan.Buckets[planIndex(t, e.plan, "migrate-bucket")].Steps[0].Policy {
		t.Errorf("migrate-bucket policy after apply: %+v", p)
	}

	undone := e.rollback("j")
	for name := range want {
		if o := undone[name]; o.Status != StatusRestored {
			t.Errorf("%s: rollback %s (%s)", name, o.Status, o.Detail)
		}
	}
	if _, ok := undone["public-bucket"]; ok {
		t.Error("rollback touched a bucket apply never changed")
	}
	if restored := e.controls(); !reflect.DeepEqual(restored, before) {
		t.Errorf("after rollback:\n got %+v\nwant %+v", restored, before)
	}
	for name, o := range e.rollback("j") {
		t.Errorf("a second rollback found %s to undo: %s", name, o.Status)
	}
}

func planIndex(t *testing.T, p *Plan, bucket string) int {
	t.Helper()
	for i, b := range p.Buckets {
		if b.Bucket == bucket {
			return i
		}
	}
	t.Fatalf("%s not planned", bucket)
	return -1
}

// TestApplySkipsABucketChangedSincePlan: a grant added after the plan makes
// apply leave the bucket as it is and say what changed.
func TestApplySkipsABucketChangedSincePlan(t *testing.T) {
	e := newEnv(t, testOrg)
	_, err := e.clients["222222222222"].PutBucketAcl(context.Background(), &s3.PutBucketAclInput{Bucket: aws.String("ready-bucket"),
		GrantRead: aws.String(`uri="http://acs.amazonaws.com/groups/global/AuthenticatedUsers"`)})
	if err != nil {
		t.Fatal(err)
	}
	before := e.controls()
	j, prior := e.journal("j")
	o := e.apply(j, prior, e, nil)["ready-bucket"]
	if o.Status != StatusSkipped || !strings.Contains(o.Detail, "changed since plan") || !strings.Contains(o.Detail, "AuthenticatedUsers") {
		t.Errorf("ready-bucket: %s (%s), want skipped naming the new grant", o.Status, o.Detail)
	}
	if !o.Incomplete() {
		t.Error("a skipped bucket does not make the run incomplete")
	}
	if after := e.controls()["ready-bucket"]; !reflect.DeepEqual(after, before["ready-bucket"]) {
		t.Errorf("the changed bucket was touched: %+v", after)
	}
}

// faultyS3 is an S3API that fails or stops around chosen calls.
type faultyS3 struct {
	S3API
	// before, when it returns an error, fails the call without sending it.
	before func(op string) error
	// after runs once the call was sent; its error replaces the answer
	// (the write took effect, its answer is lost).
	after func(op string) error
}

func (f faultyS3) hook(op string, call func() error) error {
	if f.before != nil {
		if err := f.before(op); err != nil {
			return err
		}
	}
	err := call()
	if err == nil && f.after != nil {
		err = f.after(op)
	}
	return err
}

func (f faultyS3) PutBucketPolicy(ctx context.Context, in *s3.PutBucketPolicyInput, o ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error) {
	var out *s3.PutBucketPolicyOutput
	err := f.hook("PutBucketPolicy", func() (err error) { out, err = f.S3API.PutBucketPolicy(ctx, in, o...); return })
	return out, err
}

func (f faultyS3) PutBucketAcl(ctx context.Context, in *s3.PutBucketAclInput, o ...func(*s3.Options)) (*s3.PutBucketAclOutput, error) {
	var out *s3.PutBucketAclOutput
	err := f.hook("PutBucketAcl", func() (err error) { out, err = f.S3API.PutBucketAcl(ctx, in, o...); return })
	return out, err
}

func (f faultyS3) PutBucketOwnershipControls(ctx context.Context, in *s3.PutBucketOwnershipControlsInput, o ...func(*s3.Options)) (*s3.PutBucketOwnershipControlsOutput, error) {
	var out *s3.PutBucketOwnershipControlsOutput
	err := f.hook("PutBucketOwnershipControls", func() (err error) { out, err = f.S3API.PutBucketOwnershipControls(ctx, in, o...); return })
	return out, err
}

// TestApplyStopsBetweenStepsAndResumes: a signal after migrate-bucket's
// policy step stops it there, journalled exactly; applying the plan again
// resumes at its ACL step, and leaves the buckets finished earlier alone.
func TestApplyStopsBetweenStepsAndResumes(t *testing.T) {
	e := newEnv(t, testOrg)
	stop := make(chan struct{})
	stopping := accountsFunc(func(ctx context.Context, account, region string) (S3API, error) {
		return faultyS3{S3API: e.clients[account], after: func(op string) error {
			if op == "PutBucketPolicy" {
				close(stop)
			}
			return nil
		}}, nil
	})
	e.plan.Buckets = onlyBuckets(e.plan, "migrate-bucket")
	j, prior := e.journal("j")
	o := e.apply(j, prior, stopping, stop)["migrate-bucket"]
	j.Close()
	if o.Status != StatusStopped || !reflect.DeepEqual(o.Done, []Action{ActionPutBucketPolicy}) ||
		!strings.Contains(o.Detail, "after step 1 of 3") || !strings.Contains(o.Detail, "put-bucket-acl, put-bucket-ownership-controls not started") {
		t.Fatalf("stopped: %s %v (%s)", o.Status, o.Done, o.Detail)
	}
	entries, _, err := ReadJournalFile(filepath.Join(e.dir, "j"))
	if err != nil {
		t.Fatal(err)
	}
	if last := entries[len(entries)-2]; last.Event != EventBucketStopped || last.Step != 1 || last.Action != ActionPutBucketPolicy {
		t.Errorf("the journal's last bucket entry: %+v, want bucket-stopped after step 1", last)
	}

	j, prior = e.journal("j")
	o = e.apply(j, prior, e, nil)["migrate-bucket"]
	j.Close()
	if o.Status != StatusDone || !reflect.DeepEqual(o.Done, []Action{ActionPutBucketACL, ActionEnforce}) {
		t.Errorf("resumed: %s %v (%s), want the ACL and ownership steps only", o.Status, o.Done, o.Detail)
	}
	j, prior = e.journal("j")
	if o := e.apply(j, prior, e, nil)["migrate-bucket"]; o.Status != StatusAlreadyDone {
		t.Errorf("a third apply: %s (%s), want already done", o.Status, o.Detail)
	}
	j.Close()
}

func onlyBuckets(p *Plan, names ...string) []PlannedBucket {
	var out []PlannedBucket
	for _, b := range p.Buckets {
		for _, n := range names {
			if b.Bucket == n {
				out = append(out, b)
			}
		}
	}
	return out
}

// TestApplyFailedWriteLeavesTheBucket: a write refused leaves the bucket as
// it was and fails it with the error; a write whose answer is lost is read
// back and counted done.
func TestApplyFailedWriteLeavesTheBucket(t *testing.T) {
	e := newEnv(t, testOrg)
	before := e.controls()
	denied := &smithy.GenericAPIError{Code: "AccessDenied", Message: "not allowed"}
	faulty := accountsFunc(func(ctx context.Context, account, region string) (S3API, error) {
		return faultyS3{S3API: e.clients[account],
			before: func(op string) error {
				if op == "PutBucketPolicy" {
					return denied
				}
				return nil
			},
			after: func(op string) error {
				if op == "PutBucketOwnershipControls" {
					return errors.New("read: connection reset by peer")
				}
				return nil
			}}, nil
	})
	j, prior := e.journal("j")
	got := e.apply(j, prior, faulty, nil)
	if o := got["migrate-bucket"]; o.Status != StatusFailed || !strings.Contains(o.Detail, "is as before it") || !strings.Contains(o.Detail, "AccessDenied") {
		t.Errorf("migrate-bucket: %s (%s), want failed, as before, with the error", o.Status, o.Detail)
	}
	if after := e.controls()["migrate-bucket"]; !reflect.DeepEqual(after, before["migrate-bucket"]) {
		t.Errorf("migrate-bucket changed: %+v", after)
	}
	if o := got["ready-bucket"]; o.Status != StatusDone {
		t.Errorf("ready-bucket, whose answer was lost: %s (%s), want done", o.Status, o.Detail)
	}
}

// TestRollbackOfAKilledRun: a journal whose last step started and never
// ended (the process was killed) is rolled back: the step is undone when
// it took effect, and dropped when it did not.
func TestRollbackOfAKilledRun(t *testing.T) {
	e := newEnv(t, testOrg)
	before := e.controls()
	j, prior := e.journal("j")
	e.apply(j, prior, e, nil)
	j.Close()
	path := filepath.Join(e.dir, "j")
	entries, _, err := ReadJournalFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// As if killed: no step-done, bucket-done or run-end after the last
	// step of ready-bucket and of acl-only-bucket, and acl-only-bucket's
	// enforce step never sent (put back by hand).
	var kept []Entry
	for _, en := range entries {
		finished := en.Event == EventStepDone || en.Event == EventBucketDone || en.Event == EventRunEnd
		if finished && en.Action != ActionPutBucketACL && (en.Bucket == "ready-bucket" || en.Bucket == "acl-only-bucket" || en.Bucket == "") {
			continue
		}
		kept = append(kept, en)
	}
	if _, err := e.clients["222222222222"].PutBucketOwnershipControls(context.Background(), &s3.PutBucketOwnershipControlsInput{Bucket: aws.String("acl-only-bucket"),
		OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnershipBucketOwnerPreferred}}}}); err != nil {
		t.Fatal(err)
	}
	writeEntries(t, path, kept, `{"time":"2026-01-01T00:00:00Z","run":"0123`)
	undone := e.rollback("j")
	if o := undone["ready-bucket"]; o.Status != StatusRestored || !reflect.DeepEqual(o.Undone, []Action{ActionEnforce}) {
		t.Errorf("ready-bucket: %s %v (%s)", o.Status, o.Undone, o.Detail)
	}
	if o := undone["acl-only-bucket"]; o.Status != StatusRestored || !reflect.DeepEqual(o.Undone, []Action{ActionPutBucketACL}) {
		t.Errorf("acl-only-bucket: %s %v (%s), want only the ACL undone (the ownership step never took effect)", o.Status, o.Undone, o.Detail)
	}
	if restored := e.controls(); !reflect.DeepEqual(restored, before) {
		t.Errorf("after rollback:\n got %+v\nwant %+v", restored, before)
	}
}

// writeEntries writes a journal of entries, then tail (a partial line).
func writeEntries(t *testing.T, path string, entries []Entry, tail string) {
	t.Helper()
	var b strings.Builder
	for _, en := range entries {
		line, err := jsonLine(en)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(line)
	}
	b.WriteString(tail)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRollbackLeavesABucketChangedSinceApply: a bucket whose ownership was
// changed after apply keeps it, and keeps the policy and private ACL that
// replaced its grants: rolling those back under an ownership someone chose
// would leave it with neither.
func TestRollbackLeavesABucketChangedSinceApply(t *testing.T) {
	e := newEnv(t, testOrg)
	j, prior := e.journal("j")
	e.apply(j, prior, e, nil)
	j.Close()
	if _, err := e.clients["222222222222"].PutBucketOwnershipControls(context.Background(), &s3.PutBucketOwnershipControlsInput{Bucket: aws.String("migrate-bucket"),
		OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnershipBucketOwnerPreferred}}}}); err != nil {
		t.Fatal(err)
	}
	changed := e.controls()["migrate-bucket"]
	o := e.rollback("j")["migrate-bucket"]
	if o.Status != StatusSkipped || !strings.Contains(o.Detail, "Object Ownership is BucketOwnerPreferred, apply left BucketOwnerEnforced") || len(o.Undone) != 0 {
		t.Errorf("migrate-bucket: %s %v (%s)", o.Status, o.Undone, o.Detail)
	}
	if after := e.controls()["migrate-bucket"]; !reflect.DeepEqual(after, changed) {
		t.Errorf("the changed bucket was touched: %+v", after)
	}
}

// staleReads is an S3API whose GetBucketOwnershipControls answers with the
// value before the last PutBucketOwnershipControls for a few reads, as an
// eventually consistent bucket configuration may.
type staleReads struct {
	S3API
	stale int // reads left that show the old value
	old   *s3.GetBucketOwnershipControlsOutput
}

func (s *staleReads) PutBucketOwnershipControls(ctx context.Context, in *s3.PutBucketOwnershipControlsInput, o ...func(*s3.Options)) (*s3.PutBucketOwnershipControlsOutput, error) {
	old, err := s.S3API.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: in.Bucket})
	if err != nil {
		return nil, err
	}
	s.old, s.stale = old, 2
	return s.S3API.PutBucketOwnershipControls(ctx, in, o...)
}

func (s *staleReads) GetBucketOwnershipControls(ctx context.Context, in *s3.GetBucketOwnershipControlsInput, o ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error) {
	if s.stale > 0 {
		s.stale--
		return s.old, nil
	}
	return s.S3API.GetBucketOwnershipControls(ctx, in, o...)
}

// TestRollbackChecksTheWholeBucketFirst: a bucket whose migration policy
// was replaced after apply (its owner decided the partner's access should
// go) is left entirely as it is. Undoing the ownership and ACL steps
// before finding the policy changed would give the partner's READ grant
// back through the ACL: access the owner took away, returned by a
// rollback that then reports the bucket as skipped.
func TestRollbackChecksTheWholeBucketFirst(t *testing.T) {
	e := newEnv(t, testOrg)
	j, prior := e.journal("j")
	if o := e.apply(j, prior, e, nil)["migrate-bucket"]; o.Status != StatusDone {
		t.Fatalf("apply: %s (%s)", o.Status, o.Detail)
	}
	j.Close()
	ownOnly := `{"Version":"2012-10-17","Statement":[{"Sid":"OwnerOnly","Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::migrate-bucket/*"}]}`
	if _, err := e.clients["222222222222"].PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{Bucket: aws.String("migrate-bucket"), Policy: aws.String(ownOnly)}); err != nil {
		t.Fatal(err)
	}
	changed := e.controls()["migrate-bucket"]

	dry, entries := e.journal("j")
	dryRun, err := Rollback(context.Background(), nil, e, nil, entries, RollbackOptions{DryRun: true})
	dry.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range dryRun {
		if o.Bucket == "migrate-bucket" && (o.Status != StatusSkipped || len(o.Undone) != 0) {
			t.Errorf("dry run: %s %v (%s), want skipped with nothing to undo", o.Status, o.Undone, o.Detail)
		}
	}

	o := e.rollback("j")["migrate-bucket"]
	if o.Status != StatusSkipped || len(o.Undone) != 0 || !strings.Contains(o.Detail, "the bucket policy is not the one apply put") {
		t.Errorf("migrate-bucket: %s %v (%s), want skipped, nothing undone, naming the policy", o.Status, o.Undone, o.Detail)
	}
	if after := e.controls()["migrate-bucket"]; !reflect.DeepEqual(after, changed) {
		t.Errorf("the changed bucket was touched:\n got %+v\nwant %+v", after, changed)
	}
}

// oddACL is an S3API whose GetBucketAcl answers with one grant more, of
// no grantee: an answer no journal reader accepts.
type oddACL struct{ S3API }

func (o oddACL) GetBucketAcl(ctx context.Context, in *s3.GetBucketAclInput, opts ...func(*s3.Options)) (*s3.GetBucketAclOutput, error) {
	out, err := o.S3API.GetBucketAcl(ctx, in, opts...)
	if err == nil {
		out.Grants = append(out.Grants, s3types.Grant{Permission: s3types.PermissionRead})
	}
	return out, err
}

// TestApplyJournalsOnlyWhatItCanReadBack: a bucket whose state comes back
// in a shape the journal reader refuses fails before any step, and the
// journal stays readable: one odd answer must not make every other
// bucket's rollback impossible.
func TestApplyJournalsOnlyWhatItCanReadBack(t *testing.T) {
	e := newEnv(t, testOrg)
	odd := accountsFunc(func(ctx context.Context, account, region string) (S3API, error) {
		return oddACL{S3API: e.clients[account]}, nil
	})
	before := e.controls()
	j, prior := e.journal("j")
	got := e.apply(j, prior, odd, nil)
	j.Close()
	for name, o := range got {
		if o.Status == StatusNotPlanned {
			continue
		}
		if o.Status != StatusFailed || len(o.Done) != 0 {
			t.Errorf("%s: %s %v (%s), want failed before any step", name, o.Status, o.Done, o.Detail)
		}
	}
	if after := e.controls(); !reflect.DeepEqual(after, before) {
		t.Errorf("a bucket was changed:\n got %+v\nwant %+v", after, before)
	}
	if _, _, err := ReadJournalFile(filepath.Join(e.dir, "j")); err != nil {
		t.Errorf("the journal cannot be read back: %v", err)
	}
}

// TestJournalKeepsAHugeErrorReadable: an error message of any length (an
// endpoint chooses it) is cut in the journal, which stays readable.
func TestJournalKeepsAHugeErrorReadable(t *testing.T) {
	e := newEnv(t, testOrg)
	huge := &smithy.GenericAPIError{Code: "InternalError", Message: strings.Repeat("é", 1<<20)}
	faulty := accountsFunc(func(ctx context.Context, account, region string) (S3API, error) {
		return faultyS3{S3API: e.clients[account], before: func(op string) error {
			if op == "PutBucketPolicy" {
				return huge
			}
			return nil
		}}, nil
	})
	e.plan.Buckets = onlyBuckets(e.plan, "migrate-bucket")
	j, prior := e.journal("j")
	if o := e.apply(j, prior, faulty, nil)["migrate-bucket"]; o.Status != StatusFailed {
		t.Errorf("migrate-bucket: %s, want failed", o.Status)
	}
	j.Close()
	entries, _, err := ReadJournalFile(filepath.Join(e.dir, "j"))
	if err != nil {
		t.Fatalf("the journal cannot be read back: %v", err)
	}
	for _, en := range entries {
		if en.Event == EventStepFailed && (len(en.Error) > maxTextBytes+len(" [cut]") || !strings.HasSuffix(en.Error, "[cut]")) {
			t.Errorf("step-failed error of %d bytes, want cut to %d", len(en.Error), maxTextBytes)
		}
	}
}

// serverError is a 500 InternalError as the SDK hands it back: S3 may have
// made the change before it failed to answer.
func serverError() error {
	return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: http.StatusInternalServerError}},
		Err: &smithy.GenericAPIError{Code: "InternalError", Message: "We encountered an internal error. Please try again."}}
}

// TestApplyWaitsForAWriteToShow: a read right after a write that still
// shows the old value is read again, and the step is done once it shows.
// So it is after a write answered with a 500, which is no refusal (S3 may
// have made the change), rather than failed "as before it".
func TestApplyWaitsForAWriteToShow(t *testing.T) {
	defer func(d []time.Duration) { readBackDelays = d }(readBackDelays)
	readBackDelays = []time.Duration{0, time.Millisecond, time.Millisecond, time.Millisecond}
	for name, answer := range map[string]error{"answered": nil, "answered 500": serverError()} {
		e := newEnv(t, testOrg)
		e.plan.Buckets = onlyBuckets(e.plan, "ready-bucket")
		stale := accountsFunc(func(ctx context.Context, account, region string) (S3API, error) {
			return faultyS3{S3API: &staleReads{S3API: e.clients[account]}, after: func(op string) error {
				if op == "PutBucketOwnershipControls" {
					return answer
				}
				return nil
			}}, nil
		})
		j, prior := e.journal("j")
		if o := e.apply(j, prior, stale, nil)["ready-bucket"]; o.Status != StatusDone {
			t.Errorf("%s: ready-bucket: %s (%s), want done once the write shows", name, o.Status, o.Detail)
		}
	}
}
