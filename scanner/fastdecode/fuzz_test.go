package fastdecode

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// FuzzDecodeACL: the ACL decoder never panics or hangs, and whenever it
// accepts a document, the SDK's deserializer (a real client reading the
// same bytes over HTTP) accepts it too and gives the same GetObjectAcl
// output.
func FuzzDecodeACL(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 16 {
		f.Add(genACL(r, r.IntN(4), i%2 == 1))
	}
	f.Add([]byte(`<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:a="u" xmlns:xsi="u" a:type="x" xsi:type="y"/></Grant></AccessControlList></AccessControlPolicy>`))
	f.Add([]byte(`<AccessControlPolicy xmlns:p="xsi"><Owner><ID>&#x1F642;&amp;</ID></Owner><AccessControlList><Grant><Grantee p:type="T"/></Grant></AccessControlList></AccessControlPolicy>`))
	cs := newCannedServer(f)
	sdk := newClient(cs.URL, false)
	f.Fuzz(func(t *testing.T, body []byte) {
		watchdog := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("hang on %q", body)) })
		defer watchdog.Stop()
		var d decoders
		resp := &smithyhttp.Response{Response: &http.Response{Header: http.Header{}}}
		fast, err := operations["GetObjectAcl"].decode(&d, body, resp)
		if err != nil {
			return // refused: the SDK decides
		}
		cs.set(body)
		want := getObjectACL(sdk)
		if want.err != "" {
			t.Fatalf("the fast decoder accepts what the SDK refuses (%s):\n%q", want.err, body)
		}
		got := fast.(*s3.GetObjectAclOutput)
		got.ResultMetadata = middleware.Metadata{}
		if !reflect.DeepEqual(got, want.out) {
			t.Fatalf("fast and SDK disagree on %q:\nfast: %s\nsdk:  %s", body, dump(got), dump(want.out))
		}
	})
}
