package remediate

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
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
