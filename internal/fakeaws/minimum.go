package fakeaws

import (
	"fmt"
	"slices"
	"time"
)

// ScanShape describes a scan of the emulator's organization, as far as
// its cost depends on it: who starts it, its scope filters and what it
// reads. Minimum computes that cost from the emulator's own contents.
type ScanShape struct {
	// Caller is the account whose credentials start the scan; or give
	// CallerAccessKeyID and the emulator finds the account.
	Caller            string `json:"caller,omitempty"`
	CallerAccessKeyID string `json:"caller_access_key_id,omitempty"`
	// OrganizationRoleAccount is the account of organization_role_arn
	// ("" when the scan assumes none).
	OrganizationRoleAccount string `json:"organization_role_account,omitempty"`

	AccountsInclude          []string `json:"accounts_include,omitempty"`
	AccountsExclude          []string `json:"accounts_exclude,omitempty"`
	IncludeManagementAccount bool     `json:"include_management_account"`
	BucketsInclude           []string `json:"buckets_include,omitempty"`
	BucketsExclude           []string `json:"buckets_exclude,omitempty"`
	Regions                  []string `json:"regions,omitempty"`
	// KnownCanonicalIDs are members' canonical IDs the scan is given from
	// an earlier run (account ID -> canonical ID).
	KnownCanonicalIDs map[string]string `json:"known_canonical_ids,omitempty"`

	ListObjects         bool  `json:"list_objects"`           // objects.mode full
	MaxObjectsPerBucket int64 `json:"max_objects_per_bucket"` // 0: no limit
	Readiness           bool  `json:"readiness"`              // readiness.enabled
	ObjectACLSample     int   `json:"object_acl_sample"`      // readiness.object_acl_sample

	// ListBucketsPage is the MaxBuckets of ListBuckets (0: 10,000).
	ListBucketsPage int `json:"list_buckets_page,omitempty"`
	// Concurrency is the requests the scan may have in flight: the calls
	// of one bucket's listing take at least pages/Concurrency rounds.
	Concurrency int `json:"concurrency"`
}

// Minimum is the least a scan of ScanShape must cost against the emulator
// as it is: Calls in all (ByOperation per SDK operation name), and
// CriticalPath, the longest chain of calls that must follow each other.
// With a latency L per call and C calls in flight no scan can take less
// than max(CriticalPath×L, Calls×L/C).
type Minimum struct {
	Calls        int64            `json:"calls"`
	ByOperation  map[string]int64 `json:"by_operation"`
	CriticalPath int64            `json:"critical_path"`
	// Latency is the scenario's faults.latency: L in the bound above
	// (jitter only adds to it).
	Latency time.Duration `json:"latency_ns"`
}

// Page sizes of the listings (the APIs' maximums).
const (
	minOrgPage      = 20
	minVersionsPage = 1000
	minBucketsPage  = 10000
)

// Minimum computes what a scan of shape must cost, from what the emulator
// holds (accounts and their states, roles, buckets, what each bucket
// holds) and what it has refused (denials are final: a scan that meets one
// stops there, so what would follow is not counted). It never looks at
// what a client recorded of itself. The model, per the README's --stats
// section:
//
//	1 GetCallerIdentity [+ 1 AssumeRole of the organization role]
//	+ 1 DescribeOrganization + the ListAccounts pages
//	+ the OU walk when a filter names an OU or root
//	+ per active account in scope: 1 AssumeRole (not for the management
//	  account scanned with its own credentials, nor the organization
//	  role's account) + its ListBuckets pages (every bucket, any region)
//	+ per bucket in scope: 1 GetBucketOwnershipControls; when not
//	  enforced 1 GetBucketAcl, max(1, ceil(versions/1000))
//	  ListObjectVersions pages (objects.mode full), and with readiness
//	  1 GetBucketPolicy and min(sample, versions that are not delete
//	  markers) GetObjectAcl
//	+ when an owner or grantee matches no member the scan reached, for
//	  each active member outside the scope whose canonical ID is not
//	  given: 1 AssumeRole (as above) + 1 ListBuckets.
func (e *Emulator) Minimum(shape ScanShape) (Minimum, error) {
	m := &minimumModel{e: e, shape: shape, out: Minimum{ByOperation: map[string]int64{}, Latency: e.scenario.Faults.Latency.D()}}
	if err := m.resolveCaller(); err != nil {
		return Minimum{}, err
	}
	m.compute()
	for _, n := range m.out.ByOperation {
		m.out.Calls += n
	}
	return m.out, nil
}

// minimumModel is one Minimum computation.
type minimumModel struct {
	e     *Emulator
	shape ScanShape
	out   Minimum
}

func (m *minimumModel) add(op string, n int64) {
	if n > 0 {
		m.out.ByOperation[op] += n
	}
}

func (m *minimumModel) resolveCaller() error {
	if m.shape.Caller != "" {
		return nil
	}
	p, ok := m.e.ids.lookup(m.shape.CallerAccessKeyID)
	if !ok {
		return fmt.Errorf("fakeaws: minimum: unknown caller access key %q", m.shape.CallerAccessKeyID)
	}
	m.shape.Caller = p.AccountID
	return nil
}

// pages is max(1, ceil(n/size)): an empty listing still costs one call.
func pages(n, size int64) int64 {
	if n <= 0 {
		return 1
	}
	return (n + size - 1) / size
}

func (m *minimumModel) compute() {
	o := m.e.org
	m.add("GetCallerIdentity", 1)
	prefix := int64(1)
	if m.shape.OrganizationRoleAccount != "" {
		m.add("AssumeRole", 1)
		prefix++
		if m.e.refused.has("AssumeRole", m.shape.OrganizationRoleAccount, "") {
			m.out.CriticalPath = prefix
			return
		}
	}
	m.add("DescribeOrganization", 1)
	full := pages(int64(len(o.accounts)), minOrgPage)
	listCalls := full
	if m.e.scenario.Faults.EmptyPages {
		listCalls += full - 1 // an empty page after every full page but the last
	}
	m.add("ListAccounts", listCalls)
	gate := int64(0)
	scope := newMinimumScope(m.e, m.shape)
	if scope.needsWalk() {
		calls, chain := scope.walkCost()
		m.add("ListRoots", 1)
		m.add("ListOrganizationalUnitsForParent", calls.ous)
		m.add("ListAccountsForParent", calls.accounts)
		gate = max(listCalls, 1+chain)
	}
	m.out.CriticalPath = prefix + max(listCalls, gate, 1)

	byAccount := map[string][]BucketContents{}
	for _, b := range m.e.Buckets() {
		byAccount[b.Account] = append(byAccount[b.Account], b)
	}
	var outside []*AccountSpec // active members outside the scope
	reached := map[string]bool{}
	var foreign []string // owners and grantees of the buckets the scan reads
	for i, a := range o.accounts {
		active := a.Status == "" || a.Status == StatusActive
		if !scope.accountInScope(a) || (a.ID == m.e.scenario.ManagementAccount && !m.shape.IncludeManagementAccount) {
			if active {
				outside = append(outside, a)
			}
			continue
		}
		if !active {
			continue
		}
		// The account arrives on ListAccounts page i/20+1; with empty
		// pages every page before it is followed by one.
		page := int64(i/minOrgPage) + 1
		if m.e.scenario.Faults.EmptyPages {
			page = 2*page - 1
		}
		start := page
		if gate > 0 {
			start = gate
		}
		chain := int64(0)
		if m.assumes(a.ID) {
			m.add("AssumeRole", 1)
			chain++
			if m.e.refused.has("AssumeRole", a.ID, "") {
				m.out.CriticalPath = max(m.out.CriticalPath, prefix+start+chain)
				continue
			}
		}
		size := int64(m.shape.ListBucketsPage)
		if size <= 0 {
			size = minBucketsPage
		}
		lb := pages(int64(len(byAccount[a.ID])), size)
		listRefused := m.e.refused.has("ListBuckets", a.ID, "")
		if listRefused {
			lb = 1
		}
		m.add("ListBuckets", lb)
		chain += lb
		if listRefused {
			m.out.CriticalPath = max(m.out.CriticalPath, prefix+start+chain)
			continue
		}
		reached[CanonicalIDFor(a.ID)] = true
		longest := int64(0)
		for _, b := range byAccount[a.ID] {
			if !scope.bucketInScope(b) {
				continue
			}
			n, ids := m.bucket(b)
			longest = max(longest, n)
			foreign = append(foreign, ids...)
		}
		m.out.CriticalPath = max(m.out.CriticalPath, prefix+start+chain+longest)
	}
	m.lookups(outside, reached, foreign)
}

// assumes reports whether the scan reaches account through its member
// role: every account but the management account scanned with its own
// credentials (the caller there, with no organization role) and the
// organization role's own account.
func (m *minimumModel) assumes(account string) bool {
	switch {
	case m.shape.OrganizationRoleAccount != "":
		return account != m.shape.OrganizationRoleAccount
	case account == m.shape.Caller && account == m.e.scenario.ManagementAccount:
		return false
	}
	return true
}

// bucket adds one bucket's calls and returns the length of its chain and
// the canonical IDs it shows (owners of listed versions, ACL grantees)
// that resolving may need to look up.
func (m *minimumModel) bucket(b BucketContents) (chain int64, ids []string) {
	refused := func(op string) bool { return m.e.refused.has(op, b.Account, b.Name) }
	m.add("GetBucketOwnershipControls", 1)
	if refused("GetBucketOwnershipControls") || b.Ownership == ownershipEnforced {
		return 1, nil
	}
	m.add("GetBucketAcl", 1)
	if refused("GetBucketAcl") {
		return 2, nil
	}
	ids = append(ids, b.GrantIDs...)
	chain = 2 // the ACL, the bucket policy and the first listing page go out together
	listed := m.shape.ListObjects
	if listed {
		versions := b.Versions
		if max := m.shape.MaxObjectsPerBucket; max > 0 {
			versions = min(versions, max)
		}
		n := pages(versions, minVersionsPage)
		if refused("ListObjectVersions") {
			m.add("ListObjectVersions", 1)
			return 2, ids
		}
		m.add("ListObjectVersions", n)
		chain = 1 + pages(n, int64(max(m.shape.Concurrency, 1)))
		for id := range m.e.s3.bucket(b.Name).ownerIDs() {
			ids = append(ids, id)
		}
	}
	if !m.shape.Readiness {
		return chain, ids
	}
	m.add("GetBucketPolicy", 1)
	if refused("GetBucketPolicy") || !listed || m.shape.ObjectACLSample <= 0 {
		return chain, ids
	}
	sample := min(int64(m.shape.ObjectACLSample), b.ObjectVersions)
	if m.shape.MaxObjectsPerBucket > 0 {
		sample = min(sample, m.shape.MaxObjectsPerBucket)
	}
	m.add("GetObjectAcl", sample)
	if sample > 0 {
		chain += pages(sample, int64(max(m.shape.Concurrency, 1)))
	}
	return chain, ids
}

// lookups adds the owner lookups of members outside the scope: needed only
// when an owner or grantee the scan met is no member it reached and no
// canonical ID it was given.
func (m *minimumModel) lookups(outside []*AccountSpec, reached map[string]bool, ids []string) {
	given := map[string]bool{}
	for _, id := range m.shape.KnownCanonicalIDs {
		given[id] = true
	}
	if !slices.ContainsFunc(ids, func(id string) bool { return id != "" && !reached[id] && !given[id] }) {
		return
	}
	for _, a := range outside {
		if m.shape.KnownCanonicalIDs[a.ID] != "" {
			continue
		}
		if m.assumes(a.ID) {
			m.add("AssumeRole", 1)
			if m.e.refused.has("AssumeRole", a.ID, "") {
				continue
			}
		}
		m.add("ListBuckets", 1)
	}
}
