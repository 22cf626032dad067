package scanner

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/scanner/policy"
)

// readinessScenario is the organization of one bucket per verdict and
// blocker kind, shared with cmd/ownerscan's end-to-end test.
const readinessScenario = "../cmd/ownerscan/testdata/readiness.yaml"

func loadReadinessScenario(t *testing.T) *fakeaws.Scenario {
	t.Helper()
	sc, err := fakeaws.LoadScenario(readinessScenario)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// blockerKinds renders a readiness as "verdict: KIND/verdict ...".
func blockerKinds(rd *Readiness) string {
	if rd == nil {
		return "<none>"
	}
	parts := []string{string(rd.Verdict) + ":"}
	for _, b := range rd.Blockers {
		parts = append(parts, string(b.Kind)+"/"+string(b.Verdict))
	}
	return strings.Join(parts, " ")
}

func TestE2EReadinessVerdicts(t *testing.T) {
	srv := emulate(t, loadReadinessScenario(t))
	res := scanEmulator(t, srv, DefaultOptions(), nil)
	if !res.Complete {
		t.Fatalf("scan incomplete: %+v", res.Findings)
	}
	want := map[string]string{
		"ready-plain":                     "ready:",
		"migrate-member-grant":            "migrate: BUCKET_ACL_GRANT/migrate BUCKET_ACL_GRANT/migrate",
		"migrate-log-delivery":            "migrate: LOG_DELIVERY_GRANT/migrate",
		"blocked-cloudfront-logs":         "blocked: CLOUDFRONT_LOG_TARGET/blocked",
		"blocked-public-bucket":           "blocked: BUCKET_ACL_GRANT/blocked",
		"blocked-policy-public-read":      "blocked: POLICY_REQUIRES_ACL/blocked",
		"ready-policy-owner-full-control": "ready:",
		"migrate-public-object":           "migrate: OBJECT_ACL_GRANTS/migrate",
		"log-source":                      "<none>", // enforced
	}
	for name, w := range want {
		b := bucketByName(t, res, name)
		if got := blockerKinds(b.Readiness); got != w {
			t.Errorf("%s: readiness %s, want %s", name, got, w)
		}
	}
	if c := srv.Emulator.Counters(); c.Total != res.Calls.MinCalls {
		t.Errorf("calls %d, min %d: %v", c.Total, res.Calls.MinCalls, c.ByOperation)
	}

	// The blocked policy names its statement.
	pr := bucketByName(t, res, "blocked-policy-public-read").Readiness
	if d := pr.Blockers[0].Detail; !strings.Contains(d, `"PartnerUploadsMustBePublic"`) || !strings.Contains(d, "public-read") {
		t.Errorf("POLICY_REQUIRES_ACL detail does not name the statement and the ACL: %s", d)
	}
	// Public grants are never migrated: no policy for blocked buckets.
	for _, name := range []string{"blocked-public-bucket", "blocked-cloudfront-logs", "blocked-policy-public-read"} {
		if rd := bucketByName(t, res, name).Readiness; rd.MigrationPolicy != "" {
			t.Errorf("%s: a blocked bucket has a migration policy: %s", name, rd.MigrationPolicy)
		}
	}

	// The migration policies: valid, the existing statements first, the
	// new ones saying what they are.
	member := bucketByName(t, res, "migrate-member-grant").Readiness
	doc := parseMigration(t, member)
	if sids := sidsOf(doc); !reflect.DeepEqual(sids, []string{"MigratedBucketAclReadAccount333333333333", "MigratedBucketAclWriteAccount333333333333"}) {
		t.Errorf("member grant statements: %v", sids)
	}
	if p := doc.Statements[0].Principal; p == nil || !reflect.DeepEqual(p.AWS, []string{"arn:aws:iam::333333333333:root"}) {
		t.Errorf("member grantee principal: %+v", p)
	}
	logs := parseMigration(t, bucketByName(t, res, "migrate-log-delivery").Readiness)
	if st := logs.Statements[0]; st.Principal.Service[0] != "logging.s3.amazonaws.com" || st.Conditions[0].Key != "aws:SourceAccount" || st.Conditions[0].Values[0] != "222222222222" {
		t.Errorf("log delivery statement: %s", st.Raw)
	}
	public := bucketByName(t, res, "migrate-public-object").Readiness
	pub := parseMigration(t, public)
	if st := pub.Statements[0]; !st.Principal.Any || !reflect.DeepEqual(st.Resource, []string{"arn:aws:s3:::migrate-public-object/press/logo.png"}) {
		t.Errorf("public object statement: %s", st.Raw)
	}
	if s := public.ObjectACLSample; s.Size != DefaultObjectACLSample || s.Read != 2 || len(s.Grants) != 1 || s.Grants[0].Kind != GranteeAllUsers ||
		!reflect.DeepEqual(s.Grants[0].SampleKeys, []string{"press/logo.png"}) {
		t.Errorf("public object sample: %+v", s)
	}

	// The ACLS_ENABLED remediation is the bucket's own.
	for name, want := range map[string]string{
		"ready-plain":                "Ready:",
		"migrate-member-grant":       "put-bucket-policy",
		"blocked-public-bucket":      "Blocked:",
		"blocked-policy-public-read": "PartnerUploadsMustBePublic",
	} {
		f := findingsOf(res, FindingACLsEnabled, name)
		if len(f) != 1 || !strings.Contains(f[0].Remediation, want) {
			t.Errorf("%s: ACLS_ENABLED remediation does not say %q: %+v", name, want, f)
		}
	}
	// A grant to CloudFront's log delivery is not to an unknown outsider.
	cf := bucketByName(t, res, "blocked-cloudfront-logs")
	if len(cf.ACLGrants) != 1 || cf.ACLGrants[0].Kind != GranteeCloudFrontLogs {
		t.Errorf("CloudFront grant: %+v", cf.ACLGrants)
	}
}

func parseMigration(t *testing.T, rd *Readiness) *policy.Document {
	t.Helper()
	if !json.Valid([]byte(rd.MigrationPolicy)) {
		t.Fatalf("migration policy is not JSON: %s", rd.MigrationPolicy)
	}
	doc, err := policy.Parse([]byte(rd.MigrationPolicy))
	if err != nil {
		t.Fatalf("migration policy does not parse: %v\n%s", err, rd.MigrationPolicy)
	}
	return doc
}

func sidsOf(doc *policy.Document) []string {
	var out []string
	for _, s := range doc.Statements {
		out = append(out, s.Sid)
	}
	return out
}

// TestE2EReadinessOffCostsNothing: with readiness off a bucket not enforced
// costs what it did before readiness, and carries none.
func TestE2EReadinessOffCostsNothing(t *testing.T) {
	srv := emulate(t, loadReadinessScenario(t))
	opts := DefaultOptions()
	opts.Readiness.Enabled = false
	res := scanEmulator(t, srv, opts, nil)
	c := srv.Emulator.Counters()
	if c.ByOperation["GetBucketPolicy"] != 0 || c.ByOperation["GetObjectAcl"] != 0 || c.Total != res.Calls.MinCalls {
		t.Errorf("readiness off: %v (min %d)", c.ByOperation, res.Calls.MinCalls)
	}
	for _, b := range res.Buckets {
		if b.Readiness != nil {
			t.Errorf("%s has readiness with readiness off", b.Name)
		}
	}
	// Sample 0: the policy is read, no object ACL is.
	srv = emulate(t, loadReadinessScenario(t))
	opts = DefaultOptions()
	opts.Readiness.ObjectACLSample = 0
	res = scanEmulator(t, srv, opts, nil)
	c = srv.Emulator.Counters()
	if c.ByOperation["GetBucketPolicy"] != 8 || c.ByOperation["GetObjectAcl"] != 0 || c.Total != res.Calls.MinCalls {
		t.Errorf("sample 0: %v (min %d)", c.ByOperation, res.Calls.MinCalls)
	}
	if rd := bucketByName(t, res, "migrate-public-object").Readiness; rd.Verdict != VerdictReady || rd.ObjectACLSample.Skipped == "" {
		t.Errorf("sample 0: an unsampled public object cannot be seen: %+v", rd)
	}
	// objects.mode off: nothing listed, so nothing to sample; the policy
	// still goes out beside the ACL.
	srv = emulate(t, loadReadinessScenario(t))
	opts = DefaultOptions()
	opts.ObjectsMode = ObjectsModeOff
	res = scanEmulator(t, srv, opts, nil)
	c = srv.Emulator.Counters()
	if c.ByOperation["GetBucketPolicy"] != 8 || c.ByOperation["GetObjectAcl"] != 0 || c.ByOperation["ListObjectVersions"] != 0 || c.Total != res.Calls.MinCalls {
		t.Errorf("objects.mode off: %v (min %d)", c.ByOperation, res.Calls.MinCalls)
	}
	if rd := bucketByName(t, res, "blocked-policy-public-read").Readiness; rd.Verdict != VerdictBlocked || !strings.Contains(rd.ObjectACLSample.Skipped, "objects.mode") {
		t.Errorf("objects.mode off: %+v", rd)
	}
}
