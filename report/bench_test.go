package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ownerscan/ownerscan/scanner"
)

// syntheticResult is a result shaped like the 1,000-account organization
// of cmd/ownerscan/testdata/perf/org-1000x20.yaml: accounts x buckets, a
// fifth of them not enforced, each of those with an ACLS_ENABLED finding, a
// cross-account owner and its CROSS_ACCOUNT_OBJECTS finding, and every
// tenth with a log delivery grant and its BUCKET_ACL_GRANT finding. Texts
// are as long as the scanner's (the remediation of ACLS_ENABLED is about
// 700 characters).
func syntheticResult(accounts, bucketsPerAccount int) *scanner.Result {
	start := time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC)
	res := &scanner.Result{
		StartedAt: start, FinishedAt: start.Add(90 * time.Second), Complete: true,
		Organization: scanner.Organization{ID: "o-aaaaaaaaaa", ManagementAccountID: "100000000000", Partition: "aws"},
	}
	remediation := strings.Repeat("aws s3api put-bucket-ownership-controls --bucket NAME --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'\n", 6)
	n := 0
	for a := range accounts {
		id := fmt.Sprintf("%012d", 100000000000+a)
		res.Accounts = append(res.Accounts, scanner.Account{
			ID: id, Name: "Account" + id, State: "ACTIVE", Status: scanner.AccountScanned,
			CanonicalID: fmt.Sprintf("%064x", a+1),
		})
		for b := range bucketsPerAccount {
			name := fmt.Sprintf("bucket-%s-%02d", id, b)
			bucket := scanner.Bucket{
				AccountID: id, AccountName: "Account" + id, Name: name, Region: "us-east-1",
				ObjectOwnership: scanner.OwnershipEnforced, Status: scanner.BucketCompliant, ObjectScan: scanner.ObjectScanSkipped,
				OwnerCanonicalID: fmt.Sprintf("%064x", a+1),
			}
			n++
			if n%5 == 0 {
				bucket.ObjectOwnership, bucket.Status, bucket.ObjectScan = scanner.OwnershipObjectWriter, scanner.BucketNoncompliant, scanner.ObjectScanComplete
				bucket.ObjectsScanned, bucket.CrossAccountObjects, bucket.CrossAccountBytes = 100, 1, 4096
				bucket.ForeignOwners = []scanner.ForeignOwner{{CanonicalID: fmt.Sprintf("%064x", a+2), AccountID: fmt.Sprintf("%012d", 100000000001+a), Objects: 1, Bytes: 4096, SampleKeys: []string{"data/object-0000042"}}}
				base := scanner.Finding{AccountID: id, Bucket: name, Region: "us-east-1", Remediation: strings.ReplaceAll(remediation, "NAME", name)}
				acls, cross := base, base
				acls.Type, acls.Severity = scanner.FindingACLsEnabled, scanner.SeverityMedium
				acls.Title = "bucket " + name + " has ACLs enabled (Object Ownership ObjectWriter)"
				acls.Detail = "Object Ownership is ObjectWriter, so ACLs still decide access and objects written by other accounts stay theirs."
				cross.Type, cross.Severity = scanner.FindingCrossAccountObjects, scanner.SeverityHigh
				cross.Title = "bucket " + name + " holds 1 object version(s) owned by other accounts"
				cross.Detail = "1 version(s) and delete marker(s), 4096 bytes, are owned by accounts other than the bucket owner. Owners: " + bucket.ForeignOwners[0].AccountID + ": 1 version(s), e.g. data/object-0000042."
				res.Findings = append(res.Findings, acls, cross)
				if n%10 == 0 {
					g := scanner.Grant{Kind: scanner.GranteeLogDelivery, URI: "http://acs.amazonaws.com/groups/s3/LogDelivery", Permission: "WRITE"}
					bucket.ACLGrants = []scanner.Grant{g}
					grant := base
					grant.Type, grant.Severity = scanner.FindingBucketACLGrant, scanner.SeverityLow
					grant.Title = "bucket " + name + " ACL grants WRITE to LogDelivery"
					grant.Detail = "The bucket ACL grants WRITE to LogDelivery."
					grant.ID = scanner.FindingID(grant.Type, id, name, "us-east-1", "grantee="+g.URI+" permission=WRITE")
					res.Findings = append(res.Findings, grant)
				}
			}
			res.Buckets = append(res.Buckets, bucket)
		}
	}
	for i := range res.Findings {
		f := &res.Findings[i]
		if f.ID == "" {
			f.ID = scanner.FindingID(f.Type, f.AccountID, f.Bucket, f.Region, "")
		}
		res.Summary.Findings = map[string]int{}
	}
	for _, f := range res.Findings {
		res.Summary.Findings[string(f.Severity)]++
	}
	return res
}

// BenchmarkWriteReports writes the reports of a 1,000-account, 20,000-bucket
// organization: json and csv alone, then every format. ns/op is the time to
// write the files; B/op what writing them allocates; MB/file-set the bytes
// on disk. Run it on a quiet machine:
//
//	go test -run '^$' -bench BenchmarkWriteReports -benchmem -count 5 ./report
func BenchmarkWriteReports(b *testing.B) {
	res := syntheticResult(1000, 20)
	for _, tc := range []struct {
		name    string
		formats []Format
	}{
		{"json+csv", []Format{FormatJSON, FormatCSV}},
		{"all", allFormats()},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var bytes int64
			for b.Loop() {
				dir := b.TempDir()
				if err := Write(dir, res, fixtureTool, tc.formats); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				bytes = dirBytes(b, dir)
				os.RemoveAll(dir)
				b.StartTimer()
			}
			b.ReportMetric(float64(bytes)/1e6, "MB/file-set")
		})
	}
}

func dirBytes(b *testing.B, dir string) int64 {
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for _, e := range entries {
		st, err := os.Stat(filepath.Join(dir, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		n += st.Size()
	}
	return n
}

// TestSyntheticResultIsValid keeps the benchmark honest: its result has the
// shape it claims and writes in every format.
func TestSyntheticResultIsValid(t *testing.T) {
	res := syntheticResult(10, 20)
	if len(res.Accounts) != 10 || len(res.Buckets) != 200 || len(res.Findings) != 40*2+20 {
		t.Fatalf("%d accounts, %d buckets, %d findings", len(res.Accounts), len(res.Buckets), len(res.Findings))
	}
	ids := map[string]bool{}
	for _, f := range res.Findings {
		if ids[f.ID] {
			t.Fatalf("ID %s twice", f.ID)
		}
		ids[f.ID] = true
	}
	if err := Write(t.TempDir(), res, fixtureTool, allFormats()); err != nil {
		t.Fatal(err)
	}
}
