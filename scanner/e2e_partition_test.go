package scanner

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/ownerscan/ownerscan/internal/awspartition"
	"github.com/ownerscan/ownerscan/internal/fakeaws"
)

// hostCall is one request as the SDK addressed it: the host it resolved
// (no endpoint override) and the region of its SigV4 credential scope.
type hostCall struct {
	host, signedRegion string
}

// hostRecorder is the scan's HTTP transport in these tests: it notes the
// host the SDK resolved for each request, then delivers the request to the
// emulator on loopback, keeping the original Host header (the signature
// covers it, and the emulator reads virtual-host buckets from it).
type hostRecorder struct {
	emulator *url.URL
	mu       sync.Mutex
	calls    []hostCall
}

var credentialScope = regexp.MustCompile(`Credential=[^/]+/[0-9]{8}/([^/]+)/`)

func (h *hostRecorder) Do(req *http.Request) (*http.Response, error) {
	scope := credentialScope.FindStringSubmatch(req.Header.Get("Authorization"))
	call := hostCall{host: req.URL.Host}
	if scope != nil {
		call.signedRegion = scope[1]
	}
	h.mu.Lock()
	h.calls = append(h.calls, call)
	h.mu.Unlock()
	out := req.Clone(req.Context())
	out.Host = req.URL.Host
	out.URL.Scheme, out.URL.Host = h.emulator.Scheme, h.emulator.Host
	return http.DefaultTransport.RoundTrip(out)
}

func (h *hostRecorder) recorded() []hostCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hostCall(nil), h.calls...)
}

// scanRecordingHosts scans srv through the real SDK clients with NO
// endpoint override, as the management account's administrator configured
// for region, and returns every request's host.
func scanRecordingHosts(t *testing.T, srv *fakeaws.Server, region string, opts Options) (*Result, []hostCall) {
	t.Helper()
	ak, sk := srv.Emulator.ManagementCredentials()
	cfg := aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider(ak, sk, "")}
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	rec := &hostRecorder{emulator: u}
	s := newScanner(opts, testLogger(), func() (clientFactory, *budget) {
		b := newBudget(opts.Concurrency)
		return newAWSClients(cfg, &timeoutClient{next: rec, attemptTimeout: DefaultAttemptTimeout}, b), b
	})
	s.region = region
	res, err := s.Scan(context.Background(), nil, nil)
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	return res, rec.recorded()
}

// Every request of a scan stays in the caller's partition: Organizations
// in its home region, STS and ListBuckets in a region every account has
// (the configured one when it is such, never an opt-in region), each bucket
// in its own region; hosts end with the partition's DNS suffix and each
// request is signed for the region of its host.
func TestE2EEveryRequestStaysInThePartition(t *testing.T) {
	for _, tc := range []struct {
		partition, configured, option string
		wantControl                   string
		buckets                       map[string]string // bucket -> region
	}{
		// The caller's configuration names an opt-in region its own account
		// enabled; members have not: STS must not go there.
		{"aws", "ap-east-1", "", "us-east-1", map[string]string{"b-east": "us-east-1", "b-ireland": "eu-west-1", "b-hongkong": "ap-east-1"}},
		{"aws", "eu-west-1", "", "eu-west-1", map[string]string{"b-east": "us-east-1", "b-ireland": "eu-west-1"}},
		{"aws-cn", "cn-north-1", "", "cn-north-1", map[string]string{"b-beijing": "cn-north-1", "b-ningxia": "cn-northwest-1"}},
		{"aws-cn", "", "aws-cn", "cn-northwest-1", map[string]string{"b-beijing": "cn-north-1"}},
		{"aws-us-gov", "us-gov-east-1", "", "us-gov-east-1", map[string]string{"b-west": "us-gov-west-1", "b-east": "us-gov-east-1"}},
		{"aws-us-gov", "", "aws-us-gov", "us-gov-west-1", map[string]string{"b-west": "us-gov-west-1"}},
	} {
		t.Run(tc.partition+"/"+tc.configured+tc.option, func(t *testing.T) {
			part, _ := awspartition.Lookup(tc.partition)
			var doc strings.Builder
			doc.WriteString("partition: " + tc.partition + "\nmanagement_account: \"111111111111\"\naccounts:\n")
			doc.WriteString("  - {id: \"111111111111\", name: Mgmt")
			if part.OptIn(tc.configured) {
				doc.WriteString(", opt_in_regions: [" + tc.configured + "]")
			}
			doc.WriteString("}\n  - {id: \"222222222222\", name: Plain}\n  - {id: \"333333333333\", name: Owner, opt_in_regions: [")
			var optIn []string
			for _, r := range tc.buckets {
				if part.OptIn(r) {
					optIn = append(optIn, r)
				}
			}
			doc.WriteString(strings.Join(optIn, ", ") + "]}\nbuckets:\n")
			for name, region := range tc.buckets {
				doc.WriteString("  - {name: " + name + ", account: \"333333333333\", region: " + region + ", ownership: ObjectWriter, objects: [{key: k}]}\n")
			}
			srv := emulateYAML(t, doc.String())
			opts := DefaultOptions()
			opts.Partition = tc.option
			res, calls := scanRecordingHosts(t, srv, tc.configured, opts)
			if !res.Complete || len(res.Buckets) != len(tc.buckets) || res.Organization.Partition != tc.partition {
				t.Fatalf("complete %v, partition %q, buckets %+v, accounts %+v", res.Complete, res.Organization.Partition, res.Buckets, res.Accounts)
			}
			suffix := "." + part.DNSSuffix
			hostPattern := regexp.MustCompile(`^(?:([a-z0-9.-]+)\.)?(sts|organizations|s3)\.([a-z0-9-]+)` + regexp.QuoteMeta(suffix) + `$`)
			seen := map[string]bool{}
			for _, c := range calls {
				m := hostPattern.FindStringSubmatch(c.host)
				if m == nil {
					t.Errorf("host %s is not an endpoint of partition %s", c.host, tc.partition)
					continue
				}
				bucket, service, region := m[1], m[2], m[3]
				seen[service] = true
				if !part.Contains(region) || c.signedRegion != region {
					t.Errorf("host %s: region %s (signed for %s) is not a region of %s", c.host, region, c.signedRegion, tc.partition)
				}
				want := tc.wantControl
				switch {
				case service == "organizations":
					want = part.HomeRegion
				case bucket != "":
					want = tc.buckets[bucket]
				}
				if region != want {
					t.Errorf("host %s: region %s, want %s", c.host, region, want)
				}
			}
			if testing.Verbose() {
				for _, c := range calls {
					t.Logf("%s (signed %s)", c.host, c.signedRegion)
				}
			}
			if !seen["sts"] || !seen["organizations"] || !seen["s3"] || len(calls) != int(res.Calls.MinCalls) {
				t.Errorf("services %v, %d calls, min %d", seen, len(calls), res.Calls.MinCalls)
			}
		})
	}
}

// A partition option other than the credentials' fails the scan at its
// first call, GetCallerIdentity, which it sends into that partition: the
// credentials do not exist there. The error names the partition.
func TestE2EPartitionOptionMustAgree(t *testing.T) {
	srv := emulateYAML(t, `
partition: aws-us-gov
management_account: "111111111111"
accounts: [{id: "111111111111", name: Mgmt}]
`)
	opts := DefaultOptions()
	opts.Partition = "aws-cn"
	cfg := awsConfigFor(srv)
	cfg.Region = "us-gov-west-1"
	s, err := New(cfg, opts, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Scan(context.Background(), nil, nil)
	if err == nil || res.Complete || !strings.Contains(err.Error(), "GetCallerIdentity in cn-northwest-1 (partition aws-cn): InvalidClientTokenId") ||
		!strings.Contains(err.Error(), "are these of partition aws-cn?") {
		t.Fatalf("scan: %v (complete %v)", err, res.Complete)
	}
	if c := srv.Emulator.Counters(); c.Total != 1 || c.ByOperation["GetCallerIdentity"] != 1 {
		t.Errorf("calls after the failure: %v", c.ByOperation)
	}
}

// The caller's ARN decides the partition; an option or an organization role
// that disagrees with it is refused, naming both.
func TestCallerPartition(t *testing.T) {
	for _, tc := range []struct {
		arn, option, orgRole, want, err string
	}{
		{"arn:aws-cn:iam::111111111111:user/u", "", "", "aws-cn", ""},
		{"arn:aws-us-gov:sts::111111111111:assumed-role/r/s", "aws-us-gov", "arn:aws-us-gov:iam::111111111111:role/Org", "aws-us-gov", ""},
		{"arn:aws:iam::111111111111:user/u", "aws-cn", "", "", `partition: "aws-cn" is configured, but the caller arn:aws:iam::111111111111:user/u is in partition "aws"`},
		{"arn:aws:iam::111111111111:user/u", "", "arn:aws-cn:iam::111111111111:role/Org", "", `organization_role_arn: arn:aws-cn:iam::111111111111:role/Org is not in the caller's partition "aws"`},
		{"arn:aws-iso:iam::111111111111:user/u", "", "", "", `partition "aws-iso", which ownerscan does not support`},
	} {
		p, err := callerPartition(tc.arn, tc.option, tc.orgRole)
		switch {
		case tc.err == "" && (err != nil || p.Name != tc.want):
			t.Errorf("%s: %q, %v; want %s", tc.arn, p.Name, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s option %q: error %v, want %q", tc.arn, tc.option, err, tc.err)
		}
	}
}
