package report

import (
	"testing"

	"github.com/ownerscan/ownerscan/scanner"
)

// Owners and grantees that match no member whose canonical ID is known are
// written as "unidentified", never as external or as a member.
func TestUnidentifiedCells(t *testing.T) {
	owners := []scanner.ForeignOwner{
		{CanonicalID: "aaa", AccountID: "333333333333", AccountName: "C", Objects: 1, Bytes: 2},
		{CanonicalID: "bbb", External: true, Objects: 1, Bytes: 1},
		{CanonicalID: "ccc", Unidentified: true, CandidateAccounts: []string{"444444444444"}, Objects: 2, Bytes: 30},
	}
	if got, want := foreignOwnersCell(owners), "333333333333 (C): 1 object, 2 bytes;external bbb: 1 object, 1 byte;unidentified ccc: 2 objects, 30 bytes"; got != want {
		t.Errorf("foreign owners cell\n got %q\nwant %q", got, want)
	}
	grants := []scanner.Grant{{Kind: scanner.GranteeUnidentified, CanonicalID: "ccc", Permission: "READ"}}
	if got, want := grantsCell(grants), "unidentified ccc:READ"; got != want {
		t.Errorf("grants cell %q, want %q", got, want)
	}
}
