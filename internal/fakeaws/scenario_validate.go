package fakeaws

import (
	"errors"
	"fmt"
	"net/netip"
	pathpkg "path"
	"regexp"
	"slices"
	"strings"

	"github.com/ownerscan/ownerscan/internal/awspartition"
)

var (
	accountIDPattern   = regexp.MustCompile(`^[0-9]{12}$`)
	canonicalIDPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
	orgIDPattern       = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	regionPattern      = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	roleNamePattern    = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	externalIDPattern  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	operationPattern   = regexp.MustCompile(`^[A-Z][A-Za-z0-9]{1,63}$`)
	bucketNamePattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	userNamePattern    = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	iamActionPattern   = regexp.MustCompile(`^(\*|[A-Za-z0-9-]+:[A-Za-z0-9*?]+)$`)
)

var (
	validStatuses    = []string{StatusActive, StatusSuspended, StatusPendingClosure, StatusClosed}
	validOwnerships  = []string{"BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter", OwnershipUnset}
	validVersionings = []string{"", "Enabled", "Suspended"}
	validPermissions = []string{"FULL_CONTROL", "READ", "WRITE", "READ_ACP", "WRITE_ACP"}
	validGroups      = []string{"AllUsers", "AuthenticatedUsers", "LogDelivery"}
	validCannedACLs  = []string{"", "private", "public-read", "public-read-write", "authenticated-read",
		"aws-exec-read", "bucket-owner-read", "bucket-owner-full-control"}
)

// Limits that keep a scenario within what one process can serve.
const (
	maxGeneratedAccounts = 100_000
	maxBucketsPerAccount = 10_000
	maxGeneratedOUs      = 1_000
	maxGeneratedBuckets  = 1_000_000
	// maxObjectVersions caps versions of one explicit object entry: those
	// versions are materialized (generated objects are not, and have no cap).
	maxObjectVersions = 10_000
	// maxThrottleBurst caps faults.throttle.burst: more throttles per
	// request than any client retries.
	maxThrottleBurst = 100
)

// validator collects problems, each tied to a key path and, when the
// scenario came from YAML, to a line.
type validator struct {
	lines map[string]int
	errs  []string
	more  int
}

func (v *validator) add(path, format string, args ...any) {
	if len(v.errs) >= maxScenarioErrors {
		v.more++
		return
	}
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	if line := v.lineOf(path); line > 0 {
		msg = fmt.Sprintf("line %d: %s", line, msg)
	}
	v.errs = append(v.errs, "scenario: "+msg)
}

// lineOf finds the line of path, or of its nearest ancestor that has one.
func (v *validator) lineOf(path string) int {
	for path != "" {
		if line, ok := v.lines[path]; ok {
			return line
		}
		cut := max(strings.LastIndexByte(path, '.'), strings.LastIndexByte(path, '['))
		if cut <= 0 {
			break
		}
		path = path[:cut]
	}
	return 0
}

func (v *validator) err() error {
	if len(v.errs) == 0 {
		return nil
	}
	msg := strings.Join(v.errs, "\n")
	if v.more > 0 {
		msg += fmt.Sprintf("\nscenario: and %d more problems", v.more)
	}
	return errors.New(msg)
}

func oneOf(s string, allowed []string) bool {
	for _, a := range allowed {
		if s == a {
			return true
		}
	}
	return false
}

func quoteList(allowed []string) string {
	out := make([]string, 0, len(allowed))
	for _, a := range allowed {
		if a != "" {
			out = append(out, a)
		}
	}
	return strings.Join(out, " | ")
}

func (v *validator) fraction(path string, f float64) {
	if !(f >= 0 && f <= 1) {
		v.add(path, "must be a fraction between 0 and 1, got %v", f)
	}
}

// validateBeforeDefaults checks what defaults and expansion rely on.
func (v *validator) validateBeforeDefaults(sc *Scenario) {
	switch {
	case sc.ManagementAccount == "":
		v.add("management_account", "is required (the 12-digit ID of the management account)")
	case !accountIDPattern.MatchString(sc.ManagementAccount):
		v.add("management_account", "%q is not a 12-digit account ID", sc.ManagementAccount)
	}
	for i, ou := range sc.OrganizationalUnits {
		path := fmt.Sprintf("organizational_units[%d]", i)
		for _, part := range strings.Split(ou, "/") {
			if part == "" || len(part) > 128 || strings.TrimSpace(part) != part {
				v.add(path, "%q is not an OU path like \"Workloads/Dev\" (names 1..128 characters, no empty parts)", ou)
				break
			}
		}
	}
	if g := sc.Generate; g != nil {
		if g.Accounts < 0 || g.Accounts > maxGeneratedAccounts {
			v.add("generate.accounts", "must be 0..%d, got %d", maxGeneratedAccounts, g.Accounts)
		}
		if g.BucketsPerAccount < 0 || g.BucketsPerAccount > maxBucketsPerAccount {
			v.add("generate.buckets_per_account", "must be 0..%d, got %d", maxBucketsPerAccount, g.BucketsPerAccount)
		}
		if int64(g.Accounts)*int64(g.BucketsPerAccount) > maxGeneratedBuckets {
			v.add("generate", "accounts x buckets_per_account must be at most %d buckets", maxGeneratedBuckets)
		}
		if g.ObjectsPerBucket < 0 {
			v.add("generate.objects_per_bucket", "must not be negative, got %d", g.ObjectsPerBucket)
		}
		if g.OUs < 0 || g.OUs > maxGeneratedOUs {
			v.add("generate.ous", "must be 0..%d, got %d", maxGeneratedOUs, g.OUs)
		}
		v.fraction("generate.not_enforced_fraction", g.NotEnforcedFraction)
		v.fraction("generate.foreign_fraction", g.ForeignFraction)
		name := sc.Partition
		if name == "" {
			name = DefaultPartition
		}
		part, _ := awspartition.Lookup(name) // an unknown partition is reported later
		for i, r := range g.Regions {
			switch {
			case !regionPattern.MatchString(r):
				v.add(fmt.Sprintf("generate.regions[%d]", i), "%q is not a region name like us-east-1", r)
			case part.Name != "" && !part.DefaultRegion(r):
				v.add(fmt.Sprintf("generate.regions[%d]", i), "%q is not a default region of partition %s (generated accounts enable no opt-in region)", r, part.Name)
			}
		}
	}
}

// validate checks the defaulted, expanded scenario.
func (v *validator) validate(sc *Scenario) {
	if sc.OrganizationID != "" && !orgIDPattern.MatchString(sc.OrganizationID) {
		v.add("organization_id", "%q is not an organization ID like o-a1b2c3d4e5", sc.OrganizationID)
	}
	if sc.SessionDuration < 0 {
		v.add("session_duration", "must not be negative")
	}
	ous := make(map[string]bool, len(sc.OrganizationalUnits))
	for i, ou := range sc.OrganizationalUnits {
		if ous[ou] {
			v.add(fmt.Sprintf("organizational_units[%d]", i), "duplicate OU %q", ou)
		}
		ous[ou] = true
	}
	part, knownPartition := awspartition.Lookup(sc.Partition)
	if !knownPartition {
		v.add("partition", "%q is not one of %s", sc.Partition, strings.Join(awspartition.Names(), " | "))
	}
	accounts := make(map[string]*AccountSpec, len(sc.Accounts))
	for i := range sc.Accounts {
		v.validateAccount(sc, i, ous, accounts)
		if knownPartition {
			v.validateAccountAccess(part, i, &sc.Accounts[i])
		}
	}
	buckets := make(map[string]bool, len(sc.Buckets))
	regions := regionKinds{part: part, kinds: map[string]regionKind{}}
	for i := range sc.Buckets {
		v.validateBucket(sc, i, accounts, buckets)
		if knownPartition {
			v.bucketRegion(&regions, i, &sc.Buckets[i], accounts)
		}
	}
	for i, id := range sc.DelegatedAdministrators {
		path := fmt.Sprintf("delegated_administrators[%d]", i)
		switch {
		case accounts[id] == nil:
			v.add(path, "unknown account %q (not in accounts)", id)
		case id == sc.ManagementAccount:
			v.add(path, "the management account needs no delegation")
		}
	}
	v.validateFaults(&sc.Faults, accounts)
}

// validateAccountAccess checks an account's users, role permissions and
// opt-in regions.
func (v *validator) validateAccountAccess(part awspartition.Partition, i int, a *AccountSpec) {
	if len(a.Users) == 0 && len(a.OptInRegions) == 0 && !slices.ContainsFunc(a.Roles, func(r RoleSpec) bool { return len(r.Permissions) > 0 }) {
		return // the common case, and that of every generated account: nothing to check
	}
	path := fmt.Sprintf("accounts[%d]", i)
	users := map[string]bool{AdminUserName: true}
	for j, u := range a.Users {
		up := fmt.Sprintf("%s.users[%d]", path, j)
		switch {
		case !userNamePattern.MatchString(u.Name):
			v.add(up+".name", "%q is not an IAM user name (1..64 of letters, digits and +=,.@_-)", u.Name)
		case users[u.Name]:
			v.add(up+".name", "duplicate user %q (%s is the account's administrator)", u.Name, AdminUserName)
		}
		users[u.Name] = true
		v.permissions(up+".permissions", u.Permissions)
	}
	for j, r := range a.Roles {
		v.permissions(fmt.Sprintf("%s.roles[%d].permissions", path, j), r.Permissions)
	}
	for j, r := range a.OptInRegions {
		if !part.OptIn(r) {
			v.add(fmt.Sprintf("%s.opt_in_regions[%d]", path, j), "%q is not an opt-in region of partition %s", r, part.Name)
		}
	}
}

func (v *validator) permissions(path string, actions []string) {
	for k, act := range actions {
		if !iamActionPattern.MatchString(act) {
			v.add(fmt.Sprintf("%s[%d]", path, k), "%q is not an IAM action like s3:ListAllMyBuckets, s3:* or *", act)
		}
	}
}

// regionKind is what a bucket region is to the scenario's partition.
type regionKind int

const (
	regionDefault regionKind = iota
	regionOptIn
	regionOther // not a region name, or another partition's
)

// regionKinds classifies bucket regions once per distinct region: a
// generated organization has tens of thousands of buckets in a few regions.
type regionKinds struct {
	part  awspartition.Partition
	kinds map[string]regionKind
}

func (r *regionKinds) of(region string) regionKind {
	k, ok := r.kinds[region]
	if !ok {
		switch {
		case !regionPattern.MatchString(region) || !r.part.Contains(region):
			k = regionOther
		case r.part.OptIn(region):
			k = regionOptIn
		}
		r.kinds[region] = k
	}
	return k
}

// bucketRegion checks that a bucket lives in a region of the partition that
// its account has.
func (v *validator) bucketRegion(regions *regionKinds, i int, b *BucketSpec, accounts map[string]*AccountSpec) {
	switch regions.of(b.Region) {
	case regionOther:
		if regionPattern.MatchString(b.Region) { // else reported by validateBucket
			v.add(fmt.Sprintf("buckets[%d].region", i), "%q is not a region of partition %s", b.Region, regions.part.Name)
		}
	case regionOptIn:
		if a := accounts[b.Account]; a != nil && !slices.Contains(a.OptInRegions, b.Region) {
			v.add(fmt.Sprintf("buckets[%d].region", i), "%q is an opt-in region that account %s has not enabled (add it to its opt_in_regions)", b.Region, b.Account)
		}
	}
}

func (v *validator) validateAccount(sc *Scenario, i int, ous map[string]bool, seen map[string]*AccountSpec) {
	a := &sc.Accounts[i]
	path := fmt.Sprintf("accounts[%d]", i)
	switch {
	case !accountIDPattern.MatchString(a.ID):
		v.add(path+".id", "%q is not a 12-digit account ID", a.ID)
	case seen[a.ID] != nil:
		v.add(path+".id", "duplicate account ID %q", a.ID)
	default:
		seen[a.ID] = a
	}
	if a.OU != "" && !ous[a.OU] {
		v.add(path+".ou", "unknown OU %q (not in organizational_units)", a.OU)
	}
	if !oneOf(a.Status, validStatuses) {
		v.add(path+".status", "%q is not one of %s", a.Status, quoteList(validStatuses))
	}
	if len(a.Name) > 50 {
		v.add(path+".name", "must be at most 50 characters")
	}
	if a.ID == sc.ManagementAccount && a.Status != StatusActive {
		v.add(path+".status", "the management account must be ACTIVE")
	}
	roles := map[string]bool{}
	for j, r := range a.Roles {
		rp := fmt.Sprintf("%s.roles[%d]", path, j)
		if !roleNamePattern.MatchString(r.Name) {
			v.add(rp+".name", "%q is not a role name (1..64 of letters, digits and +=,.@_-)", r.Name)
		}
		if roles[r.Name] {
			v.add(rp+".name", "duplicate role %q", r.Name)
		}
		roles[r.Name] = true
		for k, t := range r.Trust {
			if !accountIDPattern.MatchString(t) {
				v.add(fmt.Sprintf("%s.trust[%d]", rp, k), "%q is not a 12-digit account ID", t)
			}
		}
		if r.ExternalID != "" && (len(r.ExternalID) < 2 || len(r.ExternalID) > 1224 || !externalIDPattern.MatchString(r.ExternalID)) {
			v.add(rp+".external_id", "must be 2..1224 of letters, digits and +=,.@:/_-")
		}
	}
}

func (v *validator) validateBucket(sc *Scenario, i int, accounts map[string]*AccountSpec, seen map[string]bool) {
	b := &sc.Buckets[i]
	path := fmt.Sprintf("buckets[%d]", i)
	if msg := checkBucketName(b.Name); msg != "" {
		v.add(path+".name", "%q %s", b.Name, msg)
	} else if seen[b.Name] {
		v.add(path+".name", "duplicate bucket name %q", b.Name)
	}
	seen[b.Name] = true
	if accounts[b.Account] == nil {
		v.add(path+".account", "unknown account %q (not in accounts)", b.Account)
	}
	if !regionPattern.MatchString(b.Region) {
		v.add(path+".region", "%q is not a region name like us-east-1", b.Region)
	}
	if !oneOf(b.Ownership, validOwnerships) {
		v.add(path+".ownership", "%q is not one of %s", b.Ownership, quoteList(validOwnerships))
	}
	if !oneOf(b.Versioning, validVersionings) {
		v.add(path+".versioning", "%q is not one of Enabled | Suspended | unset", b.Versioning)
	}
	for j, g := range b.ACL {
		gp := fmt.Sprintf("%s.acl[%d]", path, j)
		switch {
		case oneOf(g.Grantee, validGroups):
		case strings.HasPrefix(g.Grantee, "external:"):
			v.externalID(gp+".grantee", g.Grantee)
		case accounts[g.Grantee] == nil:
			v.add(gp+".grantee", "%q is not an account of the scenario, external:<64 hex>, or one of %s", g.Grantee, quoteList(validGroups))
		}
		if !oneOf(g.Permission, validPermissions) {
			v.add(gp+".permission", "%q is not one of %s", g.Permission, quoteList(validPermissions))
		}
	}
	if b.Ownership == "BucketOwnerEnforced" && len(b.ACL) > 0 {
		v.add(path+".acl", "a BucketOwnerEnforced bucket cannot have ACL grants (S3 refuses with InvalidBucketAclWithObjectOwnership)")
	}
	writers := map[string]bool{b.Account: true}
	for j, w := range b.Writers {
		if accounts[w] == nil {
			v.add(fmt.Sprintf("%s.writers[%d]", path, j), "unknown account %q (not in accounts)", w)
		}
		writers[w] = true
	}
	v.validatePolicy(path, b)
	v.validateLogging(path, b, sc.Buckets)
	if b.Policy != "" {
		// Objects replay the bucket's history, which may predate its
		// current policy: any account of the scenario may have written.
		for id := range accounts {
			writers[id] = true
		}
	}
	for j := range b.Objects {
		v.validateObject(fmt.Sprintf("%s.objects[%d]", path, j), &b.Objects[j], accounts, writers)
	}
	if g := b.Generated; g != nil {
		gp := path + ".generated"
		if g.Count < 0 {
			v.add(gp+".count", "must not be negative, got %d", g.Count)
		}
		if g.VersionsPerKey < 0 {
			v.add(gp+".versions_per_key", "must not be negative, got %d", g.VersionsPerKey)
		}
		if len(g.KeyPrefix) > 900 {
			v.add(gp+".key_prefix", "must be at most 900 bytes")
		}
		if g.KeyShape != "" && !oneOf(g.KeyShape, keyShapeNames) {
			v.add(gp+".key_shape", "%q is not one of %s", g.KeyShape, quoteList(keyShapeNames))
		} else if shape, _ := newKeyShape(g.KeyShape, g.KeyPrefix, max(g.Count, 1), 0); shape.maxKeyLen() > maxKeyLength {
			v.add(gp+".key_prefix", "too long for key_shape %s: its keys may be %d bytes, more than %d", g.KeyShape, shape.maxKeyLen(), maxKeyLength)
		}
		total := 0.0
		for uploader, f := range g.Foreign {
			fp := fmt.Sprintf("%s.foreign[%q]", gp, uploader)
			v.uploader(fp, uploader, accounts, writers)
			v.fraction(fp, f)
			total += f
		}
		if total > 1.0000001 {
			v.add(gp+".foreign", "fractions add up to %v, more than 1", total)
		}
	}
}

func (v *validator) validateObject(path string, o *ObjectSpec, accounts map[string]*AccountSpec, writers map[string]bool) {
	if o.Key == "" || len(o.Key) > 1024 {
		v.add(path+".key", "must be 1..1024 bytes")
	}
	v.uploader(path+".uploader", o.Uploader, accounts, writers)
	if !oneOf(o.ACL, validCannedACLs) {
		v.add(path+".acl", "%q is not a canned ACL (%s)", o.ACL, quoteList(validCannedACLs))
	}
	if o.Size < 0 {
		v.add(path+".size", "must not be negative, got %d", o.Size)
	}
	if o.Versions < 0 || o.Versions > maxObjectVersions {
		v.add(path+".versions", "must be 0..%d, got %d (use generated for large counts)", maxObjectVersions, o.Versions)
	}
}

// uploader checks an uploader reference: an external canonical ID, or an
// account of the scenario that the bucket policy (writers) lets write.
func (v *validator) uploader(path, who string, accounts map[string]*AccountSpec, writers map[string]bool) {
	switch {
	case strings.HasPrefix(who, "external:"):
		v.externalID(path, who)
	case accounts[who] == nil:
		v.add(path, "unknown account %q (use an account of the scenario or external:<64 hex>)", who)
	case !writers[who]:
		v.add(path, "account %q may not write to this bucket (add it to writers)", who)
	}
}

func (v *validator) externalID(path, ref string) {
	if id := strings.TrimPrefix(ref, "external:"); !canonicalIDPattern.MatchString(id) {
		v.add(path, "%q: an external canonical ID must be 64 lowercase hex characters", ref)
	}
}

func (v *validator) validateFaults(f *FaultsSpec, accounts map[string]*AccountSpec) {
	if f.Latency < 0 {
		v.add("faults.latency", "must not be negative")
	}
	if f.Jitter < 0 {
		v.add("faults.jitter", "must not be negative")
	}
	if t := f.Throttle; t != nil {
		v.fraction("faults.throttle.rate", t.Rate)
		v.operations("faults.throttle.operations", t.Operations)
		if t.Burst < 0 || t.Burst > maxThrottleBurst {
			v.add("faults.throttle.burst", "must be 0..%d, got %d", maxThrottleBurst, t.Burst)
		}
	}
	if r := f.Reset; r != nil {
		v.fraction("faults.reset.rate", r.Rate)
		v.operations("faults.reset.operations", r.Operations)
	}
	if d := f.DropOwner; d != nil {
		v.fraction("faults.drop_owner.rate", d.Rate)
		for i, b := range d.Buckets {
			if msg := checkBucketName(b); msg != "" {
				v.add(fmt.Sprintf("faults.drop_owner.buckets[%d]", i), "%q %s", b, msg)
			}
		}
	}
	for i, d := range f.Deny {
		path := fmt.Sprintf("faults.deny[%d]", i)
		if d.Account == "" && d.Bucket == "" && d.Operation == "" && d.Object == "" {
			v.add(path, "set at least one of account, bucket, operation, object")
		}
		if _, err := pathpkg.Match(d.Object, ""); err != nil {
			v.add(path+".object", "%q is not a glob: %v", d.Object, err)
		}
		if d.Account != "" && accounts[d.Account] == nil {
			v.add(path+".account", "unknown account %q (not in accounts)", d.Account)
		}
		if d.Bucket != "" {
			if msg := checkBucketName(d.Bucket); msg != "" {
				v.add(path+".bucket", "%q %s", d.Bucket, msg)
			}
		}
		if d.Operation != "" {
			v.operations(path+".operation", []string{d.Operation})
		}
	}
}

func (v *validator) operations(path string, ops []string) {
	for _, op := range ops {
		if !operationPattern.MatchString(op) {
			v.add(path, "%q is not an API operation name like ListObjectVersions", op)
		}
	}
}

// checkBucketName applies the S3 general purpose bucket naming rules and
// returns what is wrong, or "".
func checkBucketName(name string) string {
	switch {
	case len(name) < 3 || len(name) > 63:
		return "is not a valid bucket name: must be 3..63 characters"
	case !bucketNamePattern.MatchString(name):
		return "is not a valid bucket name: lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit"
	case strings.Contains(name, ".."):
		return "is not a valid bucket name: two adjacent dots"
	case strings.HasPrefix(name, "xn--") || strings.HasPrefix(name, "sthree-") || strings.HasPrefix(name, "amzn-s3-demo-"):
		return "is not a valid bucket name: reserved prefix"
	case strings.HasSuffix(name, "-s3alias") || strings.HasSuffix(name, "--ol-s3") || strings.HasSuffix(name, ".mrap") || strings.HasSuffix(name, "--x-s3") || strings.HasSuffix(name, "--table-s3"):
		return "is not a valid bucket name: reserved suffix"
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return "is not a valid bucket name: formatted like an IP address"
	}
	return ""
}
