package fakeaws

import (
	"fmt"
	"strconv"
)

// firstGeneratedAccount is the ID of generated account 1; account i (from 1)
// is firstGeneratedAccount + i - 1, i.e. 100000000001, 100000000002, ...
const firstGeneratedAccount = 100_000_000_001

// GeneratedAccountID is the ID that Generate gives account i (1-based).
func GeneratedAccountID(i int) string {
	return strconv.FormatInt(int64(firstGeneratedAccount+i-1), 10)
}

// GeneratedBucketName is the name Generate gives bucket n (0-based) of a
// generated account: "gen-<account id>-<n>".
func GeneratedBucketName(accountID string, n int) string {
	return "gen-" + accountID + "-" + strconv.Itoa(n)
}

// generatedKeyPrefix is the key prefix of every generated bucket's objects.
const generatedKeyPrefix = "data/"

// expandGenerate turns sc.Generate into concrete accounts, OUs and buckets
// appended to the scenario. It is deterministic (no randomness: choices
// follow from indexes) and idempotent (it does nothing when generated
// account 1 already exists). Objects stay a GeneratedSpec per bucket, so
// the cost is per bucket, never per object.
//
// Layout: accounts acct-0001.. with IDs from GeneratedAccountID, spread
// round-robin over OUs "generated-001".. when Generate.OUs > 0; buckets
// gen-<id>-<n> spread round-robin over Regions; NotEnforcedFraction of all
// buckets, spaced evenly, are not enforced (half ObjectWriter, a quarter
// BucketOwnerPreferred, a quarter without controls); ForeignFraction of each
// bucket's objects are uploaded by the next generated account, which the
// bucket's writers list allows.
func expandGenerate(sc *Scenario) {
	g := sc.Generate
	if g == nil || g.Accounts <= 0 || hasAccount(sc.Accounts, GeneratedAccountID(1)) {
		return
	}
	regions := g.Regions
	if len(regions) == 0 {
		regions = []string{homeRegion(sc.Partition)}
	}
	ous := make([]string, g.OUs)
	for i := range ous {
		ous[i] = fmt.Sprintf("generated-%03d", i+1)
	}
	sc.OrganizationalUnits = append(sc.OrganizationalUnits, ous...)

	accounts := make([]AccountSpec, g.Accounts)
	for i := range accounts {
		id := GeneratedAccountID(i + 1)
		a := AccountSpec{
			ID:     id,
			Name:   fmt.Sprintf("acct-%04d", i+1),
			Email:  id + "@example.invalid",
			Status: StatusActive,
			Roles:  []RoleSpec{{Name: DefaultRoleName, Trust: []string{sc.ManagementAccount}}},
		}
		if len(ous) > 0 {
			a.OU = ous[i%len(ous)]
		}
		accounts[i] = a
	}
	sc.Accounts = append(sc.Accounts, accounts...)

	total := g.Accounts * g.BucketsPerAccount
	buckets := make([]BucketSpec, 0, total)
	notEnforced := 0
	for i := range g.Accounts {
		owner := accounts[i].ID
		var foreign string
		if g.Accounts > 1 {
			foreign = accounts[(i+1)%g.Accounts].ID
		}
		for n := range g.BucketsPerAccount {
			idx := len(buckets)
			b := BucketSpec{
				Name:      GeneratedBucketName(owner, n),
				Account:   owner,
				Region:    regions[idx%len(regions)],
				Ownership: defaultOwnership,
			}
			if selectedByFraction(idx, g.NotEnforcedFraction) {
				b.Ownership = notEnforcedOwnership(notEnforced)
				notEnforced++
			}
			if g.ObjectsPerBucket > 0 {
				b.Generated = &GeneratedSpec{Count: g.ObjectsPerBucket, KeyPrefix: generatedKeyPrefix, VersionsPerKey: 1}
				if foreign != "" && g.ForeignFraction > 0 {
					b.Generated.Foreign = map[string]float64{foreign: g.ForeignFraction}
					b.Writers = []string{foreign}
				}
			}
			buckets = append(buckets, b)
		}
	}
	sc.Buckets = append(sc.Buckets, buckets...)
}

// selectedByFraction reports whether item idx is among the evenly spaced
// fraction f of a sequence: exactly floor(n*f) of the first n items are.
func selectedByFraction(idx int, f float64) bool {
	return int(float64(idx+1)*f) > int(float64(idx)*f)
}

// notEnforcedOwnership cycles ObjectWriter, BucketOwnerPreferred,
// ObjectWriter, unset.
func notEnforcedOwnership(k int) string {
	switch k % 4 {
	case 1:
		return "BucketOwnerPreferred"
	case 3:
		return OwnershipUnset
	default:
		return "ObjectWriter"
	}
}
