package fakeaws

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// minimumScenario: a management account, two members (one in an OU, one
// whose role trusts nobody), an enforced bucket, a listed bucket of 2,500
// versions (one a delete marker) written partly by another member, and a
// bucket in eu-west-1.
const minimumScenario = `
management_account: "111111111111"
organizational_units: [Work]
accounts:
  - {id: "111111111111", name: Mgmt}
  - {id: "222222222222", name: B, ou: Work}
  - {id: "333333333333", name: C, roles: [{name: OrganizationAccountAccessRole, trust: ["999999999999"]}]}
  - {id: "444444444444", name: D, status: SUSPENDED}
buckets:
  - {name: mgmt-enforced, account: "111111111111"}
  - name: b-listed
    account: "222222222222"
    ownership: ObjectWriter
    versioning: Enabled
    writers: ["111111111111"]
    objects:
      - {key: from-mgmt, uploader: "111111111111"}
      - {key: gone, delete: true}
    generated: {count: 2498, key_prefix: "data/"}
  - {name: b-eu, account: "222222222222", region: eu-west-1, ownership: ObjectWriter}
  - {name: c-hidden, account: "333333333333", ownership: ObjectWriter}
`

func minimumOf(t *testing.T, srv *Server, shape ScanShape) Minimum {
	t.Helper()
	m, err := srv.Emulator.Minimum(shape)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, n := range m.ByOperation {
		sum += n
	}
	if sum != m.Calls {
		t.Errorf("calls %d, by operation %v adds up to %d", m.Calls, m.ByOperation, sum)
	}
	return m
}

// fullShape is a default scan from the management account.
func fullShape() ScanShape {
	return ScanShape{Caller: "111111111111", IncludeManagementAccount: true, ListObjects: true, Readiness: true, ObjectACLSample: 10, Concurrency: 64}
}

// TestMinimumFromContents: the minimum of a default scan, worked out by
// hand from the scenario.
func TestMinimumFromContents(t *testing.T) {
	srv := coreServe(t, coreScenario(t, minimumScenario))
	m := minimumOf(t, srv, fullShape())
	want := map[string]int64{
		"GetCallerIdentity":    1,
		"DescribeOrganization": 1,
		"ListAccounts":         1, // 4 accounts
		"AssumeRole":           2, // B and C; not the management account, not suspended D
		"ListBuckets":          3, // Mgmt, B, C
		// mgmt-enforced, b-listed, b-eu, c-hidden
		"GetBucketOwnershipControls": 4,
		"GetBucketAcl":               3,
		"ListObjectVersions":         3 + 1 + 1, // 2,500 entries in 3 pages; two empty buckets
		"GetBucketPolicy":            3,
		"GetObjectAcl":               10, // b-listed's sample; delete markers have no ACL
	}
	if !maps.Equal(m.ByOperation, want) {
		t.Errorf("by operation %v, want %v", m.ByOperation, want)
	}
	// GetCallerIdentity, ListAccounts page 1, AssumeRole, ListBuckets,
	// GetBucketOwnershipControls, the 3 pages in one round beside the ACL
	// and policy reads, the sample in one round.
	if m.CriticalPath != 7 {
		t.Errorf("critical path %d, want 7", m.CriticalPath)
	}
}

// TestMinimumFollowsTheShape: filters, objects mode, readiness and the
// caller change the minimum as the README says.
func TestMinimumFollowsTheShape(t *testing.T) {
	srv := coreServe(t, coreScenario(t, minimumScenario))
	ouID := ""
	for _, ou := range srv.Emulator.org.ous {
		ouID = ou.ID
	}
	base := minimumOf(t, srv, fullShape())
	for _, tc := range []struct {
		name   string
		change func(*ScanShape)
		want   map[string]int64 // operations whose count differs from base
	}{
		{"objects off", func(s *ScanShape) { s.ListObjects = false },
			map[string]int64{"ListObjectVersions": 0, "GetObjectAcl": 0}},
		{"readiness off", func(s *ScanShape) { s.Readiness = false },
			map[string]int64{"GetBucketPolicy": 0, "GetObjectAcl": 0}},
		{"sample of 3", func(s *ScanShape) { s.ObjectACLSample = 3 },
			map[string]int64{"GetObjectAcl": 3}},
		{"at most 1,200 versions a bucket", func(s *ScanShape) { s.MaxObjectsPerBucket = 1200 },
			map[string]int64{"ListObjectVersions": 2 + 1 + 1}},
		{"eu-west-1 only", func(s *ScanShape) { s.Regions = []string{"EU-WEST-1"} },
			map[string]int64{"GetBucketOwnershipControls": 1, "GetBucketAcl": 1, "ListObjectVersions": 1, "GetBucketPolicy": 1, "GetObjectAcl": 0}},
		{"buckets b-*", func(s *ScanShape) { s.BucketsInclude = []string{"b-*"} },
			map[string]int64{"GetBucketOwnershipControls": 2, "GetBucketAcl": 2, "ListObjectVersions": 4, "GetBucketPolicy": 2}},
		{"the OU only", func(s *ScanShape) { s.AccountsInclude = []string{ouID} },
			// ListRoots; per parent (root, Work) one page of OUs and one of
			// accounts. Only B is scanned; the management account owns a
			// version in b-listed, an owner no member reached, so the
			// members outside the scope are looked up: the management
			// account with its own credentials (ListBuckets), C through its
			// role (AssumeRole and ListBuckets).
			map[string]int64{"ListRoots": 1, "ListOrganizationalUnitsForParent": 2, "ListAccountsForParent": 2,
				"AssumeRole": 1 + 1, "ListBuckets": 1 + 2, "GetBucketOwnershipControls": 2, "GetBucketAcl": 2,
				"ListObjectVersions": 3 + 1, "GetBucketPolicy": 2}},
		{"management account excluded", func(s *ScanShape) { s.IncludeManagementAccount = false },
			// mgmt owns a version in b-listed: an owner no member reached,
			// so the scan looks the management account up (its own
			// credentials: one ListBuckets).
			map[string]int64{"ListBuckets": 3, "GetBucketOwnershipControls": 3}},
		{"from a delegated administrator", func(s *ScanShape) { s.Caller = "222222222222" },
			map[string]int64{"AssumeRole": 3}}, // the management account too
		{"through an organization role", func(s *ScanShape) { s.OrganizationRoleAccount = "111111111111" },
			map[string]int64{"AssumeRole": 3}}, // the role itself, B, C
	} {
		t.Run(tc.name, func(t *testing.T) {
			shape := fullShape()
			tc.change(&shape)
			got := minimumOf(t, srv, shape)
			want := maps.Clone(base.ByOperation)
			for op, n := range tc.want {
				want[op] = n
				if n == 0 {
					delete(want, op)
				}
			}
			if !maps.Equal(got.ByOperation, want) {
				t.Errorf("by operation %v, want %v", got.ByOperation, want)
			}
		})
	}
}

// TestMinimumStopsWhereTheEmulatorRefused: a denial is final, so what
// would follow it is not needed: an account whose role cannot be assumed
// costs its AssumeRole alone, once the emulator has refused it.
func TestMinimumStopsWhereTheEmulatorRefused(t *testing.T) {
	srv := coreServe(t, coreScenario(t, minimumScenario))
	before := minimumOf(t, srv, fullShape())
	_, err := coreSTS(coreAccountConfig(t, srv, "111111111111")).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::333333333333:role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("probe"),
	})
	if err == nil {
		t.Fatal("AssumeRole into a role that trusts nobody succeeded")
	}
	after := minimumOf(t, srv, fullShape())
	// C's ListBuckets and c-hidden's five reads (ownership, ACL, listing,
	// policy; its sample is empty) are no longer needed.
	if d := before.Calls - after.Calls; d != 1+4 {
		t.Errorf("the refusal took %d calls off the minimum (%v -> %v), want 5", d, before.ByOperation, after.ByOperation)
	}
	if after.ByOperation["AssumeRole"] != 2 {
		t.Errorf("AssumeRole %d, want 2: a refused one still counts", after.ByOperation["AssumeRole"])
	}
}

// TestMinimumEmptyPagesAndLatency: Organizations' empty pages are calls
// too, and the latency of the scenario comes with the minimum.
func TestMinimumEmptyPagesAndLatency(t *testing.T) {
	sc := coreScenario(t, `
management_account: "111111111111"
accounts: [{id: "111111111111", name: Mgmt}]
generate: {accounts: 45, buckets_per_account: 0}
faults: {empty_pages: true, latency: 7ms}
`)
	srv := coreServe(t, sc)
	m := minimumOf(t, srv, fullShape())
	// 46 accounts: 3 full pages and an empty page after each but the last.
	if got := m.ByOperation["ListAccounts"]; got != 5 {
		t.Errorf("ListAccounts %d, want 5", got)
	}
	if m.Latency != 7*time.Millisecond {
		t.Errorf("latency %v, want 7ms", m.Latency)
	}
	// The last account is on the third full page, the fifth call.
	if m.CriticalPath != 1+5+1+1 {
		t.Errorf("critical path %d, want 8", m.CriticalPath)
	}
}

// TestMinimumEndpoint: POST /_fakeaws/minimum answers Minimum for a
// caller named by its access key, unsigned and uncounted.
func TestMinimumEndpoint(t *testing.T) {
	srv := coreServe(t, coreScenario(t, minimumScenario))
	key, _ := srv.Emulator.ManagementCredentials()
	shape := fullShape()
	shape.Caller, shape.CallerAccessKeyID = "", key
	body, _ := json.Marshal(shape)
	resp, err := http.Post(srv.URL+MinimumPath, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got Minimum
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	if want := minimumOf(t, srv, fullShape()); got.Calls != want.Calls || got.CriticalPath != want.CriticalPath {
		t.Errorf("endpoint %+v, Minimum %+v", got, want)
	}
	if n := srv.Emulator.Counters().Total; n != 0 {
		t.Errorf("the endpoint counted %d calls", n)
	}
	for _, bad := range []string{`{"caller_access_key_id": "AKIANOBODY"}`, `{"no_such_field": 1}`, `[`} {
		resp, err := http.Post(srv.URL+MinimumPath, "application/json", bytes.NewReader([]byte(bad)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", bad, resp.StatusCode)
		}
	}
}
