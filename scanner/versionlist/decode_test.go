package versionlist

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// sdkView is what the SDK's deserializer made of a body, in our terms but
// without any merging: versions and delete markers in their own order.
type sdkView struct {
	Versions, Markers []Entry
	IsTruncated       bool
	NextKey, NextVer  string
	Prefixes          []string
}

func viewFromSDK(t testing.TB, out *s3.ListObjectVersionsOutput) sdkView {
	t.Helper()
	dec := func(s *string) string {
		v := aws.ToString(s)
		if out.EncodingType == types.EncodingTypeUrl {
			d, err := url.QueryUnescape(v)
			if err != nil {
				t.Fatalf("SDK output has a bad escape %q", v)
			}
			return d
		}
		return v
	}
	var v sdkView
	for _, o := range out.Versions {
		e := Entry{Key: dec(o.Key), VersionID: aws.ToString(o.VersionId), IsLatest: aws.ToBool(o.IsLatest),
			Size: aws.ToInt64(o.Size), LastModified: aws.ToTime(o.LastModified)}
		if o.Owner != nil {
			e.HasOwner, e.OwnerID = true, aws.ToString(o.Owner.ID)
		}
		v.Versions = append(v.Versions, e)
	}
	for _, o := range out.DeleteMarkers {
		e := Entry{Key: dec(o.Key), VersionID: aws.ToString(o.VersionId), IsLatest: aws.ToBool(o.IsLatest),
			IsDeleteMarker: true, LastModified: aws.ToTime(o.LastModified)}
		if o.Owner != nil {
			e.HasOwner, e.OwnerID = true, aws.ToString(o.Owner.ID)
		}
		v.Markers = append(v.Markers, e)
	}
	for _, cp := range out.CommonPrefixes {
		v.Prefixes = append(v.Prefixes, dec(cp.Prefix))
	}
	v.IsTruncated = aws.ToBool(out.IsTruncated)
	v.NextKey, v.NextVer = dec(out.NextKeyMarker), aws.ToString(out.NextVersionIdMarker)
	return v
}

func viewFromPage(p *Page) sdkView {
	var v sdkView
	for _, e := range p.Entries {
		if e.IsDeleteMarker {
			v.Markers = append(v.Markers, e)
		} else {
			v.Versions = append(v.Versions, e)
		}
	}
	v.Prefixes = p.CommonPrefixes
	if len(v.Prefixes) == 0 {
		v.Prefixes = nil
	}
	v.IsTruncated, v.NextKey, v.NextVer = p.IsTruncated, p.NextKeyMarker, p.NextVersionIDMarker
	return v
}

// sdkDecode serves body from cs and returns the plain SDK client's result.
func sdkDecode(cs *cannedServer, c *s3.Client, body []byte) (*s3.ListObjectVersionsOutput, error) {
	cs.set(body)
	return c.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: aws.String("bucket")})
}

func diffViews(a, b sdkView) string {
	if reflect.DeepEqual(a, b) {
		return ""
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "versions %d vs %d, markers %d vs %d\n", len(a.Versions), len(b.Versions), len(a.Markers), len(b.Markers))
	for i := range min(len(a.Versions), len(b.Versions)) {
		if a.Versions[i] != b.Versions[i] {
			fmt.Fprintf(&sb, "version %d:\n fast %+v\n sdk  %+v\n", i, a.Versions[i], b.Versions[i])
			break
		}
	}
	for i := range min(len(a.Markers), len(b.Markers)) {
		if a.Markers[i] != b.Markers[i] {
			fmt.Fprintf(&sb, "marker %d:\n fast %+v\n sdk  %+v\n", i, a.Markers[i], b.Markers[i])
			break
		}
	}
	fmt.Fprintf(&sb, "truncated %v/%v next %q/%q %q/%q prefixes %q / %q", a.IsTruncated, b.IsTruncated, a.NextKey, b.NextKey, a.NextVer, b.NextVer, a.Prefixes, b.Prefixes)
	return sb.String()
}

// TestDecodeMatchesSDK decodes generated pages (XML-special and unicode
// keys, every entity spelling, URL encoding, missing owners, delete
// markers, unknown elements and comments) with both decoders and requires
// identical results, and requires the fast path to have been taken.
func TestDecodeMatchesSDK(t *testing.T) {
	cs := newCannedServer(t)
	c := newTestClient(cs.URL)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		o := genOptions{Entries: r.IntN(40), URL: i%2 == 1, Noise: i%3 != 0, Prefixes: r.IntN(3), Truncated: r.IntN(2) == 0}
		body := genPage(r, o)
		out, err := sdkDecode(cs, c, body)
		if err != nil {
			t.Fatalf("case %d: SDK failed on a generated page: %v\n%s", i, err, body)
		}
		want := viewFromSDK(t, out)

		var p Page
		var d Decoder
		if err := d.Decode(body, &p); err != nil {
			t.Fatalf("case %d: fast decode failed: %v\n%s", i, err, body)
		}
		if diff := diffViews(viewFromPage(&p), want); diff != "" {
			t.Fatalf("case %d (%+v): fast and SDK disagree:\n%s\n%s", i, o, diff, body)
		}

		// The same through the SDK client with the swapped deserializer.
		p2, fast, err := listOnce(c, false)
		if err != nil || !fast {
			t.Fatalf("case %d: ListPage fast=%v err=%v", i, fast, err)
		}
		if diff := diffViews(viewFromPage(p2), want); diff != "" {
			t.Fatalf("case %d: ListPage and SDK disagree:\n%s", i, diff)
		}
	}
}

func listOnce(c Lister, sdkOnly bool) (*Page, bool, error) {
	p := new(Page)
	fast, err := listPageInto(context.Background(), c, &s3.ListObjectVersionsInput{Bucket: aws.String("bucket")}, p, sdkOnly)
	return p, fast, err
}

// TestDecodeRefusesWhatItDoesNotKnow lists documents outside the fast
// decoder's subset: each must be refused (and so go to the SDK), never
// decoded differently.
func TestDecodeRefusesWhatItDoesNotKnow(t *testing.T) {
	const head = `<ListVersionsResult><IsTruncated>false</IsTruncated>`
	cases := map[string]string{
		"cdata":          head + `<Version><Key><![CDATA[a]]></Key></Version></ListVersionsResult>`,
		"ns prefix":      head + `<Version><s3:Key>a</s3:Key></Version></ListVersionsResult>`,
		"case variant":   head + `<Version><key>a</key></Version></ListVersionsResult>`,
		"bool variant":   head + `<IsTruncated>True</IsTruncated></ListVersionsResult>`,
		"offset time":    head + `<Version><LastModified>2024-01-01T00:00:00+01:00</LastModified></Version></ListVersionsResult>`,
		"bad entity":     head + `<Version><Key>a&nbsp;b</Key></Version></ListVersionsResult>`,
		"nul ref":        head + `<Version><Key>a&#0;</Key></Version></ListVersionsResult>`,
		"raw cr":         head + "<Version><Key>a\rb</Key></Version></ListVersionsResult>",
		"bad utf8":       head + "<Version><Key>a\xffb</Key></Version></ListVersionsResult>",
		"mismatched end": head + `<Version><Key>a</Kye></Version></ListVersionsResult>`,
		"other root":     `<ListBucketResult></ListBucketResult>`,
		"truncated doc":  head + `<Version><Key>a</Key>`,
		"signed size":    head + `<Version><Size>+5</Size></Version></ListVersionsResult>`,
		"latin1 decl":    `<?xml version="1.0" encoding="ISO-8859-1"?>` + head + `</ListVersionsResult>`,
		"doctype":        `<!DOCTYPE x>` + head + `</ListVersionsResult>`,
		"bad url escape": head + `<EncodingType>url</EncodingType><Version><Key>a%zz</Key></Version></ListVersionsResult>`,
		"nested in key":  head + `<Version><Key>a<b/></Key></Version></ListVersionsResult>`,
		"cdata end":      head + `<Version><Key>a]]>b</Key></Version></ListVersionsResult>`,
		"no IsTruncated": `<ListVersionsResult><Version><Key>a</Key></Version></ListVersionsResult>`,
		"html":           `<!DOCTYPE html><html><body>Sign in</body></html>`,
		"empty":          ``,
		"1001 entries":   head + strings.Repeat(`<DeleteMarker><Key>a</Key></DeleteMarker>`, 1001) + `</ListVersionsResult>`,
	}
	for name, doc := range cases {
		var d Decoder
		var p Page
		if err := d.Decode([]byte(doc), &p); err == nil {
			t.Errorf("%s: decoded %+v, want a refusal", name, p)
		}
	}
}

// TestDecodeURLEncodedMarkers checks the fields S3 URL-encodes.
func TestDecodeURLEncodedMarkers(t *testing.T) {
	doc := `<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult><EncodingType>url</EncodingType>` +
		`<IsTruncated>true</IsTruncated><NextKeyMarker>a+b%2Bc%2F%E6%97%A5</NextKeyMarker><NextVersionIdMarker>v%2B1</NextVersionIdMarker>` +
		`<Version><Key>a+b%2Bc%2F%E6%97%A5</Key><VersionId>v1</VersionId><Size>3</Size></Version>` +
		`<CommonPrefixes><Prefix>dir+1%2F</Prefix></CommonPrefixes></ListVersionsResult>`
	var d Decoder
	var p Page
	if err := d.Decode([]byte(doc), &p); err != nil {
		t.Fatal(err)
	}
	if got := p.Entries[0].Key; got != "a b+c/日" {
		t.Errorf("key %q", got)
	}
	if p.NextKeyMarker != "a b+c/日" || p.NextVersionIDMarker != "v%2B1" || p.CommonPrefixes[0] != "dir 1/" {
		t.Errorf("markers %q %q %q", p.NextKeyMarker, p.NextVersionIDMarker, p.CommonPrefixes)
	}
}
