package policy

import (
	"fmt"
	"strings"
)

// Qualifier is a condition's set prefix.
type Qualifier string

// Set prefixes (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
const (
	NoQualifier  Qualifier = ""
	ForAnyValue  Qualifier = "ForAnyValue"
	ForAllValues Qualifier = "ForAllValues"
)

// Condition is one key of one operator of a statement's Condition block.
type Condition struct {
	Operator  string    // as written, e.g. "ForAnyValue:StringLikeIfExists"
	Qualifier Qualifier // the set prefix, if any
	Base      string    // the operator alone, canonical case: "StringLike"
	IfExists  bool
	Key       string   // the condition key as written (IAM compares keys without regard to case)
	Values    []string // numbers and booleans as written
}

// operatorFamily groups operators that compare the same way.
type operatorFamily int

const (
	familyString operatorFamily = iota
	familyStringIgnoreCase
	familyStringLike
	familyNumeric
	familyDate
	familyBool
	familyBinary
	familyIP
	familyARN
	familyNull
)

type operatorInfo struct {
	name    string
	family  operatorFamily
	negated bool // true when the condition asks that the key NOT match
}

// operators are the condition operators of IAM
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html),
// by lower-case name.
var operators = func() map[string]operatorInfo {
	m := map[string]operatorInfo{}
	add := func(f operatorFamily, negated bool, names ...string) {
		for _, n := range names {
			m[strings.ToLower(n)] = operatorInfo{name: n, family: f, negated: negated}
		}
	}
	add(familyString, false, "StringEquals")
	add(familyString, true, "StringNotEquals")
	add(familyStringIgnoreCase, false, "StringEqualsIgnoreCase")
	add(familyStringIgnoreCase, true, "StringNotEqualsIgnoreCase")
	add(familyStringLike, false, "StringLike")
	add(familyStringLike, true, "StringNotLike")
	add(familyNumeric, false, "NumericEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals")
	add(familyNumeric, true, "NumericNotEquals")
	add(familyDate, false, "DateEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals")
	add(familyDate, true, "DateNotEquals")
	add(familyBool, false, "Bool")
	add(familyBinary, false, "BinaryEquals")
	add(familyIP, false, "IpAddress")
	add(familyIP, true, "NotIpAddress")
	add(familyARN, false, "ArnEquals", "ArnLike")
	add(familyARN, true, "ArnNotEquals", "ArnNotLike")
	add(familyNull, false, "Null")
	return m
}()

// parseOperator splits "ForAllValues:StringLikeIfExists" into its parts.
func parseOperator(op string) (Qualifier, operatorInfo, bool, error) {
	q := NoQualifier
	rest := op
	if prefix, after, ok := strings.Cut(op, ":"); ok {
		switch strings.ToLower(prefix) {
		case "foranyvalue":
			q = ForAnyValue
		case "forallvalues":
			q = ForAllValues
		default:
			return q, operatorInfo{}, false, errorf("condition operator %q has an unknown prefix %q", clip(op), clip(prefix))
		}
		rest = after
	}
	ifExists := false
	if base, ok := cutSuffixFold(rest, "IfExists"); ok {
		rest, ifExists = base, true
	}
	info, ok := operators[strings.ToLower(rest)]
	if !ok {
		return q, info, false, errorf("unknown condition operator %q", clip(op))
	}
	if ifExists && info.family == familyNull {
		return q, info, false, errorf("condition operator %q: Null has no IfExists form", clip(op))
	}
	return q, info, ifExists, nil
}

func cutSuffixFold(s, suffix string) (string, bool) {
	if len(s) > len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix) {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}

// parseConditions reads a Condition block: operator -> key -> value(s).
// Keys come out in document order.
func parseConditions(n *node, where string) ([]Condition, error) {
	if n.kind != kindObject {
		return nil, errorf("%s is %s, not an object", where, n.kind)
	}
	var out []Condition
	for _, om := range n.members {
		q, info, ifExists, err := parseOperator(om.key)
		if err != nil {
			return nil, errorf("%s: %s", where, err.(*Error).Reason)
		}
		if om.value.kind != kindObject {
			return nil, errorf("%s %s is %s, not an object of condition keys", where, clip(om.key), om.value.kind)
		}
		for _, km := range om.value.members {
			values, err := conditionValues(km.value, fmt.Sprintf("%s %s %s", where, clip(om.key), clip(km.key)))
			if err != nil {
				return nil, err
			}
			out = append(out, Condition{
				Operator: om.key, Qualifier: q, Base: info.name, IfExists: ifExists,
				Key: km.key, Values: values,
			})
		}
	}
	return out, nil
}

// conditionValues reads a condition value: a string, number or boolean, or
// a list of them.
func conditionValues(n *node, where string) ([]string, error) {
	scalar := func(v *node, at string) (string, error) {
		switch v.kind {
		case kindString, kindNumber, kindBool:
			return v.text, nil
		}
		return "", errorf("%s is %s, not a string, number or boolean", at, v.kind)
	}
	if n.kind != kindArray {
		v, err := scalar(n, where)
		if err != nil {
			return nil, err
		}
		return []string{v}, nil
	}
	out := make([]string, 0, len(n.items))
	for i, item := range n.items {
		v, err := scalar(item, fmt.Sprintf("%s[%d]", where, i))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// KeyIs reports whether the condition is on key (IAM compares condition
// keys without regard to case).
func (c Condition) KeyIs(key string) bool { return strings.EqualFold(c.Key, key) }

// ErrNotEvaluated is wrapped by EvalSingle when it cannot say how an
// operator compares the values it was given.
var ErrNotEvaluated = &Error{Reason: "condition not evaluated"}

// EvalSingle evaluates the condition against a single-valued key of the
// request: value when present is true, absent otherwise. It follows IAM's
// rules for absent keys: a condition is false, except that IfExists forms,
// negated operators (StringNotEquals, StringNotLike, ...) and ForAllValues
// are true. Numeric, date, binary and IP comparisons are not evaluated:
// their error wraps ErrNotEvaluated.
func (c Condition) EvalSingle(value string, present bool) (bool, error) {
	_, info, _, err := parseOperator(c.Operator)
	if err != nil {
		return false, err
	}
	if info.family == familyNull {
		for _, v := range c.Values {
			switch strings.ToLower(v) {
			case "true":
				if !present {
					return true, nil
				}
			case "false":
				if present {
					return true, nil
				}
			default:
				return false, errorf("Null condition on %q has the value %q, not true or false", clip(c.Key), clip(v))
			}
		}
		return false, nil
	}
	if !present {
		switch {
		case c.IfExists, c.Qualifier == ForAllValues:
			return true, nil
		case c.Qualifier == ForAnyValue:
			return false, nil
		}
		return info.negated, nil
	}
	matched := false
	for _, want := range c.Values {
		ok, err := compare(info.family, want, value)
		if err != nil {
			return false, fmt.Errorf("%s on %q: %w", c.Operator, clip(c.Key), err)
		}
		if ok {
			matched = true
			break
		}
	}
	if info.negated {
		return !matched, nil
	}
	return matched, nil
}

// compare reports whether the request value got matches the policy value
// want under an operator family.
func compare(f operatorFamily, want, got string) (bool, error) {
	switch f {
	case familyString:
		return want == got, nil
	case familyStringIgnoreCase:
		return strings.EqualFold(want, got), nil
	case familyStringLike, familyARN:
		return Glob(want, got), nil
	case familyBool:
		return strings.EqualFold(want, got), nil
	}
	return false, ErrNotEvaluated
}
