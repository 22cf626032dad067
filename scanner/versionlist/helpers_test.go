package versionlist

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// newTestClient is a real SDK S3 client pointed at a loopback server.
func newTestClient(url string, optFns ...func(*s3.Options)) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "SECRETTEST", ""),
	}, optFns...)
}

// cannedServer serves whatever body is stored in it, with status 200.
type cannedServer struct {
	*httptest.Server
	body  atomic.Pointer[[]byte]
	calls atomic.Int64
}

func newCannedServer(t testing.TB) *cannedServer {
	cs := &cannedServer{}
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.calls.Add(1)
		b := *cs.body.Load()
		w.Header().Set("Content-Type", "application/xml")
		w.Write(b)
	}))
	t.Cleanup(cs.Close)
	return cs
}

func (cs *cannedServer) set(b []byte) { cs.body.Store(&b) }
