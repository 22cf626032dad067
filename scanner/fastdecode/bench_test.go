package fastdecode

import (
	"fmt"
	"net/http"
	"testing"

	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// BenchmarkGetObjectAcl compares whole GetObjectAcl calls (a real client
// and an HTTP server in this process) with the fast decoder and with the
// SDK's, on an object ACL as S3 answers most (the owner's FULL_CONTROL
// grant) and on one of 10 grants:
//
//	go test -run '^$' -bench GetObjectAcl -benchmem ./scanner/fastdecode/
func BenchmarkGetObjectAcl(b *testing.B) {
	for _, grants := range []int{1, 10} {
		cs := newCannedServer(b)
		cs.set(genACL(newRand(), grants, false))
		cl := newClients(cs.URL)
		for _, c := range []struct {
			name string
			fast bool
		}{{"sdk", false}, {"fast", true}} {
			client := cl.sdk
			if c.fast {
				client = cl.fast
			}
			b.Run(fmt.Sprintf("grants=%d/%s", grants, c.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if out := getObjectACL(client); out.err != "" {
						b.Fatal(out.err)
					}
				}
			})
		}
	}
}

// BenchmarkDecodeACL is the fast decoder alone, output included.
func BenchmarkDecodeACL(b *testing.B) {
	for _, grants := range []int{1, 10, 100} {
		body := genACL(newRand(), grants, false)
		resp := &smithyhttp.Response{Response: &http.Response{Header: http.Header{}}}
		b.Run(fmt.Sprintf("grants=%d", grants), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			var d decoders
			for b.Loop() {
				if _, err := operations["GetObjectAcl"].decode(&d, body, resp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
