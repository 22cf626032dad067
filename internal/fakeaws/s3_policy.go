package fakeaws

// Bucket policies: the document S3 stores for PutBucketPolicy, checked as S3
// checks it, compiled for evaluation (s3_policy_eval.go). This parser is
// the emulator's own, independent of the scanner's (scanner/policy), so a
// misreading in one cannot hide behind the same misreading in the other.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
)

// maxBucketPolicyBytes is S3's limit on a bucket policy
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html).
const maxBucketPolicyBytes = 20 << 10

// bucketPolicy is a stored bucket policy: its text as put, and the
// statements compiled. A policy the scenario's writers stand for is
// compiled on first use (see lazyPolicy): a generated organization has
// thousands, most never evaluated.
type bucketPolicy struct {
	text       string
	bucket     string
	once       sync.Once
	statements []policyStatement
}

// lazyPolicy stores text, known to be valid, for compiling when first
// evaluated.
func lazyPolicy(bucket, text string) *bucketPolicy {
	return &bucketPolicy{text: text, bucket: bucket}
}

// compiled returns the statements, compiling them the first time.
func (p *bucketPolicy) compiled() []policyStatement {
	p.once.Do(func() {
		if p.statements != nil {
			return
		}
		full, serr := parseBucketPolicy(p.bucket, p.text)
		if serr != nil {
			panic("fakeaws: a policy built by the emulator does not parse: " + serr.Error())
		}
		p.statements = full.statements
	})
	return p.statements
}

type policyStatement struct {
	sid          string
	deny         bool
	notPrincipal bool
	principals   policyPrincipals
	notAction    bool
	actions      []wildcard // case-insensitive
	notResource  bool
	resources    []wildcard
	conditions   []policyCondition
}

// policyPrincipals is a Principal element: "*" (any), or lists by type.
type policyPrincipals struct {
	any       bool
	aws       []string // "*", account IDs, root / user / role ARNs
	service   []string
	canonical []string
}

// policyCondition is one key of one operator.
type policyCondition struct {
	operator string // as written, for messages
	base     string // lower case, without set prefix and IfExists
	ifExists bool
	forAll   bool // ForAllValues:
	forAny   bool // ForAnyValue:
	key      string
	values   []string
	patterns []wildcard // for the Like and Arn operators: values compiled
}

// flexStrings is an element that is one string or a list of strings.
type flexStrings []string

func (f *flexStrings) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*f = flexStrings{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil || len(many) == 0 {
		return fmt.Errorf("must be a string or a non-empty list of strings")
	}
	*f = many
	return nil
}

// flexValues is a condition value: strings, numbers or booleans, one or a
// list, kept as text.
type flexValues []string

func (f *flexValues) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		if err := json.Unmarshal(b, &raw); err != nil {
			return err
		}
	} else {
		raw = []json.RawMessage{b}
	}
	for _, r := range raw {
		var v any
		if err := json.Unmarshal(r, &v); err != nil {
			return err
		}
		switch t := v.(type) {
		case string:
			*f = append(*f, t)
		case float64, bool:
			*f = append(*f, strings.TrimSpace(string(r)))
		default:
			return fmt.Errorf("condition values must be strings, numbers or booleans")
		}
	}
	return nil
}

type statementDoc struct {
	Sid          string                                `json:"Sid"`
	Effect       string                                `json:"Effect"`
	Principal    json.RawMessage                       `json:"Principal"`
	NotPrincipal json.RawMessage                       `json:"NotPrincipal"`
	Action       flexStrings                           `json:"Action"`
	NotAction    flexStrings                           `json:"NotAction"`
	Resource     flexStrings                           `json:"Resource"`
	NotResource  flexStrings                           `json:"NotResource"`
	Condition    map[string]map[string]json.RawMessage `json:"Condition"`
}

var (
	principalAccountPattern = regexp.MustCompile(`^([0-9]{12})$|^arn:aws[a-z-]*:iam::([0-9]{12}):(root|user/.+|role/.+)$`)
	canonicalPrincipal      = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// policyConditionOperators are the IAM condition operators, lower case.
var policyConditionOperators = map[string]bool{}

func init() {
	for _, op := range []string{"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
		"StringLike", "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
		"NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals", "DateNotEquals", "DateLessThan",
		"DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals", "Bool", "BinaryEquals", "IpAddress",
		"NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null"} {
		policyConditionOperators[strings.ToLower(op)] = true
	}
}

// errMalformedPolicy is S3's answer to a policy it will not store.
func errMalformedPolicy(msg string) *s3Error {
	return newS3Error(http.StatusBadRequest, "MalformedPolicy", msg)
}

// parseBucketPolicy checks a policy for bucket as S3 does on
// PutBucketPolicy (valid JSON, known elements, actions of s3, resources of
// this bucket, principals that name something) and compiles it.
func parseBucketPolicy(bucket, text string) (*bucketPolicy, *s3Error) {
	if len(text) > maxBucketPolicyBytes {
		return nil, errMalformedPolicy("Policy exceeds the maximum allowed document size.")
	}
	trimmed := strings.TrimSpace(text)
	if !strings.HasPrefix(trimmed, "{") || !json.Valid([]byte(trimmed)) {
		return nil, errMalformedPolicy("Policies must be valid JSON and the first byte must be '{'")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(trimmed), &top); err != nil {
		return nil, errMalformedPolicy("Policies must be valid JSON and the first byte must be '{'")
	}
	for k := range top {
		if k != "Version" && k != "Id" && k != "Statement" {
			return nil, errMalformedPolicy("Unknown field " + k)
		}
	}
	if v, ok := top["Version"]; ok {
		var version string
		if json.Unmarshal(v, &version) != nil || (version != "2012-10-17" && version != "2008-10-17") {
			return nil, errMalformedPolicy("Invalid policy version")
		}
	}
	var docs []statementDoc
	st := bytes.TrimSpace(top["Statement"])
	switch {
	case len(st) == 0:
		return nil, errMalformedPolicy("Missing required field Statement")
	case st[0] == '{':
		var one statementDoc
		if err := strictUnmarshal(st, &one); err != nil {
			return nil, errMalformedPolicy(err.Error())
		}
		docs = []statementDoc{one}
	default:
		var raws []json.RawMessage
		if err := json.Unmarshal(st, &raws); err != nil || len(raws) == 0 {
			return nil, errMalformedPolicy("Statement must be an object or a non-empty list of objects")
		}
		for _, r := range raws {
			var one statementDoc
			if err := strictUnmarshal(r, &one); err != nil {
				return nil, errMalformedPolicy(err.Error())
			}
			docs = append(docs, one)
		}
	}
	p := &bucketPolicy{text: text, bucket: bucket}
	for _, d := range docs {
		s, serr := compileStatement(bucket, d)
		if serr != nil {
			return nil, serr
		}
		p.statements = append(p.statements, s)
	}
	return p, nil
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("Invalid statement: %v", err)
	}
	return nil
}

func compileStatement(bucket string, d statementDoc) (policyStatement, *s3Error) {
	s := policyStatement{sid: d.Sid}
	switch d.Effect {
	case "Allow":
	case "Deny":
		s.deny = true
	default:
		return s, errMalformedPolicy("Invalid effect: " + d.Effect)
	}
	principal := d.Principal
	if d.NotPrincipal != nil {
		if d.Principal != nil {
			return s, errMalformedPolicy("Statement has both Principal and NotPrincipal")
		}
		principal, s.notPrincipal = d.NotPrincipal, true
	}
	if principal == nil {
		return s, errMalformedPolicy("Missing required field Principal")
	}
	var serr *s3Error
	if s.principals, serr = compilePrincipals(principal); serr != nil {
		return s, serr
	}
	actions, notAction, serr := oneOf2(d.Action, d.NotAction, "Action")
	if serr != nil {
		return s, serr
	}
	s.notAction = notAction
	for _, a := range actions {
		if a != "*" && !strings.HasPrefix(strings.ToLower(a), "s3:") {
			return s, errMalformedPolicy("Policy has invalid action")
		}
		s.actions = append(s.actions, compileWildcard(a, true))
	}
	resources, notResource, serr := oneOf2(d.Resource, d.NotResource, "Resource")
	if serr != nil {
		return s, serr
	}
	s.notResource = notResource
	for _, r := range resources {
		rest, ok := resourceOfBucket(bucket, r)
		if !ok {
			return s, errMalformedPolicy("Policy has invalid resource")
		}
		s.resources = append(s.resources, compileWildcard(rest, false))
	}
	for op, keys := range d.Condition {
		c, serr := compileOperator(op)
		if serr != nil {
			return s, serr
		}
		for key, raw := range keys {
			var vals flexValues
			if err := json.Unmarshal(raw, &vals); err != nil {
				return s, errMalformedPolicy("Invalid Condition value for " + key)
			}
			c.key, c.values, c.patterns = strings.ToLower(key), vals, nil
			if strings.Contains(c.base, "like") || strings.HasPrefix(c.base, "arn") {
				for _, v := range vals {
					c.patterns = append(c.patterns, compileWildcard(v, false))
				}
			}
			s.conditions = append(s.conditions, c)
		}
	}
	return s, nil
}

// oneOf2 picks the element of a pair (Action / NotAction, Resource /
// NotResource) that a statement must have exactly one of; negated is true
// for the Not form.
func oneOf2(pos, neg flexStrings, name string) (values flexStrings, negated bool, serr *s3Error) {
	switch {
	case pos != nil && neg != nil:
		return nil, false, errMalformedPolicy("Statement has both " + name + " and Not" + name)
	case neg != nil:
		return neg, true, nil
	case len(pos) == 0:
		return nil, false, errMalformedPolicy("Missing required field " + name)
	}
	return pos, false, nil
}

// compileOperator splits "ForAnyValue:StringLikeIfExists".
func compileOperator(op string) (policyCondition, *s3Error) {
	c := policyCondition{operator: op}
	rest := op
	if prefix, after, ok := strings.Cut(op, ":"); ok {
		switch strings.ToLower(prefix) {
		case "forallvalues":
			c.forAll = true
		case "foranyvalue":
			c.forAny = true
		default:
			return c, errMalformedPolicy("Invalid Condition type : " + op)
		}
		rest = after
	}
	lower := strings.ToLower(rest)
	if base, ok := strings.CutSuffix(lower, "ifexists"); ok && base != "null" {
		lower, c.ifExists = base, true
	}
	if !policyConditionOperators[lower] {
		return c, errMalformedPolicy("Invalid Condition type : " + op)
	}
	c.base = lower
	return c, nil
}

func compilePrincipals(raw json.RawMessage) (policyPrincipals, *s3Error) {
	var p policyPrincipals
	var star string
	if json.Unmarshal(raw, &star) == nil {
		if star != "*" {
			return p, errMalformedPolicy("Invalid principal in policy")
		}
		p.any = true
		return p, nil
	}
	var m map[string]flexStrings
	if err := json.Unmarshal(raw, &m); err != nil || len(m) == 0 {
		return p, errMalformedPolicy("Invalid principal in policy")
	}
	for typ, values := range m {
		for _, v := range values {
			switch {
			case typ == "AWS" && (v == "*" || principalAccountPattern.MatchString(v)):
				p.aws = append(p.aws, v)
			case typ == "Service" && strings.HasSuffix(v, ".amazonaws.com"):
				p.service = append(p.service, v)
			case typ == "CanonicalUser" && canonicalPrincipal.MatchString(v):
				p.canonical = append(p.canonical, v)
			default:
				return p, errMalformedPolicy("Invalid principal in policy")
			}
		}
	}
	return p, nil
}

// resourceOfBucket reports whether a Resource of a bucket policy names the
// bucket or objects in it (S3 refuses a policy about other buckets), and
// returns it without "arn:PARTITION:s3:::": resources are matched against
// "bucket" or "bucket/key" whatever the partition.
func resourceOfBucket(bucket, r string) (string, bool) {
	rest, ok := strings.CutPrefix(r, "arn:")
	if !ok {
		return "", false
	}
	_, rest, ok = strings.Cut(rest, ":") // partition
	if !ok {
		return "", false
	}
	rest, ok = strings.CutPrefix(rest, "s3:::")
	if !ok {
		return "", false
	}
	return rest, rest == bucket || strings.HasPrefix(rest, bucket+"/")
}

// wildcard is a compiled policy pattern: * is any run of characters, ? one
// character, and the policy variables ${*}, ${?} and ${$} stand for those
// characters literally (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-specialchars).
// Other policy variables are not modelled and match nothing. Patterns
// without wildcards, or with one trailing *, are compared without a
// regular expression.
type wildcard struct {
	literal string
	prefix  bool // literal then a trailing *
	fold    bool // compare without regard to case
	re      *regexp.Regexp
}

func compileWildcard(pattern string, fold bool) wildcard {
	if !strings.ContainsAny(pattern, "*?$") {
		return wildcard{literal: pattern, fold: fold}
	}
	if head, ok := strings.CutSuffix(pattern, "*"); ok && !strings.ContainsAny(head, "*?$") {
		return wildcard{literal: head, prefix: true, fold: fold}
	}
	var b strings.Builder
	if fold {
		b.WriteString("(?i)")
	}
	b.WriteString("^")
	for i := 0; i < len(pattern); {
		switch {
		case strings.HasPrefix(pattern[i:], "${*}"), strings.HasPrefix(pattern[i:], "${?}"), strings.HasPrefix(pattern[i:], "${$}"):
			b.WriteString(regexp.QuoteMeta(pattern[i+2 : i+3]))
			i += 4
		case strings.HasPrefix(pattern[i:], "${"):
			b.WriteString(`\b\B`) // matches nothing
			i += 2
		case pattern[i] == '*':
			b.WriteString("(?s:.*)")
			i++
		case pattern[i] == '?':
			b.WriteString("(?s:.)")
			i++
		default:
			j := i + 1
			for j < len(pattern) && pattern[j] != '*' && pattern[j] != '?' && pattern[j] != '$' {
				j++
			}
			b.WriteString(regexp.QuoteMeta(pattern[i:j]))
			i = j
		}
	}
	b.WriteString("$")
	return wildcard{re: regexp.MustCompile(b.String())}
}

func (w wildcard) match(s string) bool {
	switch {
	case w.re != nil:
		return w.re.MatchString(s)
	case w.prefix && len(s) >= len(w.literal):
		s = s[:len(w.literal)]
	case w.prefix:
		return false
	}
	if w.fold {
		return strings.EqualFold(w.literal, s)
	}
	return w.literal == s
}
