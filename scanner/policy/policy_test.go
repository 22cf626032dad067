package policy

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// crossAccountWriters is the usual cross-account pattern, as AWS documents
// it: writers must grant the bucket owner full control.
const crossAccountWriters = `{
  "Version": "2012-10-17",
  "Id": "WritersMustGrantOwner",
  "Statement": [
    {
      "Sid": "AllowWritersWithOwnerFullControl",
      "Effect": "Allow",
      "Principal": {"AWS": ["arn:aws:iam::333333333333:root", "arn:aws:iam::444444444444:role/uploader"]},
      "Action": "s3:PutObject",
      "Resource": "arn:aws:s3:::shared/*",
      "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}
    },
    {
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": ["arn:aws:s3:::shared", "arn:aws:s3:::shared/*"],
      "Condition": {"Bool": {"aws:SecureTransport": false}}
    }
  ]
}`

func TestParseAWSForms(t *testing.T) {
	doc, err := Parse([]byte(crossAccountWriters))
	if err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2012-10-17" || doc.ID != "WritersMustGrantOwner" || len(doc.Statements) != 2 {
		t.Fatalf("document = %+v", doc)
	}
	a, d := doc.Statements[0], doc.Statements[1]
	if a.Sid != "AllowWritersWithOwnerFullControl" || a.Effect != Allow || a.Principal == nil ||
		!reflect.DeepEqual(a.Principal.AWS, []string{"arn:aws:iam::333333333333:root", "arn:aws:iam::444444444444:role/uploader"}) {
		t.Errorf("statement 1 = %+v", a)
	}
	if !reflect.DeepEqual(a.Action, []string{"s3:PutObject"}) || a.NotAction != nil {
		t.Errorf("single Action not read as a list of one: %+v", a.Action)
	}
	if len(a.Conditions) != 1 || a.Conditions[0].Base != "StringEquals" || !a.Conditions[0].KeyIs("S3:X-Amz-Acl") {
		t.Errorf("condition = %+v", a.Conditions)
	}
	if d.Sid != "" || d.Name() != "#2 (no Sid)" || !d.Principal.Any || d.Effect != Deny {
		t.Errorf("statement 2 = %+v (name %s)", d, d.Name())
	}
	if got := d.Conditions[0].Values; !reflect.DeepEqual(got, []string{"false"}) {
		t.Errorf("a boolean condition value reads %q, want [false]", got)
	}
	if !strings.HasPrefix(string(a.Raw), `{"Sid":"AllowWritersWithOwnerFullControl","Effect":"Allow"`) {
		t.Errorf("raw statement not the compacted original: %s", a.Raw)
	}
}

func TestParseStatementObjectAndOperators(t *testing.T) {
	doc, err := Parse([]byte(`{"Statement": {"Effect": "Allow", "NotPrincipal": {"Service": "logging.s3.amazonaws.com", "CanonicalUser": ["abc"]},
		"NotAction": ["s3:Delete*"], "NotResource": "arn:aws:s3:::b/private/*",
		"Condition": {
		  "ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["team-*", 7]},
		  "forallvalues:stringequals": {"s3:x-amz-acl": []},
		  "NumericLessThanEquals": {"s3:max-keys": 10},
		  "Null": {"s3:x-amz-acl": "true"},
		  "IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
		  "DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"},
		  "ArnNotLikeIfExists": {"aws:SourceArn": "arn:aws:s3:::x"},
		  "BinaryEquals": {"k": "QmluYXJ5"}
		}}}`))
	if err != nil {
		t.Fatal(err)
	}
	st := doc.Statements[0]
	if st.NotPrincipal == nil || st.NotPrincipal.Service[0] != "logging.s3.amazonaws.com" || st.Principal != nil {
		t.Errorf("NotPrincipal = %+v", st.NotPrincipal)
	}
	c := st.Conditions[0]
	if c.Qualifier != ForAnyValue || c.Base != "StringLike" || !c.IfExists || !reflect.DeepEqual(c.Values, []string{"team-*", "7"}) {
		t.Errorf("condition 0 = %+v", c)
	}
	if c := st.Conditions[1]; c.Qualifier != ForAllValues || c.Base != "StringEquals" || len(c.Values) != 0 {
		t.Errorf("condition 1 = %+v", c)
	}
	if len(st.Conditions) != 8 {
		t.Errorf("%d conditions, want 8", len(st.Conditions))
	}
	if !st.Covers("s3:PutObject") || st.Covers("s3:DeleteObject") {
		t.Error("NotAction s3:Delete* should cover PutObject and not DeleteObject")
	}
}

// TestParseRefuses: each of these is something IAM refuses, or a hostile
// document; all end in an *Error saying what is wrong.
func TestParseRefuses(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	cases := map[string]struct{ text, want string }{
		"not JSON":             {`not json`, "not valid JSON"},
		"truncated":            {`{"Statement": [`, "ends in the middle"},
		"array root":           {`[]`, "not a JSON object"},
		"no statement":         {`{"Version": "2012-10-17"}`, "no Statement"},
		"empty statement list": {`{"Statement": []}`, "empty list"},
		"statement string":     {`{"Statement": "x"}`, "not an object or a list"},
		"unknown top key":      {`{"Statement": {}, "Extra": 1}`, `unknown top-level element "Extra"`},
		"bad version":          {`{"Version": "2020-01-01", "Statement": {}}`, "Version"},
		"version number":       {`{"Version": 2012, "Statement": {}}`, "not a string"},
		"no effect":            {`{"Statement": {"Principal": "*", "Action": "s3:*", "Resource": "*"}}`, "no Effect"},
		"effect case":          {`{"Statement": {"Effect": "allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}}`, "not Allow or Deny"},
		"both actions":         {`{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "a", "NotAction": "b", "Resource": "*"}}`, "exactly one of Action"},
		"no resource":          {`{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "a"}}`, "exactly one of Resource"},
		"no principal":         {`{"Statement": {"Effect": "Allow", "Action": "a", "Resource": "*"}}`, "Principal"},
		"principal string":     {`{"Statement": {"Effect": "Allow", "Principal": "arn:aws:iam::1:root", "Action": "a", "Resource": "*"}}`, `only "*"`},
		"principal type":       {`{"Statement": {"Effect": "Allow", "Principal": {"Robot": "x"}, "Action": "a", "Resource": "*"}}`, "unknown principal type"},
		"action number":        {`{"Statement": {"Effect": "Allow", "Principal": "*", "Action": [1], "Resource": "*"}}`, "not a string"},
		"action object":        {`{"Statement": {"Effect": "Allow", "Principal": "*", "Action": {"a": 1}, "Resource": "*"}}`, "not a string or a list"},
		"empty action list":    {`{"Statement": {"Effect": "Allow", "Principal": "*", "Action": [], "Resource": "*"}}`, "empty list"},
		"null action":          {`{"Statement": {"Effect": "Allow", "Principal": "*", "Action": null, "Resource": "*"}}`, "null"},
		"unknown element":      {`{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "a", "Resource": "*", "Foo": 1}}`, `unknown element "Foo"`},
		"unknown operator":     {`{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "a", "Resource": "*", "Condition": {"StringSortOf": {"k": "v"}}}}`, "unknown condition operator"},
		"unknown prefix":       {`{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "a", "Resource": "*", "Condition": {"ForSomeValues:StringEquals": {"k": "v"}}}}`, "unknown prefix"},
		"null ifexists":        {`{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "a", "Resource": "*", "Condition": {"NullIfExists": {"k": "true"}}}}`, "no IfExists"},
		"condition list":       {`{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "a", "Resource": "*", "Condition": {"StringEquals": ["k"]}}}`, "not an object of condition keys"},
		"condition value obj":  {`{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "a", "Resource": "*", "Condition": {"StringEquals": {"k": {"x": 1}}}}}`, "not a string, number or boolean"},
		"duplicate key":        {`{"Statement": {"Effect": "Allow", "Effect": "Deny"}}`, "appears twice"},
		"trailing data":        {`{"Statement": {}} {}`, "data after"},
		"too deep":             {deep, "nests deeper"},
		"too large":            {`{"Id": "` + strings.Repeat("x", MaxDocumentBytes) + `"}`, "more than"},
		"too many statements":  {`{"Statement": [` + strings.Repeat(`{},`, MaxStatements) + `{}]}`, "statements, more than"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			doc, err := Parse([]byte(c.text))
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("Parse = %+v, %v; want an *Error", doc, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
}

func TestGlob(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"s3:*", "s3:putobject", true},
		{"s3:put*", "s3:putobject", true},
		{"s3:get*", "s3:putobject", false},
		{"*", "", true},
		{"", "", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"public-*", "public-read", true},
		{"*-read", "public-read-write", false},
		{"*a*a*a*a*b", strings.Repeat("a", 60), false},
		{"ä?", "äö", true},
	}
	for _, c := range cases {
		if got := Glob(c.pattern, c.s); got != c.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
	if !MatchesAction("S3:PUT*", "s3:PutObject") {
		t.Error("action names compare without regard to case")
	}
}
