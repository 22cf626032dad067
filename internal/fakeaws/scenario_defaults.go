package fakeaws

import (
	"crypto/sha256"
	"strings"

	"github.com/ownerscan/ownerscan/internal/awspartition"
)

// Defaults the scenario format promises (scenario_types.go).
const (
	// DefaultRegion is the region of buckets that name none, in the aws
	// partition; in another partition they get its home region
	// (awspartition.Partition.HomeRegion).
	DefaultRegion    = "us-east-1"
	DefaultPartition = "aws"
	DefaultRoleName  = "OrganizationAccountAccessRole"
	defaultOwnership = "BucketOwnerEnforced"
	// OwnershipUnset is the scenario value for a bucket without ownership
	// controls: GetBucketOwnershipControls answers 404.
	OwnershipUnset = "unset"
)

// Account statuses a scenario may give.
const (
	StatusActive         = "ACTIVE"
	StatusSuspended      = "SUSPENDED"
	StatusPendingClosure = "PENDING_CLOSURE"
	StatusClosed         = "CLOSED"
)

// applyDefaults fills every field a scenario may leave out, in place. It is
// idempotent. After it: every account has a name, email, status and roles
// (nil roles became the default audit role); every bucket has a region and
// an ownership ("unset" stays "unset"), versioning is "" (never enabled),
// "Enabled" or "Suspended"; every object has an uploader and versions >= 1.
func applyDefaults(sc *Scenario) {
	if sc.OrganizationID == "" && sc.ManagementAccount != "" {
		sc.OrganizationID = deriveOrganizationID(sc.ManagementAccount)
	}
	if sc.Faults.Seed == 0 {
		sc.Faults.Seed = 1
	}
	if sc.Partition == "" {
		sc.Partition = DefaultPartition
	}
	home := homeRegion(sc.Partition)
	if !hasAccount(sc.Accounts, sc.ManagementAccount) && sc.ManagementAccount != "" {
		// Appended, not prepended: validation paths (accounts[i]) must keep
		// pointing at the lines the user wrote.
		sc.Accounts = append(sc.Accounts, AccountSpec{ID: sc.ManagementAccount, Name: "management"})
	}
	sc.OrganizationalUnits = withParentOUs(sc.OrganizationalUnits)
	for i := range sc.Accounts {
		a := &sc.Accounts[i]
		if a.Name == "" {
			a.Name = "account-" + a.ID
		}
		if a.Email == "" {
			a.Email = a.ID + "@example.invalid"
		}
		if a.Status == "" {
			a.Status = StatusActive
		}
		if a.Roles == nil {
			a.Roles = []RoleSpec{{Name: DefaultRoleName, Trust: []string{sc.ManagementAccount}}}
		}
	}
	for i := range sc.Buckets {
		b := &sc.Buckets[i]
		if b.Region == "" {
			b.Region = home
		}
		if b.Ownership == "" {
			b.Ownership = defaultOwnership
		}
		if b.Versioning == "unset" {
			b.Versioning = ""
		}
		for j := range b.Objects {
			o := &b.Objects[j]
			if o.Uploader == "" {
				o.Uploader = b.Account
			}
			if o.Versions == 0 {
				o.Versions = 1
			}
		}
		if b.Generated != nil && b.Generated.VersionsPerKey == 0 {
			b.Generated.VersionsPerKey = 1
		}
	}
}

// withParentOUs returns the OU paths with every missing parent inserted
// before its first child, keeping the given order otherwise.
func withParentOUs(paths []string) []string {
	seen := make(map[string]bool, len(paths))
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		parts := strings.Split(p, "/")
		for i := 1; i <= len(parts); i++ {
			prefix := strings.Join(parts[:i], "/")
			if !seen[prefix] {
				seen[prefix] = true
				out = append(out, prefix)
			}
		}
	}
	return out
}

// homeRegion is the home region of a partition, DefaultRegion for one the
// emulator does not know (validation reports it).
func homeRegion(partition string) string {
	if p, ok := awspartition.Lookup(partition); ok {
		return p.HomeRegion
	}
	return DefaultRegion
}

func hasAccount(accounts []AccountSpec, id string) bool {
	for i := range accounts {
		if accounts[i].ID == id {
			return true
		}
	}
	return false
}

const lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"

// derivedID returns n lowercase alphanumerics that depend only on seed.
func derivedID(seed string, n int) string {
	sum := sha256.Sum256([]byte("fakeaws id " + seed))
	out := make([]byte, n)
	for i := range out {
		out[i] = lowerAlnum[int(sum[i%len(sum)]+byte(i/len(sum)))%len(lowerAlnum)]
	}
	return string(out)
}

// deriveOrganizationID is the organization ID a scenario gets by default.
func deriveOrganizationID(managementAccount string) string {
	return "o-" + derivedID("org "+managementAccount, 10)
}
