package fakeaws_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"golang.org/x/sync/errgroup"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/internal/mototest"
)

// diffOrg is the organization the differential test builds on both sides:
// through the scenario YAML on fakeaws and through SDK calls on moto. Only
// account IDs differ (moto picks random ones), so every comparison is made
// on names.
type diffOrg struct {
	Members  []string          // member account names, in creation order
	OUs      []string          // OU paths under the root, parents first
	MemberOU map[string]string // member name -> OU path; absent = under the root
	Buckets  []diffOrgBucket   // every bucket, by owning account name
	byName   map[string]int    // bucket name -> index in Buckets
}

// diffOrgBucket is a bucket and the account (name; "" = management) owning it.
type diffOrgBucket struct {
	Account string
	mototest.Bucket
}

// diffMemberCount makes 24 accounts with the management account: a full
// ListAccounts page of 20 and a partial one.
const diffMemberCount = 23

// diffManyObjects is the size of the bucket that pages ListObjectsV2 and
// ListObjectVersions past the 1000-entry default page.
const diffManyObjects = 1500

// Names of the buckets with a role in the comparisons.
const (
	bucketEnforced  = "diff-enforced"
	bucketPreferred = "diff-preferred" // also carries a public-read ACL
	bucketWriter    = "diff-writer"
	bucketNotSet    = "diff-notset"
	bucketRoundTrip = "diff-roundtrip" // ownership controls put/get/delete
	bucketMany      = "diff-many"
	bucketVersions  = "diff-versions"
	bucketEU        = "diff-eu"
	bucketMgmt      = "diff-management"
)

func newDiffOrg() *diffOrg {
	org := &diffOrg{byName: map[string]int{},
		OUs:      []string{"Workloads", "Workloads/Dev", "Sandbox"},
		MemberOU: map[string]string{"Member04": "Workloads", "Member05": "Workloads/Dev", "Member06": "Workloads/Dev"},
	}
	for i := 1; i <= diffMemberCount; i++ {
		name := fmt.Sprintf("Member%02d", i)
		org.Members = append(org.Members, name)
		// Every member owns one bucket of its own, so per-account
		// ListBuckets has something to tell apart.
		org.add(name, mototest.Bucket{Name: fmt.Sprintf("diff-own-%02d", i), Ownership: "BucketOwnerEnforced"})
	}
	org.add("", mototest.Bucket{Name: bucketMgmt, Ownership: "BucketOwnerEnforced"})
	org.add("Member01", mototest.Bucket{Name: bucketEnforced, Ownership: "BucketOwnerEnforced",
		Objects: []mototest.Object{{Key: "e/1", Size: 4}}})
	org.add("Member01", mototest.Bucket{Name: bucketPreferred, Ownership: "BucketOwnerPreferred", PublicRead: true,
		Objects: []mototest.Object{{Key: "p/1", Size: 5}}})
	org.add("Member01", mototest.Bucket{Name: bucketWriter, Ownership: "ObjectWriter",
		Objects: []mototest.Object{{Key: "w/1", Size: 6}}})
	org.add("Member01", mototest.Bucket{Name: bucketNotSet,
		Objects: []mototest.Object{{Key: "n/1", Size: 7}}})
	org.add("Member01", mototest.Bucket{Name: bucketRoundTrip})

	many := mototest.Bucket{Name: bucketMany, Ownership: "ObjectWriter"}
	for i := 0; i < diffManyObjects; i++ {
		many.Objects = append(many.Objects, mototest.Object{Key: fmt.Sprintf("obj/%05d", i), Size: i % 7})
	}
	org.add("Member02", many)
	org.add("Member02", mototest.Bucket{Name: bucketVersions, Ownership: "ObjectWriter", Versioned: true,
		Objects: []mototest.Object{
			{Key: "a", Size: 2, Versions: 3},
			{Key: "b", Size: 3, Versions: 3},
			{Key: "b", Delete: true},
			{Key: "c", Size: 1, Versions: 3},
			{Key: "d/e f+g", Size: 9},
		}})
	org.add("Member03", mototest.Bucket{Name: bucketEU, Region: "eu-west-1", Ownership: "ObjectWriter",
		Objects: []mototest.Object{{Key: "eu/1", Size: 8}}})
	return org
}

func (o *diffOrg) add(account string, b mototest.Bucket) {
	o.byName[b.Name] = len(o.Buckets)
	o.Buckets = append(o.Buckets, diffOrgBucket{Account: account, Bucket: b})
}

// bucket returns the bucket called name.
func (o *diffOrg) bucket(name string) diffOrgBucket { return o.Buckets[o.byName[name]] }

// fakeawsManagementID and fakeawsMemberID are the IDs the YAML gives.
const fakeawsManagementID = "111111111111"

func fakeawsMemberID(i int) string { return fmt.Sprintf("2000000000%02d", i+1) }

// scenarioYAML renders the organization as a fakeaws scenario file, so the
// fakeaws side is seeded through the same YAML path users write.
func (o *diffOrg) scenarioYAML() string {
	var b strings.Builder
	fmt.Fprintf(&b, "management_account: %q\norganizational_units: [%s]\n", fakeawsManagementID, strings.Join(o.OUs, ", "))
	fmt.Fprintf(&b, "accounts:\n  - {id: %q, name: Management}\n", fakeawsManagementID)
	ids := map[string]string{"": fakeawsManagementID}
	for i, name := range o.Members {
		ids[name] = fakeawsMemberID(i)
		fmt.Fprintf(&b, "  - {id: %q, name: %s, ou: %q}\n", ids[name], name, o.MemberOU[name])
	}
	b.WriteString("buckets:\n")
	for _, bk := range o.Buckets {
		fmt.Fprintf(&b, "  - name: %s\n    account: %q\n", bk.Name, ids[bk.Account])
		if bk.Region != "" {
			fmt.Fprintf(&b, "    region: %s\n", bk.Region)
		}
		ownership := bk.Ownership
		if ownership == "" {
			ownership = "unset"
		}
		fmt.Fprintf(&b, "    ownership: %s\n", ownership)
		if bk.PublicRead {
			b.WriteString("    acl: [{grantee: AllUsers, permission: READ}]\n")
		}
		if bk.Versioned {
			b.WriteString("    versioning: Enabled\n")
		}
		if len(bk.Objects) > 0 {
			b.WriteString("    objects:\n")
		}
		for _, obj := range bk.Objects {
			if obj.Delete {
				fmt.Fprintf(&b, "      - {key: %q, delete: true}\n", obj.Key)
				continue
			}
			fmt.Fprintf(&b, "      - {key: %q, size: %d, versions: %d}\n", obj.Key, obj.Size, max(obj.Versions, 1))
		}
	}
	return b.String()
}

// diffSide is one implementation under comparison, seeded and reachable.
type diffSide struct {
	Name string     // "fakeaws" | "moto"
	Mgmt aws.Config // management account's long-term credentials
}

// startFakeawsSide serves the organization from its scenario YAML.
func startFakeawsSide(t *testing.T, org *diffOrg) diffSide {
	t.Helper()
	sc, err := fakeaws.ParseScenario([]byte(org.scenarioYAML()))
	if err != nil {
		t.Fatalf("fakeaws: parse differential scenario: %v", err)
	}
	srv, err := fakeaws.NewServer(sc, "")
	if err != nil {
		t.Fatalf("fakeaws: start server: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	key, secret := srv.Emulator.ManagementCredentials()
	return diffSide{Name: "fakeaws", Mgmt: mototest.StaticConfig(srv.URL, key, secret)}
}

// seedConcurrency bounds how many buckets are seeded into moto at once.
const seedConcurrency = 4

// startMotoSide creates the organization in a fresh moto through the SDK:
// the organization and accounts, then each bucket with the credentials of
// its account (AssumeRole into the member's OrganizationAccountAccessRole).
func startMotoSide(t *testing.T, org *diffOrg) diffSide {
	t.Helper()
	ctx := context.Background()
	srv := mototest.Start(t)
	created, err := srv.CreateOrganization(ctx, org.Members...)
	if err != nil {
		t.Fatal(err)
	}
	if err := createOUs(ctx, srv, org, created.Members); err != nil {
		t.Fatalf("moto: %v", err)
	}
	mgmt := srv.ManagementConfig()
	configs := map[string]aws.Config{"": mgmt}
	for name, id := range created.Members {
		cfg, err := mototest.AssumeRoleConfig(ctx, mgmt, mototest.MemberRoleARN(id))
		if err != nil {
			t.Fatal(err)
		}
		configs[name] = cfg
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(seedConcurrency)
	for _, b := range org.Buckets {
		g.Go(func() error { return mototest.CreateBucket(gctx, configs[b.Account], b.Bucket) })
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("moto: seed: %v", err)
	}
	return diffSide{Name: "moto", Mgmt: mgmt}
}

// createOUs builds the OU tree in moto and moves the members into it.
func createOUs(ctx context.Context, srv *mototest.Server, org *diffOrg, ids map[string]string) error {
	client := mototest.NewOrganizations(srv.ManagementConfig())
	roots, err := client.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil || len(roots.Roots) != 1 {
		return fmt.Errorf("list roots: %d roots, %v", len(roots.Roots), err)
	}
	rootID := aws.ToString(roots.Roots[0].Id)
	ouIDs := map[string]string{"": rootID}
	for _, p := range org.OUs {
		parent, name := "", p
		if i := strings.LastIndex(p, "/"); i >= 0 {
			parent, name = p[:i], p[i+1:]
		}
		out, err := client.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{
			ParentId: aws.String(ouIDs[parent]), Name: aws.String(name)})
		if err != nil {
			return fmt.Errorf("create OU %s: %w", p, err)
		}
		ouIDs[p] = aws.ToString(out.OrganizationalUnit.Id)
	}
	for member, ou := range org.MemberOU {
		_, err := client.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(ids[member]),
			SourceParentId: aws.String(rootID), DestinationParentId: aws.String(ouIDs[ou])})
		if err != nil {
			return fmt.Errorf("move %s to %s: %w", member, ou, err)
		}
	}
	return nil
}
