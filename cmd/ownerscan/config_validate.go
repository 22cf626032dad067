package main

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/ownerscan/ownerscan/internal/awspartition"
	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/report/s3report"
	"github.com/ownerscan/ownerscan/scanner"
)

// Value rules of the configuration keys. The STS and IAM patterns are those
// of the API references (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html):
// RoleSessionName 2-64 of [\w+=,.@-],
// ExternalId 2-1224 of [\w+=,.@:/-], role names 1-64 of [\w+=,.@-].
var (
	accountIDRe   = regexp.MustCompile(`^[0-9]{12}$`)
	ouIDRe        = regexp.MustCompile(`^ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}$`)
	rootIDRe      = regexp.MustCompile(`^r-[0-9a-z]{4,32}$`)
	roleNameRe    = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	rolePathRe    = regexp.MustCompile(`^[\w+=,.@-]+$`)
	sessionNameRe = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	externalIDRe  = regexp.MustCompile(`^[\w+=,.@:/-]+$`) // and 2 to 1224 long (above regexp's repeat limit)
	roleARNRe     = regexp.MustCompile(`^arn:([a-z0-9-]+):iam::([0-9]{12}):role/(.+)$`)
	regionRe      = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
	// kmsKeyRe: the forms S3 takes for SSEKMSKeyId, those of KMS's KeyId
	// (https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html#API_DescribeKey_RequestSyntax):
	// a key ID (multi-Region: mrk-), a key ARN, an alias name or an alias
	// ARN.
	kmsKeyRe = regexp.MustCompile(`^(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key/(mrk-)?[0-9a-f-]{32,36}|alias/[A-Za-z0-9/_-]{1,250})|alias/[A-Za-z0-9/_-]{1,250}|(mrk-)?[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)
)

// partitions are the values of the partition key ("" too: the caller's).
var partitions = awspartition.Names()

// severities are the values of --fail-on, lowest first.
var severities = []scanner.Severity{scanner.SeverityLow, scanner.SeverityMedium, scanner.SeverityHigh, scanner.SeverityCritical}

// Validate checks every value, after flags are applied. The error names the
// key (or flag) and, for values from the file, the line.
func (c *Config) Validate() error {
	if c.Partition != "" && !slices.Contains(partitions, c.Partition) {
		return c.errAt("partition", "%q is not a partition (one of %s)", c.Partition, strings.Join(partitions, ", "))
	}
	// Empty partition: the caller's. The role ARN and the regions must
	// still agree with each other, on the partition the first names.
	partition := c.Partition
	if partition == "" && c.OrganizationRoleARN != "" {
		if m := roleARNRe.FindStringSubmatch(c.OrganizationRoleARN); m != nil {
			partition = m[1]
		}
	}
	if partition == "" && len(c.Regions) > 0 {
		if p, ok := awspartition.OfRegion(c.Regions[0]); ok {
			partition = p.Name
		}
	}
	if c.OrganizationRoleARN != "" {
		if msg := checkRoleARN(c.OrganizationRoleARN, partition); msg != "" {
			return c.errAt("organization_role_arn", "%s", msg)
		}
	}
	if msg := checkRoleName(c.MemberRoleName); msg != "" {
		return c.errAt("member_role_name", "%s", msg)
	}
	if msg := checkRoleName(c.RemediationRoleName); msg != "" {
		return c.errAt("remediation_role_name", "%s", msg)
	}
	if c.RemediationRoleName == c.MemberRoleName {
		// Writes never go through the read-only audit role's name: a
		// member role that can change buckets would make every scan able to.
		return c.errAt("remediation_role_name", "%q is member_role_name too: apply and rollback write through a role of their own, never the audit role", c.RemediationRoleName)
	}
	if n := len(c.ExternalID); n > 0 && (n < 2 || n > 1224 || !externalIDRe.MatchString(c.ExternalID)) {
		return c.errAt("external_id", "must be 2 to 1224 characters of letters, digits and +=,.@:/_- (got %d characters)", len(c.ExternalID))
	}
	if !sessionNameRe.MatchString(c.SessionName) {
		return c.errAt("session_name", "%q must be 2 to 64 characters of letters, digits and +=,.@_-", c.SessionName)
	}
	for i, r := range c.Regions {
		if msg := checkRegion(r, partition); msg != "" {
			return c.errAt(fmt.Sprintf("regions[%d]", i), "%s", msg)
		}
	}
	for _, list := range []struct {
		key     string
		entries []string
	}{{"accounts.include", c.AccountsInclude}, {"accounts.exclude", c.AccountsExclude}} {
		for i, e := range list.entries {
			if msg := checkAccountFilter(e); msg != "" {
				return c.errAt(fmt.Sprintf("%s[%d]", list.key, i), "%s", msg)
			}
		}
	}
	for _, list := range []struct {
		key   string
		globs []string
	}{{"buckets.include", c.BucketsInclude}, {"buckets.exclude", c.BucketsExclude}} {
		for i, g := range list.globs {
			if msg := checkGlob(g); msg != "" {
				return c.errAt(fmt.Sprintf("%s[%d]", list.key, i), "%s", msg)
			}
		}
	}
	if err := c.checkEmptyScope(); err != nil {
		return err
	}
	if c.ObjectsMode != scanner.ObjectsModeFull && c.ObjectsMode != scanner.ObjectsModeOff {
		return c.errAt("objects.mode", "%q is not a mode (%s or %s)", c.ObjectsMode, scanner.ObjectsModeFull, scanner.ObjectsModeOff)
	}
	if c.ObjectsMaxPerBucket < 0 {
		return c.errAt("objects.max_per_bucket", "must be 0 (no limit) or more, got %d", c.ObjectsMaxPerBucket)
	}
	if n := c.Readiness.ObjectACLSample; n < 0 || n > scanner.MaxObjectACLSample {
		return c.errAt("readiness.object_acl_sample", "must be 0 (none) to %d, got %d", scanner.MaxObjectACLSample, n)
	}
	if c.Concurrency < 1 || c.Concurrency > scanner.MaxConcurrency {
		return c.errAt("concurrency", "must be 1 to %d, got %d", scanner.MaxConcurrency, c.Concurrency)
	}
	for _, r := range []struct {
		key  string
		rate float64
	}{
		{"rate_limits." + scanner.ServiceOrganizations, c.RateLimits.Organizations},
		{"rate_limits." + scanner.ServiceSTS, c.RateLimits.STS},
		{"rate_limits." + scanner.ServiceS3, c.RateLimits.S3},
	} {
		if r.rate != 0 && (r.rate < scanner.MinRate || r.rate > scanner.MaxRate) {
			return c.errAt(r.key, "must be 0 (no limit) or %v to %d requests per second, got %v", scanner.MinRate, scanner.MaxRate, r.rate)
		}
	}
	if strings.ContainsRune(c.OutputDir, 0) {
		return c.errAt("output.dir", "contains a NUL byte")
	}
	if s3report.IsURL(c.OutputDir) {
		if _, err := s3report.ParseURL(c.OutputDir); err != nil {
			return c.errAt("output.dir", "%v", err)
		}
	}
	if strings.ContainsRune(c.Baseline, 0) {
		return c.errAt("baseline", "contains a NUL byte")
	}
	if s3report.IsURL(c.Baseline) {
		if _, err := s3report.ParseURL(c.Baseline); err != nil {
			return c.errAt("baseline", "%v", err)
		}
	}
	if o := c.OutputS3ExpectedBucketOwner; o != "" && !accountIDRe.MatchString(o) {
		return c.errAt("output.s3.expected_bucket_owner", "%q is not an account ID (12 digits)", o)
	}
	if k := c.OutputS3KMSKeyID; k != "" && !kmsKeyRe.MatchString(k) {
		return c.errAt("output.s3.kms_key_id", "%q is not a KMS key ID, key ARN, alias name (alias/NAME) or alias ARN", k)
	}
	if len(c.OutputFormats) == 0 {
		return c.errAt("output.formats", "needs at least one format (%s)", formatNames())
	}
	for i, f := range c.OutputFormats {
		if _, err := report.ParseFormats(string(f)); err != nil {
			key := fmt.Sprintf("output.formats[%d]", i)
			if _, ok := c.origin[key]; !ok {
				key = "output.formats" // from a "csv,json" string or the --format flag
			}
			return c.errAt(key, "%q is not a report format (one of %s)", f, formatNames())
		}
	}
	// The scanner has the last word on its own options; its messages name
	// the key too.
	if err := c.Options().Validate(); err != nil {
		return &configError{msg: err.Error()}
	}
	return nil
}

// checkRoleARN returns what is wrong with an IAM role ARN, "" if nothing.
func checkRoleARN(arn, partition string) string {
	m := roleARNRe.FindStringSubmatch(arn)
	if m == nil {
		example := partition
		if example == "" {
			example = "aws"
		}
		return fmt.Sprintf("%q is not an IAM role ARN (arn:%s:iam::123456789012:role/NAME)", arn, example)
	}
	if partition != "" && m[1] != partition {
		return fmt.Sprintf("%q is in partition %q, but partition is %q", arn, m[1], partition)
	}
	if msg := checkRoleName(m[3]); msg != "" {
		return fmt.Sprintf("%q: %s", arn, msg)
	}
	return ""
}

// checkRoleName accepts a role name, optionally after an IAM path
// ("audit/OwnerscanAuditRole"), and returns what is wrong, "" if nothing.
func checkRoleName(name string) string {
	if name == "" {
		return "must not be empty"
	}
	if len(name) > 512 {
		return "is longer than 512 characters"
	}
	parts := strings.Split(name, "/")
	for _, p := range parts[:len(parts)-1] {
		if !rolePathRe.MatchString(p) {
			return fmt.Sprintf("%q has an invalid path (segments of letters, digits and +=,.@_-, no empty segment)", name)
		}
	}
	if last := parts[len(parts)-1]; !roleNameRe.MatchString(last) {
		return fmt.Sprintf("%q is not an IAM role name (1 to 64 characters of letters, digits and +=,.@_-)", last)
	}
	return ""
}

// checkRegion returns what is wrong with a region name for the partition.
// The partitions' region name patterns come from the AWS SDK's partition
// metadata (awspartition): a name that follows none is no
// region, today or later, and is refused. A name that follows the
// partition's pattern but is not a region this build knows may be a region
// AWS opened since: it is accepted (with a warning, see
// warnUnknownRegions), and the scan reports it if no bucket is in it.
func checkRegion(r, partition string) string {
	if !regionRe.MatchString(r) {
		return fmt.Sprintf("%q is not a region name such as eu-west-1", r)
	}
	p, ok := awspartition.OfRegion(r)
	switch {
	case !ok:
		return fmt.Sprintf("%q is not a region of any partition ownerscan supports (%s)", r, strings.Join(partitions, ", "))
	case partition != "" && p.Name != partition:
		return fmt.Sprintf("region %q is not in partition %q", r, partition)
	}
	return ""
}

// checkEmptyScope refuses filters that, whatever the organization holds,
// can select nothing: an include entry that is also an exclude entry
// (exclude wins), and a bucket exclude glob of stars alone (bucket names
// never hold a /, so it matches every one). Such a run would scan nothing
// and look clean.
func (c *Config) checkEmptyScope() error {
	for _, list := range []struct {
		key              string
		include, exclude []string
	}{
		{"accounts", c.AccountsInclude, c.AccountsExclude},
		{"buckets", c.BucketsInclude, c.BucketsExclude},
	} {
		for i, e := range list.include {
			if j := slices.Index(list.exclude, e); j >= 0 {
				return c.errAt(fmt.Sprintf("%s.include[%d]", list.key, i), "%q is also %s.exclude[%d], and exclude wins: it selects nothing", e, list.key, j)
			}
		}
	}
	for i, g := range c.BucketsExclude {
		if strings.Trim(g, "*") == "" {
			return c.errAt(fmt.Sprintf("buckets.exclude[%d]", i), "%q excludes every bucket: nothing would be scanned", g)
		}
	}
	return nil
}

// unknownRegions lists the regions entries that follow their partition's
// name pattern but are not regions this build knows: "regions[2] \"x\"".
func (c *Config) unknownRegions() []string {
	var out []string
	for i, r := range c.Regions {
		if _, known := scanner.RegionPartition(r); !known {
			out = append(out, fmt.Sprintf("regions[%d] %q", i, r))
		}
	}
	return out
}

// checkAccountFilter accepts an account ID, an OU or root ID, or a name
// glob. Strings that look like an ID but are not one are refused rather
// than taken as a glob that matches no name.
func checkAccountFilter(e string) string {
	switch {
	case e == "":
		return "empty entry"
	case accountIDRe.MatchString(e), ouIDRe.MatchString(e), rootIDRe.MatchString(e):
		return ""
	case isDigits(e):
		return fmt.Sprintf("%q is not an account ID, OU ID or name glob (an account ID has 12 digits)", e)
	case (strings.HasPrefix(e, "ou-") || strings.HasPrefix(e, "r-")) && !strings.ContainsAny(e, "*?[\\"):
		return fmt.Sprintf("%q is not an account ID, OU ID or name glob (OU IDs look like ou-ab12-cdefgh34)", e)
	}
	if _, err := path.Match(e, ""); err != nil {
		return fmt.Sprintf("%q is not an account ID, OU ID or name glob: %v", e, err)
	}
	return ""
}

func checkGlob(g string) string {
	if g == "" {
		return "empty entry"
	}
	if _, err := path.Match(g, ""); err != nil {
		return fmt.Sprintf("%q is not a valid name glob: %v", g, err)
	}
	return ""
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func formatNames() string {
	names := make([]string, len(report.Formats))
	for i, f := range report.Formats {
		names[i] = string(f.Name)
	}
	return strings.Join(names, ", ")
}

// parseSeverity parses --fail-on.
func parseSeverity(s string) (scanner.Severity, error) {
	for _, sev := range severities {
		if string(sev) == s {
			return sev, nil
		}
	}
	names := make([]string, len(severities))
	for i, sev := range severities {
		names[i] = string(sev)
	}
	return "", fmt.Errorf("%q is not a severity (one of %s)", s, strings.Join(names, ", "))
}
