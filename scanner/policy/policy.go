// Package policy reads S3 bucket policies as AWS writes them and answers the
// questions a switch to Object Ownership BucketOwnerEnforced raises: which
// statements make writers send an ACL that an enforced bucket refuses
// (ACLDemands), and what a bucket policy looks like once statements that
// replace ACL grants are added to it (Merge).
//
// The grammar is IAM's (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html):
// Statement is one object or a list of them; Action, NotAction, Resource,
// NotResource and each Principal entry are one string or a list; Principal
// is "*" or a map of AWS, Service, CanonicalUser and Federated; Sid and Id
// are optional; conditions use any operator, its IfExists form, and the
// ForAnyValue: and ForAllValues: set prefixes.
//
// Policy text comes from the account being audited and is not trusted:
// Parse bounds its size and nesting (MaxDocumentBytes, MaxDepth), refuses
// what IAM would refuse (unknown elements, wrong types, duplicate keys) with
// an error saying what is wrong, and never panics.
package policy

import (
	"fmt"
	"strings"
)

// Effect is a statement's Effect.
type Effect string

// Effects.
const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Document is a parsed policy.
type Document struct {
	Version    string // "" when absent
	ID         string // the Id element, "" when absent
	Statements []Statement
}

// Statement is one statement of a Document.
type Statement struct {
	Index  int    // position in the document, from 0
	Sid    string // "" when absent
	Effect Effect

	Principal    *Principal // nil when the statement has none
	NotPrincipal *Principal

	// Exactly one of Action and NotAction is set (not nil), and exactly
	// one of Resource and NotResource.
	Action      []string
	NotAction   []string
	Resource    []string
	NotResource []string

	Conditions []Condition

	// Raw is the statement's JSON text exactly as the document had it,
	// whitespace removed: Merge writes existing statements back from it,
	// unchanged.
	Raw []byte
}

// Name names the statement for a person: its Sid, else its position.
func (s Statement) Name() string {
	if s.Sid != "" {
		return fmt.Sprintf("%q", s.Sid)
	}
	return fmt.Sprintf("#%d (no Sid)", s.Index+1)
}

// Principal is a Principal or NotPrincipal element.
type Principal struct {
	Any           bool // "*"
	AWS           []string
	Service       []string
	CanonicalUser []string
	Federated     []string
}

// Error is why a policy could not be read. Its text says what is wrong, for
// a report.
type Error struct{ Reason string }

func (e *Error) Error() string { return "policy: " + e.Reason }

func errorf(format string, args ...any) *Error { return &Error{Reason: fmt.Sprintf(format, args...)} }

// Parse reads a bucket policy. Any problem, from invalid JSON to an element
// IAM does not know, is an *Error.
func Parse(text []byte) (*Document, error) {
	root, err := parseTree(text)
	if err != nil {
		return nil, &Error{Reason: err.Error()}
	}
	if root.kind != kindObject {
		return nil, errorf("the policy is %s, not a JSON object", root.kind)
	}
	doc := &Document{}
	var statements *node
	for _, m := range root.members {
		switch m.key {
		case "Version":
			v, err := stringOf(m.value, "Version")
			if err != nil {
				return nil, err
			}
			if v != "2012-10-17" && v != "2008-10-17" {
				return nil, errorf("Version %q is not 2012-10-17 or 2008-10-17", clip(v))
			}
			doc.Version = v
		case "Id":
			v, err := stringOf(m.value, "Id")
			if err != nil {
				return nil, err
			}
			doc.ID = v
		case "Statement":
			statements = m.value
		default:
			return nil, errorf("unknown top-level element %q", clip(m.key))
		}
	}
	if statements == nil {
		return nil, errorf("the policy has no Statement")
	}
	list := []*node{statements}
	switch statements.kind {
	case kindObject:
	case kindArray:
		list = statements.items
	default:
		return nil, errorf("Statement is %s, not an object or a list of objects", statements.kind)
	}
	if len(list) == 0 {
		return nil, errorf("Statement is an empty list")
	}
	if len(list) > MaxStatements {
		return nil, errorf("the policy has %d statements, more than %d", len(list), MaxStatements)
	}
	for i, sn := range list {
		st, err := parseStatement(sn, i)
		if err != nil {
			return nil, err
		}
		doc.Statements = append(doc.Statements, st)
	}
	return doc, nil
}

func parseStatement(n *node, index int) (Statement, error) {
	st := Statement{Index: index, Raw: n.raw}
	where := fmt.Sprintf("statement #%d", index+1)
	if n.kind != kindObject {
		return st, errorf("%s is %s, not an object", where, n.kind)
	}
	if sid := n.field("Sid"); sid != nil {
		v, err := stringOf(sid, where+" Sid")
		if err != nil {
			return st, err
		}
		st.Sid = v
		where = fmt.Sprintf("statement %q", clip(v))
	}
	lists := map[string]*[]string{"Action": &st.Action, "NotAction": &st.NotAction, "Resource": &st.Resource, "NotResource": &st.NotResource}
	principals := map[string]**Principal{"Principal": &st.Principal, "NotPrincipal": &st.NotPrincipal}
	var err error
	for _, m := range n.members {
		el := where + " " + m.key
		switch {
		case m.key == "Sid":
		case m.key == "Effect":
			var v string
			if v, err = stringOf(m.value, el); err == nil {
				if v != string(Allow) && v != string(Deny) {
					return st, errorf("%s is %q, not Allow or Deny", el, clip(v))
				}
				st.Effect = Effect(v)
			}
		case principals[m.key] != nil:
			*principals[m.key], err = parsePrincipal(m.value, el)
		case lists[m.key] != nil:
			*lists[m.key], err = stringList(m.value, el)
		case m.key == "Condition":
			st.Conditions, err = parseConditions(m.value, el)
		default:
			return st, errorf("%s has an unknown element %q", where, clip(m.key))
		}
		if err != nil {
			return st, err
		}
	}
	switch {
	case st.Effect == "":
		return st, errorf("%s has no Effect", where)
	case (st.Action == nil) == (st.NotAction == nil):
		return st, errorf("%s must have exactly one of Action and NotAction", where)
	case (st.Resource == nil) == (st.NotResource == nil):
		return st, errorf("%s must have exactly one of Resource and NotResource", where)
	case (st.Principal == nil) == (st.NotPrincipal == nil):
		return st, errorf("%s must have exactly one of Principal and NotPrincipal (a bucket policy names who it applies to)", where)
	}
	return st, nil
}

func parsePrincipal(n *node, where string) (*Principal, error) {
	p := &Principal{}
	if n.kind == kindString {
		if n.text != "*" {
			return nil, errorf("%s is the string %q; only \"*\" may stand alone", where, clip(n.text))
		}
		p.Any = true
		return p, nil
	}
	if n.kind != kindObject {
		return nil, errorf("%s is %s, not \"*\" or an object", where, n.kind)
	}
	if len(n.members) == 0 {
		return nil, errorf("%s is an empty object", where)
	}
	for _, m := range n.members {
		values, err := stringList(m.value, where+"."+m.key)
		if err != nil {
			return nil, err
		}
		switch m.key {
		case "AWS":
			p.AWS = values
		case "Service":
			p.Service = values
		case "CanonicalUser":
			p.CanonicalUser = values
		case "Federated":
			p.Federated = values
		default:
			return nil, errorf("%s has an unknown principal type %q", where, clip(m.key))
		}
	}
	return p, nil
}

// stringOf reads a string element.
func stringOf(n *node, where string) (string, error) {
	if n.kind != kindString {
		return "", errorf("%s is %s, not a string", where, n.kind)
	}
	return n.text, nil
}

// stringList reads an element that is one string or a non-empty list of
// strings.
func stringList(n *node, where string) ([]string, error) {
	switch n.kind {
	case kindString:
		return []string{n.text}, nil
	case kindArray:
		if len(n.items) == 0 {
			return nil, errorf("%s is an empty list", where)
		}
		out := make([]string, 0, len(n.items))
		for i, item := range n.items {
			if item.kind != kindString {
				return nil, errorf("%s[%d] is %s, not a string", where, i, item.kind)
			}
			out = append(out, item.text)
		}
		return out, nil
	}
	return nil, errorf("%s is %s, not a string or a list of strings", where, n.kind)
}

// MatchesAction reports whether an action pattern of a policy (with the
// wildcards * and ?) covers action, such as "s3:PutObject". IAM compares
// action names without regard to case.
func MatchesAction(pattern, action string) bool {
	return Glob(strings.ToLower(pattern), strings.ToLower(action))
}

// Covers reports whether a statement's Action (or NotAction) applies to
// action.
func (s Statement) Covers(action string) bool {
	if s.NotAction != nil {
		for _, p := range s.NotAction {
			if MatchesAction(p, action) {
				return false
			}
		}
		return true
	}
	for _, p := range s.Action {
		if MatchesAction(p, action) {
			return true
		}
	}
	return false
}

// Glob matches s against a pattern where * is any run of characters and ?
// any one character; nothing else is special. It runs in time linear in
// len(pattern) x len(s) at worst.
func Glob(pattern, s string) bool {
	pr, sr := []rune(pattern), []rune(s)
	px, sx := 0, 0
	starPx, starSx := -1, 0
	for sx < len(sr) {
		switch {
		case px < len(pr) && pr[px] == '*':
			starPx, starSx = px, sx
			px++
		case px < len(pr) && (pr[px] == '?' || pr[px] == sr[sx]):
			px++
			sx++
		case starPx >= 0:
			px = starPx + 1
			starSx++
			sx = starSx
		default:
			return false
		}
	}
	for px < len(pr) && pr[px] == '*' {
		px++
	}
	return px == len(pr)
}
