package policy

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestMergeKeepsExistingStatements(t *testing.T) {
	doc, err := Parse([]byte(crossAccountWriters))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Merge(doc, []NewStatement{
		{Sid: "AllowWritersWithOwnerFullControl", Principal: AWSPrincipal("arn:aws:iam::333333333333:root"),
			Actions: []string{"s3:ListBucket", "s3:ListBucketVersions"}, Resources: []string{"arn:aws:s3:::shared"}},
		{Sid: "Logs", Principal: ServicePrincipal("logging.s3.amazonaws.com"), Actions: []string{"s3:PutObject"},
			Resources: []string{"arn:aws:s3:::shared/*"},
			Condition: map[string]map[string][]string{"StringEquals": {"aws:SourceAccount": {"222222222222"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	merged, err := Parse(out)
	if err != nil {
		t.Fatalf("Merge wrote a policy Parse refuses: %v\n%s", err, out)
	}
	if len(merged.Statements) != 4 || merged.ID != "WritersMustGrantOwner" {
		t.Fatalf("merged = %s", out)
	}
	for i, st := range doc.Statements {
		if string(merged.Statements[i].Raw) != string(st.Raw) {
			t.Errorf("statement %d changed:\n got %s\nwant %s", i, merged.Statements[i].Raw, st.Raw)
		}
	}
	if got := merged.Statements[2].Sid; got != "AllowWritersWithOwnerFullControl2" {
		t.Errorf("a new Sid that collides is %q, want a number appended", got)
	}
	logs := merged.Statements[3]
	if logs.Principal.Service[0] != "logging.s3.amazonaws.com" || logs.Conditions[0].Values[0] != "222222222222" {
		t.Errorf("log statement = %s", logs.Raw)
	}
	if !json.Valid(out) || strings.ContainsAny(string(out), "\n\t") {
		t.Errorf("not compact JSON: %s", out)
	}
}

func TestMergeWithoutExistingPolicyAndEscapedKeys(t *testing.T) {
	out, err := Merge(nil, []NewStatement{{Sid: "Read", Principal: AnyPrincipal, Actions: []string{"s3:GetObject"},
		Resources: []string{"arn:aws:s3:::b/" + ResourceKey("a*b?c$d<e>.txt")}}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/a${*}b${?}c${$}d<e>.txt"}]}`
	if string(out) != want {
		t.Errorf("Merge =\n%s\nwant\n%s", out, want)
	}
}

func TestMergeRefusesVersionChangeThatAltersMeaning(t *testing.T) {
	doc, err := Parse([]byte(`{"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Merge(doc, nil); err == nil || !strings.Contains(err.Error(), "change its meaning") {
		t.Errorf("err = %v", err)
	}
	doc, err = Parse([]byte(`{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Merge(doc, nil)
	if err != nil || !strings.HasPrefix(string(out), `{"Version":"2012-10-17","Statement":[{"Effect"`) {
		t.Errorf("Merge = %s, %v", out, err)
	}
}
