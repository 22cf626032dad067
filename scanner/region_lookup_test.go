package scanner

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestBucketRegionFromRedirect: where ListBuckets gives no BucketRegion (moto,
// other S3-compatible servers), the scanner asks HeadBucket in the listing
// region. For a bucket elsewhere S3 answers 301 with x-amz-bucket-region and
// the SDK reports MovedPermanently; the header still names the region, so the
// lookup must succeed, through the real SDK against the emulator.
func TestBucketRegionFromRedirect(t *testing.T) {
	srv := emulateYAML(t, `
management_account: "111111111111"
accounts:
  - {id: "111111111111", name: A}
buckets:
  - {name: home-bucket, account: "111111111111", region: us-east-1}
  - {name: far-bucket, account: "111111111111", region: eu-west-1}
  - {name: sydney-bucket, account: "111111111111", region: ap-southeast-2}
`)
	key, secret := srv.Emulator.ManagementCredentials()
	client := s3.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(key, secret, ""),
		BaseEndpoint:     aws.String(srv.URL),
		RetryMaxAttempts: 1,
	}, func(o *s3.Options) { o.UsePathStyle = true })

	for bucket, want := range map[string]string{"home-bucket": "us-east-1", "far-bucket": "eu-west-1", "sydney-bucket": "ap-southeast-2"} {
		got, err := bucketRegion(context.Background(), client, "us-east-1", bucket)
		if err != nil || got != want {
			t.Errorf("bucketRegion(%s) = %q, %v; want %q", bucket, got, err, want)
		}
	}
	if _, err := bucketRegion(context.Background(), client, "us-east-1", "no-such-bucket"); err == nil {
		t.Error("bucketRegion of a missing bucket: no error")
	}
}
