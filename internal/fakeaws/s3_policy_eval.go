package fakeaws

import (
	"strings"
)

// policyContext is what a request brings to a bucket policy evaluation.
type policyContext struct {
	action   string            // the IAM action, e.g. "s3:GetObject"
	resource string            // "bucket" or "bucket/key" (no ARN prefix: see resourceOfBucket)
	caller   *Caller           // the signed caller; AccountID "" for an anonymous one
	service  string            // a service principal acting (log delivery), "" otherwise
	keys     map[string]string // condition keys present, lower case
}

// policyDecision is what a bucket policy says about a request.
type policyDecision int

const (
	policySilent policyDecision = iota // no statement applies
	policyAllows
	policyDenies // an explicit Deny: nothing else can allow it
)

// decide evaluates the policy (nil: no policy) for one request: an
// applicable Deny wins, then an applicable Allow.
func (p *bucketPolicy) decide(pc policyContext) policyDecision {
	if p == nil {
		return policySilent
	}
	d := policySilent
	statements := p.compiled()
	for i := range statements {
		s := &statements[i]
		if !s.applies(pc) {
			continue
		}
		if s.deny {
			return policyDenies
		}
		d = policyAllows
	}
	return d
}

func (s *policyStatement) applies(pc policyContext) bool {
	if s.principals.match(pc) == s.notPrincipal {
		return false
	}
	if anyMatch(s.actions, pc.action) == s.notAction {
		return false
	}
	if anyMatch(s.resources, pc.resource) == s.notResource {
		return false
	}
	for _, c := range s.conditions {
		if !c.holds(pc.keys) {
			return false
		}
	}
	return true
}

func anyMatch(patterns []wildcard, s string) bool {
	for _, p := range patterns {
		if p.match(s) {
			return true
		}
	}
	return false
}

// match reports whether the principal element names the request's caller:
// "*" anyone (signed or not); an account ID or its root ARN any principal
// of that account; a user or role ARN that principal; a canonical user ID
// the principals of its account; a service name the service acting.
func (p policyPrincipals) match(pc policyContext) bool {
	if p.any {
		return true
	}
	for _, s := range p.service {
		if pc.service != "" && s == pc.service {
			return true
		}
	}
	c := pc.caller
	for _, a := range p.aws {
		if a == "*" {
			return true
		}
		if c == nil || c.AccountID == "" {
			continue
		}
		m := principalAccountPattern.FindStringSubmatch(a)
		switch {
		case m == nil:
		case m[1] == c.AccountID, m[2] == c.AccountID && m[3] == "root":
			return true
		case m[2] == c.AccountID && strings.HasPrefix(m[3], "role/"):
			role := m[3][strings.LastIndexByte(m[3], '/')+1:]
			if strings.HasPrefix(c.ARN, "arn:aws:sts::"+c.AccountID+":assumed-role/"+role+"/") {
				return true
			}
		case m[2] == c.AccountID && a == c.ARN:
			return true
		}
	}
	for _, id := range p.canonical {
		if c != nil && c.AccountID != "" && id == c.CanonicalID {
			return true
		}
	}
	return false
}

// negatedConditions are the operators that ask for the key NOT to match
// (and so hold when the key is absent).
var negatedConditions = map[string]bool{
	"stringnotequals": true, "stringnotequalsignorecase": true, "stringnotlike": true,
	"numericnotequals": true, "datenotequals": true, "notipaddress": true,
	"arnnotequals": true, "arnnotlike": true,
}

// holds evaluates one condition on single-valued keys, with IAM's rules for
// absent keys (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
// false, except for IfExists forms, negated operators and ForAllValues.
// Numeric, date, binary and IP comparisons never match: the emulator sets
// no key they apply to.
func (c policyCondition) holds(keys map[string]string) bool {
	v, present := keys[c.key]
	if c.base == "null" {
		for _, want := range c.values {
			if strings.EqualFold(want, "true") != present {
				return true
			}
		}
		return false
	}
	negated := negatedConditions[c.base]
	if !present {
		switch {
		case c.ifExists, c.forAll:
			return true
		case c.forAny:
			return false
		}
		return negated
	}
	matched := false
	switch {
	case c.patterns != nil:
		matched = anyMatch(c.patterns, v)
	case c.base == "stringequals" || c.base == "stringnotequals":
		for _, want := range c.values {
			matched = matched || want == v
		}
	case strings.HasPrefix(c.base, "string") || c.base == "bool":
		for _, want := range c.values {
			matched = matched || strings.EqualFold(want, v)
		}
	}
	return matched != negated
}
