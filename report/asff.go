package report

import (
	"io"

	"github.com/ownerscan/ownerscan/scanner"
)

// findings.asff.json: the findings in the AWS Security Finding Format, a
// JSON array that `aws securityhub batch-import-findings --findings
// file://findings.asff.json` takes as it is (at most 100 findings per call:
// the README shows how to split the file). Each finding is filed under the
// default custom product of its own account and region
// (https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-custom-providers.html),
// which Security Hub accepts only from that account. With a baseline, each
// resolved finding is imported once more as ARCHIVED and PASSED, so that
// Security Hub closes it instead of keeping it active forever.

// ASFF limits and fixed values, from the AwsSecurityFinding API reference
// (https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_AwsSecurityFinding.html).
const (
	asffSchemaVersion      = "2018-10-08"
	asffMaxTitle           = 256
	asffMaxDescription     = 1024
	asffMaxRemediationText = 512
	// asffType is the finding type, namespace/category/classifier.
	asffType = "Software and Configuration Checks/AWS Security Best Practices/S3 Object Ownership"
	// asffTimeLayout is an ISO 8601 timestamp Security Hub accepts.
	asffTimeLayout = "2006-01-02T15:04:05.000Z"
)

type asffFinding struct {
	SchemaVersion string            `json:"SchemaVersion"`
	ID            string            `json:"Id"`
	ProductArn    string            `json:"ProductArn"`
	ProductName   string            `json:"ProductName"`
	CompanyName   string            `json:"CompanyName"`
	Region        string            `json:"Region"`
	GeneratorID   string            `json:"GeneratorId"`
	AwsAccountID  string            `json:"AwsAccountId"`
	Types         []string          `json:"Types"`
	CreatedAt     string            `json:"CreatedAt"`
	UpdatedAt     string            `json:"UpdatedAt"`
	Severity      asffSeverity      `json:"Severity"`
	Title         string            `json:"Title"`
	Description   string            `json:"Description"`
	Remediation   *asffRemediation  `json:"Remediation,omitempty"`
	ProductFields map[string]string `json:"ProductFields"`
	Resources     []asffResource    `json:"Resources"`
	Compliance    asffCompliance    `json:"Compliance"`
	RecordState   string            `json:"RecordState"`
}

type asffSeverity struct {
	Label    string `json:"Label"`
	Original string `json:"Original"`
}

type asffRemediation struct {
	Recommendation asffRecommendation `json:"Recommendation"`
}

type asffRecommendation struct {
	Text string `json:"Text"`
}

type asffResource struct {
	Type      string              `json:"Type"`
	ID        string              `json:"Id"`
	Partition string              `json:"Partition"`
	Region    string              `json:"Region"`
	Details   *asffResourceDetail `json:"Details,omitempty"`
}

type asffResourceDetail struct {
	AwsS3Bucket asffBucketDetails `json:"AwsS3Bucket"`
}

type asffBucketDetails struct {
	OwnerAccountID string `json:"OwnerAccountId"`
}

type asffCompliance struct {
	Status string `json:"Status"`
}

// asffLabel maps a severity to Severity.Label. A scan error says nothing of
// the risk: INFORMATIONAL, with Compliance NOT_AVAILABLE.
func asffLabel(s scanner.Severity) string {
	switch s {
	case scanner.SeverityLow:
		return "LOW"
	case scanner.SeverityMedium:
		return "MEDIUM"
	case scanner.SeverityHigh:
		return "HIGH"
	case scanner.SeverityCritical:
		return "CRITICAL"
	}
	return "INFORMATIONAL"
}

// writeASFF writes findings.asff.json. A finding with no account at all
// (the organization could not be read, so not even the management account
// is known) cannot be filed, AwsAccountId being required; it is left out,
// and report.json has it.
func writeASFF(w io.Writer, doc *Document) error {
	var list []exported
	for _, e := range exportedFindings(doc) {
		if findingAccount(e.Finding, doc) != "" {
			list = append(list, e)
		}
	}
	return writeJSONArray(w, len(list), func(i int) any { return asffFindingOf(doc, list[i]) })
}

func asffFindingOf(doc *Document, e exported) asffFinding {
	f := e.Finding
	partition := partitionOf(doc)
	region := findingRegion(f, partition)
	account := findingAccount(f, doc)
	at := reportTime(doc).Format(asffTimeLayout)
	product := productName(doc)
	desc := f.Detail
	if desc == "" {
		desc = f.Title
	}
	out := asffFinding{
		SchemaVersion: asffSchemaVersion,
		ID:            f.ID,
		ProductArn:    "arn:" + partition + ":securityhub:" + region + ":" + account + ":product/" + account + "/default",
		ProductName:   product,
		CompanyName:   product,
		Region:        region,
		GeneratorID:   product + "/" + string(f.Type),
		AwsAccountID:  account,
		Types:         []string{asffType},
		CreatedAt:     at,
		UpdatedAt:     at,
		Severity:      asffSeverity{Label: asffLabel(f.Severity), Original: string(f.Severity)},
		Title:         truncateText(f.Title, asffMaxTitle),
		Description:   truncateText(desc, asffMaxDescription),
		ProductFields: map[string]string{product + "/FindingType": string(f.Type)},
		Compliance:    asffCompliance{Status: "FAILED"},
		RecordState:   "ACTIVE",
	}
	if f.Change != "" {
		out.ProductFields[product+"/Change"] = string(f.Change)
	}
	switch {
	case e.resolved:
		out.Compliance.Status, out.RecordState = "PASSED", "ARCHIVED"
	case f.Type == scanner.FindingScanError:
		out.Compliance.Status = "NOT_AVAILABLE"
	}
	if f.Remediation != "" {
		text := truncateLines(f.Remediation, asffMaxRemediationText, "\n(cut to fit Security Hub; the whole text is in report.json and report.html)")
		out.Remediation = &asffRemediation{Recommendation: asffRecommendation{Text: text}}
	}
	res := asffResource{Partition: partition, Region: region}
	switch {
	case f.Bucket != "":
		res.Type, res.ID = "AwsS3Bucket", bucketARN(partition, f.Bucket)
		res.Details = &asffResourceDetail{AwsS3Bucket: asffBucketDetails{OwnerAccountID: f.AccountID}}
	case f.AccountID != "":
		res.Type, res.ID = "AwsAccount", "AWS::::Account:"+f.AccountID
	default:
		res.Type, res.ID = "Other", organizationARN(partition, doc.Organization)
	}
	out.Resources = []asffResource{res}
	return out
}
