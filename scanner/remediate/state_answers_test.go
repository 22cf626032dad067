package remediate

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ownerscan/ownerscan/scanner"
)

// emptyOwnership is an S3API whose GetBucketOwnershipControls answers 200
// with no rule: not the document S3 returns (a bucket without ownership
// controls answers OwnershipControlsNotFoundError).
type emptyOwnership struct{ S3API }

func (emptyOwnership) GetBucketOwnershipControls(context.Context, *s3.GetBucketOwnershipControlsInput, ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error) {
	return &s3.GetBucketOwnershipControlsOutput{}, nil
}

// TestRollbackRefusesAnOwnershipAnswerWithoutARule: an answer without a
// rule is no answer, never "no ownership controls". Read as NotSet, it
// made a rollback of a bucket apply had enforced (it had none before)
// journal the enforce step as already undone: the journal then says
// nothing stands where the bucket is still enforced, and no later
// rollback would undo it.
func TestRollbackRefusesAnOwnershipAnswerWithoutARule(t *testing.T) {
	e := newEnv(t, testOrg)
	j, prior := e.journal("j")
	if o := e.apply(j, prior, e, nil)["migrate-bucket"]; o.Status != StatusDone {
		t.Fatalf("apply: %s (%s)", o.Status, o.Detail)
	}
	j.Close()
	applied := e.controls()["migrate-bucket"]

	rj, entries := e.journal("j")
	empty := accountsFunc(func(_ context.Context, account, _ string) (S3API, error) {
		return emptyOwnership{S3API: e.clients[account]}, nil
	})
	outcomes, err := Rollback(context.Background(), nil, empty, rj, entries, RollbackOptions{})
	rj.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outcomes {
		if o.Bucket == "migrate-bucket" && (o.Status != StatusFailed || len(o.Undone) != 0) {
			t.Errorf("migrate-bucket: %s %v (%s), want failed with nothing undone", o.Status, o.Undone, o.Detail)
		}
	}
	after, _, err := ReadJournalFile(filepath.Join(e.dir, "j"))
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range after[len(entries):] {
		if en.Bucket == "migrate-bucket" && en.Event == EventUndoDone {
			t.Errorf("the rollback journalled %s of migrate-bucket as undone (%s)", en.Action, en.Reason)
		}
	}
	if now := e.controls()["migrate-bucket"]; now.ObjectOwnership != scanner.OwnershipEnforced || !now.ACL.equal(applied.ACL) {
		t.Errorf("migrate-bucket changed: %+v", now)
	}
}

// TestReadRefusesAnswersThatAreNotTheDocument: each read of a bucket's
// controls fails on a 200 answer that lacks what S3 always sends, rather
// than reading it as a value.
func TestReadRefusesAnswersThatAreNotTheDocument(t *testing.T) {
	e := newEnv(t, testOrg)
	real := e.clients["222222222222"]
	for name, api := range map[string]S3API{
		"ownership without a rule":       emptyOwnership{real},
		"ownership rule without a value": answers{S3API: real, ownership: &s3.GetBucketOwnershipControlsOutput{OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{}}}}},
		"ACL without an owner":           answers{S3API: real, acl: &s3.GetBucketAclOutput{}},
		"policy without text":            answers{S3API: real, policy: &s3.GetBucketPolicyOutput{}},
	} {
		bk := &bucketAPI{api: api, bucket: "ready-bucket", owner: "222222222222"}
		if c, err := bk.read(context.Background()); err == nil {
			t.Errorf("%s: read as %+v, want an error", name, c)
		}
	}
}

// answers is an S3API whose reads answer with the outputs set.
type answers struct {
	S3API
	ownership *s3.GetBucketOwnershipControlsOutput
	acl       *s3.GetBucketAclOutput
	policy    *s3.GetBucketPolicyOutput
}

func (a answers) GetBucketOwnershipControls(ctx context.Context, in *s3.GetBucketOwnershipControlsInput, o ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error) {
	if a.ownership != nil {
		return a.ownership, nil
	}
	return a.S3API.GetBucketOwnershipControls(ctx, in, o...)
}

func (a answers) GetBucketAcl(ctx context.Context, in *s3.GetBucketAclInput, o ...func(*s3.Options)) (*s3.GetBucketAclOutput, error) {
	if a.acl != nil {
		return a.acl, nil
	}
	return a.S3API.GetBucketAcl(ctx, in, o...)
}

func (a answers) GetBucketPolicy(ctx context.Context, in *s3.GetBucketPolicyInput, o ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error) {
	if a.policy != nil {
		return a.policy, nil
	}
	return a.S3API.GetBucketPolicy(ctx, in, o...)
}
