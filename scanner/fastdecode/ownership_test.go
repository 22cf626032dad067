package fastdecode

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
)

func getOwnership(c *s3.Client) outcome {
	out, err := c.GetBucketOwnershipControls(context.Background(), &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("b")})
	if err != nil {
		return outcome{err: err.Error()}
	}
	out.ResultMetadata = middleware.Metadata{}
	return outcome{out: out}
}

// genOwnership returns an OwnershipControls document as S3 writes it (one
// Rule) or, with odd, in the other ways the SDK reads one.
func genOwnership(r *rand.Rand, odd bool) []byte {
	g := &aclDoc{r: r, odd: odd}
	values := types.ObjectOwnership("").Values()
	if !odd || g.chance(0.8) {
		g.b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	}
	g.b.WriteString(`<OwnershipControls xmlns="` + s3NS + `">`)
	rules := 1
	if odd {
		rules = r.IntN(4)
	}
	for range rules {
		g.unknown()
		g.ws()
		rn := g.name("Rule")
		fmt.Fprintf(&g.b, "<%s>", rn)
		for range 1 + r.IntN(2) {
			if odd && g.chance(0.1) {
				break
			}
			v := string(values[r.IntN(len(values))])
			if odd && g.chance(0.1) {
				v = "Other&amp;Value"
			}
			g.elem("ObjectOwnership", v)
			if !odd {
				break
			}
		}
		g.unknown()
		g.ws()
		fmt.Fprintf(&g.b, "</%s>", rn)
	}
	g.unknown()
	g.ws()
	g.b.WriteString("</OwnershipControls>")
	return []byte(g.b.String())
}

// TestOwnershipMatchesSDK: GetBucketOwnershipControls gives the same output
// with the fast decoder as with the SDK's over many documents; S3's own
// take the fast path.
func TestOwnershipMatchesSDK(t *testing.T) {
	cs := newCannedServer(t)
	cl := newClients(cs.URL)
	r := rand.New(rand.NewPCG(3, 4))
	var d ownershipDecoder
	refused := 0
	for i := range 300 {
		odd := i%2 == 1
		body := genOwnership(r, odd)
		cs.set(body)
		if out := sameOutcome(t, fmt.Sprintf("document %d:\n%s", i, body), cl, getOwnership); out.err != "" {
			t.Fatalf("%s: both fail: %s", body, out.err)
		}
		if err := d.decode(body); err != nil {
			if !odd {
				t.Fatalf("%s: the fast decoder refuses S3's document: %v", body, err)
			}
			refused++
		}
	}
	if refused > 30 {
		t.Errorf("the fast decoder refused %d of 150 odd documents", refused)
	}
}

// TestOwnershipEdgeCases compares the two decoders one document at a time;
// fast says whether the fast decoder takes it.
func TestOwnershipEdgeCases(t *testing.T) {
	for _, tc := range []struct {
		body string
		fast bool
	}{
		{`<OwnershipControls><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>`, true},
		{`<OwnershipControls/>`, true},
		{`<OwnershipControls></OwnershipControls>`, true},
		{`<OwnershipControls><Rule/></OwnershipControls>`, true},
		{`<OwnershipControls><Rule><ObjectOwnership/></Rule></OwnershipControls>`, true},
		{`<OwnershipControls><rule><OBJECTOWNERSHIP>ObjectWriter</OBJECTOWNERSHIP><ObjectOwnership>BucketOwnerPreferred</ObjectOwnership></rule></OwnershipControls>`, true},
		{`<OwnershipControls><Rule><ObjectOwnership>A</ObjectOwnership></Rule><Rule><ObjectOwnership>B</ObjectOwnership></Rule></OwnershipControls>`, true},
		{`<OwnershipControls><Rules><Rule><ObjectOwnership>A</ObjectOwnership></Rule></Rules></OwnershipControls>`, true},
		{`<AccessControlPolicy><Rule><ObjectOwnership>A</ObjectOwnership></Rule></AccessControlPolicy>`, true},
		{`<OwnershipControls><Rule><ObjectOwnership> Bucket&#x4F;wnerEnforced </ObjectOwnership></Rule></OwnershipControls>trailing<`, true},
		{`<OwnershipControls><Rule><ObjectOwnership><![CDATA[A]]></ObjectOwnership></Rule></OwnershipControls>`, false},
		{`<OwnershipControls><Rule><ObjectOwnership>A<b/></ObjectOwnership></Rule></OwnershipControls>`, false},
		{`<s3:OwnershipControls xmlns:s3="x"><s3:Rule/></s3:OwnershipControls>`, false},
		{`<OwnershipControls><Rule>`, false},
		{``, false},
	} {
		cs := newCannedServer(t)
		cs.set([]byte(tc.body))
		sameOutcome(t, tc.body, newClients(cs.URL), getOwnership)
		var d ownershipDecoder
		if err := d.decode([]byte(tc.body)); (err == nil) != tc.fast {
			t.Errorf("%s: fast decoder error %v, want fast path %v", tc.body, err, tc.fast)
		}
	}
	// S3's values come out as the SDK's constants, not new strings: two
	// allocations, the controls and their rules.
	var d ownershipDecoder
	body := []byte(`<OwnershipControls><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>`)
	allocs := testing.AllocsPerRun(100, func() {
		if err := d.decode(body); err != nil {
			t.Fatal(err)
		}
		if got := d.controls().Rules[0].ObjectOwnership; got != types.ObjectOwnershipBucketOwnerEnforced {
			t.Fatalf("ObjectOwnership %q", got)
		}
	})
	if allocs != 2 {
		t.Errorf("%v allocations per decoding, want 2", allocs)
	}
}
