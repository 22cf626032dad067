package scanner

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
)

// From a delegated audit account: the organization role is assumed first
// (with ExternalId) and its session assumes the member roles, the audit
// account's own included (its caller holds only sts:AssumeRole); the
// management account is scanned with the organization role's session.
func TestE2EOrganizationRoleFromAuditAccount(t *testing.T) {
	srv := emulateYAML(t, `
management_account: "111111111111"
accounts:
  - id: "111111111111"
    name: Mgmt
    roles:
      - {name: OrgReader, trust: ["999999999999"], external_id: "audit-xid"}
  - id: "222222222222"
    name: Member
    roles:
      - {name: Auditor, trust: ["111111111111"], external_id: "audit-xid"}
  - id: "999999999999"
    name: Audit
    roles:
      - {name: Auditor, trust: ["111111111111"], external_id: "audit-xid"}
buckets:
  - {name: member-bucket, account: "222222222222", ownership: ObjectWriter}
  - {name: audit-bucket, account: "999999999999"}
  - {name: mgmt-bucket, account: "111111111111"}
`)
	ak, sk, ok := srv.Emulator.CredentialsFor("999999999999")
	if !ok {
		t.Fatal("no credentials for the audit account")
	}
	cfg := awsConfigFor(srv)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(ak, sk, "")
	opts := DefaultOptions()
	opts.OrganizationRoleARN = "arn:aws:iam::111111111111:role/OrgReader"
	opts.MemberRoleName = "Auditor"
	opts.ExternalID = "audit-xid"
	s, err := New(cfg, opts, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Scan(t.Context(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete || len(res.Buckets) != 3 {
		t.Fatalf("complete %v, accounts %+v, buckets %+v", res.Complete, res.Accounts, res.Buckets)
	}
	c := srv.Emulator.Counters()
	// Org role once; Member and Audit (the caller's own) via their member
	// role; Mgmt (the organization role's own account) with none of its own.
	if c.ByOperation["AssumeRole"] != 3 || c.Total != res.Calls.MinCalls {
		t.Errorf("AssumeRole %d, calls %d, min %d: %v", c.ByOperation["AssumeRole"], c.Total, res.Calls.MinCalls, c.ByOperation)
	}
	if c.ByAccountOperation["999999999999"]["ListAccounts"] != 0 || c.ByAccountOperation["111111111111"]["ListAccounts"] != 1 {
		t.Errorf("ListAccounts must run as the organization role: %v", c.ByAccountOperation)
	}
}

// Sessions that expire every second during a longer scan are refreshed
// before use: nothing fails, and refreshes stay few.
func TestE2EShortSessionsRefreshed(t *testing.T) {
	srv := emulateYAML(t, pagingScenario()+"session_duration: 1s\nfaults: {latency: 30ms}\n")
	opts := DefaultOptions()
	opts.Concurrency = 3 // slow enough to outlive several sessions
	start := time.Now()
	res := scanEmulator(t, srv, opts, nil)
	wall := time.Since(start)
	if !res.Complete || res.Summary.BucketsFailed != 0 || res.Summary.AccountsFailed != 0 {
		t.Fatalf("failures with short sessions: %+v", res.Summary)
	}
	assumes := srv.Emulator.Counters().ByOperation["AssumeRole"]
	members := int64(res.Summary.AccountsScanned - 1)
	// At most one session per account per 0.8 s of scan, plus the first.
	if limit := members * (int64(wall/(800*time.Millisecond)) + 2); assumes > limit {
		t.Errorf("%d AssumeRole calls for %d members in %v (limit %d)", assumes, members, wall, limit)
	}
	t.Logf("%d AssumeRole for %d members in %v", assumes, members, wall)
}
