package scanner

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ownerscan/ownerscan/internal/awspartition"
	"github.com/ownerscan/ownerscan/internal/fakeaws"
)

// stripRegionOn removes x-amz-bucket-region from answers of one HTTP
// status (every answer when status is 0). Whether S3 sends it with
// IllegalLocationConstraintException (400) is not documented.
type stripRegionOn struct{ status int }

func (s stripRegionOn) Do(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && (s.status == 0 || resp.StatusCode == s.status) {
		resp.Header.Del("x-amz-bucket-region")
	}
	return resp, err
}

// emulatorS3For returns regional S3 clients of the management account's
// administrator against srv, without retries, sending through httpClient.
func emulatorS3For(srv *fakeaws.Server, httpClient aws.HTTPClient) func(region string) S3API {
	ak, sk := srv.Emulator.ManagementCredentials()
	return func(region string) S3API {
		return s3.NewFromConfig(aws.Config{
			Region: region, Credentials: credentials.NewStaticCredentialsProvider(ak, sk, ""),
			BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1, HTTPClient: httpClient,
		}, func(o *s3.Options) { o.UsePathStyle = true })
	}
}

// A bucket in an opt-in region answers 400 from the control region. Its
// region is found from the answer's header, else by asking the candidate
// opt-in regions (only those of the allow list, when there is one: none
// answering proves the bucket out of scope).
func TestLookupRegionOptIn(t *testing.T) {
	srv := emulateYAML(t, `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: A, opt_in_regions: [ap-east-1, me-south-1]}
buckets:
  - {name: hk-bucket, account: "111111111111", region: ap-east-1}
  - {name: bahrain-bucket, account: "111111111111", region: me-south-1}
  - {name: ireland-bucket, account: "111111111111", region: eu-west-1}
`)
	part, _ := awspartition.Lookup("aws")
	for _, tc := range []struct {
		name      string
		strip     bool
		allow     []string
		bucket    string
		want      string
		wantCalls int64
		outside   bool
	}{
		{"header on the 400", false, nil, "hk-bucket", "ap-east-1", 1, false},
		{"default region: 301", true, nil, "ireland-bucket", "eu-west-1", 1, false},
		// af-south-1 (not enabled: 403), then ap-east-1
		{"no header: search", true, nil, "hk-bucket", "ap-east-1", 3, false},
		{"no header: allow list", true, []string{"me-south-1", "us-east-1"}, "bahrain-bucket", "me-south-1", 2, false},
		{"no header: outside the allow list", true, []string{"eu-west-1"}, "hk-bucket", "", 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var httpClient aws.HTTPClient = http.DefaultClient
			if tc.strip {
				httpClient = stripRegionOn{http.StatusBadRequest}
			}
			s3For := emulatorS3For(srv, httpClient)
			r := &run{part: part, controlRegion: "us-east-1", opts: Options{Regions: tc.allow}}
			out := &bucketOutcome{}
			got, err := r.lookupRegion(context.Background(), s3For, tc.bucket, out)
			switch {
			case tc.outside && !errors.Is(err, errRegionOutOfScope):
				t.Errorf("got %q, %v; want out of scope", got, err)
			case !tc.outside && (err != nil || got != tc.want):
				t.Errorf("got %q, %v; want %s", got, err, tc.want)
			}
			if out.regionLookups != tc.wantCalls {
				t.Errorf("%d HeadBucket calls, want %d", out.regionLookups, tc.wantCalls)
			}
		})
	}
}
