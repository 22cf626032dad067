package fastdecode

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
)

// cannedServer answers every request with one body, status 200, as S3
// answers an ACL (Content-Type application/xml, x-amz-request-charged when
// charged is set).
type cannedServer struct {
	*httptest.Server
	body    atomic.Pointer[[]byte]
	charged atomic.Pointer[string]
}

func newCannedServer(t testing.TB) *cannedServer {
	cs := &cannedServer{}
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		if c := cs.charged.Load(); c != nil {
			w.Header().Set("x-amz-request-charged", *c)
		}
		w.Write(*cs.body.Load())
	}))
	t.Cleanup(cs.Close)
	return cs
}

func (cs *cannedServer) set(body []byte) { cs.body.Store(&body) }

// newClient is an SDK client of url; fast swaps in the fast decoders.
func newClient(url string, fast bool, optFns ...func(*s3.Options)) *s3.Client {
	return s3.New(s3.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		UsePathStyle:     true,
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
	}, append([]func(*s3.Options){func(o *s3.Options) {
		if fast {
			o.APIOptions = append(o.APIOptions, APIOption(slog.New(slog.DiscardHandler)))
		}
	}}, optFns...)...)
}

// clients are the two clients a differential test compares.
type clients struct{ fast, sdk *s3.Client }

func newClients(url string, optFns ...func(*s3.Options)) clients {
	return clients{newClient(url, true, optFns...), newClient(url, false, optFns...)}
}

// outcome is what one call gave: the output without its metadata, or the
// error's text.
type outcome struct {
	out any
	err string
}

func getObjectACL(c *s3.Client) outcome {
	out, err := c.GetObjectAcl(context.Background(), &s3.GetObjectAclInput{Bucket: aws.String("b"), Key: aws.String("k")})
	if err != nil {
		return outcome{err: err.Error()}
	}
	out.ResultMetadata = middleware.Metadata{}
	return outcome{out: out}
}

func getBucketACL(c *s3.Client) outcome {
	out, err := c.GetBucketAcl(context.Background(), &s3.GetBucketAclInput{Bucket: aws.String("b")})
	if err != nil {
		return outcome{err: err.Error()}
	}
	out.ResultMetadata = middleware.Metadata{}
	return outcome{out: out}
}

// sameOutcome fails t unless both clients give the same outcome for call.
func sameOutcome(t testing.TB, what string, cl clients, call func(*s3.Client) outcome) outcome {
	t.Helper()
	fast, sdk := call(cl.fast), call(cl.sdk)
	if fast.err != sdk.err || !reflect.DeepEqual(fast.out, sdk.out) {
		t.Fatalf("%s: the fast decoder and the SDK's disagree:\nfast: %s %s\nsdk:  %s %s",
			clip(what), fast.err, clip(dump(fast.out)), sdk.err, clip(dump(sdk.out)))
	}
	return fast
}

// clip shortens a text for a failure message.
func clip(s string) string {
	if len(s) > 4000 {
		return s[:4000] + "…"
	}
	return s
}
