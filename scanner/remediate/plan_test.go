package remediate

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ownerscan/ownerscan/scanner"
)

var planNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// samplePlan is a plan of one bucket per verdict, built as Build builds it.
func samplePlan(t testing.TB) *Plan {
	t.Helper()
	bucket := func(name string, v scanner.ReadinessVerdict, grants []scanner.Grant, policy string) scanner.Bucket {
		return scanner.Bucket{AccountID: "222222222222", AccountName: "B", Name: name, Region: "us-east-1",
			ObjectOwnership: scanner.OwnershipObjectWriter, Status: scanner.BucketNoncompliant, ACLGrants: grants,
			StateFingerprint: "sha256:" + strings.Repeat("ab", 32),
			Readiness: &scanner.Readiness{Verdict: v, MigrationPolicy: policy, Changes: []string{"a change"},
				Blockers: []scanner.Blocker{{Kind: scanner.BlockerBucketACLGrant, Verdict: v, Detail: "d", Fix: "f"}}}}
	}
	grant := []scanner.Grant{{Kind: scanner.GranteeMember, CanonicalID: strings.Repeat("c", 64), Permission: "READ"}}
	p, err := Build(BuildInput{
		Organization: scanner.Organization{ID: "o-abcdefghij", ManagementAccountID: "111111111111", Partition: "aws"},
		Scanned:      planNow.Add(-time.Hour), Source: "scan", Tool: PlanTool{Name: "ownerscan", Version: "test"}, Now: planNow,
		Buckets: []scanner.Bucket{
			bucket("ready", scanner.VerdictReady, nil, ""),
			bucket("migrate", scanner.VerdictMigrate, grant, `{"Version":"2012-10-17","Statement":[]}`),
			bucket("migrate-acl-only", scanner.VerdictMigrate, grant, ""),
			bucket("blocked", scanner.VerdictBlocked, nil, ""),
			{AccountID: "222222222222", Name: "enforced", ObjectOwnership: scanner.OwnershipEnforced},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBuildStepsFollowTheVerdict: enforced buckets are not planned; ready
// ones are enforced; migrate ones get the policy (when there is one) and
// the private ACL (when the ACL grants anyone) first; blocked ones nothing.
func TestBuildStepsFollowTheVerdict(t *testing.T) {
	p := samplePlan(t)
	got := map[string][]Action{}
	for _, b := range p.Buckets {
		got[b.Bucket] = []Action{}
		for _, s := range b.Steps {
			got[b.Bucket] = append(got[b.Bucket], s.Action)
		}
	}
	want := map[string][]Action{
		"ready":            {ActionEnforce},
		"migrate":          {ActionPutBucketPolicy, ActionPutBucketACL, ActionEnforce},
		"migrate-acl-only": {ActionPutBucketACL, ActionEnforce},
		"blocked":          {},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("steps %v, want %v", got, want)
	}
	if !fingerprintPattern.MatchString(p.Digest) {
		t.Errorf("digest %q", p.Digest)
	}
	// No readiness, no fingerprint, an old scan: no plan.
	for name, in := range map[string]BuildInput{
		"readiness off":  {Buckets: []scanner.Bucket{{Name: "x", ObjectOwnership: scanner.OwnershipObjectWriter}}},
		"no fingerprint": {Buckets: []scanner.Bucket{{Name: "x", Readiness: &scanner.Readiness{Verdict: scanner.VerdictReady}}}},
		"an old scan":    {Scanned: planNow.Add(-MaxPlanAge - time.Hour)},
	} {
		in.Organization, in.Now = p.Organization, planNow
		if in.Scanned.IsZero() {
			in.Scanned = planNow
		}
		if _, err := Build(in); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: %v, want refused", name, err)
		}
	}
}

// TestPlanRoundTrip: a written plan reads back equal, whatever the
// indentation.
func TestPlanRoundTrip(t *testing.T) {
	p := samplePlan(t)
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := WritePlan(path, p); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("plan file mode %v, %v", st.Mode(), err)
	}
	got, err := ReadPlanFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Errorf("read back:\n got %+v\nwant %+v", got, p)
	}
	compact, _ := json.Marshal(p)
	if _, err := ReadPlan(bytes.NewReader(compact)); err != nil {
		t.Errorf("compact: %v", err)
	}
}

// TestReadPlanRefuses: what is not a plan, or no longer the plan that was
// made, is refused with a line saying so.
func TestReadPlanRefuses(t *testing.T) {
	p := samplePlan(t)
	data, _ := json.Marshal(p)
	edit := func(f func(m map[string]any)) string {
		var m map[string]any
		json.Unmarshal(data, &m)
		f(m)
		out, _ := json.Marshal(m)
		return string(out)
	}
	bucket := func(m map[string]any, i int) map[string]any { return m["buckets"].([]any)[i].(map[string]any) }
	for name, tc := range map[string]struct{ input, want string }{
		"not JSON":             {"plan", "not a plan"},
		"a report":             {`{"schema_version":1,"tool":{"name":"ownerscan"}}`, "not a plan"},
		"cut short":            {string(data[:len(data)/2]), "not a plan"},
		"data after it":        {string(data) + "{}", "data after the plan"},
		"another format":       {edit(func(m map[string]any) { m["format"] = "x" }), "not a plan"},
		"an unknown field":     {edit(func(m map[string]any) { m["approved_by"] = "me" }), "unknown field"},
		"a fingerprint edited": {edit(func(m map[string]any) { bucket(m, 0)["fingerprint"] = "sha256:" + strings.Repeat("0", 64) }), "edited after it was made"},
		"a step removed":       {edit(func(m map[string]any) { bucket(m, 3)["steps"] = []any{} }), "edited after it was made"},
		"the digest edited":    {edit(func(m map[string]any) { m["digest"] = "sha256:" + strings.Repeat("1", 64) }), "edited after it was made"},
		"the organization":     {edit(func(m map[string]any) { m["organization"].(map[string]any)["id"] = "o-zzzzzzzzzz" }), "edited after it was made"},
	} {
		_, err := ReadPlan(strings.NewReader(tc.input))
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line refusing with %q", name, err, tc.want)
		}
	}
}

// TestReadPlanRefusesWhatNoPlanHolds: a plan resealed after an edit (its
// digest matches) is still refused when it plans what plan never would.
func TestReadPlanRefusesWhatNoPlanHolds(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(p *Plan)
		want string
	}{
		"steps on a blocked bucket": {func(p *Plan) { p.Buckets[0].Steps = []Step{{Action: ActionEnforce, ObjectOwnership: OwnershipTarget}} }, "never changed"},
		"steps out of order": {func(p *Plan) {
			b := &p.Buckets[1]
			b.Steps[0], b.Steps[1] = b.Steps[1], b.Steps[0]
		}, "out of place"},
		"no enforce step":     {func(p *Plan) { p.Buckets[1].Steps = p.Buckets[1].Steps[:2] }, "last step"},
		"another ownership":   {func(p *Plan) { p.Buckets[3].Steps[0].ObjectOwnership = scanner.OwnershipPreferred }, "sets only object_ownership"},
		"a public ACL":        {func(p *Plan) { p.Buckets[1].Steps[1].ACL = "public-read" }, `sets only acl "private"`},
		"a policy not JSON":   {func(p *Plan) { p.Buckets[1].Steps[0].Policy = "{" }, "a policy of JSON"},
		"a bucket twice":      {func(p *Plan) { p.Buckets = append(p.Buckets, p.Buckets[0]) }, "planned twice"},
		"a bad account":       {func(p *Plan) { p.Buckets[0].AccountID = "12" }, "not an account ID"},
		"a bad bucket name":   {func(p *Plan) { p.Buckets[0].Bucket = "a/b" }, "not a bucket name"},
		"a ready bucket bare": {func(p *Plan) { p.Buckets[3].Fingerprint = "" }, "no fingerprint"},
	} {
		p := samplePlan(t)
		tc.edit(p)
		if err := p.Seal(); err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(p)
		_, err := ReadPlan(bytes.NewReader(data))
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want refused with %q", name, err, tc.want)
		}
	}
}

// TestCheckAge: a plan may be applied for MaxPlanAge after its scan, and
// never when dated in the future.
func TestCheckAge(t *testing.T) {
	p := samplePlan(t)
	if err := p.CheckAge(planNow); err != nil {
		t.Errorf("a fresh plan: %v", err)
	}
	if err := p.CheckAge(p.Scanned.Add(MaxPlanAge + time.Minute)); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "too old") {
		t.Errorf("an old plan: %v", err)
	}
	if err := p.CheckAge(planNow.Add(-time.Hour)); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "future") {
		t.Errorf("a plan from the future: %v", err)
	}
}

// FuzzReadPlan: ReadPlan never panics, and what it accepts encodes to a
// plan it accepts again, equal.
func FuzzReadPlan(f *testing.F) {
	p := samplePlan(f)
	data, _ := json.Marshal(p)
	f.Add(data)
	f.Add([]byte(`{"format":"ownerscan-plan","version":1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadPlan(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("an error that is no refusal: %v", err)
			}
			return
		}
		again, _ := json.Marshal(p)
		q, err := ReadPlan(bytes.NewReader(again))
		if err != nil || !reflect.DeepEqual(p, q) {
			t.Fatalf("accepted, then not again: %v", err)
		}
	})
}
