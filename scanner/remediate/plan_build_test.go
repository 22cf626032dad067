package remediate

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ownerscan/ownerscan/scanner"
)

// TestBuildRefusesWhatApplyWouldRefuse: a report read from a file (plan
// --from) that names a bucket apply's plan reader refuses (a path for a
// name, an account that is no account ID, one bucket twice) gives no plan.
func TestBuildRefusesWhatApplyWouldRefuse(t *testing.T) {
	ready := func(account, name string) scanner.Bucket {
		return scanner.Bucket{AccountID: account, Name: name, Region: "us-east-1",
			ObjectOwnership: scanner.OwnershipObjectWriter, Status: scanner.BucketNoncompliant,
			StateFingerprint: "sha256:" + strings.Repeat("ab", 32),
			Readiness:        &scanner.Readiness{Verdict: scanner.VerdictReady}}
	}
	for name, buckets := range map[string][]scanner.Bucket{
		"a path for a bucket name":             {ready("222222222222", "../evil")},
		"an account that is not an account ID": {ready("12", "fine-bucket")},
		"one bucket twice":                     {ready("222222222222", "twice"), ready("222222222222", "twice")},
	} {
		_, err := Build(BuildInput{
			Organization: scanner.Organization{ID: "o-abcdefghij", ManagementAccountID: "111111111111", Partition: "aws"},
			Scanned:      planNow.Add(-time.Hour), Source: "scan", Tool: PlanTool{Name: "ownerscan", Version: "test"}, Now: planNow,
			Buckets: buckets,
		})
		if !errors.Is(err, ErrRefused) {
			t.Errorf("%s: %v, want refused", name, err)
		}
	}
	// The same report with well-formed names plans.
	if _, err := Build(BuildInput{
		Organization: scanner.Organization{ID: "o-abcdefghij", ManagementAccountID: "111111111111", Partition: "aws"},
		Scanned:      planNow.Add(-time.Hour), Source: "scan", Tool: PlanTool{Name: "ownerscan", Version: "test"}, Now: planNow,
		Buckets: []scanner.Bucket{ready("222222222222", "fine-bucket")},
	}); err != nil {
		t.Errorf("well-formed report: %v", err)
	}
}
