package fakeaws

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestCallLog: S3 calls are recorded in order with their answer's status;
// an intercepted call is answered with the S3 error asked for and never
// reaches the emulator.
func TestCallLog(t *testing.T) {
	em, err := New(objectScenario())
	if err != nil {
		t.Fatal(err)
	}
	log := NewCallLog(em)
	srv := httptest.NewServer(log)
	defer srv.Close()
	id, secret, _ := em.CredentialsFor(acctB)
	c := s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""),
		BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1}, func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()
	put(t, c, "plain", "a/one.txt", "1")
	log.Intercept(func(call S3Call) (int, string) {
		if call.Operation == "PutObject" && strings.HasSuffix(call.Key, "two.txt") {
			return 503, "SlowDown"
		}
		return 0, ""
	})
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("plain"), Key: aws.String("a/two.txt"), Body: strings.NewReader("2")})
	wantErr(t, err, "SlowDown", 503)
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("plain"), Key: aws.String("a/two.txt")})
	wantErr(t, err, "NotFound", 404)

	calls := log.Take()
	var got []string
	for _, call := range calls {
		got = append(got, call.Operation+" "+call.Key+" "+strconv.Itoa(call.Status))
	}
	want := []string{"PutObject a/one.txt 200", "PutObject a/two.txt 503", "HeadObject a/two.txt 404"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("calls %q, want %q", got, want)
	}
	if calls[0].Header.Get("Authorization") == "" {
		t.Error("the request's headers are not recorded")
	}
	if len(log.Take()) != 0 {
		t.Error("Take does not forget what it returned")
	}
}
