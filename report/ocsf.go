package report

import (
	"io"

	"github.com/ownerscan/ownerscan/scanner"
)

// findings.ocsf.json: the findings as OCSF 1.6.0 Compliance Findings, the
// schema of security data lakes and of the OCSF-based AWS Security Hub
// (https://schema.ocsf.io/1.6.0/classes/compliance_finding). Every finding
// is one event; with a baseline, each resolved finding is one more, a Close
// event that passes.

// OCSF identifiers of what the file holds.
const (
	ocsfVersion      = "1.6.0"
	ocsfCategoryUID  = 2 // Findings
	ocsfClassUID     = 2003
	ocsfActivityOpen = 1 // Create: the scan found it
	// ocsfActivityClose: a finding of the baseline the scan no longer
	// raises where it looked.
	ocsfActivityClose = 3
	// Compliance status_id: Pass, Warning (the check "did not yield a
	// result due to missing information": a scan error), Fail.
	ocsfCompliancePass    = 1
	ocsfComplianceWarning = 2
	ocsfComplianceFail    = 3
	ocsfAccountTypeAWS    = 10 // account.type_id: AWS Account
	ocsfRoleTarget        = 1  // resource_details.role_id: the finding's subject
)

var ocsfActivityNames = map[int]string{ocsfActivityOpen: "Create", ocsfActivityClose: "Close"}

// ocsfEvent is one Compliance Finding. Field names and order follow the
// schema; what is optional there is left out when empty.
type ocsfEvent struct {
	ActivityID   int              `json:"activity_id"`
	ActivityName string           `json:"activity_name"`
	CategoryUID  int              `json:"category_uid"`
	CategoryName string           `json:"category_name"`
	ClassUID     int              `json:"class_uid"`
	ClassName    string           `json:"class_name"`
	TypeUID      int              `json:"type_uid"`
	TypeName     string           `json:"type_name"`
	SeverityID   int              `json:"severity_id"`
	Severity     string           `json:"severity"`
	Time         int64            `json:"time"`
	Message      string           `json:"message"`
	Metadata     ocsfMetadata     `json:"metadata"`
	Cloud        ocsfCloud        `json:"cloud"`
	FindingInfo  ocsfFindingInfo  `json:"finding_info"`
	Compliance   ocsfCompliance   `json:"compliance"`
	Resources    []ocsfResource   `json:"resources"`
	Remediation  *ocsfRemediation `json:"remediation,omitempty"`
}

type ocsfMetadata struct {
	Version  string      `json:"version"`
	Product  ocsfProduct `json:"product"`
	Profiles []string    `json:"profiles"`
}

type ocsfProduct struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
	Version    string `json:"version,omitempty"`
}

type ocsfCloud struct {
	Provider  string       `json:"provider"`
	Partition string       `json:"cloud_partition"`
	Region    string       `json:"region"`
	Account   *ocsfAccount `json:"account,omitempty"`
	Org       *ocsfOrg     `json:"org,omitempty"`
}

type ocsfAccount struct {
	UID    string `json:"uid"`
	Name   string `json:"name,omitempty"`
	Type   string `json:"type"`
	TypeID int    `json:"type_id"`
}

type ocsfOrg struct {
	UID string `json:"uid"`
}

type ocsfFindingInfo struct {
	UID   string   `json:"uid"`
	Title string   `json:"title"`
	Desc  string   `json:"desc,omitempty"`
	Types []string `json:"types"`
}

type ocsfCompliance struct {
	Control  string `json:"control"`
	StatusID int    `json:"status_id"`
	Status   string `json:"status"`
}

type ocsfResource struct {
	UID       string `json:"uid,omitempty"`
	Name      string `json:"name,omitempty"`
	Type      string `json:"type"`
	Region    string `json:"region,omitempty"`
	Partition string `json:"cloud_partition"`
	RoleID    int    `json:"role_id"`
	Role      string `json:"role"`
}

type ocsfRemediation struct {
	Desc string `json:"desc"`
}

// ocsfSeverity maps a severity to OCSF severity_id and its caption. A scan
// error says nothing of the risk: Unknown.
func ocsfSeverity(s scanner.Severity) (int, string) {
	switch s {
	case scanner.SeverityLow:
		return 2, "Low"
	case scanner.SeverityMedium:
		return 3, "Medium"
	case scanner.SeverityHigh:
		return 4, "High"
	case scanner.SeverityCritical:
		return 5, "Critical"
	}
	return 0, "Unknown"
}

// writeOCSF writes findings.ocsf.json.
func writeOCSF(w io.Writer, doc *Document) error {
	list := exportedFindings(doc)
	names := accountNames(doc)
	return writeJSONArray(w, len(list), func(i int) any { return ocsfEventOf(doc, list[i], names) })
}

// accountNames maps account IDs to names.
func accountNames(doc *Document) map[string]string {
	names := make(map[string]string, len(doc.Accounts))
	for _, a := range doc.Accounts {
		names[a.ID] = a.Name
	}
	return names
}

func ocsfEventOf(doc *Document, e exported, names map[string]string) ocsfEvent {
	f := e.Finding
	partition := partitionOf(doc)
	region := findingRegion(f, partition)
	activity := ocsfActivityOpen
	status, statusName := ocsfComplianceFail, "Fail"
	switch {
	case e.resolved:
		activity, status, statusName = ocsfActivityClose, ocsfCompliancePass, "Pass"
	case f.Type == scanner.FindingScanError:
		status, statusName = ocsfComplianceWarning, "Warning"
	}
	sevID, sev := ocsfSeverity(f.Severity)
	product := productName(doc)
	ev := ocsfEvent{
		ActivityID:   activity,
		ActivityName: ocsfActivityNames[activity],
		CategoryUID:  ocsfCategoryUID,
		CategoryName: "Findings",
		ClassUID:     ocsfClassUID,
		ClassName:    "Compliance Finding",
		TypeUID:      ocsfClassUID*100 + activity,
		TypeName:     "Compliance Finding: " + ocsfActivityNames[activity],
		SeverityID:   sevID,
		Severity:     sev,
		Time:         reportTime(doc).UnixMilli(),
		Message:      f.Title,
		Metadata: ocsfMetadata{
			Version:  ocsfVersion,
			Product:  ocsfProduct{Name: product, VendorName: product, Version: doc.Tool.Version},
			Profiles: []string{"cloud"},
		},
		Cloud: ocsfCloud{Provider: "AWS", Partition: partition, Region: region},
		FindingInfo: ocsfFindingInfo{
			UID: f.ID, Title: f.Title, Desc: f.Detail, Types: []string{string(f.Type)},
		},
		Compliance: ocsfCompliance{Control: string(f.Type), StatusID: status, Status: statusName},
	}
	if acct := findingAccount(f, doc); acct != "" {
		ev.Cloud.Account = &ocsfAccount{UID: acct, Name: names[acct], Type: "AWS Account", TypeID: ocsfAccountTypeAWS}
	}
	if doc.Organization.ID != "" {
		ev.Cloud.Org = &ocsfOrg{UID: doc.Organization.ID}
	}
	res := ocsfResource{Partition: partition, RoleID: ocsfRoleTarget, Role: "Target"}
	switch {
	case f.Bucket != "":
		res.UID, res.Name, res.Type, res.Region = bucketARN(partition, f.Bucket), f.Bucket, "AWS::S3::Bucket", f.Region
	case f.AccountID != "":
		res.UID, res.Name, res.Type = f.AccountID, names[f.AccountID], "AWS::::Account"
	default:
		res.Name, res.Type = "AWS Organization", "AWS::Organizations::Organization"
		if doc.Organization.ID != "" && doc.Organization.ManagementAccountID != "" {
			res.UID = organizationARN(partition, doc.Organization)
		}
	}
	ev.Resources = []ocsfResource{res}
	if f.Remediation != "" {
		ev.Remediation = &ocsfRemediation{Desc: f.Remediation}
	}
	return ev
}
