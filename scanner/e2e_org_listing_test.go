package scanner

import (
	"strings"
	"testing"

	"github.com/ownerscan/ownerscan/internal/sabotage"
)

// TestE2EListingWithoutManagementAccount: an organization's account
// listing always names its management account. A listing that ends
// without it (here: one well-formed page with no account and no
// NextToken) is not the organization's, and a scan of nothing must not
// read as complete and clean.
func TestE2EListingWithoutManagementAccount(t *testing.T) {
	res, err, _ := hostileScan(t, nil, sabotage.Rule{Operation: "ListAccounts", Mode: sabotage.NoEntries})
	if err == nil || !strings.Contains(err.Error(), "ListAccounts") || !strings.Contains(err.Error(), "111111111111") {
		t.Errorf("err %v, want ListAccounts named, with the management account", err)
	}
	if f := findingsOf(res, FindingScanError, ""); len(f) != 1 || f[0].AccountID != "" {
		t.Errorf("findings %+v, want the organization's SCAN_ERROR", res.Findings)
	}
}
