package scanner

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
)

// suspendedWriter: AccountD (444) wrote into AccountB's ObjectWriter bucket
// and has since been suspended; CI (333) writes there too and owns no
// bucket at all; an outsider's object sits beside them.
const suspendedWriter = `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
  - {id: "222222222222", name: AccountB}
  - {id: "333333333333", name: CI}
  - {id: "444444444444", name: AccountD, status: SUSPENDED}
buckets:
  - name: b-shared
    account: "222222222222"
    ownership: ObjectWriter
    writers: ["333333333333", "444444444444"]
    objects:
      - {key: own.txt, size: 1}
      - {key: from-d/1.csv, uploader: "444444444444", size: 10}
      - {key: from-d/2.csv, uploader: "444444444444", size: 20}
      - {key: from-ci/build.tgz, uploader: "333333333333", size: 30}
      - {key: partner/drop.zip, uploader: "external:e0e1e2e3e4e5e6e7e8e9eaebecedeeefe0e1e2e3e4e5e6e7e8e9eaebecedeeef", size: 40}
`

func ownerOf(t *testing.T, b Bucket, canonicalID string) ForeignOwner {
	t.Helper()
	for _, o := range b.ForeignOwners {
		if o.CanonicalID == canonicalID {
			return o
		}
	}
	t.Fatalf("bucket %s has no foreign owner %s: %+v", b.Name, canonicalID, b.ForeignOwners)
	return ForeignOwner{}
}

// A suspended member's objects are not called external: AccountD's
// canonical ID is unknown (it cannot be reached), so its objects' owner is
// unidentified, high, with 444 among the candidates and named in the
// finding. The zero-bucket CI account is still identified (ListBuckets
// names its canonical ID with an empty bucket list).
func TestE2ESuspendedWriterIsUnidentified(t *testing.T) {
	srv := emulateYAML(t, suspendedWriter)
	sink := &memorySink{}
	res := scanEmulator(t, srv, DefaultOptions(), sink)
	if !res.Complete {
		t.Fatalf("incomplete: %+v", res.Accounts)
	}
	b := bucketByName(t, res, "b-shared")
	d := ownerOf(t, b, fakeaws.CanonicalIDFor("444444444444"))
	if d.External || !d.Unidentified || d.AccountID != "" || !reflect.DeepEqual(d.CandidateAccounts, []string{"444444444444"}) || d.Objects != 2 {
		t.Errorf("AccountD's objects: %+v", d)
	}
	if ci := ownerOf(t, b, fakeaws.CanonicalIDFor("333333333333")); ci.AccountID != "333333333333" || ci.AccountName != "CI" || ci.Unidentified {
		t.Errorf("the zero-bucket CI account must be identified: %+v", ci)
	}
	if a := accountByID(t, res, "333333333333"); a.CanonicalID != fakeaws.CanonicalIDFor("333333333333") {
		t.Errorf("CI row: %+v", a)
	}
	// The outsider cannot be told from AccountD either: unidentified too.
	if x := ownerOf(t, b, "e0e1e2e3e4e5e6e7e8e9eaebecedeeefe0e1e2e3e4e5e6e7e8e9eaebecedeeef"); !x.Unidentified || x.External {
		t.Errorf("outsider while a member is unknown: %+v", x)
	}
	f := findingsOf(res, FindingCrossAccountObjects, "b-shared")
	if len(f) != 1 || f[0].Severity != SeverityHigh || !strings.Contains(f[0].Detail, "444444444444 (AccountD, SUSPENDED)") ||
		!strings.Contains(f[0].Detail, "unidentified rather than external") {
		t.Errorf("finding: %+v", f)
	}
	for _, r := range sink.records {
		if strings.HasPrefix(r.Key, "from-d/") && r.OwnerAccountID != "" {
			t.Errorf("objects.csv names an owner the scan does not know: %+v", r)
		}
	}
}

// The same scan, knowing AccountD's canonical ID from an earlier run, names
// AccountD as the owner; with every member known, the outsider is external
// and the finding critical. AccountD's row keeps the canonical ID, so the
// next run's baseline still has it.
func TestE2EKnownCanonicalIDsIdentifyUnreachableMembers(t *testing.T) {
	srv := emulateYAML(t, suspendedWriter)
	opts := DefaultOptions()
	opts.KnownCanonicalIDs = map[string]string{"444444444444": fakeaws.CanonicalIDFor("444444444444")}
	sink := &memorySink{}
	res := scanEmulator(t, srv, opts, sink)
	b := bucketByName(t, res, "b-shared")
	if d := ownerOf(t, b, fakeaws.CanonicalIDFor("444444444444")); d.AccountID != "444444444444" || d.AccountName != "AccountD" || d.Unidentified || d.External {
		t.Errorf("AccountD's objects: %+v", d)
	}
	if x := ownerOf(t, b, "e0e1e2e3e4e5e6e7e8e9eaebecedeeefe0e1e2e3e4e5e6e7e8e9eaebecedeeef"); !x.External || x.Unidentified || len(x.CandidateAccounts) != 0 {
		t.Errorf("outsider with every member known: %+v", x)
	}
	if f := findingsOf(res, FindingCrossAccountObjects, "b-shared"); len(f) != 1 || f[0].Severity != SeverityCritical ||
		!strings.Contains(f[0].Detail, "444444444444 (AccountD): 2 version(s)") || strings.Contains(f[0].Detail, "unidentified") {
		t.Errorf("finding: %+v", f)
	}
	if a := accountByID(t, res, "444444444444"); a.Status != AccountSkipped || a.CanonicalID != fakeaws.CanonicalIDFor("444444444444") {
		t.Errorf("AccountD row: %+v", a)
	}
	n := 0
	for _, r := range sink.records {
		if strings.HasPrefix(r.Key, "from-d/") {
			n++
			if r.OwnerAccountID != "444444444444" || r.OwnerAccountName != "AccountD" {
				t.Errorf("objects.csv record: %+v", r)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d records of AccountD's objects", n)
	}
}

// Versions listed without Owner are never the bucket owner's: they are
// counted as unknown, streamed with empty owner fields, and raise
// OWNER_UNKNOWN (medium); cross-account counts cover only the versions
// whose owner was listed.
func TestE2EOwnerDroppedRaisesOwnerUnknown(t *testing.T) {
	srv := emulateYAML(t, `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
  - {id: "222222222222", name: AccountB}
  - {id: "333333333333", name: AccountC}
buckets:
  - name: all-dropped
    account: "222222222222"
    ownership: ObjectWriter
    writers: ["333333333333"]
    objects:
      - {key: own-1, size: 1}
      - {key: own-2, size: 1}
      - {key: from-c, uploader: "333333333333", size: 5}
  - name: half-dropped
    account: "222222222222"
    ownership: BucketOwnerPreferred
    writers: ["333333333333"]
    generated: {count: 3000, key_prefix: "g/", foreign: {"333333333333": 0.5}}
  - {name: untouched, account: "222222222222", ownership: ObjectWriter, objects: [{key: a}]}
faults:
  drop_owner: {rate: 0.3, buckets: [half-dropped]}
`)
	sink := &memorySink{}
	res := scanEmulator(t, srv, DefaultOptions(), sink)
	srv2 := emulateYAML(t, `
management_account: "111111111111"
accounts: [{id: "111111111111", name: Mgmt}, {id: "222222222222", name: AccountB}, {id: "333333333333", name: AccountC}]
buckets:
  - name: all-dropped
    account: "222222222222"
    ownership: ObjectWriter
    writers: ["333333333333"]
    objects: [{key: own-1, size: 1}, {key: own-2, size: 1}, {key: from-c, uploader: "333333333333", size: 5}]
faults:
  drop_owner: {buckets: [all-dropped]}
`)
	res2 := scanEmulator(t, srv2, DefaultOptions(), &memorySink{})

	all := bucketByName(t, res2, "all-dropped")
	if all.UnknownOwnerObjects != 3 || all.CrossAccountObjects != 0 || all.ObjectsScanned != 3 || len(all.ForeignOwners) != 0 {
		t.Errorf("every owner dropped: %+v", all)
	}
	if f := findingsOf(res2, FindingOwnerUnknown, "all-dropped"); len(f) != 1 || f[0].Severity != SeverityMedium || !strings.Contains(f[0].Title, "3 object version(s) without an owner") {
		t.Errorf("OWNER_UNKNOWN: %+v", f)
	}

	half := bucketByName(t, res, "half-dropped")
	if half.UnknownOwnerObjects == 0 || half.UnknownOwnerObjects == half.ObjectsScanned || half.ObjectsScanned != 3000 {
		t.Fatalf("a share of owners dropped: %+v", half)
	}
	// Of 3000 keys, 1500 are C's; those whose owner was listed are counted
	// as C's, never those without.
	if half.CrossAccountObjects >= 1500 || half.CrossAccountObjects+half.UnknownOwnerObjects < 1500 {
		t.Errorf("cross-account %d, unknown %d", half.CrossAccountObjects, half.UnknownOwnerObjects)
	}
	var unknown int64
	for _, r := range sink.records {
		if r.Bucket == "half-dropped" && r.OwnerCanonicalID == "" {
			unknown++
			if r.OwnerAccountID != "" {
				t.Errorf("record without owner names an account: %+v", r)
			}
		}
	}
	if unknown != half.UnknownOwnerObjects {
		t.Errorf("%d records without owner, %d counted", unknown, half.UnknownOwnerObjects)
	}
	if f := findingsOf(res, FindingOwnerUnknown, "half-dropped"); len(f) != 1 {
		t.Errorf("OWNER_UNKNOWN: %+v", f)
	}
	if f := findingsOf(res, FindingOwnerUnknown, "untouched"); len(f) != 0 || slices.ContainsFunc(res.Findings, func(f Finding) bool {
		return f.Type == FindingOwnerUnknown && f.Bucket != "half-dropped"
	}) {
		t.Errorf("OWNER_UNKNOWN elsewhere: %+v", f)
	}
}
