package main

import (
	"slices"
	"testing"

	"github.com/ownerscan/ownerscan/report"
)

// suspendedWriterScenario is an organization in which 444 wrote into
// 222's ObjectWriter bucket; status is 444's Organizations status.
func suspendedWriterScenario(status string) string {
	return `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
  - {id: "222222222222", name: AccountB}
  - {id: "444444444444", name: AccountD, status: ` + status + `}
buckets:
  - name: shared
    account: "222222222222"
    ownership: ObjectWriter
    writers: ["444444444444"]
    objects:
      - {key: own.txt, size: 1}
      - {key: from-d.txt, uploader: "444444444444", size: 2}
`
}

// foreignOwnerOf returns the one foreign owner of the named bucket.
func foreignOwnerOf(t *testing.T, doc *report.Document, bucket string) (accountID string, unidentified bool, candidates []string) {
	t.Helper()
	for _, b := range doc.Buckets {
		if b.Name != bucket {
			continue
		}
		if len(b.ForeignOwners) != 1 {
			t.Fatalf("bucket %s: %d foreign owners, want 1", bucket, len(b.ForeignOwners))
		}
		o := b.ForeignOwners[0]
		return o.AccountID, o.Unidentified, o.CandidateAccounts
	}
	t.Fatalf("bucket %s not in the report", bucket)
	return "", false, nil
}

// TestBaselineIdentifiesSuspendedWriter runs the user's path: a scan while
// 444 was active learns its canonical ID; once 444 is suspended, a scan
// without a baseline can only say its objects are unidentified (444 a
// candidate), and the same scan with the earlier report as --baseline names
// 444 as their owner.
func TestBaselineIdentifiesSuspendedWriter(t *testing.T) {
	before := t.TempDir()
	startEmulator(t, parseScenario(t, suspendedWriterScenario("ACTIVE")))
	if code, _, stderr := runCLI(t, "scan", "--out", before, "--quiet"); code != exitFindings {
		t.Fatalf("scan while 444 is active: exit %d; stderr:\n%s", code, stderr)
	}
	if id, unidentified, _ := foreignOwnerOf(t, readReport(t, before), "shared"); id != "444444444444" || unidentified {
		t.Fatalf("while active, owner %q unidentified %v; want 444444444444", id, unidentified)
	}

	startEmulator(t, parseScenario(t, suspendedWriterScenario("SUSPENDED")))
	without := t.TempDir()
	if code, _, stderr := runCLI(t, "scan", "--out", without, "--quiet"); code != exitFindings {
		t.Fatalf("scan without baseline: exit %d; stderr:\n%s", code, stderr)
	}
	id, unidentified, candidates := foreignOwnerOf(t, readReport(t, without), "shared")
	if id != "" || !unidentified || !slices.Contains(candidates, "444444444444") {
		t.Errorf("without a baseline: owner %q unidentified %v candidates %v; want unidentified with 444444444444 a candidate", id, unidentified, candidates)
	}

	with := t.TempDir()
	if code, _, stderr := runCLI(t, "scan", "--out", with, "--quiet", "--baseline", before); code != exitFindings {
		t.Fatalf("scan with baseline: exit %d; stderr:\n%s", code, stderr)
	}
	if id, unidentified, _ := foreignOwnerOf(t, readReport(t, with), "shared"); id != "444444444444" || unidentified {
		t.Errorf("with the baseline: owner %q unidentified %v; want 444444444444", id, unidentified)
	}
}
