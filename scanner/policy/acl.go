package policy

import (
	"errors"
	"fmt"
	"strings"
)

// Condition keys S3 sets from the ACL a write carries
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html).
const (
	KeyACL          = "s3:x-amz-acl"
	KeyGrantFull    = "s3:x-amz-grant-full-control"
	keyGrantPrefix  = "s3:x-amz-grant-"
	CannedOwnerFull = "bucket-owner-full-control"
	actionPutObject = "s3:PutObject"
)

// ACLDemand is a statement that makes object writes carry an ACL a bucket
// with Object Ownership BucketOwnerEnforced refuses: after the switch those
// writes fail with AccessControlListNotSupported.
type ACLDemand struct {
	Statement string // its Sid, or its position
	Detail    string // what it demands, in words
}

// enforcedWrite is a write an enforced bucket accepts: no ACL at all,
// the canned bucket-owner-full-control, or an explicit FULL_CONTROL grant
// to the bucket owner alone
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-ownership-error-responses.html).
type enforcedWrite struct {
	name    string
	headers map[string]string // condition key (lower case) -> value; absent keys are absent
}

func enforcedWrites(ownerCanonicalID string) []enforcedWrite {
	w := []enforcedWrite{
		{name: "a write with no ACL", headers: map[string]string{}},
		{name: "a write with bucket-owner-full-control", headers: map[string]string{KeyACL: CannedOwnerFull}},
	}
	if ownerCanonicalID != "" {
		for _, form := range []string{`id="` + ownerCanonicalID + `"`, "id=" + ownerCanonicalID} {
			w = append(w, enforcedWrite{name: "a write granting FULL_CONTROL to the bucket owner",
				headers: map[string]string{KeyGrantFull: form}})
		}
	}
	return w
}

// ACLDemands returns the statements that demand, on object writes
// (s3:PutObject, which also covers CopyObject and multipart uploads), an
// ACL other than bucket-owner-full-control: an Allow whose ACL conditions
// no write an enforced bucket accepts can meet, or a Deny whose ACL
// conditions every such write meets. Conditions on other keys are taken as
// met: the question is only what the ACL conditions allow. A statement
// that demands only bucket-owner-full-control (the usual cross-account
// pattern) is not returned.
//
// ownerCanonicalID, when known, lets a demand for an explicit FULL_CONTROL
// grant to the bucket owner count as acceptable. An error means some ACL
// condition could not be evaluated (see Condition.EvalSingle): the caller
// cannot tell.
func (d *Document) ACLDemands(ownerCanonicalID string) ([]ACLDemand, error) {
	var out []ACLDemand
	writes := enforcedWrites(ownerCanonicalID)
	for _, st := range d.Statements {
		if !st.Covers(actionPutObject) || !st.coversObjects() {
			continue
		}
		var aclConds []Condition
		for _, c := range st.Conditions {
			if isACLKey(c.Key) {
				aclConds = append(aclConds, c)
			}
		}
		if len(aclConds) == 0 {
			continue
		}
		met := 0
		for _, w := range writes {
			ok, err := allMet(aclConds, w)
			if err != nil {
				return nil, fmt.Errorf("statement %s: %w", st.Name(), err)
			}
			if ok {
				met++
			}
		}
		var detail string
		switch {
		case st.Effect == Allow && met == 0:
			detail = fmt.Sprintf("allows s3:PutObject only when %s; a bucket with ACLs disabled refuses such writes (AccessControlListNotSupported)", describe(aclConds))
		case st.Effect == Deny && met == len(writes):
			detail = fmt.Sprintf("denies s3:PutObject unless the write breaks the condition %s, i.e. unless it carries an ACL that a bucket with ACLs disabled refuses (AccessControlListNotSupported)", describe(aclConds))
		default:
			continue
		}
		out = append(out, ACLDemand{Statement: st.Name(), Detail: "statement " + st.Name() + " " + detail})
	}
	return out, nil
}

// allMet reports whether a write meets every ACL condition.
func allMet(conds []Condition, w enforcedWrite) (bool, error) {
	for _, c := range conds {
		v, present := w.headers[strings.ToLower(c.Key)]
		ok, err := c.EvalSingle(v, present)
		if err != nil {
			if errors.Is(err, ErrNotEvaluated) {
				return false, fmt.Errorf("%s on the ACL key %q is not a comparison ownerscan evaluates: %w", c.Operator, clip(c.Key), err)
			}
			return false, err
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

// isACLKey reports whether a condition key is set from a write's ACL.
func isACLKey(key string) bool {
	k := strings.ToLower(key)
	return k == KeyACL || strings.HasPrefix(k, keyGrantPrefix)
}

// coversObjects reports whether a statement's resources can include an
// object: a Resource pattern with a "/" or a wildcard, or any NotResource.
func (s Statement) coversObjects() bool {
	if s.NotResource != nil {
		return true
	}
	for _, r := range s.Resource {
		if strings.ContainsAny(r, "/*?") {
			return true
		}
	}
	return false
}

// describe renders ACL conditions for a person: `s3:x-amz-acl StringEquals
// [public-read]`, joined with "and".
func describe(conds []Condition) string {
	parts := make([]string, len(conds))
	for i, c := range conds {
		vals := make([]string, len(c.Values))
		for j, v := range c.Values {
			vals[j] = clip(v)
		}
		parts[i] = fmt.Sprintf("%s %s [%s]", clip(c.Key), c.Operator, strings.Join(vals, ", "))
	}
	return strings.Join(parts, " and ")
}
