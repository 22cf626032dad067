package scanner

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
)

// TestAnswersCheckedWithFastDecoding: the scan's S3 clients decode ACL and
// ownership answers with the fast decoders, and every answer, good or bad,
// ends the same as with the SDK's decoders: the same output, or the same
// error (an answer that is not a complete AccessControlPolicy or
// OwnershipControls still fails the call).
func TestAnswersCheckedWithFastDecoding(t *testing.T) {
	var body atomic.Pointer[string]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := *body.Load()
		if strings.HasPrefix(b, "<html") {
			w.Header().Set("Content-Type", "text/html")
		} else {
			w.Header().Set("Content-Type", "application/xml")
		}
		w.Write([]byte(b))
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""), BaseEndpoint: aws.String(srv.URL)}
	newClients := func(fast bool) S3API {
		c := newAWSClients(cfg, newHTTPClient(4, DefaultAttemptTimeout), newBudget(4)).withMaxBackoff(time.Millisecond)
		if !fast {
			c.fastDecoding = func(*middleware.Stack) error { return nil }
		}
		return c.S3("123456789012", "us-east-1", nil)
	}
	fast, sdk := newClients(true), newClients(false)
	// The fast client's calls hold the fast decoder, the other's the SDK's.
	for c, want := range map[S3API]string{fast: "*fastdecode.fastDeserializer", sdk: "*s3.awsRestxml_deserializeOpGetObjectAcl"} {
		ok := "<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList/></AccessControlPolicy>"
		body.Store(&ok)
		var step string
		_, err := c.GetObjectAcl(context.Background(), &s3.GetObjectAclInput{Bucket: aws.String("b"), Key: aws.String("k")}, func(o *s3.Options) {
			o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
				m, _ := s.Deserialize.Get("OperationDeserializer")
				step = fmt.Sprintf("%T", m)
				return nil
			})
		})
		if err != nil || step != want {
			t.Fatalf("the deserializer is %s (%v), want %s", step, err, want)
		}
	}
	const grant = `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>g</ID></Grantee><Permission>READ</Permission></Grant>`
	for _, tc := range []struct{ body, problem string }{
		{`<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList>` + grant + `</AccessControlList></AccessControlPolicy>`, ""},
		{`<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList/></AccessControlPolicy>`, ""},
		{`<AccessControlPolicy><AccessControlList>` + grant + `</AccessControlList></AccessControlPolicy>`, "no Owner ID in the answer"},
		{`<AccessControlPolicy><Owner><ID></ID></Owner><AccessControlList/></AccessControlPolicy>`, "no Owner ID in the answer"},
		{`<AccessControlPolicy><Owner><ID>o</ID></Owner></AccessControlPolicy>`, "no AccessControlList in the answer"},
		{`<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList>`, "the answer does not parse"},
		{`<AccessControlPolicy><Owner><ID>o<x/></ID></Owner><AccessControlList/></AccessControlPolicy>`, "the answer does not parse"},
		{`<ListBucketResult><Owner><ID>o</ID></Owner><AccessControlList/></ListBucketResult>`, "root element <ListBucketResult>"},
		{`<html><body>Sign in</body></html>`, "an HTML page"},
		{``, "an empty answer"},
		{`<OwnershipControls><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>`, ""},
		{`<OwnershipControls><Rule><ObjectOwnership></ObjectOwnership></Rule></OwnershipControls>`, "no Rule with an ObjectOwnership"},
		{`<OwnershipControls></OwnershipControls>`, "no Rule with an ObjectOwnership"},
		{`<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule>`, "the answer does not parse"},
	} {
		ownership := strings.Contains(tc.body, "OwnershipControls")
		body.Store(&tc.body)
		for op, call := range map[string]func(S3API) (any, error){
			"GetBucketOwnershipControls": func(c S3API) (any, error) {
				out, err := c.GetBucketOwnershipControls(context.Background(), &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("b")})
				if out != nil {
					out.ResultMetadata = middleware.Metadata{}
				}
				return out, err
			},
			"GetObjectAcl": func(c S3API) (any, error) {
				out, err := c.GetObjectAcl(context.Background(), &s3.GetObjectAclInput{Bucket: aws.String("b"), Key: aws.String("k")})
				if out != nil {
					out.ResultMetadata = middleware.Metadata{}
				}
				return out, err
			},
			"GetBucketAcl": func(c S3API) (any, error) {
				out, err := c.GetBucketAcl(context.Background(), &s3.GetBucketAclInput{Bucket: aws.String("b")})
				if out != nil {
					out.ResultMetadata = middleware.Metadata{}
				}
				return out, err
			},
		} {
			if ownership != (op == "GetBucketOwnershipControls") && tc.body != "" && !strings.HasPrefix(tc.body, "<html") {
				continue // an answer of the other kind
			}
			gotOut, gotErr := call(fast)
			wantOut, wantErr := call(sdk)
			switch {
			case tc.problem == "" && (gotErr != nil || wantErr != nil):
				t.Errorf("%s %s: fast %v, SDK %v", op, tc.body, gotErr, wantErr)
			case tc.problem != "" && (gotErr == nil || !strings.Contains(gotErr.Error(), tc.problem)):
				t.Errorf("%s %s: %v, want %q", op, tc.body, gotErr, tc.problem)
			case (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error():
				t.Errorf("%s %s: fast %v, SDK %v", op, tc.body, gotErr, wantErr)
			case gotErr == nil && !reflect.DeepEqual(gotOut, wantOut):
				t.Errorf("%s %s: fast %+v, SDK %+v", op, tc.body, gotOut, wantOut)
			}
		}
	}
}
