package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/scanner"
)

// pagedOrg exercises every paging path of a scan: 26 accounts (2
// ListAccounts pages), a bucket of 2,600 versions (3 ListObjectVersions
// pages) with objects of a member and of an external owner, bucket ACL
// grants, and a generated organization's mix of enforced and not enforced
// buckets.
const pagedOrg = `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
  - {id: "222222222222", name: Owner}
  - {id: "333333333333", name: Writer}
buckets:
  - name: big-versions
    account: "222222222222"
    ownership: ObjectWriter
    versioning: Enabled
    writers: ["333333333333"]
    acl: [{grantee: "333333333333", permission: READ}, {grantee: AllUsers, permission: READ}]
    generated: {count: 1300, versions_per_key: 2, foreign: {"333333333333": 0.1, "external:` + externalCanonical + `": 0.01}}
  - {name: writer-enforced, account: "333333333333", region: eu-west-1}
generate: {accounts: 23, buckets_per_account: 2, not_enforced_fraction: 0.5, objects_per_bucket: 40, foreign_fraction: 0.1}
`

const externalCanonical = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"

// scanScenario runs `ownerscan scan` against the emulator serving yml and
// returns the exit code, stderr, the output folder and the emulator.
func scanScenario(t *testing.T, yml string, args ...string) (code int, stderr, out string, srv *fakeaws.Server) {
	t.Helper()
	srv = startEmulator(t, parseScenario(t, yml))
	out = filepath.Join(t.TempDir(), "reports")
	code, _, stderr = runCLI(t, append([]string{"scan", "--out", out, "--quiet"}, args...)...)
	return code, stderr, out, srv
}

// comparableReports reads the reports in the form two runs of the same
// organization must agree on byte for byte: report.json without its
// timestamps, findings.csv and buckets.csv as written, objects.csv with its
// rows sorted (they stream in the order listings finish), the OCSF, ASFF and
// HTML reports with every time masked.
func comparableReports(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	checkReportFiles(t, dir)
	got := map[string][]byte{}
	for _, name := range reportFiles {
		data := readFile(t, filepath.Join(dir, name))
		switch name {
		case report.ReportJSONFile:
			data = withoutTimes(t, data)
		case report.ObjectsCSVFile:
			data = []byte(strings.Join(sortedLines(data), "\n"))
		case report.FindingsOCSFFile, report.FindingsASFFFile, report.ReportHTMLFile:
			data = timesMasked(data)
		}
		got[name] = data
	}
	return got
}

// Times in the OCSF, ASFF and HTML reports: RFC 3339 timestamps, OCSF's
// epoch milliseconds, and the scan's duration.
var (
	rfc3339Times = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)
	epochMillis  = regexp.MustCompile(`"time": \d+`)
	durations    = regexp.MustCompile(`took [0-9.]+[a-zµ]+`)
)

func timesMasked(data []byte) []byte {
	data = rfc3339Times.ReplaceAll(data, []byte("TIME"))
	data = epochMillis.ReplaceAll(data, []byte(`"time": 0`))
	return durations.ReplaceAll(data, []byte("took D"))
}

// TestFaultsLeaveReportsUnchanged: with 30% of the calls of every service
// throttled, and separately with 5% of connections reset, the reports are
// byte-equal to the fault-free run's (timestamps aside) and the exit code is
// the same. Each throttled or reset call is retried; none turns into a
// failed account or bucket.
func TestFaultsLeaveReportsUnchanged(t *testing.T) {
	code, stderr, out, cleanSrv := scanScenario(t, pagedOrg)
	cleanCalls := cleanSrv.Emulator.Counters().Total
	if code != exitFindings {
		t.Fatalf("fault-free run: exit %d, want %d; stderr:\n%s", code, exitFindings, stderr)
	}
	clean := comparableReports(t, out)
	doc := readReport(t, out)
	if !doc.Complete || doc.Summary.Accounts != 26 || findBucket(t, doc.Result, "big-versions").ObjectsScanned != 2600 {
		t.Fatalf("fault-free run does not exercise paging: complete %v, %d accounts, summary %+v", doc.Complete, doc.Summary.Accounts, doc.Summary)
	}
	if !bytes.Contains(clean[report.ObjectsCSVFile], []byte(externalCanonical)) {
		t.Fatal("objects.csv lacks the external owner's versions")
	}

	for _, tc := range []struct{ name, faults string }{
		{"30% throttled, every service", "faults: {throttle: {rate: 0.3}, seed: 11}"},
		{"5% connections reset", "faults: {reset: {rate: 0.05}, seed: 12}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stderr, out, srv := scanScenario(t, pagedOrg+tc.faults+"\n")
			if code != exitFindings {
				t.Fatalf("exit %d, want %d as without faults; stderr:\n%s", code, exitFindings, stderr)
			}
			got := comparableReports(t, out)
			for _, name := range reportFiles {
				if !bytes.Equal(got[name], clean[name]) {
					t.Errorf("%s differs from the fault-free run's", name)
				}
			}
			// Every service was hit, and the retries show in the counters.
			c := srv.Emulator.Counters()
			if c.Total <= cleanCalls {
				t.Errorf("%d calls, %d without faults: no fault was injected", c.Total, cleanCalls)
			}
			for _, op := range []string{"AssumeRole", "ListAccounts", "ListObjectVersions", "GetBucketOwnershipControls"} {
				if c.ByOperation[op] == 0 {
					t.Errorf("no %s call", op)
				}
			}
			t.Logf("%d calls, %d without faults", c.Total, cleanCalls)
		})
	}
}

// TestShortSessionsLongScan: sessions that expire every 2 seconds during a
// scan of more than 10 seconds are refreshed before use: no account or
// bucket fails, and the member roles were assumed again and again.
func TestShortSessionsLongScan(t *testing.T) {
	const yml = `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
generate: {accounts: 6, buckets_per_account: 2, not_enforced_fraction: 1, objects_per_bucket: 3000, foreign_fraction: 0.05}
session_duration: 2s
faults: {latency: 150ms}
`
	start := time.Now()
	code, stderr, out, srv := scanScenario(t, yml, "--concurrency", "1")
	took := time.Since(start)
	if code != exitFindings {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitFindings, stderr)
	}
	doc := readReport(t, out)
	if !doc.Complete || doc.Summary.AccountsFailed != 0 || doc.Summary.BucketsFailed != 0 {
		t.Fatalf("complete %v, summary %+v", doc.Complete, doc.Summary)
	}
	if took < 10*time.Second {
		t.Errorf("the scan took %v; it must outlive several 2s sessions (>10s)", took)
	}
	assumes := srv.Emulator.Counters().ByOperation["AssumeRole"]
	if assumes <= 6 {
		t.Errorf("%d AssumeRole calls for 6 members over %v: sessions were not refreshed", assumes, took)
	}
	t.Logf("%v, %d AssumeRole for 6 members", took.Round(time.Millisecond), assumes)
}

// TestDeniedExactlyThoseFail: AccessDenied on chosen bucket calls and on
// one account's AssumeRole fails exactly those, with the AWS error code in
// report.json and buckets.csv; everything else is complete; exit 3.
func TestDeniedExactlyThoseFail(t *testing.T) {
	deniedAccount := fakeaws.GeneratedAccountID(5)
	yml := pagedOrg + `
faults:
  deny:
    - {account: "` + deniedAccount + `", operation: AssumeRole}
    - {bucket: big-versions, operation: ListObjectVersions}
    - {bucket: writer-enforced, operation: GetBucketOwnershipControls}
`
	code, stderr, out, _ := scanScenario(t, yml)
	if code != exitIncomplete {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitIncomplete, stderr)
	}
	if !strings.Contains(stderr, "1 account(s) and 2 bucket(s) could not be scanned") {
		t.Errorf("stderr does not count what failed:\n%s", stderr)
	}
	doc := readReport(t, out)
	if doc.Complete {
		t.Error("complete: true with failures")
	}
	wantAccount := map[string]string{deniedAccount: "AssumeRole: AccessDenied"}
	for _, a := range doc.Accounts {
		prefix, denied := wantAccount[a.ID]
		switch {
		case denied && (a.Status != scanner.AccountFailed || !strings.HasPrefix(a.Error, prefix)):
			t.Errorf("account %s: %s %q, want failed %q", a.ID, a.Status, a.Error, prefix)
		case !denied && a.Status != scanner.AccountScanned:
			t.Errorf("account %s: %s %q, want scanned", a.ID, a.Status, a.Error)
		}
	}
	if len(doc.Accounts) != 26 {
		t.Errorf("%d accounts, want 26", len(doc.Accounts))
	}
	wantBucket := map[string]string{
		"big-versions":    "ListObjectVersions: AccessDenied",
		"writer-enforced": "GetBucketOwnershipControls: AccessDenied",
	}
	for _, b := range doc.Buckets {
		prefix, denied := wantBucket[b.Name]
		switch {
		case b.AccountID == deniedAccount:
			t.Errorf("bucket %s of the unassumable account is listed", b.Name)
		case denied && (b.Status != scanner.BucketFailed || !strings.HasPrefix(b.Error, prefix)):
			t.Errorf("bucket %s: %s %q, want failed %q", b.Name, b.Status, b.Error, prefix)
		case !denied && b.Status == scanner.BucketFailed:
			t.Errorf("bucket %s failed: %q", b.Name, b.Error)
		case !denied && b.ObjectScan != scanner.ObjectScanComplete && b.ObjectScan != scanner.ObjectScanSkipped:
			t.Errorf("bucket %s: object scan %s", b.Name, b.ObjectScan)
		}
	}
	var scanErrors int
	for _, f := range doc.Findings {
		if f.Type == scanner.FindingScanError {
			scanErrors++
		}
	}
	if scanErrors != 3 {
		t.Errorf("%d SCAN_ERROR findings, want 3", scanErrors)
	}
	rows := readCSV(t, filepath.Join(out, report.BucketsCSVFile))
	var failedRows int
	for _, row := range rows[1:] {
		if slices.Contains(row, "failed") {
			failedRows++
			if !strings.Contains(strings.Join(row, ","), "AccessDenied") {
				t.Errorf("buckets.csv failed row without the AWS code: %v", row)
			}
		}
	}
	if failedRows != 2 {
		t.Errorf("buckets.csv has %d failed rows, want 2", failedRows)
	}
}

// TestInterruptDemoOrganization: SIGINT in the middle of a scan of the demo
// organization under latency ends the run within 5 seconds with exit 3;
// every report file is complete and parses; report.json says complete:
// false and names every account; the files are those of this run only.
func TestInterruptDemoOrganization(t *testing.T) {
	yml := string(fakeaws.BuiltinScenarioYAML()) + "\nfaults: {latency: 400ms}\n"
	scenario := writeFile(t, "scenario.yaml", yml)
	out := t.TempDir()
	a, sigs, hardExits, done := startApp(t, "demo", "--scenario", scenario, "--out", out, "--quiet", "--concurrency", "2")
	time.Sleep(1500 * time.Millisecond) // GetCallerIdentity, DescribeOrganization, ListAccounts, the first accounts
	sigs <- os.Interrupt
	sent := time.Now()
	var code int
	select {
	case code = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("still running 5s after SIGINT")
	}
	took := time.Since(sent)
	if code != exitIncomplete {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitIncomplete, a.stderr)
	}
	select {
	case c := <-hardExits:
		t.Fatalf("hard exit %d after one signal", c)
	default:
	}
	t.Logf("exit %d %v after SIGINT", code, took.Round(time.Millisecond))

	checkReportFiles(t, out)
	doc := readReport(t, out)
	if doc.Complete {
		t.Error("complete: true after SIGINT")
	}
	if len(doc.Accounts) != 5 {
		t.Errorf("%d accounts, want the demo organization's 5", len(doc.Accounts))
	}
	notReached := 0
	for _, acct := range doc.Accounts {
		if acct.Status == scanner.AccountFailed && strings.Contains(acct.Error, "interrupted") {
			notReached++
		}
	}
	for _, b := range doc.Buckets {
		if b.Status == scanner.BucketFailed && strings.Contains(b.Error, "interrupted") {
			notReached++
		}
		if strings.Contains(b.Error, "deserialization") {
			t.Errorf("bucket %s: a call was cut mid-response: %q", b.Name, b.Error)
		}
	}
	if notReached == 0 {
		t.Error("nothing is marked as not reached")
	}
	for _, name := range []string{report.FindingsCSVFile, report.BucketsCSVFile, report.ObjectsCSVFile} {
		rows := readCSV(t, filepath.Join(out, name))
		if len(rows) == 0 {
			t.Errorf("%s: no header", name)
		}
	}
	if n := len(readCSV(t, filepath.Join(out, report.BucketsCSVFile))) - 1; n != len(doc.Buckets) {
		t.Errorf("buckets.csv has %d rows, report.json %d buckets: files of different runs?", n, len(doc.Buckets))
	}
}

// readCSV parses a CSV report strictly: every row has the header's width.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s does not parse: %v", path, err)
	}
	return rows
}

// hostileKeys are object keys a hostile (or careless) writer can put in a
// bucket, each uploaded by another account so it lands in objects.csv.
var hostileKeys = []string{
	"line\nbreak", "carriage\rreturn", `quote"d`, "comma,key", "tab\tkey",
	"ctrl\x01\x1f\x7f", "=HYPERLINK(\"http://x.invalid\")", "+1+2", "-2-3", "@SUM(1)",
	"'already-quoted", "space key", "plus+key", "percent%20key", "%%", "unicodé/文件",
	strings.Repeat("k", 1024), "=" + strings.Repeat("x", 1023),
}

// yamlQuote writes s as a YAML double-quoted scalar with every control
// character escaped.
func yamlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// TestHostileNamesEndToEnd: keys with newlines, quotes, commas, control
// characters, URL-special characters, 1,024 bytes, or a leading = + - @,
// and an account name that is a formula, go through a whole scan (listed
// URL-encoded, decoded, streamed) into reports that parse back to exactly
// the original text, with formulas neutralised in the CSV files.
func TestHostileNamesEndToEnd(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(`
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: Mgmt}
  - {id: "222222222222", name: Owner}
  - {id: "333333333333", name: "=cmd|' /C calc'!A0,\"x\"\n"}
buckets:
  - name: hostile-keys
    account: "222222222222"
    ownership: ObjectWriter
    writers: ["333333333333"]
    objects:
`)
	for _, k := range hostileKeys {
		fmt.Fprintf(&sb, "      - {key: %s, uploader: \"333333333333\", size: 1}\n", yamlQuote(k))
	}
	code, stderr, out, _ := scanScenario(t, sb.String())
	if code != exitFindings {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitFindings, stderr)
	}
	checkReportFiles(t, out)
	doc := readReport(t, out)
	b := findBucket(t, doc.Result, "hostile-keys")
	if b.CrossAccountObjects != int64(len(hostileKeys)) || b.ObjectScan != scanner.ObjectScanComplete {
		t.Fatalf("hostile-keys: %d cross-account objects, scan %s; want %d", b.CrossAccountObjects, b.ObjectScan, len(hostileKeys))
	}
	const writerName = "=cmd|' /C calc'!A0,\"x\"\n"
	if len(b.ForeignOwners) != 1 || b.ForeignOwners[0].AccountName != writerName {
		t.Errorf("report.json foreign owner: %+v", b.ForeignOwners)
	}
	for _, k := range b.ForeignOwners[0].SampleKeys {
		if !slices.Contains(hostileKeys, k) {
			t.Errorf("report.json sample key %q is not one of the keys written", k)
		}
	}

	rows := readCSV(t, filepath.Join(out, report.ObjectsCSVFile))
	header := rows[0]
	col := func(name string) int {
		i := slices.Index(header, name)
		if i < 0 {
			t.Fatalf("objects.csv has no %s column: %v", name, header)
		}
		return i
	}
	keyCol, nameCol := col("key"), col("owner_account_name")
	var keys []string
	for _, row := range rows[1:] {
		if len(row) != len(header) {
			t.Fatalf("objects.csv row of %d cells, header %d: %q", len(row), len(header), row)
		}
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("objects.csv cell %q starts a formula", cell)
			}
		}
		if got := undoSafeCell(row[nameCol]); got != writerName {
			t.Errorf("owner_account_name %q reads back as %q", row[nameCol], got)
		}
		keys = append(keys, undoSafeCell(row[keyCol]))
	}
	slices.Sort(keys)
	want := slices.Clone(hostileKeys)
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Errorf("objects.csv keys, read back:\n%q\nwant:\n%q", keys, want)
	}
	for _, name := range []string{report.FindingsCSVFile, report.BucketsCSVFile} {
		for _, row := range readCSV(t, filepath.Join(out, name)) {
			for _, cell := range row {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("%s cell %q starts a formula", name, cell)
				}
			}
		}
	}
}

// undoSafeCell reverses report.SafeCell's documented rule: a cell starting
// with ' has it dropped.
func undoSafeCell(s string) string {
	return strings.TrimPrefix(s, "'")
}

// TestOutputFolderInUse: a folder another run is writing into is exit 2
// with one line, before any API call.
func TestOutputFolderInUse(t *testing.T) {
	srv := startEmulator(t, parseScenario(t, enforcedOnly))
	out := t.TempDir()
	unlock, err := report.LockDir(out)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	code, _, stderr := runCLI(t, "scan", "--out", out, "--quiet")
	want := "ownerscan: output folder " + out + " is in use by another ownerscan run; wait for it or choose another --out\n"
	if code != exitUsage || stderr != want {
		t.Errorf("exit %d stderr %q, want exit 2 and %q", code, stderr, want)
	}
	if n := srv.Emulator.Counters().Total; n != 0 {
		t.Errorf("%d API calls with the folder in use", n)
	}
}
