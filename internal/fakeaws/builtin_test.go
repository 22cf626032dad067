package fakeaws

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const builtinExternalID = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"

func TestBuiltinScenarioIsValid(t *testing.T) {
	if _, err := ParseScenario(builtinYAML); err != nil {
		t.Fatalf("embedded builtin.yaml: %v", err)
	}
	a, b := BuiltinScenario(), BuiltinScenario()
	if a == b || &a.Buckets[0] == &b.Buckets[0] {
		t.Error("BuiltinScenario must return a fresh copy each time")
	}
	if a.ManagementAccount != "111111111111" || len(a.Accounts) != 5 || a.Buckets[0].Name != "our-shared-widgets" {
		t.Errorf("unexpected builtin: mgmt %s, %d accounts, first bucket %s", a.ManagementAccount, len(a.Accounts), a.Buckets[0].Name)
	}
}

// builtinOwners lists the versions of a bucket as B and returns key ->
// owner IDs (latest first, then noncurrent, in listing order).
func builtinOwners(t *testing.T, c *s3.Client, bucket string) (owners map[string][]string, latestOwner map[string]string) {
	t.Helper()
	owners, latestOwner = map[string][]string{}, map[string]string{}
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListObjectVersions %s: %v", bucket, err)
		}
		for _, v := range page.Versions {
			owners[*v.Key] = append(owners[*v.Key], *v.Owner.ID)
			if aws.ToBool(v.IsLatest) {
				latestOwner[*v.Key] = *v.Owner.ID
			}
		}
	}
	return owners, latestOwner
}

// TestBuiltinScenarioStory checks, through the SDK, that the demo shows
// every case it promises.
func TestBuiltinScenarioStory(t *testing.T) {
	srv := coreServe(t, BuiltinScenario())
	ctx := context.Background()
	mgmt := coreAccountConfig(t, srv, "111111111111")
	b := coreAssume(t, srv, mgmt, "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole")
	bS3 := coreS3(b)
	idB, idC := CanonicalIDFor("222222222222"), CanonicalIDFor("333333333333")

	owners, _ := builtinOwners(t, bS3, "our-shared-widgets")
	for _, key := range []string{"widgets/from-c/batch-001.csv", "widgets/from-c/summary.pdf"} {
		if got := owners[key]; len(got) != 1 || got[0] != idC {
			t.Errorf("our-shared-widgets %s owners %v, want C", key, got)
		}
	}
	if owners["widgets/catalog.json"][0] != idB {
		t.Error("catalog.json should be B's")
	}

	owners, _ = builtinOwners(t, bS3, "acme-b-preferred-uploads")
	if owners["uploads/c-with-bofc.txt"][0] != idB || owners["uploads/c-without-acl.txt"][0] != idC {
		t.Errorf("preferred bucket owners %v", owners)
	}

	owners, latest := builtinOwners(t, bS3, "acme-b-versioned-logs")
	foreignLatest, foreignNoncurrent := 0, 0
	for key, ids := range owners {
		for _, id := range ids {
			if id == idB {
				continue
			}
			if latest[key] == id {
				foreignLatest++
			} else {
				foreignNoncurrent++
			}
		}
	}
	if foreignLatest != 0 || foreignNoncurrent != 1 {
		t.Errorf("versioned bucket: %d foreign latest, %d foreign noncurrent; want 0 and 1", foreignLatest, foreignNoncurrent)
	}

	owners, _ = builtinOwners(t, bS3, "acme-b-legacy-unset")
	if owners["legacy/partner-drop.zip"][0] != builtinExternalID {
		t.Errorf("legacy bucket external owner %v", owners["legacy/partner-drop.zip"])
	}
	_, err := bS3.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("acme-b-legacy-unset")})
	if code := coreErrCode(t, err); code != "OwnershipControlsNotFoundError" {
		t.Errorf("unset bucket ownership controls: %s", code)
	}

	acl, err := bS3.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("acme-b-public-assets")})
	if err != nil {
		t.Fatal(err)
	}
	public := false
	for _, g := range acl.Grants {
		if g.Grantee.Type == s3types.TypeGroup && aws.ToString(g.Grantee.URI) == "http://acs.amazonaws.com/groups/global/AllUsers" && g.Permission == s3types.PermissionRead {
			public = true
		}
	}
	if !public {
		t.Errorf("acme-b-public-assets grants %+v, want AllUsers READ", acl.Grants)
	}

	eu := b.Copy()
	eu.Region = "eu-west-1"
	if _, err := coreS3(eu).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("acme-b-eu-archive")}); err != nil {
		t.Errorf("HeadBucket in eu-west-1: %v", err)
	}

	for _, acct := range []string{"444444444444", "555555555555"} {
		_, err := coreSTS(mgmt).AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String("arn:aws:iam::" + acct + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("demo"),
		})
		if code := coreErrCode(t, err); code != "AccessDenied" {
			t.Errorf("AssumeRole into %s: %s, want AccessDenied", acct, code)
		}
	}
}
