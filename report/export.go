package report

import (
	"bufio"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ownerscan/ownerscan/scanner"
)

// This file holds what the finding exports (ocsf, asff) share: which
// findings they carry, the ARNs and regions they name, and a streaming
// JSON array writer.

// exported is one finding as an export carries it: a finding of this scan,
// or, with a baseline, a finding the scan resolved (so that the consumer
// can close it).
type exported struct {
	scanner.Finding
	resolved bool
}

// exportedFindings lists the findings an export carries: every finding of
// the scan, then the baseline's resolved findings. Unverified findings are
// left out: nothing is known about them today.
func exportedFindings(doc *Document) []exported {
	out := make([]exported, 0, len(doc.Findings)+len(doc.ResolvedFindings))
	for _, f := range doc.Findings {
		out = append(out, exported{Finding: f})
	}
	for _, f := range doc.ResolvedFindings {
		out = append(out, exported{Finding: f, resolved: true})
	}
	return out
}

// partitionOf is the partition of the scan, "aws" when the report does
// not say.
func partitionOf(doc *Document) string {
	if p := doc.Organization.Partition; p != "" {
		return p
	}
	return scanner.DefaultPartition
}

// homeRegions are the regions where AWS Organizations answers in each
// partition: findings about the organization or a whole account, which
// have no region of their own, are filed there.
var homeRegions = map[string]string{
	"aws":        "us-east-1",
	"aws-cn":     "cn-northwest-1",
	"aws-us-gov": "us-gov-west-1",
}

// findingRegion is the finding's region, or its partition's home region.
func findingRegion(f scanner.Finding, partition string) string {
	if f.Region != "" {
		return f.Region
	}
	if r, ok := homeRegions[partition]; ok {
		return r
	}
	return homeRegions[scanner.DefaultPartition]
}

// findingAccount is the account a finding belongs to: its own, or for the
// organization's, the management account ("" when unknown).
func findingAccount(f scanner.Finding, doc *Document) string {
	if f.AccountID != "" {
		return f.AccountID
	}
	return doc.Organization.ManagementAccountID
}

// bucketARN is the ARN of an S3 bucket.
func bucketARN(partition, bucket string) string {
	return "arn:" + partition + ":s3:::" + bucket
}

// organizationARN is the ARN of an organization.
func organizationARN(partition string, org scanner.Organization) string {
	return "arn:" + partition + ":organizations::" + org.ManagementAccountID + ":organization/" + org.ID
}

// productName names the tool in the exports: the one that wrote the
// report, ToolName when the document does not say.
func productName(doc *Document) string {
	if doc.Tool.Name != "" {
		return doc.Tool.Name
	}
	return ToolName
}

// reportTime is when the findings were established: the end of the scan,
// or its start when the end is unknown.
func reportTime(doc *Document) time.Time {
	if !doc.FinishedAt.IsZero() {
		return doc.FinishedAt.UTC()
	}
	return doc.StartedAt.UTC()
}

// truncateText cuts s to at most max characters (runes), ending with "…"
// when cut. Invalid UTF-8 counts one character per byte, as encoding/json
// then writes U+FFFD for it.
func truncateText(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// truncateLines cuts s to at most max characters at a line break, and
// says where the rest is: a command cut in the middle would mislead. Text
// whose first line alone is too long is cut as truncateText cuts.
func truncateLines(s string, max int, rest string) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	budget := max - utf8.RuneCountInString(rest)
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	n := 0
	for _, line := range lines {
		l := utf8.RuneCountInString(line)
		if n+l > budget {
			break
		}
		b.WriteString(line)
		n += l
	}
	if n == 0 {
		return truncateText(s, max)
	}
	return strings.TrimRight(b.String(), "\n") + rest
}

// writeJSONArray writes the n elements that elem returns as a JSON array
// (see writeJSONElements), then a newline.
func writeJSONArray(w io.Writer, n int, elem func(i int) any) error {
	bw := bufio.NewWriter(w)
	if err := writeJSONElements(bw, "  ", n, elem); err != nil {
		return err
	}
	bw.WriteString("\n")
	return bw.Flush()
}
