package scanner

// pagesFor is the number of pages a listing of n items needs at size items a
// page: max(1, ceil(n/size)); an empty listing still costs one call.
func pagesFor(n, size int64) int64 {
	if n <= 0 {
		return 1
	}
	return (n + size - 1) / size
}

// Page sizes of the S3 listings.
const (
	listBucketsPageSize = 10000 // MaxBuckets: the API's maximum
	versionsPageSize    = 1000  // MaxKeys: the API's maximum
)

// callFacts is what the scan found that the performance model needs
// (README "--stats"). The collector fills it.
type callFacts struct {
	orgRole      bool  // organization_role_arn was assumed
	orgAccounts  int64 // accounts ListAccounts returned
	listPages    int64 // ListAccounts pages: the prefix of every account's chain when not streaming
	ouWalk       *ouTree
	ownerLookups int64 // calls made to resolve owners outside the scan's scope

	listBucketsPage int64 // MaxBuckets sent (WithListBucketsPageSize)
	concurrency     int64 // requests in flight allowed: bounds how fast one bucket's pages can go

	accounts map[string]*accountCalls
}

// accountCalls is one account's share.
type accountCalls struct {
	page          int64 // ListAccounts page it was on
	assumed       bool  // AssumeRole was called for it
	listedBuckets bool  // ListBuckets was called
	bucketsListed int64 // buckets ListBuckets returned, before filters
	calls         int64 // bucket-level minimum calls, summed
	longestBucket int64 // longest chain of one bucket's calls
}

// bucketCalls returns the minimum calls of one bucket and their chain: a
// region lookup when ListBuckets gave none, GetBucketOwnershipControls, and
// for a bucket not enforced GetBucketAcl and max(1, ceil(versions/1000))
// ListObjectVersions pages, and with readiness on GetBucketPolicy and a
// GetObjectAcl per sampled version (see sampleCalls). Checks a failure cut
// short count as far as they went.
func bucketCalls(o *bucketOutcome) int64 {
	return listingCalls(o) + readinessCalls(o)
}

// readinessCalls are a bucket's readiness reads: GetBucketPolicy and the
// sampled GetObjectAcl calls.
func readinessCalls(o *bucketOutcome) int64 {
	f := o.ready
	if f == nil {
		return 0
	}
	n := sampleCalls(f)
	if f.policyRead {
		n++
	}
	return n
}

// sampleCalls is min(readiness.object_acl_sample, versions listed that are
// not delete markers) once the sample was read (a sample cut short by an
// error counts the calls it made).
func sampleCalls(f *readinessFacts) int64 {
	if f == nil || f.sampled == nil {
		return 0
	}
	return min(int64(f.sampleSize), f.candidates, f.sampleReads)
}

// listingCalls are a bucket's calls before readiness.
func listingCalls(o *bucketOutcome) int64 {
	n := o.regionLookups // one after the other
	if o.ownershipChecked {
		n++
	}
	if o.aclChecked {
		n++
	}
	if o.listed {
		if o.row.ObjectScan == ObjectScanFailed {
			n += o.listPages
		} else {
			n += pagesFor(o.row.ObjectsScanned, versionsPageSize)
		}
	}
	return n
}

// bucketChain is the shortest chain of calls one bucket's checks can take:
// a region lookup, then GetBucketOwnershipControls, then either GetBucketAcl
// alone or, when the bucket is listed, its listing pages, with the ACL read
// (and readiness's GetBucketPolicy) going out beside the first page, then
// the sampled GetObjectAcl calls, which need the listing's last page. With
// concurrency requests in flight the pages take at least
// ceil(pages/concurrency) rounds, however the key space is split, so the
// chain never claims more than a parallel listing needs; likewise the
// sample.
func bucketChain(o *bucketOutcome, concurrency int64) int64 {
	n := listingChain(o, concurrency)
	if reads := sampleCalls(o.ready); reads > 0 {
		n += pagesFor(reads, max(concurrency, 1))
	}
	return n
}

// listingChain is bucketChain before readiness's object ACL sample.
func listingChain(o *bucketOutcome, concurrency int64) int64 {
	n := o.regionLookups // one after the other
	if o.ownershipChecked {
		n++
	}
	switch {
	case o.listed:
		pages := o.listPages
		if o.row.ObjectScan != ObjectScanFailed {
			pages = pagesFor(o.row.ObjectsScanned, versionsPageSize)
		}
		n += pagesFor(pages, max(concurrency, 1))
	case o.aclChecked:
		n++
	}
	return n
}

// minCalls applies the performance model to facts:
//
//	1 GetCallerIdentity + 1 AssumeRole of the organization role (if any)
//	+ 1 DescribeOrganization + ceil(accounts/20) ListAccounts
//	+ the OU walk when a filter needs it (ListRoots + per parent
//	  max(1, ceil(n/20)) pages of OUs and of accounts)
//	+ per account in scope: 1 AssumeRole (for every account but the one
//	  scanned with the caller's or the organization role's own credentials)
//	  + max(1, ceil(buckets/10000)) ListBuckets pages
//	+ per bucket: see bucketCalls
//	+ owner lookups of out-of-scope members, when an owner needed one.
//
// The critical path is the longest chain of calls that must follow each
// other: GetCallerIdentity (its ARN names the partition of every other
// request) -> [organization role ->] the ListAccounts pages up to the
// account's page (all pages, or the OU walk if longer, when the walk gates
// the accounts; DescribeOrganization and the walk go out beside the first
// page) -> AssumeRole -> ListBuckets pages -> the account's longest bucket
// chain (see bucketChain).
func minCalls(f *callFacts) CallStats {
	prefix := int64(1) // GetCallerIdentity
	calls := int64(2) + pagesFor(f.orgAccounts, organizationsPageSize) + f.ownerLookups
	if f.orgRole {
		prefix++
		calls++
	}
	gate := int64(0)
	if f.ouWalk != nil {
		calls += f.ouWalk.minCalls()
		gate = max(pagesFor(f.orgAccounts, organizationsPageSize), f.ouWalk.chain())
	}
	critical := prefix + max(gate, pagesFor(f.orgAccounts, organizationsPageSize)) // >= 1: DescribeOrganization
	for _, a := range f.accounts {
		var chain int64
		if a.assumed {
			calls++
			chain++
		}
		if a.listedBuckets {
			size := f.listBucketsPage
			if size <= 0 {
				size = listBucketsPageSize
			}
			p := pagesFor(a.bucketsListed, size)
			calls += p
			chain += p
		}
		calls += a.calls
		chain += a.longestBucket
		start := a.page
		if gate > 0 {
			start = gate
		}
		critical = max(critical, prefix+start+chain)
	}
	return CallStats{MinCalls: calls, CriticalPath: critical}
}
