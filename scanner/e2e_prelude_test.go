package scanner

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
)

// callSpan is when the emulator started and finished answering one call.
type callSpan struct {
	op         string
	start, end time.Time
}

// recordCalls serves sc behind a handler that notes each call's operation
// and span, for tests about which calls overlap.
func recordCalls(t *testing.T, sc *fakeaws.Scenario) (aws.Config, func() []callSpan) {
	t.Helper()
	e, err := fakeaws.New(sc)
	if err != nil {
		t.Fatalf("fakeaws.New: %v", err)
	}
	var mu sync.Mutex
	var spans []callSpan
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := r.Header.Get("X-Amz-Target") // Organizations: "AWSOrganizationsV20161128.ListAccounts"
		if i := strings.LastIndexByte(op, '.'); i >= 0 {
			op = op[i+1:]
		}
		if op == "" && r.Method == http.MethodPost && strings.Contains(r.Header.Get("Authorization"), "/sts/") {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			q, _ := url.ParseQuery(string(body))
			op = q.Get("Action")
		}
		start := time.Now()
		e.ServeHTTP(w, r)
		mu.Lock()
		spans = append(spans, callSpan{op, start, time.Now()})
		mu.Unlock()
	}))
	t.Cleanup(ts.Close)
	ak, sk := e.ManagementCredentials()
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(ak, sk, ""),
		BaseEndpoint: aws.String(ts.URL),
	}
	return cfg, func() []callSpan {
		mu.Lock()
		defer mu.Unlock()
		return append([]callSpan(nil), spans...)
	}
}

// first returns the first span of op.
func first(t *testing.T, spans []callSpan, op string) callSpan {
	t.Helper()
	for _, s := range spans {
		if s.op == op {
			return s
		}
	}
	t.Fatalf("no %s call among %d", op, len(spans))
	return callSpan{}
}

// GetCallerIdentity goes first (its ARN names the partition every other
// request goes to); after it the prelude's calls do not wait for each
// other: DescribeOrganization, the first ListAccounts page and (with an OU
// filter) ListRoots are all in flight at once, so the first accounts are
// known two round trips after the scan starts. With 150 ms per call, a call
// that waited for another would start after that one ended.
func TestE2EPreludeCallsOverlap(t *testing.T) {
	sc, err := fakeaws.ParseScenario([]byte(`
management_account: "111111111111"
organizational_units: [Workloads]
accounts:
  - {id: "111111111111", name: A}
  - {id: "222222222222", name: B, ou: Workloads}
buckets:
  - {name: b-bucket, account: "222222222222", ownership: BucketOwnerEnforced}
faults: {latency: 150ms}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, filtered := range []bool{false, true} {
		cfg, spans := recordCalls(t, sc)
		opts := DefaultOptions()
		if filtered {
			root, _ := ouIDs(t, cfg)
			opts.AccountsInclude = []string{root}
		}
		s, err := New(cfg, opts, testLogger())
		if err != nil {
			t.Fatal(err)
		}
		before := len(spans())
		res, err := s.Scan(context.Background(), nil, nil)
		if err != nil || !res.Complete || len(res.Buckets) != 1 {
			t.Fatalf("filtered %v: scan: %v, complete %v, %d buckets", filtered, err, res.Complete, len(res.Buckets))
		}
		got := spans()[before:]
		ops := []string{"DescribeOrganization", "ListAccounts"}
		if filtered {
			ops = append(ops, "ListRoots")
		}
		identity := first(t, got, "GetCallerIdentity")
		for _, a := range ops {
			if first(t, got, a).start.Before(identity.end) {
				t.Errorf("filtered %v: %s started before GetCallerIdentity had named the partition", filtered, a)
			}
			for _, b := range ops {
				if first(t, got, a).start.After(first(t, got, b).end) {
					t.Errorf("filtered %v: %s started after %s had ended", filtered, a, b)
				}
			}
		}
	}
}

// A DescribeOrganization that fails ends the scan before any account is
// placed: the ListAccounts page that went out beside it is dropped, no
// role is assumed and no bucket listed, and the report says why.
func TestE2EDescribeOrganizationDenied(t *testing.T) {
	srv := emulateYAML(t, `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: A}
  - {id: "222222222222", name: B}
buckets:
  - {name: b-bucket, account: "222222222222"}
faults:
  deny: [{operation: DescribeOrganization}]
`)
	before := srv.Emulator.Counters()
	res, err := scanEmulatorErr(t, context.Background(), srv, DefaultOptions(), nil)
	if err == nil || res.Complete {
		t.Fatalf("scan: err %v, complete %v", err, res.Complete)
	}
	c := srv.Emulator.Counters()
	for _, op := range []string{"AssumeRole", "ListBuckets", "GetBucketOwnershipControls"} {
		if n := c.ByOperation[op] - before.ByOperation[op]; n != 0 {
			t.Errorf("%s called %d times after DescribeOrganization failed", op, n)
		}
	}
	if n := c.ByOperation["ListAccounts"] - before.ByOperation["ListAccounts"]; n > 1 {
		t.Errorf("ListAccounts called %d times", n)
	}
	if len(res.Accounts) != 0 {
		t.Errorf("accounts placed: %+v", res.Accounts)
	}
	var orgErrors int
	for _, f := range res.Findings {
		if f.Type == FindingScanError && f.AccountID == "" && strings.Contains(f.Detail, "AccessDenied") {
			orgErrors++
		}
	}
	if orgErrors != 1 {
		t.Errorf("organization-level SCAN_ERROR findings: %d in %+v", orgErrors, res.Findings)
	}
}
