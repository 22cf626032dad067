package scanner

import (
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
)

// TestFindingIDDerivation pins the derivation: an ID that changes for the
// same inputs would turn every finding of every baseline into "resolved"
// plus "new". If the derivation must change, change findingIDVersion and
// this value together. (Checked independently: the same bytes hashed with
// Python hashlib give the same digest.)
func TestFindingIDDerivation(t *testing.T) {
	got := FindingID(FindingBucketACLGrant, "222222222222", "our-shared-widgets", "us-east-1", "grantee=http://acs.amazonaws.com/groups/global/AllUsers permission=READ")
	const want = "BUCKET_ACL_GRANT/aad24cdc3ea7bd2c947a33814d7794ed"
	if got != want {
		t.Errorf("FindingID = %s, want %s", got, want)
	}
	if !regexp.MustCompile(`^[A-Z_]+/[0-9a-f]{32}$`).MatchString(got) {
		t.Errorf("FindingID %q is not TYPE/32 hex digits", got)
	}
}

// TestFindingIDSeparatesItsParts: every part counts, and moving bytes from
// one part to the next gives another ID (the parts are length-prefixed).
func TestFindingIDSeparatesItsParts(t *testing.T) {
	base := [5]string{string(FindingACLsEnabled), "111111111111", "bucket", "us-east-1", ""}
	id := func(p [5]string) string { return FindingID(FindingType(p[0]), p[1], p[2], p[3], p[4]) }
	seen := map[string][5]string{id(base): base}
	variants := [][5]string{
		{string(FindingCrossAccountObjects), base[1], base[2], base[3], base[4]},
		{base[0], "111111111112", base[2], base[3], base[4]},
		{base[0], base[1], "bucket2", base[3], base[4]},
		{base[0], base[1], base[2], "eu-west-1", base[4]},
		{base[0], base[1], base[2], base[3], "x"},
		{base[0], base[1], "bucketus-east-1", "", base[4]}, // bytes moved across a boundary
		{base[0], base[1], "bucke", "tus-east-1", base[4]},
	}
	for _, v := range variants {
		got := id(v)
		if prev, dup := seen[got]; dup {
			t.Errorf("%q and %q have the same ID %s", prev, v, got)
		}
		seen[got] = v
	}
	if id(base) != id(base) {
		t.Error("the same inputs gave two IDs")
	}
}

// TestGrantSubjectIgnoresResolution: a grantee resolved to a member in one
// run and unresolved in the next is still the same grant.
func TestGrantSubjectIgnoresResolution(t *testing.T) {
	member := Grant{Kind: GranteeMember, CanonicalID: "c1", AccountID: "333333333333", AccountName: "C", Permission: "READ"}
	external := Grant{Kind: GranteeExternal, CanonicalID: "c1", Permission: "READ"}
	if grantSubject(member) != grantSubject(external) {
		t.Errorf("subjects differ: %q vs %q", grantSubject(member), grantSubject(external))
	}
	if grantSubject(member) == grantSubject(Grant{Kind: GranteeMember, CanonicalID: "c1", Permission: "WRITE"}) {
		t.Error("two permissions of one grantee share a subject")
	}
}

// TestFindingIDsStableAndUniqueAcrossScans scans the demo organization
// twice: every finding has an ID, no two findings of a scan share one, and
// the second scan gives each finding the same ID as the first.
func TestFindingIDsStableAndUniqueAcrossScans(t *testing.T) {
	first := scanEmulator(t, emulate(t, fakeaws.BuiltinScenario()), DefaultOptions(), nil)
	second := scanEmulator(t, emulate(t, fakeaws.BuiltinScenario()), DefaultOptions(), nil)
	ids := func(res *Result) map[string]Finding {
		out := map[string]Finding{}
		for _, f := range res.Findings {
			if f.ID == "" {
				t.Errorf("finding without ID: %+v", f)
			}
			if prev, dup := out[f.ID]; dup {
				t.Errorf("two findings share ID %s:\n%+v\n%+v", f.ID, prev, f)
			}
			out[f.ID] = f
		}
		return out
	}
	a, b := ids(first), ids(second)
	if len(a) < 10 || len(a) != len(b) {
		t.Fatalf("%d findings, then %d", len(a), len(b))
	}
	for id, f := range a {
		g, ok := b[id]
		if !ok || g.Type != f.Type || g.AccountID != f.AccountID || g.Bucket != f.Bucket || g.Title != f.Title {
			t.Errorf("finding %s (%s %s) has no twin in the second scan", id, f.Type, f.Title)
		}
	}
}

// TestExpectedOrganizationMismatch: a scan told to expect another
// organization stops once DescribeOrganization answers, before any member
// account is entered.
func TestExpectedOrganizationMismatch(t *testing.T) {
	srv := emulate(t, fakeaws.BuiltinScenario())
	opts := DefaultOptions()
	opts.ExpectedOrganizationID = "o-zzzzzzzzzz"
	_, err := scanEmulatorErr(t, context.Background(), srv, opts, nil)
	if !errors.Is(err, ErrOrganizationMismatch) {
		t.Fatalf("err = %v, want ErrOrganizationMismatch", err)
	}
	ops := srv.Emulator.Counters().ByOperation
	for _, op := range []string{"AssumeRole", "ListBuckets", "GetBucketOwnershipControls"} {
		if ops[op] != 0 {
			t.Errorf("%s called %d times after the organization did not match", op, ops[op])
		}
	}

	opts.ExpectedOrganizationID = srv.Emulator.Scenario().OrganizationID
	if _, err := scanEmulatorErr(t, context.Background(), srv, opts, nil); err != nil {
		t.Errorf("the expected organization: %v", err)
	}
	opts.ExpectedOrganizationID = "not-an-org"
	if err := opts.Validate(); err == nil {
		t.Error("Validate accepted a malformed expected organization ID")
	}
}
