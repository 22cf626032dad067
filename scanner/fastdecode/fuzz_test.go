package fastdecode

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// FuzzDecodeACL: the ACL decoder never panics or hangs, and whenever it
// accepts a document, the SDK's deserializer (a real client reading the
// same bytes over HTTP) accepts it too and gives the same GetObjectAcl
// output.
func FuzzDecodeACL(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 6))
	var seeds [][]byte
	for i := range 16 {
		seeds = append(seeds, genACL(r, r.IntN(4), i%2 == 1))
	}
	seeds = append(seeds,
		[]byte(`<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:a="u" xmlns:xsi="u" a:type="x" xsi:type="y"/></Grant></AccessControlList></AccessControlPolicy>`),
		[]byte(`<AccessControlPolicy xmlns:p="xsi"><Owner><ID>&#x1F642;&amp;</ID></Owner><AccessControlList><Grant><Grantee p:type="T"/></Grant></AccessControlList></AccessControlPolicy>`))
	fuzzAgainstSDK(f, "GetObjectAcl", seeds, getObjectACL)
}

// FuzzDecodeOwnershipControls: the same for GetBucketOwnershipControls.
func FuzzDecodeOwnershipControls(f *testing.F) {
	r := rand.New(rand.NewPCG(9, 10))
	var seeds [][]byte
	for i := range 12 {
		seeds = append(seeds, genOwnership(r, i%2 == 1))
	}
	fuzzAgainstSDK(f, "GetBucketOwnershipControls", seeds, getOwnership)
}

// fuzzAgainstSDK fuzzes op's fast decoder from seeds: whatever it accepts,
// call (a client without fast decoders) must answer the same.
func fuzzAgainstSDK(f *testing.F, op string, seeds [][]byte, call func(*s3.Client) outcome) {
	for _, s := range seeds {
		f.Add(s)
	}
	cs := newCannedServer(f)
	sdk := newClient(cs.URL, false)
	f.Fuzz(func(t *testing.T, body []byte) {
		watchdog := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("hang on %q", body)) })
		defer watchdog.Stop()
		var d decoders
		resp := &smithyhttp.Response{Response: &http.Response{Header: http.Header{}}}
		fast, err := operations[op].decode(&d, body, resp)
		if err != nil {
			return // refused: the SDK decides
		}
		cs.set(body)
		want := call(sdk)
		if want.err != "" {
			t.Fatalf("the fast decoder accepts what the SDK refuses (%s):\n%q", want.err, body)
		}
		if !reflect.DeepEqual(fast, want.out) {
			t.Fatalf("fast and SDK disagree on %q:\nfast: %s\nsdk:  %s", body, dump(fast), dump(want.out))
		}
	})
}
