package scanner

import (
	"context"
	"testing"
)

// TestScopeCheckSaysNothingItCannotKnow: a bucket glob that matched no
// bucket is reported only when every account in scope listed its buckets
// (a failed account may hold the bucket meant), and no filter finding at
// all comes from a scan whose context ended; an account include entry
// that matched nothing is still reported beside a failed account, since
// the whole organization was listed.
func TestScopeCheckSaysNothingItCannotKnow(t *testing.T) {
	const yml = `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
  - {id: "222222222222", name: Denied}
buckets:
  - {name: mgmt-bucket, account: "111111111111", ownership: BucketOwnerEnforced}
faults:
  deny: [{account: "222222222222", operation: AssumeRole}]
`
	srv := emulateYAML(t, yml)
	opts := DefaultOptions()
	opts.BucketsInclude = []string{"denied-*"}
	opts.AccountsInclude = []string{"111111111111", "222222222222", "999999999999"}
	res := scanEmulator(t, srv, opts, nil)
	got := findingsOf(res, FindingFilterUnmatched, "")
	if len(got) != 1 || got[0].Title != `accounts.include[2] "999999999999" matched no account of the organization` {
		t.Errorf("FILTER_UNMATCHED findings %+v, want only the account entry's", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := scanEmulatorErr(t, ctx, srv, opts, nil)
	if err == nil {
		t.Fatal("a scan whose context had ended returned no error")
	}
	if got := findingsOf(res, FindingFilterUnmatched, ""); len(got) != 0 {
		t.Errorf("FILTER_UNMATCHED findings after an interruption: %+v", got)
	}
}
