package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ownerscan/ownerscan/scanner"
)

// asffRules are the constraints of the AwsSecurityFinding API reference
// (https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_AwsSecurityFinding.html)
// and the ASFF user guide on the fields ownerscan sets.
var (
	asffAccountRe    = regexp.MustCompile(`^[0-9]{12}$`)
	asffProductArnRe = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):securityhub:([a-z0-9-]+):([0-9]{12}):product/([0-9]{12})/default$`)
	asffNamespaces   = []string{"Software and Configuration Checks", "TTPs", "Effects", "Unusual Behaviors", "Sensitive Data Identifications"}
	asffLabels       = []string{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}
	asffStatuses     = []string{"PASSED", "WARNING", "FAILED", "NOT_AVAILABLE"}
	asffRecordStates = []string{"ACTIVE", "ARCHIVED"}
	asffPartitions   = []string{"aws", "aws-cn", "aws-us-gov"}
)

// checkASFF returns what is wrong with one finding as Security Hub's
// BatchImportFindings would judge it.
func checkASFF(f asffFinding) []string {
	var p []string
	bad := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	length := func(field, v string, max int) {
		if n := utf8.RuneCountInString(v); n < 1 || n > max || strings.TrimSpace(v) == "" {
			bad("%s: %d characters, want 1..%d and not blank", field, n, max)
		}
	}
	if f.SchemaVersion != "2018-10-08" {
		bad("SchemaVersion %q", f.SchemaVersion)
	}
	length("Id", f.ID, 512)
	length("GeneratorId", f.GeneratorID, 512)
	length("Title", f.Title, 256)
	length("Description", f.Description, 1024)
	if !asffAccountRe.MatchString(f.AwsAccountID) {
		bad("AwsAccountId %q", f.AwsAccountID)
	}
	m := asffProductArnRe.FindStringSubmatch(f.ProductArn)
	if m == nil || m[3] != f.AwsAccountID || m[4] != f.AwsAccountID || m[2] != f.Region {
		bad("ProductArn %q is not the default product of account %s in %s", f.ProductArn, f.AwsAccountID, f.Region)
	}
	if len(f.Types) == 0 {
		bad("no Types")
	}
	for _, typ := range f.Types {
		parts := strings.Split(typ, "/")
		if len(parts) < 2 || len(parts) > 3 || !slices.Contains(asffNamespaces, parts[0]) {
			bad("Types %q is not namespace/category/classifier", typ)
		}
	}
	for field, ts := range map[string]string{"CreatedAt": f.CreatedAt, "UpdatedAt": f.UpdatedAt} {
		if _, err := time.Parse(time.RFC3339Nano, ts); err != nil || !strings.HasSuffix(ts, "Z") {
			bad("%s %q is not an ISO 8601 UTC timestamp", field, ts)
		}
	}
	if !slices.Contains(asffLabels, f.Severity.Label) {
		bad("Severity.Label %q", f.Severity.Label)
	}
	if f.Remediation != nil {
		length("Remediation.Recommendation.Text", f.Remediation.Recommendation.Text, 512)
	}
	if len(f.ProductFields) > 50 {
		bad("%d ProductFields, at most 50", len(f.ProductFields))
	}
	if len(f.Resources) < 1 || len(f.Resources) > 32 {
		bad("%d Resources, want 1..32", len(f.Resources))
	}
	for _, r := range f.Resources {
		if r.Type == "" || r.ID == "" || !slices.Contains(asffPartitions, r.Partition) || r.Region == "" {
			bad("Resource %+v", r)
		}
	}
	if !slices.Contains(asffStatuses, f.Compliance.Status) {
		bad("Compliance.Status %q", f.Compliance.Status)
	}
	if !slices.Contains(asffRecordStates, f.RecordState) {
		bad("RecordState %q", f.RecordState)
	}
	return p
}

// TestASFFIsReadyForSecurityHub writes findings.asff.json for each export
// document: a JSON array Security Hub takes as it is, every finding within
// the API's constraints, the ID the finding's ID, each bucket an
// AwsS3Bucket resource of its ARN, FAILED for a finding (NOT_AVAILABLE for
// a scan error), and each resolved finding ARCHIVED and PASSED.
func TestASFFIsReadyForSecurityHub(t *testing.T) {
	for name, doc := range exportDocs(t) {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := writeASFF(&buf, doc); err != nil {
				t.Fatal(err)
			}
			var raw []map[string]any
			if err := json.Unmarshal(buf.Bytes(), &raw); err != nil {
				t.Fatalf("not a JSON array of objects: %v", err)
			}
			var list []asffFinding
			dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&list); err != nil {
				t.Fatal(err)
			}
			want := exportedFindings(doc)
			if len(list) != len(want) || len(raw) != len(list) {
				t.Fatalf("%d findings, want %d", len(list), len(want))
			}
			ids := map[string]bool{}
			for i, f := range list {
				for _, p := range checkASFF(f) {
					t.Errorf("[%d] %s", i, p)
				}
				key := f.ID + "/" + f.RecordState
				if ids[key] {
					t.Errorf("[%d] Id %s twice", i, f.ID)
				}
				ids[key] = true
				e := want[i]
				status, state := "FAILED", "ACTIVE"
				switch {
				case e.resolved:
					status, state = "PASSED", "ARCHIVED"
				case e.Type == scanner.FindingScanError:
					status = "NOT_AVAILABLE"
				}
				if f.ID != e.ID || f.Compliance.Status != status || f.RecordState != state {
					t.Errorf("[%d] Id %s %s %s, want %s %s %s", i, f.ID, f.Compliance.Status, f.RecordState, e.ID, status, state)
				}
				if e.Bucket != "" && (f.Resources[0].Type != "AwsS3Bucket" || f.Resources[0].ID != bucketARN(partitionOf(doc), e.Bucket)) {
					t.Errorf("[%d] resource %+v, want the AwsS3Bucket %s", i, f.Resources[0], e.Bucket)
				}
			}
		})
	}
}

// TestASFFCutsTextAtTheLimits: the hostile document's long title,
// description and remediation are cut to the limits, the remediation at a
// line break and saying where the rest is.
func TestASFFCutsTextAtTheLimits(t *testing.T) {
	doc := NewDocument(hostileResult(), fixtureTool, nil)
	last := doc.Findings[len(doc.Findings)-1]
	f := asffFindingOf(doc, exported{Finding: last})
	if n := utf8.RuneCountInString(f.Title); n != asffMaxTitle || !strings.HasSuffix(f.Title, "…") {
		t.Errorf("title: %d characters", n)
	}
	if n := utf8.RuneCountInString(f.Description); n != asffMaxDescription {
		t.Errorf("description: %d characters", n)
	}
	text := f.Remediation.Recommendation.Text
	if utf8.RuneCountInString(text) > asffMaxRemediationText || !strings.HasSuffix(text, "report.json and report.html)") ||
		!strings.HasPrefix(text, "aws s3api put-bucket-acl --bucket x --acl private\n") {
		t.Errorf("remediation text %q", text)
	}
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n(cut to fit Security Hub; the whole text is in report.json and report.html)"), "\n") {
		if line != "aws s3api put-bucket-acl --bucket x --acl private" {
			t.Errorf("a command cut in the middle: %q", line)
		}
	}
}

// TestASFFLeavesOutFindingsWithoutAccount: with the organization unread,
// no account is known and Security Hub would refuse the finding.
func TestASFFLeavesOutFindingsWithoutAccount(t *testing.T) {
	res := &scanner.Result{Findings: []scanner.Finding{{Type: scanner.FindingScanError, Severity: scanner.SeverityError, Title: "t", ID: "x"}}}
	var buf bytes.Buffer
	if err := writeASFF(&buf, NewDocument(res, fixtureTool, nil)); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "[]\n" {
		t.Errorf("got %s", buf.String())
	}
}
