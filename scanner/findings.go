package scanner

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// grantSeverity is the severity of a BUCKET_ACL_GRANT (README "Findings"):
// anyone or any AWS account critical, an account outside the
// organization high, a member account medium, log delivery (S3's, or
// CloudFront's legacy logging) and ElastiCache's backup export low. Unknown groups are treated as high:
// nobody can say who they let in.
func grantSeverity(k GranteeKind) Severity {
	switch k {
	case GranteeAllUsers, GranteeAuthenticatedUsers:
		return SeverityCritical
	case GranteeExternal, GranteeUnidentified, GranteeOtherGroup:
		return SeverityHigh
	case GranteeMember:
		return SeverityMedium
	case GranteeLogDelivery, GranteeCloudFrontLogs, GranteeElastiCache:
		return SeverityLow
	}
	return SeverityHigh
}

// crossAccountSeverity is high, critical when any owner is external (an
// unidentified owner may be a member: high).
func crossAccountSeverity(owners []ForeignOwner) Severity {
	for _, o := range owners {
		if o.External {
			return SeverityCritical
		}
	}
	return SeverityHigh
}

// granteeLabel names a grantee for titles and details.
func granteeLabel(g Grant) string {
	switch g.Kind {
	case GranteeMember:
		return fmt.Sprintf("member account %s (%s)", g.AccountID, g.AccountName)
	case GranteeExternal:
		return "external canonical ID " + g.CanonicalID
	case GranteeUnidentified:
		return "unidentified canonical ID " + g.CanonicalID
	case GranteeOtherGroup:
		return "group " + g.URI
	case GranteeCloudFrontLogs:
		return "CloudFront's log delivery account (awslogsdelivery)"
	case GranteeElastiCache:
		return "ElastiCache's backup export account"
	}
	return string(g.Kind)
}

// ownerLabel names a foreign owner: "333333333333 (AccountC)",
// "external <canonical id>" or "unidentified <canonical id>".
func ownerLabel(o ForeignOwner) string {
	switch {
	case o.External:
		return "external " + o.CanonicalID
	case o.Unidentified:
		return "unidentified " + o.CanonicalID
	}
	return fmt.Sprintf("%s (%s)", o.AccountID, o.AccountName)
}

// organizationErrorFinding is the SCAN_ERROR of an organization walk that
// stopped: the accounts it did not list are in scope but have no row.
func organizationErrorFinding(err error) Finding {
	f := Finding{
		Type:     FindingScanError,
		Severity: SeverityError,
		Title:    "the organization could not be listed completely",
		Detail:   err.Error() + ". Accounts after the failure are missing from this report.",
		Remediation: "Check that the scanning principal (or organization_role_arn) may call " +
			"organizations:DescribeOrganization and organizations:ListAccounts " +
			"(deploy/management-policy.json), and that it runs in the management account " +
			"or a delegated administrator account; then re-run the scan.",
	}
	f.setID(subjectOrganization)
	return f
}

// accountErrorFinding is the SCAN_ERROR of an account that could not be
// scanned.
func accountErrorFinding(a Account) Finding {
	return Finding{
		Type:        FindingScanError,
		Severity:    SeverityError,
		AccountID:   a.ID,
		Title:       fmt.Sprintf("account %s (%s) could not be scanned", a.ID, a.Name),
		Detail:      a.Error,
		Remediation: remediationAccountError(a),
	}
}

// bucketFindings raises a bucket's findings from its resolved row. members
// says, for an unidentified owner or grantee, which members it may be;
// partition is the scan's, for ARNs in remediations.
func bucketFindings(b Bucket, members membership, partition string) []Finding {
	var out []Finding
	base := Finding{AccountID: b.AccountID, Bucket: b.Name, Region: b.Region}
	if b.ObjectOwnership != OwnershipEnforced && b.ObjectOwnership != OwnershipUnknown {
		f := base
		f.Type, f.Severity = FindingACLsEnabled, SeverityMedium
		f.Title = fmt.Sprintf("bucket %s has ACLs enabled (Object Ownership %s)", b.Name, b.ObjectOwnership)
		f.Detail = fmt.Sprintf("Object Ownership is %s, so ACLs still decide access and objects written by other accounts stay theirs.", b.ObjectOwnership)
		if b.ObjectOwnership == OwnershipNotSet {
			f.Detail = "No ownership controls are set (OwnershipControlsNotFoundError), which behaves as ObjectWriter: ACLs still decide access and objects written by other accounts stay theirs."
		}
		if len(b.ACLGrants) > 0 {
			f.Detail += fmt.Sprintf(" %d bucket ACL grant(s) block switching to BucketOwnerEnforced until removed.", len(b.ACLGrants))
		}
		if b.ObjectScan == ObjectScanTruncated {
			f.Detail += fmt.Sprintf(" The object listing stopped at objects.max_per_bucket (%d versions).", b.ObjectsScanned)
		}
		f.Remediation = remediationACLsEnabled(b)
		out = append(out, f)
	}
	for _, g := range b.ACLGrants {
		f := base
		f.Type, f.Severity = FindingBucketACLGrant, grantSeverity(g.Kind)
		f.Title = fmt.Sprintf("bucket %s ACL grants %s to %s", b.Name, g.Permission, granteeLabel(g))
		f.Detail = fmt.Sprintf("The bucket ACL grants %s to %s. Access through this grant ends when ACLs are disabled, and S3 refuses BucketOwnerEnforced while it exists (InvalidBucketAclWithObjectOwnership).", g.Permission, granteeLabel(g))
		if g.Kind == GranteeUnidentified {
			f.Detail += " " + unidentifiedDetail(members)
		}
		f.Remediation = remediationGrant(b, g, partition)
		f.setID(grantSubject(g))
		out = append(out, f)
	}
	if b.CrossAccountObjects > 0 {
		f := base
		f.Type, f.Severity = FindingCrossAccountObjects, crossAccountSeverity(b.ForeignOwners)
		f.Title = fmt.Sprintf("bucket %s holds %d object version(s) owned by other accounts", b.Name, b.CrossAccountObjects)
		f.Detail = fmt.Sprintf("%d version(s) and delete marker(s), %d bytes, are owned by accounts other than the bucket owner, so the bucket owner's principals get AccessDenied on them. Owners: %s.",
			b.CrossAccountObjects, b.CrossAccountBytes, foreignOwnersText(b.ForeignOwners))
		if b.ObjectScan == ObjectScanTruncated {
			f.Detail += " Counts are from a listing cut short by objects.max_per_bucket."
		}
		if slices.ContainsFunc(b.ForeignOwners, func(o ForeignOwner) bool { return o.Unidentified }) {
			f.Detail += " About the unidentified owner(s): " + unidentifiedDetail(members)
		}
		f.Remediation = remediationCrossAccount(b)
		out = append(out, f)
	}
	if b.UnknownOwnerObjects > 0 {
		out = append(out, ownerUnknownFinding(b, base))
	}
	if b.Status == BucketFailed {
		f := base
		f.Type, f.Severity = FindingScanError, SeverityError
		f.Title = fmt.Sprintf("bucket %s could not be fully scanned", b.Name)
		f.Detail = b.Error
		f.Remediation = remediationBucketError(b)
		out = append(out, f)
	}
	return out
}

// ownerUnknownFinding is the OWNER_UNKNOWN of a bucket whose listing gave
// versions or delete markers without an Owner: they are counted neither as
// the bucket owner's nor as another account's, so the bucket's counts of
// cross-account objects may be short by as many.
func ownerUnknownFinding(b Bucket, base Finding) Finding {
	f := base
	f.Type, f.Severity = FindingOwnerUnknown, SeverityMedium
	f.Title = fmt.Sprintf("bucket %s lists %d object version(s) without an owner", b.Name, b.UnknownOwnerObjects)
	f.Detail = fmt.Sprintf("ListObjectVersions returned %d version(s) and delete marker(s) of %s without an Owner element. "+
		"Who owns them is unknown: they are not counted as the bucket owner's, nor in the cross-account counts, which may therefore be short by as many. "+
		"objects.csv lists them with an empty owner_canonical_id.", b.UnknownOwnerObjects, b.Name)
	f.Remediation = fmt.Sprintf("Re-run the scan: an owner missing from one listing is not a property of the object. "+
		"If owners stay missing, read them one by one (the Owner of the object ACL):\n"+
		"  aws s3api get-object-acl --bucket %s --key KEY --version-id VERSION_ID --expected-bucket-owner %s\n"+
		"for the keys objects.csv lists with an empty owner_canonical_id.", b.Name, b.AccountID)
	return f
}

// severityOrder sorts findings: scan errors first (they make the report
// incomplete), then critical down to low.
func severityOrder(s Severity) int {
	if s == SeverityError {
		return 5
	}
	return s.Rank()
}

// sortResult puts every list in its documented order.
func sortResult(res *Result) {
	sort.Slice(res.Accounts, func(i, j int) bool { return res.Accounts[i].ID < res.Accounts[j].ID })
	sort.Slice(res.Buckets, func(i, j int) bool {
		a, b := res.Buckets[i], res.Buckets[j]
		if a.AccountID != b.AccountID {
			return a.AccountID < b.AccountID
		}
		return a.Name < b.Name
	})
	sort.SliceStable(res.Findings, func(i, j int) bool { return findingLess(res.Findings[i], res.Findings[j]) })
}

// findingLess orders findings by severity (error first, then critical to
// low), type, account, bucket, title, detail, ID.
func findingLess(a, b Finding) bool {
	if sa, sb := severityOrder(a.Severity), severityOrder(b.Severity); sa != sb {
		return sa > sb
	}
	if a.Type != b.Type {
		return a.Type < b.Type
	}
	if a.AccountID != b.AccountID {
		return a.AccountID < b.AccountID
	}
	if a.Bucket != b.Bucket {
		return a.Bucket < b.Bucket
	}
	if a.Title != b.Title {
		return a.Title < b.Title
	}
	if a.Detail != b.Detail {
		return a.Detail < b.Detail
	}
	return a.ID < b.ID
}

// sortGrants orders a bucket's grants deterministically.
func sortGrants(gs []Grant) {
	sort.Slice(gs, func(i, j int) bool {
		a, b := gs[i], gs[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.CanonicalID+a.URI != b.CanonicalID+b.URI {
			return a.CanonicalID+a.URI < b.CanonicalID+b.URI
		}
		return a.Permission < b.Permission
	})
}

// summarize counts the rows of a result.
func summarize(res *Result) Summary {
	s := Summary{Findings: map[string]int{}}
	for _, a := range res.Accounts {
		s.Accounts++
		switch a.Status {
		case AccountScanned:
			s.AccountsScanned++
		case AccountFailed:
			s.AccountsFailed++
		case AccountSkipped:
			s.AccountsSkipped++
		}
	}
	for _, b := range res.Buckets {
		s.Buckets++
		switch b.Status {
		case BucketCompliant:
			s.BucketsCompliant++
		case BucketNoncompliant:
			s.BucketsNoncompliant++
		case BucketFailed:
			s.BucketsFailed++
		}
		if b.Readiness != nil {
			if s.Readiness == nil {
				s.Readiness = map[string]int{}
			}
			s.Readiness[string(b.Readiness.Verdict)]++
		}
		s.ObjectsScanned += b.ObjectsScanned
		s.CrossAccountObjects += b.CrossAccountObjects
		s.CrossAccountBytes += b.CrossAccountBytes
	}
	for _, f := range res.Findings {
		s.Findings[string(f.Severity)]++
	}
	return s
}

// ownerDetailLimit caps the owners a CROSS_ACCOUNT_OBJECTS finding names in
// its text: a bucket written by thousands of accounts must not make a
// finding of megabytes. The bucket's foreign_owners lists them all.
const ownerDetailLimit = 10

// foreignOwnersText names the owners holding the most versions first (ties
// by canonical ID), at most ownerDetailLimit of them, and says how many more
// there are.
func foreignOwnersText(owners []ForeignOwner) string {
	ranked := slices.Clone(owners)
	slices.SortStableFunc(ranked, func(a, b ForeignOwner) int {
		if a.Objects != b.Objects {
			return cmp.Compare(b.Objects, a.Objects)
		}
		return strings.Compare(a.CanonicalID, b.CanonicalID)
	})
	shown := ranked[:min(len(ranked), ownerDetailLimit)]
	parts := make([]string, 0, len(shown)+1)
	for _, o := range shown {
		parts = append(parts, fmt.Sprintf("%s: %d version(s), %d bytes, e.g. %s", ownerLabel(o), o.Objects, o.Bytes, strings.Join(o.SampleKeys, ", ")))
	}
	if more := len(ranked) - len(shown); more > 0 {
		parts = append(parts, fmt.Sprintf("and %d more owner(s) (the bucket's foreign_owners lists them all)", more))
	}
	return strings.Join(parts, "; ")
}
