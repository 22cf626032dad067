package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// MaxBucketPolicyBytes is the size S3 allows a bucket policy
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html).
const MaxBucketPolicyBytes = 20 << 10

// currentVersion is the policy language version Merge writes: the one in
// which ${*}, ${?} and ${$} stand for literal characters.
const currentVersion = "2012-10-17"

// NewStatement is an Allow statement to add to a bucket policy.
type NewStatement struct {
	Sid       string
	Principal any // AnyPrincipal, or what AWSPrincipal and the like return
	Actions   []string
	Resources []string
	// Condition is operator -> key -> values, e.g.
	// {"StringEquals": {"aws:SourceAccount": {"111122223333"}}}.
	Condition map[string]map[string][]string
}

// AnyPrincipal is the principal "*": anyone, signed or not.
const AnyPrincipal = "*"

// AWSPrincipal is {"AWS": arn}.
func AWSPrincipal(arn string) any { return map[string]string{"AWS": arn} }

// ServicePrincipal is {"Service": name}.
func ServicePrincipal(name string) any { return map[string]string{"Service": name} }

// CanonicalUserPrincipal is {"CanonicalUser": id}.
func CanonicalUserPrincipal(id string) any { return map[string]string{"CanonicalUser": id} }

// ResourceKey escapes an object key for use in a Resource ARN: "*", "?"
// and "$" would otherwise be wildcards or start a policy variable, so they
// are written as the variables ${*}, ${?} and ${$} that stand for them
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-specialchars).
func ResourceKey(key string) string { return resourceKeyEscaper.Replace(key) }

var resourceKeyEscaper = strings.NewReplacer("$", "${$}", "*", "${*}", "?", "${?}")

// statementJSON orders a new statement's elements as IAM documents them.
type statementJSON struct {
	Sid       string                    `json:"Sid"`
	Effect    Effect                    `json:"Effect"`
	Principal any                       `json:"Principal"`
	Action    any                       `json:"Action"`
	Resource  any                       `json:"Resource"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// oneOrList is a lone string for one value, else the list.
func oneOrList(values []string) any {
	if len(values) == 1 {
		return values[0]
	}
	return values
}

func (s NewStatement) marshal() ([]byte, error) {
	out := statementJSON{Sid: s.Sid, Effect: Allow, Principal: s.Principal,
		Action: oneOrList(s.Actions), Resource: oneOrList(s.Resources)}
	if len(s.Condition) > 0 {
		out.Condition = map[string]map[string]any{}
		for op, keys := range s.Condition {
			out.Condition[op] = map[string]any{}
			for k, v := range keys {
				out.Condition[op][k] = oneOrList(v)
			}
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Merge returns the bucket policy made of existing's statements, each
// exactly as it was, followed by add, as compact JSON. existing may be nil
// (the bucket has no policy). A new Sid that an existing statement (or an
// earlier new one) already uses gets a number appended. The Version is
// 2012-10-17; an existing document of an older or no Version is moved to
// it only when none of its statements holds "${", whose meaning the newer
// version changes.
func Merge(existing *Document, add []NewStatement) ([]byte, error) {
	version := currentVersion
	var raws [][]byte
	used := map[string]bool{}
	id := ""
	if existing != nil {
		id = existing.ID
		for _, st := range existing.Statements {
			if existing.Version != currentVersion && bytes.Contains(st.Raw, []byte("${")) {
				return nil, errorf("the existing policy (Version %q) holds \"${\" in statement %s; moving it to Version %s would change its meaning", existing.Version, st.Name(), currentVersion)
			}
			raws = append(raws, st.Raw)
			used[st.Sid] = true
		}
	}
	for _, s := range add {
		s.Sid = uniqueSid(s.Sid, used)
		raw, err := s.marshal()
		if err != nil {
			return nil, fmt.Errorf("policy: merge: statement %q: %w", s.Sid, err)
		}
		raws = append(raws, raw)
	}
	var buf bytes.Buffer
	buf.WriteString(`{"Version":"` + version + `"`)
	if id != "" {
		idJSON, err := json.Marshal(id)
		if err != nil {
			return nil, fmt.Errorf("policy: merge: Id: %w", err)
		}
		buf.WriteString(`,"Id":`)
		buf.Write(idJSON)
	}
	buf.WriteString(`,"Statement":[`)
	buf.Write(bytes.Join(raws, []byte(",")))
	buf.WriteString("]}")
	return buf.Bytes(), nil
}

// uniqueSid returns sid, or sid with a number appended, not yet in used,
// and marks it used.
func uniqueSid(sid string, used map[string]bool) string {
	name := sid
	for i := 2; used[name]; i++ {
		name = sid + strconv.Itoa(i)
	}
	used[name] = true
	return name
}
