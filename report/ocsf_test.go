package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ownerscan/ownerscan/scanner"
)

// ocsfSpec is testdata/ocsf-1.6.0-requirements.json: what OCSF 1.6.0 asks
// of the class and objects findings.ocsf.json uses, written down from the
// schema repository (its "comment" names the commit and the files).
type ocsfSpec struct {
	Comment       string `json:"comment"`
	SchemaVersion string `json:"schema_version"`
	SchemaCommit  string `json:"schema_commit"`
	Class         struct {
		Name        string              `json:"name"`
		CategoryUID int                 `json:"category_uid"`
		ClassUID    int                 `json:"class_uid"`
		Profiles    []string            `json:"profiles"`
		Attributes  map[string]ocsfAttr `json:"attributes"`
	} `json:"class"`
	Objects map[string]struct {
		Attributes  map[string]ocsfAttr `json:"attributes"`
		Constraints struct {
			AtLeastOne []string `json:"at_least_one"`
		} `json:"constraints"`
	} `json:"objects"`
}

type ocsfAttr struct {
	Kind        string `json:"kind"` // string, integer, number, boolean, any, object
	Requirement string `json:"requirement"`
	Object      string `json:"object"`
	Array       bool   `json:"array"`
	Deprecated  bool   `json:"deprecated"`
	Enum        []int  `json:"enum"`
}

func loadOCSFSpec(t *testing.T) *ocsfSpec {
	t.Helper()
	data, err := os.ReadFile("testdata/ocsf-1.6.0-requirements.json")
	if err != nil {
		t.Fatal(err)
	}
	var spec ocsfSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	if spec.SchemaVersion != ocsfVersion || !strings.Contains(spec.Comment, spec.SchemaCommit) || len(spec.SchemaCommit) != 40 {
		t.Fatalf("requirements file: version %q, commit %q", spec.SchemaVersion, spec.SchemaCommit)
	}
	return &spec
}

// check validates value against attrs (and the at_least_one constraint):
// every attribute known and not deprecated, of its kind, within its enum,
// objects checked in turn, every required attribute present. It returns
// every problem, each with its path.
func (s *ocsfSpec) check(path string, attrs map[string]ocsfAttr, atLeastOne []string, obj map[string]any) []string {
	var problems []string
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		a, ok := attrs[k]
		p := path + "." + k
		switch {
		case !ok:
			problems = append(problems, p+": not an attribute of this object in OCSF "+s.SchemaVersion)
			continue
		case a.Deprecated:
			problems = append(problems, p+": deprecated")
		}
		values := []any{obj[k]}
		if a.Array {
			list, isList := obj[k].([]any)
			if !isList {
				problems = append(problems, p+": not an array")
				continue
			}
			values = list
		}
		for i, v := range values {
			vp := p
			if a.Array {
				vp = fmt.Sprintf("%s[%d]", p, i)
			}
			problems = append(problems, s.checkValue(vp, a, v)...)
		}
	}
	for _, k := range slices.Sorted(mapKeys(attrs)) {
		if _, ok := obj[k]; !ok && attrs[k].Requirement == "required" {
			problems = append(problems, path+"."+k+": required, missing")
		}
	}
	if len(atLeastOne) > 0 && !slices.ContainsFunc(atLeastOne, func(k string) bool { _, ok := obj[k]; return ok }) {
		problems = append(problems, fmt.Sprintf("%s: needs at least one of %v", path, atLeastOne))
	}
	return problems
}

func (s *ocsfSpec) checkValue(path string, a ocsfAttr, v any) []string {
	switch a.Kind {
	case "any":
		return nil
	case "string":
		if str, ok := v.(string); !ok || str == "" {
			return []string{fmt.Sprintf("%s: want a non-empty string, got %#v", path, v)}
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return []string{fmt.Sprintf("%s: want a boolean, got %#v", path, v)}
		}
	case "integer", "number":
		n, ok := v.(json.Number)
		if !ok {
			return []string{fmt.Sprintf("%s: want a number, got %#v", path, v)}
		}
		i, err := n.Int64()
		if a.Kind == "integer" && err != nil {
			return []string{fmt.Sprintf("%s: want an integer, got %s", path, n)}
		}
		if len(a.Enum) > 0 && !slices.Contains(a.Enum, int(i)) {
			return []string{fmt.Sprintf("%s: %d is not one of %v", path, i, a.Enum)}
		}
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want an object, got %#v", path, v)}
		}
		spec, ok := s.Objects[a.Object]
		if !ok {
			return []string{fmt.Sprintf("%s: object %s is not written down in the requirements file", path, a.Object)}
		}
		return s.check(path, spec.Attributes, spec.Constraints.AtLeastOne, obj)
	default:
		return []string{fmt.Sprintf("%s: unknown kind %q in the requirements file", path, a.Kind)}
	}
	return nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// checkEvent validates one event against the class, and what the class
// fixes: its category and class, type_uid = class_uid * 100 + activity_id,
// the schema version, and the profiles applied.
func (s *ocsfSpec) checkEvent(path string, ev map[string]any) []string {
	problems := s.check(path, s.Class.Attributes, nil, ev)
	num := func(k string) int64 {
		n, _ := ev[k].(json.Number)
		i, _ := n.Int64()
		return i
	}
	if num("category_uid") != int64(s.Class.CategoryUID) || num("class_uid") != int64(s.Class.ClassUID) {
		problems = append(problems, fmt.Sprintf("%s: category_uid %d class_uid %d, want %d %d", path, num("category_uid"), num("class_uid"), s.Class.CategoryUID, s.Class.ClassUID))
	}
	if num("type_uid") != num("class_uid")*100+num("activity_id") {
		problems = append(problems, fmt.Sprintf("%s: type_uid %d is not class_uid*100+activity_id", path, num("type_uid")))
	}
	meta, _ := ev["metadata"].(map[string]any)
	if meta["version"] != s.SchemaVersion {
		problems = append(problems, fmt.Sprintf("%s.metadata.version: %v, want %s", path, meta["version"], s.SchemaVersion))
	}
	profiles, _ := meta["profiles"].([]any)
	for _, p := range s.Class.Profiles {
		if !slices.Contains(profiles, any(p)) {
			problems = append(problems, fmt.Sprintf("%s.metadata.profiles: %v lacks %s, whose attributes the events carry", path, profiles, p))
		}
	}
	return problems
}

func decodeEvents(t *testing.T, data []byte) []map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var events []map[string]any
	if err := dec.Decode(&events); err != nil {
		t.Fatalf("findings.ocsf.json is not a JSON array of objects: %v", err)
	}
	return events
}

// TestOCSFMeetsTheSchema writes findings.ocsf.json for each export document
// and checks every event against the requirements of OCSF 1.6.0, and what
// ownerscan promises on top: finding_info.uid is the finding's ID, the
// resource is the bucket's ARN, the account is cloud.account.uid, the
// compliance status says Fail (Warning for scan errors, Pass for a
// resolved finding's Close event).
func TestOCSFMeetsTheSchema(t *testing.T) {
	spec := loadOCSFSpec(t)
	for name, doc := range exportDocs(t) {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := writeOCSF(&buf, doc); err != nil {
				t.Fatal(err)
			}
			events := decodeEvents(t, buf.Bytes())
			want := exportedFindings(doc)
			if len(events) != len(want) {
				t.Fatalf("%d events, want %d", len(events), len(want))
			}
			for i, ev := range events {
				path := fmt.Sprintf("[%d]", i)
				for _, p := range spec.checkEvent(path, ev) {
					t.Error(p)
				}
				checkOCSFContent(t, path, doc, want[i], ev)
			}
		})
	}
}

func checkOCSFContent(t *testing.T, path string, doc *Document, e exported, ev map[string]any) {
	t.Helper()
	get := func(keys ...string) any {
		var v any = ev
		for _, k := range keys {
			m, _ := v.(map[string]any)
			v = m[k]
		}
		return v
	}
	if get("finding_info", "uid") != e.ID {
		t.Errorf("%s: finding_info.uid %v, want %s", path, get("finding_info", "uid"), e.ID)
	}
	status, activity := "3", "1"
	switch {
	case e.resolved:
		status, activity = "1", "3"
	case e.Type == scanner.FindingScanError:
		status = "2"
	}
	if fmt.Sprint(get("compliance", "status_id")) != status || fmt.Sprint(get("activity_id")) != activity {
		t.Errorf("%s: compliance.status_id %v activity_id %v, want %s %s", path, get("compliance", "status_id"), get("activity_id"), status, activity)
	}
	if acct := findingAccount(e.Finding, doc); acct != "" && get("cloud", "account", "uid") != acct {
		t.Errorf("%s: cloud.account.uid %v, want %s", path, get("cloud", "account", "uid"), acct)
	}
	res, _ := get("resources").([]any)
	if len(res) != 1 {
		t.Fatalf("%s: %d resources, want 1", path, len(res))
	}
	uid := res[0].(map[string]any)["uid"]
	if e.Bucket != "" && uid != "arn:"+partitionOf(doc)+":s3:::"+e.Bucket {
		t.Errorf("%s: resource uid %v, want the bucket ARN", path, uid)
	}
}

// TestOCSFCheckerCatchesMistakes: the checker is not vacuous. Each broken
// event must be refused with the expected reason.
func TestOCSFCheckerCatchesMistakes(t *testing.T) {
	spec := loadOCSFSpec(t)
	var buf bytes.Buffer
	if err := writeOCSF(&buf, NewDocument(fixtureResult(), fixtureTool, nil)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		mutate func(ev map[string]any)
		want   string
	}{
		{"no finding uid", func(ev map[string]any) { delete(ev["finding_info"].(map[string]any), "uid") }, "finding_info.uid: required, missing"},
		{"no cloud", func(ev map[string]any) { delete(ev, "cloud") }, ".cloud: required, missing"},
		{"severity out of enum", func(ev map[string]any) { ev["severity_id"] = json.Number("7") }, "7 is not one of"},
		{"unknown attribute", func(ev map[string]any) { ev["owner_scan"] = "x" }, "not an attribute"},
		{"string as number", func(ev map[string]any) { ev["time"] = "yesterday" }, ".time: want a number"},
		{"wrong type_uid", func(ev map[string]any) { ev["type_uid"] = json.Number("200399") }, "type_uid 200399"},
		{"another class", func(ev map[string]any) { ev["class_uid"] = json.Number("2004") }, "2004 is not one of [2003]"},
		{"product without name or uid", func(ev map[string]any) {
			ev["metadata"].(map[string]any)["product"] = map[string]any{"vendor_name": "x"}
		}, "needs at least one of [name uid]"},
		{"no remediation text", func(ev map[string]any) { ev["remediation"] = map[string]any{} }, "remediation.desc: required, missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := decodeEvents(t, buf.Bytes())[0]
			tc.mutate(ev)
			problems := strings.Join(spec.checkEvent("[0]", ev), "\n")
			if !strings.Contains(problems, tc.want) {
				t.Errorf("problems %q, want one containing %q", problems, tc.want)
			}
		})
	}
}
