package scanner

import (
	"fmt"
	"path"
	"strings"
)

// Scope is report.json's "scope": which buckets a scan looked at, by the
// buckets.include / buckets.exclude name globs and the regions allow list
// of its configuration. A comparison with a baseline uses it to tell a
// bucket that is gone from its account's bucket list from one that today's
// scan left out by its filters (README "Comparing runs"). Accounts outside
// the accounts filters need no entry here: the report gives them no
// scanned status.
type Scope struct {
	BucketsInclude []string `json:"buckets_include"` // empty = every name
	BucketsExclude []string `json:"buckets_exclude"` // exclude wins
	Regions        []string `json:"regions"`         // empty = every region
}

// ScopeOf is the scope a scan with o looks at.
func ScopeOf(o Options) *Scope {
	return &Scope{
		BucketsInclude: append([]string{}, o.BucketsInclude...),
		BucketsExclude: append([]string{}, o.BucketsExclude...),
		Regions:        append([]string{}, o.Regions...),
	}
}

// Includes reports whether a scan of this scope looks at the bucket called
// name in region, by the same matching the scan itself applies to each
// bucket its accounts list. An empty region (never learned) is in scope
// only when every region is.
func (s *Scope) Includes(name, region string) bool {
	return bucketNameInScope(name, s.BucketsInclude, s.BucketsExclude) && regionInScope(region, s.Regions)
}

// Validate checks a scope read back from a report: globs that compile and
// region names, as Options.Validate requires of the configuration.
func (s *Scope) Validate() error {
	if err := validateGlobs("scope.buckets_include", s.BucketsInclude); err != nil {
		return err
	}
	if err := validateGlobs("scope.buckets_exclude", s.BucketsExclude); err != nil {
		return err
	}
	return validateRegions("scope.regions", s.Regions)
}

// bucketNameInScope applies buckets.include / buckets.exclude.
func bucketNameInScope(name string, include, exclude []string) bool {
	if len(include) > 0 && !globsMatch(include, name) {
		return false
	}
	return !globsMatch(exclude, name)
}

func globsMatch(globs []string, name string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

// regionInScope applies the regions allow list.
func regionInScope(region string, allow []string) bool {
	if len(allow) == 0 {
		return true
	}
	for _, r := range allow {
		if strings.EqualFold(r, region) {
			return true
		}
	}
	return false
}

// validateRegions checks that every entry of the list at key is a region
// name.
func validateRegions(key string, regions []string) error {
	for i, r := range regions {
		if !regionPattern.MatchString(r) {
			return fmt.Errorf("%s[%d]: %q is not a region name such as eu-west-1", key, i, r)
		}
	}
	return nil
}
