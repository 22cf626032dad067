package scanner

import (
	"context"
	"fmt"
	"path"
	"strings"
	"sync"
)

// scopeUse records, while a scan runs, which entries of the scope filters
// (accounts.include/exclude, buckets.include/exclude, regions) matched
// something, so that a filter that matched nothing is reported instead of
// read as a clean result: `accounts.include: ["999999999999"]` scans no
// account at all, and without this the report would say "complete", with
// no finding. Its zero value is ready; it is safe from any goroutine.
type scopeUse struct {
	mu sync.Mutex
	// Per entry of the option lists, whether it matched anything.
	accountsInclude, accountsExclude []bool
	bucketsInclude, bucketsExclude   []bool
	orgAccounts, accountsInScope     int
	bucketsListed                    int
	regionsSeen                      map[string]bool // lower case
}

func (s *scopeUse) init(o Options) {
	if s.regionsSeen != nil {
		return
	}
	s.accountsInclude, s.accountsExclude = make([]bool, len(o.AccountsInclude)), make([]bool, len(o.AccountsExclude))
	s.bucketsInclude, s.bucketsExclude = make([]bool, len(o.BucketsInclude)), make([]bool, len(o.BucketsExclude))
	s.regionsSeen = map[string]bool{}
}

// noteAccount records one account of the organization, as ListAccounts
// gave it, before the filters place it.
func (s *scopeUse) noteAccount(o Options, a orgAccount, ancestors []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init(o)
	s.orgAccounts++
	included := len(o.AccountsInclude) == 0
	for i, e := range o.AccountsInclude {
		if entryMatches(e, a, ancestors) {
			s.accountsInclude[i], included = true, true
		}
	}
	excluded := false
	for i, e := range o.AccountsExclude {
		if entryMatches(e, a, ancestors) {
			s.accountsExclude[i], excluded = true, true
		}
	}
	if included && !excluded {
		s.accountsInScope++
	}
}

// noteBucket records one bucket as ListBuckets gave it (region: its
// BucketRegion, "" when not given), before the filters place it.
func (s *scopeUse) noteBucket(o Options, name, region string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init(o)
	s.bucketsListed++
	markGlobs(s.bucketsInclude, o.BucketsInclude, name)
	markGlobs(s.bucketsExclude, o.BucketsExclude, name)
	if region = normalizeRegion(region, false); region != "" {
		s.regionsSeen[strings.ToLower(region)] = true
	}
}

func markGlobs(matched []bool, globs []string, name string) {
	for i, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			matched[i] = true
		}
	}
}

// checkScope adds to res a FILTER_UNMATCHED finding, and marks it
// incomplete, for each filter entry that matched nothing where it should
// have (an include entry, or a region this build does not know), and for
// filters that together leave nothing in scope; an exclude entry that
// matched nothing only widens the scope, and is logged. Nothing is said
// where the scan cannot know: after an interruption, when the organization
// could not be listed whole, and for buckets, when an account in scope
// could not list its buckets.
func (r *run) checkScope(ctx context.Context, res *Result) {
	if ctx.Err() != nil || r.col.walkErr != nil {
		return
	}
	s := &r.scope
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init(r.opts)
	o := r.opts
	var found []Finding
	add := func(title, detail, remediation string) {
		found = append(found, Finding{Type: FindingFilterUnmatched, Severity: SeverityError, Title: title, Detail: detail, Remediation: remediation})
		r.log.Warn(title)
	}
	const fixAccounts = "Correct or remove the entry in the configuration file. `aws organizations list-accounts` lists the organization's accounts; `aws organizations list-roots` and `list-organizational-units-for-parent` its root and OUs."
	for i, e := range o.AccountsInclude {
		if !s.accountsInclude[i] {
			add(fmt.Sprintf("accounts.include[%d] %q matched no account of the organization", i, e),
				accountEntryMiss(e, s.orgAccounts)+" The scan covered less than the configuration asks, so this report cannot say that the accounts meant are clean.", fixAccounts)
		}
	}
	for i, e := range o.AccountsExclude {
		if !s.accountsExclude[i] {
			r.log.Warn(fmt.Sprintf("accounts.exclude[%d] %q matched no account of the organization", i, e))
		}
	}
	if len(found) == 0 && s.orgAccounts > 0 && s.accountsInScope == 0 {
		add("the account filters leave no account in scope",
			fmt.Sprintf("accounts.include %q and accounts.exclude %q (exclude wins) select none of the %d accounts of the organization: nothing was scanned.", o.AccountsInclude, o.AccountsExclude, s.orgAccounts), fixAccounts)
	}
	if len(found) == 0 && bucketsListedWhole(res) {
		r.checkBucketScope(s, add)
	}
	if len(found) > 0 {
		res.Complete = false
		res.Findings = append(res.Findings, found...)
	}
}

// checkBucketScope is checkScope's part for buckets.include, regions and
// buckets.exclude, once every account in scope listed its buckets.
func (r *run) checkBucketScope(s *scopeUse, add func(title, detail, remediation string)) {
	o := r.opts
	scanned := fmt.Sprintf("the %d bucket(s) listed in the accounts scanned", s.bucketsListed)
	const fixBuckets = "Correct or remove the entry in the configuration file; `aws s3api list-buckets` in an account lists its buckets, with their regions."
	missed := 0
	for i, g := range o.BucketsInclude {
		if !s.bucketsInclude[i] {
			missed++
			add(fmt.Sprintf("buckets.include[%d] %q matched no bucket", i, g),
				fmt.Sprintf("None of %s has a name this glob matches (path.Match syntax: * and ? do not cross /, and case matters). The scan covered less than the configuration asks, so this report cannot say that the buckets meant are clean.", scanned), fixBuckets)
		}
	}
	for i, g := range o.BucketsExclude {
		if !s.bucketsExclude[i] {
			r.log.Warn(fmt.Sprintf("buckets.exclude[%d] %q matched no bucket", i, g))
		}
	}
	for i, region := range o.Regions {
		partition, known := RegionPartition(region)
		if known || s.regionsSeen[strings.ToLower(region)] {
			continue
		}
		missed++
		add(fmt.Sprintf("regions[%d] %q matched no bucket and is not a region this build knows", i, region),
			fmt.Sprintf("None of %s is in %s, and it is not one of the regions of partition %s that this build of ownerscan knows (%s). It may be a typo, or a region AWS opened after this build (then it holds no bucket yet).",
				scanned, region, partition, strings.Join(KnownRegions(partition), ", ")), fixBuckets)
	}
	inScope := 0
	for _, b := range r.col.buckets {
		if b.inScope {
			inScope++
		}
	}
	filtered := len(o.BucketsInclude)+len(o.BucketsExclude)+len(o.Regions) > 0
	if missed == 0 && filtered && s.bucketsListed > 0 && inScope == 0 {
		add("the bucket filters leave no bucket in scope",
			fmt.Sprintf("buckets.include %q, buckets.exclude %q (exclude wins) and regions %q select none of %s: no bucket was checked.", o.BucketsInclude, o.BucketsExclude, o.Regions, scanned), fixBuckets)
	}
}

// accountEntryMiss says, for an accounts filter entry that matched
// nothing, what it was looked for in.
func accountEntryMiss(e string, accounts int) string {
	switch {
	case accountIDPattern.MatchString(e):
		return fmt.Sprintf("None of the %d accounts of the organization has this ID.", accounts)
	case ouIDPattern.MatchString(e) || rootIDPattern.MatchString(e):
		return fmt.Sprintf("None of the %d accounts of the organization is under this root or OU: no root or OU has this ID, or it holds no account.", accounts)
	}
	return fmt.Sprintf("None of the %d accounts of the organization has a name this glob matches (path.Match syntax: * and ? do not cross /, and case matters).", accounts)
}

// bucketsListedWhole says whether every account in scope that was to be
// scanned listed its buckets, and one did: only then does a bucket filter
// that matched nothing mean something.
func bucketsListedWhole(res *Result) bool {
	scanned := 0
	for _, a := range res.Accounts {
		switch a.Status {
		case AccountFailed:
			return false
		case AccountScanned:
			scanned++
		}
	}
	return scanned > 0
}
