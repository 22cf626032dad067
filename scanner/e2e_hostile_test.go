package scanner

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ownerscan/ownerscan/internal/fakeaws"
	"github.com/ownerscan/ownerscan/internal/sabotage"
)

// hostileScan scans the demo organization through a sabotage proxy in
// front of the emulator, with the real SDK clients, tuned by tune.
func hostileScan(t *testing.T, tune []Option, rules ...sabotage.Rule) (*Result, error, *sabotage.Proxy) {
	t.Helper()
	srv := emulateYAML(t, string(fakeaws.BuiltinScenarioYAML()))
	p := sabotage.Start(srv.Emulator, rules...)
	t.Cleanup(p.Close)
	cfg := awsConfigFor(srv)
	cfg.BaseEndpoint = aws.String(p.URL)
	s, err := New(cfg, DefaultOptions(), testLogger(), tune...)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Scan(context.Background(), nil, nil)
	if res == nil {
		t.Fatal("nil result")
	}
	if res.Complete {
		t.Errorf("the scan is complete although %v", rules)
	}
	return res, err, p
}

// quickRetries cuts the waits between attempts: a call that fails still
// makes its ten attempts, in a fraction of a second.
var quickRetries = WithMaxBackoff(20 * time.Millisecond)

// failedBucket checks that bucket failed with an error that starts with
// the operation and holds want.
func failedBucket(t *testing.T, res *Result, bucket, op, want string) Bucket {
	t.Helper()
	b := bucketByName(t, res, bucket)
	if b.Status != BucketFailed || !strings.HasPrefix(b.Error, op+": ") || !strings.Contains(b.Error, want) {
		t.Errorf("bucket %s: %s %q, want failed with %q... %q", bucket, b.Status, b.Error, op, want)
	}
	if f := findingsOf(res, FindingScanError, bucket); len(f) != 1 {
		t.Errorf("bucket %s: %d SCAN_ERROR findings", bucket, len(f))
	}
	return b
}

// TestE2EHostileAnswersFailWhatTheyTouch: each answer that is not the
// document its operation returns fails exactly what it was about (the
// organization, an account, a bucket), naming the operation and what came
// back; nothing reads as empty, and nothing else fails.
func TestE2EHostileAnswersFailWhatTheyTouch(t *testing.T) {
	for _, tc := range []struct {
		rule  sabotage.Rule
		check func(t *testing.T, res *Result, err error)
	}{
		{sabotage.Rule{Operation: "ListAccounts", Mode: sabotage.Empty}, func(t *testing.T, res *Result, err error) {
			if err == nil || !strings.Contains(err.Error(), "ListAccounts") || !strings.Contains(err.Error(), "an empty answer") {
				t.Errorf("err %v", err)
			}
			if len(res.Accounts) != 0 || len(findingsOf(res, FindingScanError, "")) != 1 {
				t.Errorf("accounts %+v, findings %+v", res.Accounts, res.Findings)
			}
		}},
		{sabotage.Rule{Operation: "ListBuckets", Mode: sabotage.HTML}, func(t *testing.T, res *Result, err error) {
			checkAccountsFailed(t, res, "ListBuckets: an HTML page")
		}},
		{sabotage.Rule{Operation: "ListBuckets", Mode: sabotage.Empty}, func(t *testing.T, res *Result, err error) {
			checkAccountsFailed(t, res, "ListBuckets: an empty answer")
		}},
		{sabotage.Rule{Operation: "ListBuckets", Mode: sabotage.WrongRoot}, func(t *testing.T, res *Result, err error) {
			checkAccountsFailed(t, res, "ListBuckets: root element <ListBucketResult>")
		}},
		{sabotage.Rule{Operation: "AssumeRole", Mode: sabotage.HTML}, func(t *testing.T, res *Result, err error) {
			a := accountByID(t, res, "222222222222")
			if a.Status != AccountFailed || !strings.HasPrefix(a.Error, "AssumeRole: ") || !strings.Contains(a.Error, "HTML") {
				t.Errorf("account: %+v", a)
			}
		}},
		{sabotage.Rule{Operation: "GetBucketAcl", Mode: sabotage.HTML, Bucket: "acme-b-public-assets"}, func(t *testing.T, res *Result, err error) {
			// The AllUsers READ grant does not vanish: the bucket fails.
			b := failedBucket(t, res, "acme-b-public-assets", "GetBucketAcl", "an HTML page (Content-Type text/html; charset=utf-8) where a <AccessControlPolicy> document was expected; it began: <!DOCTYPE html>")
			if len(b.ACLGrants) != 0 || b.Status == BucketCompliant {
				t.Errorf("bucket %+v", b)
			}
			checkOthersScanned(t, res, "acme-b-public-assets")
		}},
		{sabotage.Rule{Operation: "GetBucketAcl", Mode: sabotage.WrongRoot, Bucket: "acme-b-public-assets"}, func(t *testing.T, res *Result, err error) {
			failedBucket(t, res, "acme-b-public-assets", "GetBucketAcl", "root element <ListBucketResult>")
		}},
		{sabotage.Rule{Operation: "ListObjectVersions", Mode: sabotage.HTML, Bucket: "our-shared-widgets"}, func(t *testing.T, res *Result, err error) {
			b := failedBucket(t, res, "our-shared-widgets", "ListObjectVersions", "an HTML page")
			if b.ObjectScan != ObjectScanFailed || b.CrossAccountObjects != 0 {
				t.Errorf("bucket %+v", b)
			}
			checkOthersScanned(t, res, "our-shared-widgets")
		}},
		{sabotage.Rule{Operation: "ListObjectVersions", Mode: sabotage.Empty, Bucket: "our-shared-widgets"}, func(t *testing.T, res *Result, err error) {
			failedBucket(t, res, "our-shared-widgets", "ListObjectVersions", "an empty answer")
		}},
		{sabotage.Rule{Operation: "GetBucketOwnershipControls", Mode: sabotage.HTML, Bucket: "acme-b-legacy-unset"}, func(t *testing.T, res *Result, err error) {
			b := failedBucket(t, res, "acme-b-legacy-unset", "GetBucketOwnershipControls", "an HTML page")
			if b.ObjectOwnership == OwnershipNotSet {
				t.Errorf("an HTML answer reads NotSet: %+v", b)
			}
		}},
		{sabotage.Rule{Operation: "GetBucketOwnershipControls", Mode: sabotage.Empty, Bucket: "acme-b-enforced-data"}, func(t *testing.T, res *Result, err error) {
			b := failedBucket(t, res, "acme-b-enforced-data", "GetBucketOwnershipControls", "an empty answer")
			if b.ObjectOwnership == OwnershipNotSet {
				t.Errorf("an empty answer reads NotSet: %+v", b)
			}
		}},
		{sabotage.Rule{Operation: "GetBucketPolicy", Mode: sabotage.HTML, Bucket: "acme-b-public-assets"}, func(t *testing.T, res *Result, err error) {
			// Not "no policy": the readiness verdict needs it.
			failedBucket(t, res, "acme-b-public-assets", "GetBucketPolicy", "an HTML page")
		}},
		{sabotage.Rule{Operation: "GetObjectAcl", Mode: sabotage.Empty, Bucket: "our-shared-widgets"}, func(t *testing.T, res *Result, err error) {
			failedBucket(t, res, "our-shared-widgets", "GetObjectAcl", "an empty answer")
		}},
		{sabotage.Rule{Operation: "GetBucketAcl", Mode: sabotage.RedirectSelf, Bucket: "acme-b-public-assets"}, func(t *testing.T, res *Result, err error) {
			failedBucket(t, res, "acme-b-public-assets", "GetBucketAcl", "HTTP 307 redirect to")
		}},
	} {
		t.Run(tc.rule.String(), func(t *testing.T) {
			t.Parallel()
			res, err, _ := hostileScan(t, []Option{quickRetries}, tc.rule)
			tc.check(t, res, err)
		})
	}
}

// checkAccountsFailed: every account scanned through ListBuckets failed
// with want, and none of their buckets is in the result.
func checkAccountsFailed(t *testing.T, res *Result, want string) {
	t.Helper()
	failed := 0
	for _, a := range res.Accounts {
		switch {
		case a.Status == AccountSkipped || strings.HasPrefix(a.Error, "AssumeRole: AccessDenied"):
		case a.Status != AccountFailed || !strings.HasPrefix(a.Error, want):
			t.Errorf("account %s: %s %q, want failed %q", a.ID, a.Status, a.Error, want)
		default:
			failed++
		}
	}
	if failed != 3 || len(res.Buckets) != 0 {
		t.Errorf("%d accounts failed (want 3), %d buckets", failed, len(res.Buckets))
	}
}

// cleanDemoScan is the demo organization's result without sabotage.
var cleanDemoScan = sync.OnceValues(func() (*Result, error) {
	srv, err := fakeaws.NewServer(fakeaws.BuiltinScenario(), "")
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	s, err := New(awsConfigFor(srv), DefaultOptions(), testLogger())
	if err != nil {
		return nil, err
	}
	return s.Scan(context.Background(), nil, nil)
})

// checkOthersScanned: every bucket but the sabotaged one ended as in a
// scan without sabotage.
func checkOthersScanned(t *testing.T, res *Result, sabotaged string) {
	t.Helper()
	clean, err := cleanDemoScan()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range res.Buckets {
		if want := bucketByName(t, clean, b.Name); b.Name != sabotaged && (b.Status != want.Status || b.Error != want.Error) {
			t.Errorf("bucket %s: %s %q, without sabotage %s %q", b.Name, b.Status, b.Error, want.Status, want.Error)
		}
	}
}

// TestE2EHostileAnswerRetried: an answer that is not a document is retried
// like a 5xx: two HTML answers, then the real one, give the result of a
// scan without them.
func TestE2EHostileAnswerRetried(t *testing.T) {
	clean := scanEmulator(t, emulate(t, fakeaws.BuiltinScenario()), DefaultOptions(), nil)
	srv := emulate(t, fakeaws.BuiltinScenario())
	p := sabotage.Start(srv.Emulator,
		sabotage.Rule{Operation: "GetBucketAcl", Mode: sabotage.HTML, Bucket: "acme-b-public-assets", First: 2},
		sabotage.Rule{Operation: "ListObjectVersions", Mode: sabotage.Empty, Bucket: "our-shared-widgets", First: 2})
	defer p.Close()
	cfg := awsConfigFor(srv)
	cfg.BaseEndpoint = aws.String(p.URL)
	s, err := New(cfg, DefaultOptions(), testLogger(), quickRetries)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Scan(context.Background(), nil, nil)
	if err != nil || !equalResults(clean, res) {
		t.Errorf("err %v; result differs from the clean run:\n%+v\n%+v", err, stripTimes(res).Buckets, stripTimes(clean).Buckets)
	}
	if p.Sabotaged("GetBucketAcl") != 2 || p.Sabotaged("ListObjectVersions") != 2 {
		t.Errorf("sabotaged %d ACL reads, %d listings", p.Sabotaged("GetBucketAcl"), p.Sabotaged("ListObjectVersions"))
	}
}

// TestE2EEndlessAnswers: bodies that never end, junk or well-formed pages,
// are read up to their operation's limit and no further, and fail what
// they were about.
func TestE2EEndlessAnswers(t *testing.T) {
	for _, tc := range []struct {
		rule        sabotage.Rule
		op, subject string // subject: a bucket, or "" for the accounts
		limit       int64
	}{
		{sabotage.Rule{Operation: "ListObjectVersions", Mode: sabotage.EndlessPage, Bucket: "our-shared-widgets"}, "ListObjectVersions", "our-shared-widgets", listingAnswerLimit},
		{sabotage.Rule{Operation: "ListObjectVersions", Mode: sabotage.EndlessBody, Bucket: "our-shared-widgets"}, "ListObjectVersions", "our-shared-widgets", listingAnswerLimit},
		{sabotage.Rule{Operation: "GetBucketAcl", Mode: sabotage.EndlessBody, Bucket: "acme-b-public-assets"}, "GetBucketAcl", "acme-b-public-assets", aclAnswerLimit},
		{sabotage.Rule{Operation: "ListBuckets", Mode: sabotage.EndlessPage}, "ListBuckets", "", listingAnswerLimit},
	} {
		t.Run(tc.rule.String(), func(t *testing.T) {
			t.Parallel()
			// Parsing 8 MiB of buckets takes seconds under the race
			// detector, and the accounts waiting for the large-answer
			// slot meanwhile must not time out and try again.
			res, _, p := hostileScan(t, []Option{quickRetries, WithAttemptTimeout(5 * time.Minute)}, tc.rule)
			if tc.subject == "" {
				checkAccountsFailed(t, res, tc.op+": answer larger than 8 MiB")
			} else {
				failedBucket(t, res, tc.subject, tc.op, "answer larger than")
			}
			// Not retried: one answer per call (three accounts list
			// buckets). What the server sent beyond what was read sits in
			// socket buffers: a few MiB per answer at most.
			calls := 1
			if tc.subject == "" {
				calls = 3
			}
			if n := p.Sabotaged(tc.op); n != calls {
				t.Errorf("%d answers, want %d", n, calls)
			}
			if sent, most := p.BytesSent(), int64(calls)*(tc.limit+8<<20); sent > most {
				t.Errorf("%d bytes sent in %d answers: the client read past the limit", sent, calls)
			}
			t.Logf("%d answers, %d MiB sent", p.Sabotaged(tc.op), p.BytesSent()>>20)
		})
	}
}

// TestE2ESlowDrip: an answer dripped a byte every 100 ms is given up when
// its attempt's time is over, body included; after three such attempts the
// bucket fails, and the scan ends soon after.
func TestE2ESlowDrip(t *testing.T) {
	start := time.Now()
	res, _, p := hostileScan(t, []Option{quickRetries, WithAttemptTimeout(300 * time.Millisecond)}, sabotage.Rule{Operation: "GetBucketOwnershipControls", Mode: sabotage.SlowDrip,
		Bucket: "acme-b-public-assets", Interval: 100 * time.Millisecond})
	took := time.Since(start)
	failedBucket(t, res, "acme-b-public-assets", "GetBucketOwnershipControls", "no complete answer within 300ms (3 attempts timed out)")
	if n := p.Sabotaged("GetBucketOwnershipControls"); n != maxTimedOutAttempts {
		t.Errorf("%d attempts, want %d", n, maxTimedOutAttempts)
	}
	if took > 5*time.Second {
		t.Errorf("the scan took %v", took)
	}
	t.Logf("scan took %v with a dripping answer (attempt timeout 300ms)", took.Round(time.Millisecond))
}

// TestE2ERedirectNotFollowed: a 307 to itself is one request per call: not
// followed, not retried.
func TestE2ERedirectNotFollowed(t *testing.T) {
	res, _, p := hostileScan(t, []Option{quickRetries}, sabotage.Rule{Operation: "GetBucketOwnershipControls", Mode: sabotage.RedirectSelf})
	if got, buckets := p.Requests("GetBucketOwnershipControls"), len(res.Buckets); got != buckets {
		t.Errorf("%d requests for %d buckets", got, buckets)
	}
}

// TestE2EStuckTokens: a listing whose next-page token never moves fails
// after its second page, and nothing is listed twice.
func TestE2EStuckTokens(t *testing.T) {
	t.Run("ListAccounts", func(t *testing.T) {
		t.Parallel()
		res, err, p := hostileScan(t, []Option{quickRetries}, sabotage.Rule{Operation: "ListAccounts", Mode: sabotage.StuckToken})
		if err == nil || !strings.Contains(err.Error(), "ListAccounts: pagination does not advance") {
			t.Errorf("err %v", err)
		}
		seen := map[string]bool{}
		for _, a := range res.Accounts {
			if seen[a.ID] {
				t.Errorf("account %s listed twice", a.ID)
			}
			seen[a.ID] = true
		}
		if p.Requests("ListAccounts") != 2 || len(res.Accounts) != 5 {
			t.Errorf("%d ListAccounts calls, %d accounts", p.Requests("ListAccounts"), len(res.Accounts))
		}
	})
	t.Run("ListBuckets", func(t *testing.T) {
		t.Parallel()
		res, _, _ := hostileScan(t, []Option{quickRetries}, sabotage.Rule{Operation: "ListBuckets", Mode: sabotage.StuckToken})
		checkAccountsFailed(t, res, "ListBuckets: pagination does not advance")
	})
	t.Run("ListObjectVersions", func(t *testing.T) {
		t.Parallel()
		res, _, _ := hostileScan(t, []Option{quickRetries}, sabotage.Rule{Operation: "ListObjectVersions", Mode: sabotage.StuckToken, Bucket: "our-shared-widgets"})
		b := bucketByName(t, res, "our-shared-widgets")
		if b.Status != BucketFailed || !strings.HasPrefix(b.Error, "ListObjectVersions: ") {
			t.Errorf("bucket %+v", b)
		}
	})
}

// TestE2EStopDuringEndlessAnswers: a graceful stop ends the scan within the
// grace period while answers are still dripping: the calls in flight are
// cut when it runs out, body reads included.
func TestE2EStopDuringEndlessAnswers(t *testing.T) {
	srv := emulate(t, fakeaws.BuiltinScenario())
	p := sabotage.Start(srv.Emulator,
		sabotage.Rule{Operation: "ListObjectVersions", Mode: sabotage.SlowDrip, Interval: 200 * time.Millisecond},
		sabotage.Rule{Operation: "GetBucketAcl", Mode: sabotage.SlowDrip, Interval: 200 * time.Millisecond})
	defer p.Close()
	cfg := awsConfigFor(srv)
	cfg.BaseEndpoint = aws.String(p.URL)
	const grace = 500 * time.Millisecond
	s, err := New(cfg, DefaultOptions(), testLogger(), WithStopGrace(grace))
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var stoppedAt time.Time
	time.AfterFunc(time.Second, func() { stoppedAt = time.Now(); close(stop) })
	res, err := s.ScanUntil(context.Background(), stop, nil, nil)
	took := time.Since(stoppedAt)
	if !errors.Is(err, ErrStopped) || res.Complete {
		t.Fatalf("err %v, complete %v", err, res.Complete)
	}
	if took > grace+time.Second {
		t.Errorf("returned %v after the stop, grace %v", took, grace)
	}
	cut := 0
	for _, b := range res.Buckets {
		if strings.HasPrefix(b.Error, "interrupted during ") {
			cut++
		}
	}
	if cut == 0 {
		t.Error("no call was cut")
	}
	t.Logf("returned %v after the stop (grace %v), %d calls cut", took.Round(time.Millisecond), grace, cut)
}
