package fastdecode

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestACLMatchesSDK: over many documents, S3's own and odd ones (names in
// other cases, odd white space, entities, repeated and unknown elements,
// namespace declarations in other places, up to 100 grants of every
// grantee kind), GetObjectAcl and GetBucketAcl give the same output with
// the fast decoder as with the SDK's. Documents written as S3 writes them
// must take the fast path.
func TestACLMatchesSDK(t *testing.T) {
	cs := newCannedServer(t)
	cl := newClients(cs.URL)
	r := rand.New(rand.NewPCG(1, 2))
	charged := "requester"
	cs.charged.Store(&charged)
	var d aclDecoder
	fastTaken, odd := 0, 0
	for i := range 400 {
		grants := r.IntN(6)
		switch i % 10 {
		case 0:
			grants = 100
		case 1:
			grants = 0
		}
		oddDoc := i%2 == 1
		body := genACL(r, grants, oddDoc)
		cs.set(body)
		what := fmt.Sprintf("document %d (%d grants, odd %v):\n%s", i, grants, oddDoc, body)
		objOut := sameOutcome(t, "GetObjectAcl "+what, cl, getObjectACL)
		bucketOut := sameOutcome(t, "GetBucketAcl "+what, cl, getBucketACL)
		if objOut.err != "" || bucketOut.err != "" {
			t.Fatalf("%s: both fail: %s", what, objOut.err+bucketOut.err)
		}
		if err := d.decode(body); err == nil {
			fastTaken++
		} else if !oddDoc {
			t.Fatalf("%s: the fast decoder refuses S3's document: %v", what, err)
		} else {
			odd++
		}
		if out := objOut.out.(*s3.GetObjectAclOutput); out.RequestCharged != "requester" {
			t.Fatalf("RequestCharged %q", out.RequestCharged)
		}
	}
	if odd > 40 {
		t.Errorf("the fast decoder refused %d of 200 odd documents: the comparison mostly tests the SDK against itself", odd)
	}
	t.Logf("fast path on %d of 400 documents", fastTaken)
}

// TestACLEdgeCases compares the two decoders on documents at the edges of
// what either reads, one by one; want says whether the fast decoder takes
// it (the rest goes to the SDK, which may fail it).
func TestACLEdgeCases(t *testing.T) {
	const owner = `<Owner><ID>o</ID></Owner>`
	const grantee = `<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>g</ID></Grantee>`
	for _, tc := range []struct {
		body string
		fast bool
	}{
		{`<AccessControlPolicy>` + owner + `<AccessControlList/></AccessControlPolicy>`, true},
		{`<AccessControlPolicy>` + owner + `</AccessControlPolicy>`, true},
		{`<AccessControlPolicy/>`, true},
		{`<AccessControlPolicy><Owner/><AccessControlList><Grant/></AccessControlList></AccessControlPolicy>`, true},
		{`<AccessControlPolicy><Owner><ID></ID><DisplayName/></Owner></AccessControlPolicy>`, true},
		{`<AccessControlPolicy><AccessControlList><Grant>` + grantee + `</Grant><Grant><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`, true},
		// Another root element: the SDK reads it all the same.
		{`<ListBucketResult>` + owner + `<AccessControlList/></ListBucketResult>`, true},
		// Grants outside an AccessControlList are not grants.
		{`<AccessControlPolicy><Grant>` + grantee + `</Grant></AccessControlPolicy>`, true},
		// Repeated: Owner fields merge, lists add up, Grantees merge.
		{`<AccessControlPolicy><Owner><ID>a</ID><DisplayName>n</DisplayName></Owner><Owner><ID>b</ID></Owner></AccessControlPolicy>`, true},
		{`<AccessControlPolicy><AccessControlList><Grant><Permission>READ</Permission></Grant></AccessControlList><AccessControlList><Grant><Permission>WRITE</Permission></Grant></AccessControlList></AccessControlPolicy>`, true},
		{`<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi="x" xsi:type="Group"><URI>u</URI></Grantee><Grantee><ID>i</ID></Grantee><Permission>READ</Permission><Permission>WRITE</Permission></Grant></AccessControlList></AccessControlPolicy>`, true},
		// Namespace declarations of every sort around xsi:type.
		{`<AccessControlPolicy xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><AccessControlList><Grant><Grantee xsi:type="Group"/></Grant></AccessControlList></AccessControlPolicy>`, true},
		{`<AccessControlPolicy><AccessControlList xmlns:p="xsi"><Grant><Grantee p:type="Group"/></Grant></AccessControlList></AccessControlPolicy>`, true},
		{`<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi="" xsi:type="Group"/></Grant></AccessControlList></AccessControlPolicy>`, true},
		{`<AccessControlPolicy><AccessControlList><Grant xmlns:q="u"><Grantee xmlns:xsi="u" q:type="Group"/></Grant></AccessControlList></AccessControlPolicy>`, true},
		{`<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi="u" xmlns:xsi="v" xsi:type="Group"/></Grant></AccessControlList></AccessControlPolicy>`, true},
		{`<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:x="http://www.w3.org/XML/1998/namespace" xml:type="Group"/></Grant></AccessControlList></AccessControlPolicy>`, true},
		{`<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:p="xſi" p:type="Group"/></Grant></AccessControlList></AccessControlPolicy>`, true},
		{`<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi="u" xsi:TYPE="Group" xsi:typo="x"/></Grant></AccessControlList></AccessControlPolicy>`, true},
		{`<AccessControlPolicy><AccessControlList><Grant><Grantee type="Group" xsi:="1"/></Grant></AccessControlList></AccessControlPolicy>`, true},
		// An attribute without a prefix takes that of a first declaration of "".
		{`<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:Xsi="" tYpe="Group"/></Grant></AccessControlList></AccessControlPolicy>`, true},
		{`<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:q="v" xmlns:xsi="" type="Group"/></Grant></AccessControlList></AccessControlPolicy>`, true},
		// After the root element the SDK reads nothing.
		{`<AccessControlPolicy>` + owner + `<AccessControlList/></AccessControlPolicy><junk`, true},
		// Outside the fast decoder's subset: the SDK decides.
		{`<AccessControlPolicy><Owner><ID><![CDATA[o]]></ID></Owner><AccessControlList/></AccessControlPolicy>`, false},
		{`<s3:AccessControlPolicy xmlns:s3="` + s3NS + `"><s3:Owner><s3:ID>o</s3:ID></s3:Owner><s3:AccessControlList/></s3:AccessControlPolicy>`, false},
		{`<AccessControlPolicy><Owner><ID>o<x/></ID></Owner></AccessControlPolicy>`, false},
		{`<AccessControlPolicy><Owner><ID>o</ID></Owner>`, false},
		{`<AccessControlPolicy><Owner><ID>o</Id></Owner></AccessControlPolicy>`, false},
		{"<AccessControlPolicy><Owner><ID>o\r\n</ID></Owner></AccessControlPolicy>", false},
		{"\xef\xbb\xbf<AccessControlPolicy/>", false},
		{`<!DOCTYPE x><AccessControlPolicy/>`, false},
		{`<?xml version="1.0" encoding="ISO-8859-1"?><AccessControlPolicy/>`, false},
		{`<AccessControlPolicy><Owner><ID>&nbsp;</ID></Owner></AccessControlPolicy>`, false},
		{`<html><body>sign in</body></html`, false},
		{``, false},
		{`   `, false},
	} {
		cs := newCannedServer(t)
		cs.set([]byte(tc.body))
		cl := newClients(cs.URL)
		sameOutcome(t, "GetObjectAcl "+tc.body, cl, getObjectACL)
		sameOutcome(t, "GetBucketAcl "+tc.body, cl, getBucketACL)
		var d aclDecoder
		if err := d.decode([]byte(tc.body)); (err == nil) != tc.fast {
			t.Errorf("%s: fast decoder error %v, want fast path %v", tc.body, err, tc.fast)
		}
	}
}

// TestACLBodiesTheFastPathGivesUp: a body longer than maxBodyBytes, and one
// that fails mid-way, reach the SDK's deserializer whole, so the outcome
// is the SDK's.
func TestACLBodiesTheFastPathGivesUp(t *testing.T) {
	long := `<AccessControlPolicy><Owner><ID>o</ID></Owner><Pad>` + strings.Repeat("x", maxBodyBytes) +
		`</Pad><AccessControlList><Grant><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`
	cs := newCannedServer(t)
	cs.set([]byte(long))
	out := sameOutcome(t, "a long ACL", newClients(cs.URL), getObjectACL)
	if o, ok := out.out.(*s3.GetObjectAclOutput); !ok || len(o.Grants) != 1 {
		t.Fatalf("the long ACL lost its grant: %s %s", out.err, dump(out.out))
	}

	cut := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Write([]byte(`<AccessControlPolicy><Owner><ID>o</ID></Owner>`))
	}))
	defer cut.Close()
	out = sameOutcome(t, "a body cut short", newClients(cut.URL), getObjectACL)
	if out.err == "" {
		t.Fatal("a body cut short gives no error")
	}
}
