package scanner

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// constantsOf returns the values of the string constants of type typ
// declared in the package's non-test files: a kind added later without a
// row in the tables below fails the test instead of going untested.
func constantsOf(t *testing.T, typ string) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, s := range gd.Specs {
				vs := s.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != typ {
					continue
				}
				for _, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("a %s constant is not a string literal", typ)
					}
					s, _ := strconv.Unquote(lit.Value)
					out = append(out, s)
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %s constants found", typ)
	}
	return out
}

// TestGrantSeverityEveryKind: each grantee kind, from the grant as S3
// returns it through classification to the BUCKET_ACL_GRANT finding, has
// the severity the README's findings table gives it. A group URI S3 may
// add later is not known to be harmless, so it is high, like an account
// outside the organization.
func TestGrantSeverityEveryKind(t *testing.T) {
	const owner, member, stranger = "canon-owner", "canon-member", "canon-stranger"
	rows := []struct {
		kind    GranteeKind
		grantee s3types.Grantee
		want    Severity
		label   string // in the finding's title
		// unknown: a member whose canonical ID the scan could not learn,
		// so that a canonical ID matching no member is unidentified.
		unknown bool
	}{
		{GranteeUnidentified, s3types.Grantee{ID: aws.String(stranger)}, SeverityHigh, "unidentified canonical ID " + stranger, true},
		{GranteeCloudFrontLogs, s3types.Grantee{ID: aws.String(cloudFrontLogDelivery("aws"))}, SeverityLow, "CloudFront", false},
		{GranteeElastiCache, s3types.Grantee{ID: aws.String(elastiCacheExportID)}, SeverityLow, "ElastiCache", false},
		{GranteeAllUsers, s3types.Grantee{URI: aws.String(uriAllUsers)}, SeverityCritical, "AllUsers", false},
		{GranteeAuthenticatedUsers, s3types.Grantee{URI: aws.String(uriAuthenticatedUsers)}, SeverityCritical, "AuthenticatedUsers", false},
		{GranteeExternal, s3types.Grantee{ID: aws.String(stranger)}, SeverityHigh, "external canonical ID " + stranger, false},
		{GranteeOtherGroup, s3types.Grantee{URI: aws.String("http://acs.amazonaws.com/groups/global/NewGroup")}, SeverityHigh, "group http://acs.amazonaws.com/groups/global/NewGroup", false},
		{GranteeMember, s3types.Grantee{ID: aws.String(member)}, SeverityMedium, "member account 222222222222 (B)", false},
		{GranteeLogDelivery, s3types.Grantee{URI: aws.String(uriLogDelivery)}, SeverityLow, "LogDelivery", false},
	}
	tested := map[string]bool{}
	resolve := func(id string) (memberRef, bool) {
		return memberRef{ID: "222222222222", Name: "B"}, id == member
	}
	for _, row := range rows {
		tested[string(row.kind)] = true
		acl := &s3.GetBucketAclOutput{Grants: []s3types.Grant{
			{Grantee: &s3types.Grantee{ID: aws.String(owner)}, Permission: "FULL_CONTROL"},
			{Grantee: &row.grantee, Permission: "READ"},
		}}
		raw := foreignGrants(acl.Grants, owner)
		if len(raw) != 1 {
			t.Fatalf("%s: %d foreign grants, want 1", row.kind, len(raw))
		}
		var members membership
		if row.unknown {
			members.unknown = []string{"444444444444"}
		}
		g := resolveGrant(classifyCloudFront(raw[0], "aws"), resolve, members)
		if g.Kind != row.kind {
			t.Errorf("grantee %+v classified %q, want %q", row.grantee, g.Kind, row.kind)
		}
		if got := grantSeverity(row.kind); got != row.want {
			t.Errorf("grantSeverity(%q) = %s, want %s", row.kind, got, row.want)
		}
		b := Bucket{Name: "b", AccountID: "111111111111", ObjectOwnership: OwnershipEnforced, Status: BucketNoncompliant, ACLGrants: []Grant{g}}
		fs := bucketFindings(b, members, "aws")
		if len(fs) != 1 || fs[0].Type != FindingBucketACLGrant || fs[0].Severity != row.want || !strings.Contains(fs[0].Title, row.label) {
			var got []string
			for _, f := range fs {
				got = append(got, fmt.Sprintf("%s %s %q", f.Type, f.Severity, f.Title))
			}
			t.Errorf("%s grant: findings %v, want one BUCKET_ACL_GRANT of severity %s naming %q", row.kind, got, row.want, row.label)
		}
	}
	for _, k := range constantsOf(t, "GranteeKind") {
		if !tested[k] {
			t.Errorf("grantee kind %q has no row: give it a severity here and in the README", k)
		}
	}
}

// TestFindingSeverityRules: every other rule that sets a severity.
func TestFindingSeverityRules(t *testing.T) {
	member := ForeignOwner{CanonicalID: "m", AccountID: "222222222222", AccountName: "B", Objects: 1}
	external := ForeignOwner{CanonicalID: "x", External: true, Objects: 1}
	base := Bucket{Name: "b", AccountID: "111111111111", Status: BucketNoncompliant}
	with := func(f func(*Bucket)) Bucket { b := base; f(&b); return b }
	rows := []struct {
		name   string
		bucket Bucket
		want   map[FindingType]Severity // every finding raised, nothing else
	}{
		{"enforced", with(func(b *Bucket) { b.ObjectOwnership, b.Status = OwnershipEnforced, BucketCompliant }), map[FindingType]Severity{}},
		{"ObjectWriter", with(func(b *Bucket) { b.ObjectOwnership = OwnershipObjectWriter }), map[FindingType]Severity{FindingACLsEnabled: SeverityMedium}},
		{"BucketOwnerPreferred", with(func(b *Bucket) { b.ObjectOwnership = OwnershipPreferred }), map[FindingType]Severity{FindingACLsEnabled: SeverityMedium}},
		{"not set", with(func(b *Bucket) { b.ObjectOwnership = OwnershipNotSet }), map[FindingType]Severity{FindingACLsEnabled: SeverityMedium}},
		{"ownership unknown, failed", with(func(b *Bucket) {
			b.ObjectOwnership, b.Status, b.Error = OwnershipUnknown, BucketFailed, "GetBucketOwnershipControls: AccessDenied"
		}),
			map[FindingType]Severity{FindingScanError: SeverityError}},
		{"member objects", with(func(b *Bucket) {
			b.ObjectOwnership, b.CrossAccountObjects, b.ForeignOwners = OwnershipObjectWriter, 1, []ForeignOwner{member}
		}), map[FindingType]Severity{FindingACLsEnabled: SeverityMedium, FindingCrossAccountObjects: SeverityHigh}},
		{"external objects", with(func(b *Bucket) {
			b.ObjectOwnership, b.CrossAccountObjects, b.ForeignOwners = OwnershipObjectWriter, 2, []ForeignOwner{member, external}
		}), map[FindingType]Severity{FindingACLsEnabled: SeverityMedium, FindingCrossAccountObjects: SeverityCritical}},
		{"unidentified objects", with(func(b *Bucket) {
			b.ObjectOwnership, b.CrossAccountObjects = OwnershipObjectWriter, 1
			b.ForeignOwners = []ForeignOwner{{CanonicalID: "u", Unidentified: true, CandidateAccounts: []string{"444444444444"}, Objects: 1}}
		}), map[FindingType]Severity{FindingACLsEnabled: SeverityMedium, FindingCrossAccountObjects: SeverityHigh}},
		{"objects without owner", with(func(b *Bucket) {
			b.ObjectOwnership, b.UnknownOwnerObjects = OwnershipObjectWriter, 3
		}), map[FindingType]Severity{FindingACLsEnabled: SeverityMedium, FindingOwnerUnknown: SeverityMedium}},
		{"listing failed", with(func(b *Bucket) {
			b.ObjectOwnership, b.Status, b.Error = OwnershipPreferred, BucketFailed, "ListObjectVersions: SlowDown"
		}), map[FindingType]Severity{FindingACLsEnabled: SeverityMedium, FindingScanError: SeverityError}},
	}
	tested := map[string]bool{}
	for _, row := range rows {
		got := map[FindingType]Severity{}
		for _, f := range bucketFindings(row.bucket, membership{}, "aws") {
			if _, dup := got[f.Type]; dup {
				t.Errorf("%s: two %s findings", row.name, f.Type)
			}
			got[f.Type] = f.Severity
			tested[string(f.Type)] = true
		}
		if len(got) != len(row.want) {
			t.Errorf("%s: findings %v, want %v", row.name, got, row.want)
		}
		for typ, sev := range row.want {
			if got[typ] != sev {
				t.Errorf("%s: %s has severity %q, want %s", row.name, typ, got[typ], sev)
			}
		}
	}
	if f := accountErrorFinding(Account{ID: "333333333333", Name: "C", Status: AccountFailed, Error: "AssumeRole: AccessDenied"}); f.Type != FindingScanError || f.Severity != SeverityError {
		t.Errorf("account error finding: %s %s", f.Type, f.Severity)
	}
	if f := organizationErrorFinding(errors.New("ListAccounts: AccessDeniedException")); f.Type != FindingScanError || f.Severity != SeverityError {
		t.Errorf("organization error finding: %s %s", f.Type, f.Severity)
	}
	opts := DefaultOptions()
	opts.AccountsInclude = []string{"999999999999"}
	r := newRun(opts, slog.New(slog.DiscardHandler), nil, nil, discardSink{}, &Progress{})
	scoped := &Result{Complete: true}
	r.checkScope(context.Background(), scoped)
	if len(scoped.Findings) != 1 || scoped.Findings[0].Type != FindingFilterUnmatched || scoped.Findings[0].Severity != SeverityError || scoped.Complete {
		t.Errorf("an include entry that matched nothing: findings %+v, complete %v; want one FILTER_UNMATCHED of severity error, incomplete", scoped.Findings, scoped.Complete)
	} else {
		tested[string(FindingFilterUnmatched)] = true
	}
	tested[string(FindingBucketACLGrant)] = true // TestGrantSeverityEveryKind
	for _, typ := range constantsOf(t, "FindingType") {
		if !tested[typ] {
			t.Errorf("finding type %s has no severity rule tested", typ)
		}
	}
}
