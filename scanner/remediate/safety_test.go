package remediate

import (
	"context"
	"net/http"
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
)

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

// TestApplyReadsAgainAfterAServerError: a write answered with a 500 is
// not a refusal (S3 may have made it); while the read back still shows
// the old value it is read again, and the step is done once the write
// shows, instead of being reported failed with "the bucket is as before
// it".
func TestApplyReadsAgainAfterAServerError(t *testing.T) {
	defer func(d []time.Duration) { readBackDelays = d }(readBackDelays)
	readBackDelays = []time.Duration{0, time.Millisecond, time.Millisecond, time.Millisecond}
	e := newEnv(t, testOrg)
	e.plan.Buckets = onlyBuckets(e.plan, "ready-bucket")
	flaky := accountsFunc(func(ctx context.Context, account, region string) (S3API, error) {
		return faultyS3{S3API: &staleReads{S3API: e.clients[account]}, after: func(op string) error {
			if op == "PutBucketOwnershipControls" {
				return serverError()
			}
			return nil
		}}, nil
	})
	j, prior := e.journal("j")
	if o := e.apply(j, prior, flaky, nil)["ready-bucket"]; o.Status != StatusDone {
		t.Errorf("ready-bucket: %s (%s), want done once the write shows", o.Status, o.Detail)
	}
}
