package policy

import (
	"errors"
	"strings"
	"testing"
)

const ownerID = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"

// writeStatement wraps a condition block in a statement about object
// writes.
func writeStatement(effect, action, condition string) string {
	return `{"Statement": [{"Sid": "S1", "Effect": "` + effect + `", "Principal": {"AWS": "arn:aws:iam::333333333333:root"},
		"Action": ` + action + `, "Resource": "arn:aws:s3:::b/*", "Condition": ` + condition + `}]}`
}

func TestACLDemands(t *testing.T) {
	cases := []struct {
		name   string
		policy string
		demand bool
	}{
		// The pattern AWS recommends for cross-account writers: fine.
		{"allow with bucket-owner-full-control", writeStatement("Allow", `"s3:PutObject"`, `{"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}`), false},
		{"deny unless bucket-owner-full-control", writeStatement("Deny", `"s3:PutObject"`, `{"StringNotEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}`), false},
		{"deny writes without an ACL", writeStatement("Deny", `"s3:PutObject"`, `{"Null": {"s3:x-amz-acl": "true"}}`), false},
		// Demands another ACL: blocked.
		{"allow only public-read", writeStatement("Allow", `"s3:PutObject"`, `{"StringEquals": {"s3:x-amz-acl": "public-read"}}`), true},
		{"allow only public-read, list form", writeStatement("Allow", `["s3:GetObject", "s3:PutObject"]`, `{"StringEquals": {"s3:x-amz-acl": ["public-read", "public-read-write"]}}`), true},
		{"allow public-*", writeStatement("Allow", `"s3:Put*"`, `{"StringLike": {"s3:x-amz-acl": "public-*"}}`), true},
		{"allow any ACL value", writeStatement("Allow", `"s3:PutObject"`, `{"StringLike": {"s3:x-amz-acl": "*"}}`), false},
		{"deny unless public-read", writeStatement("Deny", `"s3:*"`, `{"StringNotEquals": {"s3:x-amz-acl": "public-read"}}`), true},
		{"deny unless public-read, IfExists lets no-ACL writes through", writeStatement("Deny", `"s3:PutObject"`, `{"StringNotEqualsIfExists": {"s3:x-amz-acl": "public-read"}}`), true},
		{"allow public-read if an ACL is sent at all", writeStatement("Allow", `"s3:PutObject"`, `{"StringEqualsIfExists": {"s3:x-amz-acl": "public-read"}}`), false},
		{"case-insensitive operator and key", writeStatement("Allow", `"s3:putobject"`, `{"stringequals": {"S3:X-AMZ-ACL": "authenticated-read"}}`), true},
		{"ignore case still not bfc", writeStatement("Allow", `"s3:PutObject"`, `{"StringEqualsIgnoreCase": {"s3:x-amz-acl": "PRIVATE"}}`), true},
		{"ForAllValues passes when no ACL is sent", writeStatement("Allow", `"s3:PutObject"`, `{"ForAllValues:StringEquals": {"s3:x-amz-acl": "public-read"}}`), false},
		{"ForAnyValue needs an ACL", writeStatement("Allow", `"s3:PutObject"`, `{"ForAnyValue:StringEquals": {"s3:x-amz-acl": "public-read"}}`), true},
		{"grant to someone else", writeStatement("Allow", `"s3:PutObject"`, `{"StringEquals": {"s3:x-amz-grant-read": "uri=http://acs.amazonaws.com/groups/global/AllUsers"}}`), true},
		{"grant full control to the bucket owner", writeStatement("Allow", `"s3:PutObject"`, `{"StringEquals": {"s3:x-amz-grant-full-control": "id=`+ownerID+`"}}`), false},
		{"grant full control to someone else", writeStatement("Allow", `"s3:PutObject"`, `{"StringEquals": {"s3:x-amz-grant-full-control": "id=c3c3"}}`), true},
		{"other keys are not about ACLs", writeStatement("Allow", `"s3:PutObject"`, `{"StringEquals": {"aws:SourceAccount": "333333333333"}}`), false},
		{"not about writes", writeStatement("Allow", `"s3:GetObject"`, `{"StringEquals": {"s3:x-amz-acl": "public-read"}}`), false},
		{"empty condition block", writeStatement("Allow", `"s3:PutObject"`, `{}`), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, err := Parse([]byte(c.policy))
			if err != nil {
				t.Fatal(err)
			}
			demands, err := doc.ACLDemands(ownerID)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(demands) > 0; got != c.demand {
				t.Fatalf("demands = %+v, want a demand: %v", demands, c.demand)
			}
			if c.demand && (demands[0].Statement != `"S1"` || !strings.Contains(demands[0].Detail, `statement "S1"`)) {
				t.Errorf("demand does not name the statement: %+v", demands[0])
			}
		})
	}
}

func TestACLDemandsNamesUnnamedStatementAndBucketResources(t *testing.T) {
	doc, err := Parse([]byte(`{"Statement": [
		{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b", "Condition": {"StringEquals": {"s3:x-amz-acl": "public-read"}}},
		{"Effect": "Allow", "Principal": "*", "NotAction": "s3:GetObject", "NotResource": "arn:aws:s3:::b/keep/*", "Condition": {"StringEquals": {"s3:x-amz-acl": "public-read"}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	demands, err := doc.ACLDemands("")
	if err != nil {
		t.Fatal(err)
	}
	if len(demands) != 1 || demands[0].Statement != "#2 (no Sid)" {
		t.Fatalf("demands = %+v: want only the second statement (the first is about the bucket, not objects)", demands)
	}
}

func TestACLDemandsNotEvaluated(t *testing.T) {
	doc, err := Parse([]byte(writeStatement("Allow", `"s3:PutObject"`, `{"NumericEquals": {"s3:x-amz-acl": "1"}}`)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := doc.ACLDemands(ownerID); !errors.Is(err, ErrNotEvaluated) {
		t.Errorf("err = %v, want ErrNotEvaluated", err)
	}
}

func TestEvalSingleAbsentKey(t *testing.T) {
	cases := []struct {
		op   string
		want bool
	}{
		{"StringEquals", false},
		{"StringNotEquals", true},
		{"StringLikeIfExists", true},
		{"ArnNotLike", true},
		{"ForAnyValue:StringNotEquals", false},
		{"ForAllValues:StringEquals", true},
	}
	for _, c := range cases {
		q, info, ifExists, err := parseOperator(c.op)
		if err != nil {
			t.Fatal(err)
		}
		cond := Condition{Operator: c.op, Qualifier: q, Base: info.name, IfExists: ifExists, Key: "k", Values: []string{"v"}}
		if got, err := cond.EvalSingle("", false); err != nil || got != c.want {
			t.Errorf("%s with the key absent = %v, %v; want %v", c.op, got, err, c.want)
		}
	}
}
