package s3report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/scanner"
)

// LatestFile is the name, under the prefix, of the document that names the
// newest complete run.
const LatestFile = "latest.json"

// LatestSchemaVersion is the schema of latest.json; fields are added,
// never renamed.
const LatestSchemaVersion = 1

// maxLatestBytes bounds latest.json when it is read: it is a few hundred
// bytes.
const maxLatestBytes = 64 << 10

// runFolderLayout is the name of a run's folder under the prefix: the time
// the run started, UTC, to the second.
const runFolderLayout = "2006/01/02/150405Z"

// runFolderRe matches a run's folder name under the prefix.
var runFolderRe = regexp.MustCompile(`^[0-9]{4}/[0-9]{2}/[0-9]{2}/[0-9]{6}Z/$`)

// Latest is latest.json: the newest complete run under a prefix.
type Latest struct {
	SchemaVersion int         `json:"schema_version"`
	Tool          report.Tool `json:"tool"`
	// RunPrefix is the key prefix of the run's folder, ending in "/";
	// ReportKey the key of its report.json.
	RunPrefix      string    `json:"run_prefix"`
	ReportKey      string    `json:"report_key"`
	StartedAt      time.Time `json:"started_at"`
	FinishedAt     time.Time `json:"finished_at"`
	Complete       bool      `json:"complete"`
	OrganizationID string    `json:"organization_id"`
}

// errNoLatest is readLatest's answer when there is no latest.json.
var errNoLatest = errors.New("no " + LatestFile)

// runFolder is the key prefix of the folder of a run started at started.
func runFolder(prefix string, started time.Time) string {
	return joinKey(prefix, started.UTC().Format(runFolderLayout)) + "/"
}

// latestKey is the key of latest.json under prefix.
func latestKey(prefix string) string { return joinKey(prefix, LatestFile) }

// newLatest describes the run of doc, in the folder runPrefix.
func newLatest(doc *report.Document, runPrefix string) *Latest {
	return &Latest{
		SchemaVersion:  LatestSchemaVersion,
		Tool:           doc.Tool,
		RunPrefix:      runPrefix,
		ReportKey:      runPrefix + report.ReportJSONFile,
		StartedAt:      doc.StartedAt,
		FinishedAt:     doc.FinishedAt,
		Complete:       doc.Complete,
		OrganizationID: doc.Organization.ID,
	}
}

// readLatest reads latest.json under prefix. No latest.json is
// errNoLatest. The document is untrusted: it is refused unless it is
// small, of this schema, names a complete run in a folder of this prefix
// laid out as this package lays them out, and that run's report.json.
func readLatest(ctx context.Context, c *bucketClient, prefix string) (*Latest, error) {
	key := latestKey(prefix)
	out, err := c.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(c.bucket), Key: aws.String(key), ExpectedBucketOwner: aws.String(c.owner)})
	if isNoSuchKey(err) {
		return nil, errNoLatest
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %s", URL{c.bucket, key}, describe(err))
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, maxLatestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %v", URL{c.bucket, key}, err)
	}
	l, err := parseLatest(data, prefix)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", URL{c.bucket, key}, err)
	}
	return l, nil
}

// parseLatest decodes and checks latest.json found under prefix.
func parseLatest(data []byte, prefix string) (*Latest, error) {
	if len(data) > maxLatestBytes {
		return nil, fmt.Errorf("not an ownerscan %s: larger than %d bytes", LatestFile, maxLatestBytes)
	}
	var l Latest
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("not an ownerscan %s: %v", LatestFile, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("not an ownerscan %s: data after the document", LatestFile)
	}
	base := ""
	if prefix != "" {
		base = prefix + "/"
	}
	folder, ok := strings.CutPrefix(l.RunPrefix, base)
	switch {
	case l.SchemaVersion != LatestSchemaVersion:
		return nil, fmt.Errorf("not an ownerscan %s: schema_version %d, want %d", LatestFile, l.SchemaVersion, LatestSchemaVersion)
	case l.Tool.Name != report.ToolName:
		return nil, fmt.Errorf("not an ownerscan %s: written by %q", LatestFile, l.Tool.Name)
	case !ok || !runFolderRe.MatchString(folder):
		return nil, fmt.Errorf("run_prefix %q is not a run folder under this prefix", l.RunPrefix)
	case l.ReportKey != l.RunPrefix+report.ReportJSONFile:
		return nil, fmt.Errorf("report_key %q is not the report.json of run_prefix %q", l.ReportKey, l.RunPrefix)
	case !l.Complete:
		return nil, fmt.Errorf("names an incomplete run (%s)", l.RunPrefix)
	case !scanner.OrganizationIDPattern.MatchString(l.OrganizationID):
		return nil, fmt.Errorf("organization_id %q is not an organization ID", l.OrganizationID)
	}
	return &l, nil
}

// writeLatest replaces latest.json under prefix with l.
func writeLatest(ctx context.Context, c *bucketClient, prefix string, l *Latest) error {
	data, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	u := newUpload(ctx, c, latestKey(prefix), "application/json")
	if _, err := u.Write(append(data, '\n')); err != nil {
		u.Abort()
		return err
	}
	return u.Close()
}
