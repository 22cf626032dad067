package scanner

import (
	"context"
	"strings"
	"testing"
)

// TestE2EOrganizationWalkDenied: when ListAccounts is denied, the accounts it
// would have named have no row to carry the failure, so the report itself
// must say why it is incomplete: one organization-level SCAN_ERROR with the
// AWS error code, complete false, and Scan's error.
func TestE2EOrganizationWalkDenied(t *testing.T) {
	srv := emulateYAML(t, `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: A}
  - {id: "222222222222", name: B}
faults:
  deny: [{operation: ListAccounts}]
`)
	opts := DefaultOptions()
	res, err := scanEmulatorErr(t, context.Background(), srv, opts, nil)
	if err == nil {
		t.Fatal("Scan: no error although ListAccounts is denied")
	}
	if res.Complete {
		t.Error("result complete although the organization could not be listed")
	}
	var orgErrors []Finding
	for _, f := range res.Findings {
		if f.Type == FindingScanError && f.AccountID == "" && f.Bucket == "" {
			orgErrors = append(orgErrors, f)
		}
	}
	if len(orgErrors) != 1 || !strings.Contains(orgErrors[0].Detail, "AccessDenied") {
		t.Fatalf("organization-level SCAN_ERROR findings: %+v", orgErrors)
	}
	if res.Summary.Findings[string(SeverityError)] != 1 {
		t.Errorf("summary counts %d scan errors, want 1", res.Summary.Findings[string(SeverityError)])
	}
}
