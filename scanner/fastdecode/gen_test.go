package fastdecode

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Namespaces of S3's ACL documents.
const (
	s3NS  = "http://s3.amazonaws.com/doc/2006-03-01/"
	xsiNS = "http://www.w3.org/2001/XMLSchema-instance"
)

// aclDoc writes an AccessControlPolicy as S3 does: owner, then grants.
type aclDoc struct {
	r *rand.Rand
	b strings.Builder
	// odd turns on what S3 never sends but the SDK reads: odd white space,
	// comments, unknown elements, names in other cases, repeated elements,
	// namespace declarations elsewhere, entities, empty elements.
	odd bool
}

func (g *aclDoc) chance(p float64) bool { return g.r.Float64() < p }

// ws is white space between elements: none as S3 sends it, any with odd.
func (g *aclDoc) ws() {
	if !g.odd || g.chance(0.5) {
		return
	}
	for range 1 + g.r.IntN(4) {
		g.b.WriteByte(" \t\n"[g.r.IntN(3)])
	}
}

// name is an element name, in another case now and then with odd.
func (g *aclDoc) name(n string) string {
	if g.odd && g.chance(0.08) {
		switch g.r.IntN(3) {
		case 0:
			return strings.ToLower(n)
		case 1:
			return strings.ToUpper(n)
		}
		return strings.ToLower(n[:1]) + n[1:]
	}
	return n
}

// text is a value: S3's characters, and with odd entities, character
// references, non-ASCII and white space.
func (g *aclDoc) text(base string) string {
	if !g.odd || g.chance(0.6) {
		return base
	}
	switch g.r.IntN(6) {
	case 0:
		return base + " &amp; &lt;co&gt; &quot;x&quot; &apos;"
	case 1:
		return "&#x41;&#66;" + base
	case 2:
		return "Zoë ☃ 🙂 " + base
	case 3:
		return "  " + base + "\n\t"
	case 4:
		return ""
	}
	return base + "]"
}

// elem writes <name>value</name>, or an empty or self-closing one.
func (g *aclDoc) elem(name, value string) {
	g.ws()
	n := g.name(name)
	switch {
	case g.odd && g.chance(0.03):
		fmt.Fprintf(&g.b, "<%s/>", n)
	case g.odd && g.chance(0.03):
		fmt.Fprintf(&g.b, "<%s ></%s >", n, n)
	default:
		fmt.Fprintf(&g.b, "<%s>%s</%s>", n, g.text(value), n)
	}
}

// unknown writes, with odd, an element the SDK skips, or a comment.
func (g *aclDoc) unknown() {
	if !g.odd || g.chance(0.85) {
		return
	}
	g.ws()
	switch g.r.IntN(4) {
	case 0:
		g.b.WriteString("<!-- a comment -->")
	case 1:
		g.b.WriteString(`<Extra a="1"><Nested><ID>not-this</ID></Nested><Deeper/>text</Extra>`)
	case 2:
		g.b.WriteString("stray text")
	default:
		g.b.WriteString("<Unknown/>")
	}
}

func hex64(r *rand.Rand) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 64)
	for i := range b {
		b[i] = digits[r.IntN(16)]
	}
	return string(b)
}

var permissions = []string{"FULL_CONTROL", "READ", "WRITE", "READ_ACP", "WRITE_ACP"}

var groups = []string{
	"http://acs.amazonaws.com/groups/global/AllUsers",
	"http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
	"http://acs.amazonaws.com/groups/s3/LogDelivery",
}

// granteeTag writes a Grantee start tag with its type attribute, and
// (with odd) the other ways to write or miss one. It returns the name.
func (g *aclDoc) granteeTag(typ string) string {
	n := g.name("Grantee")
	if !g.odd || g.chance(0.5) {
		fmt.Fprintf(&g.b, `<%s xmlns:xsi="%s" xsi:type="%s">`, n, xsiNS, typ)
		return n
	}
	switch g.r.IntN(9) {
	case 0: // prefix declared on an ancestor only: the SDK finds no type
		fmt.Fprintf(&g.b, `<%s xsi:type="%s">`, n, typ)
	case 1: // another prefix for the same namespace
		fmt.Fprintf(&g.b, `<%s xmlns:i="%s" i:type="%s">`, n, xsiNS, typ)
	case 2: // two declarations: the first names the prefix
		fmt.Fprintf(&g.b, `<%s xmlns:a="%s" xmlns:xsi="%s" xsi:type="%s">`, n, xsiNS, xsiNS, typ)
	case 3: // upper case, white space around '=', single quotes
		fmt.Fprintf(&g.b, `<%s  XMLNS:XSI = '%s'	XSI:TYPE='%s' >`, n, xsiNS, typ)
	case 4: // no type at all
		fmt.Fprintf(&g.b, `<%s>`, n)
	case 5: // prefix not declared anywhere
		fmt.Fprintf(&g.b, `<%s xsi:type="%s" other="1">`, n, typ)
	case 6: // type first, declaration after
		fmt.Fprintf(&g.b, `<%s xsi:type="%s" xmlns:xsi="%s">`, n, typ, xsiNS)
	case 7: // a type with an entity, and the xml prefix
		fmt.Fprintf(&g.b, `<%s xmlns:xsi="%s" xml:lang="en" xsi:type="%s&amp;">`, n, xsiNS, typ)
	default: // two types: the last one counts
		fmt.Fprintf(&g.b, `<%s xmlns:xsi="%s" xsi:type="Group" xsi:type="%s">`, n, xsiNS, typ)
	}
	return n
}

func (g *aclDoc) grant() {
	g.ws()
	gn := g.name("Grant")
	fmt.Fprintf(&g.b, "<%s>", gn)
	g.unknown()
	g.ws()
	var typ string
	switch g.r.IntN(5) {
	case 0:
		typ = "Group"
	case 1:
		typ = "AmazonCustomerByEmail"
	default:
		typ = "CanonicalUser"
	}
	repeat := 1
	if g.odd && g.chance(0.05) {
		repeat = 2
	}
	for range repeat {
		n := g.granteeTag(typ)
		switch typ {
		case "Group":
			g.elem("URI", groups[g.r.IntN(len(groups))])
		case "AmazonCustomerByEmail":
			g.elem("EmailAddress", fmt.Sprintf("user%d@example.com", g.r.IntN(1000)))
		default:
			g.elem("ID", hex64(g.r))
			if g.chance(0.5) {
				g.elem("DisplayName", fmt.Sprintf("owner-%d", g.r.IntN(100)))
			}
		}
		g.unknown()
		g.ws()
		fmt.Fprintf(&g.b, "</%s>", n)
	}
	if !g.odd || g.chance(0.95) {
		g.elem("Permission", permissions[g.r.IntN(len(permissions))])
	}
	g.unknown()
	g.ws()
	fmt.Fprintf(&g.b, "</%s>", gn)
}

// genACL returns an AccessControlPolicy with grants grants; odd as in aclDoc.
func genACL(r *rand.Rand, grants int, odd bool) []byte {
	g := &aclDoc{r: r, odd: odd}
	if !odd || g.chance(0.8) {
		g.b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	}
	root := `<AccessControlPolicy xmlns="` + s3NS + `">`
	if odd && g.chance(0.1) {
		root = `<AccessControlPolicy xmlns="` + s3NS + `" xmlns:xsi="` + xsiNS + `">`
	}
	g.b.WriteString(root)
	owners := 1
	switch {
	case odd && g.chance(0.05):
		owners = 0
	case odd && g.chance(0.05):
		owners = 2
	}
	for range owners {
		g.ws()
		on := g.name("Owner")
		fmt.Fprintf(&g.b, "<%s>", on)
		g.elem("ID", hex64(r))
		if g.chance(0.5) {
			g.elem("DisplayName", "owner")
		}
		g.unknown()
		g.ws()
		fmt.Fprintf(&g.b, "</%s>", on)
	}
	lists := 1
	if odd && g.chance(0.05) {
		lists = 2 + r.IntN(2)
	}
	for range lists {
		g.unknown()
		g.ws()
		ln := g.name("AccessControlList")
		if grants == 0 && odd && g.chance(0.3) {
			fmt.Fprintf(&g.b, "<%s/>", ln)
			continue
		}
		fmt.Fprintf(&g.b, "<%s>", ln)
		for range grants {
			g.grant()
			g.unknown()
		}
		g.ws()
		fmt.Fprintf(&g.b, "</%s>", ln)
	}
	g.unknown()
	g.ws()
	g.b.WriteString("</AccessControlPolicy>")
	if odd && g.chance(0.1) {
		g.b.WriteString("\n<!-- trailing -->\n")
	}
	return []byte(g.b.String())
}

// dump renders an ACL output for failure messages.
func dump(out any) string {
	var owner *types.Owner
	var grants []types.Grant
	var extra string
	switch o := out.(type) {
	case *s3.GetObjectAclOutput:
		owner, grants, extra = o.Owner, o.Grants, "charged="+string(o.RequestCharged)
	case *s3.GetBucketAclOutput:
		owner, grants = o.Owner, o.Grants
	case *s3.GetBucketOwnershipControlsOutput:
		if o.OwnershipControls == nil {
			return "no controls"
		}
		return fmt.Sprintf("rules(nil=%v) %q", o.OwnershipControls.Rules == nil, o.OwnershipControls.Rules)
	case nil:
		return "<nil>"
	default:
		return fmt.Sprintf("%+v", out)
	}
	var b strings.Builder
	if owner != nil {
		fmt.Fprintf(&b, "owner{%q %q}", ptrText(owner.ID), ptrText(owner.DisplayName))
	}
	fmt.Fprintf(&b, " grants(nil=%v)[", grants == nil)
	for _, gr := range grants {
		if ge := gr.Grantee; ge != nil {
			fmt.Fprintf(&b, "{%q id=%s name=%s mail=%s uri=%s %s} ", ge.Type, ptrText(ge.ID), ptrText(ge.DisplayName),
				ptrText(ge.EmailAddress), ptrText(ge.URI), gr.Permission)
		} else {
			fmt.Fprintf(&b, "{no grantee %s} ", gr.Permission)
		}
	}
	return b.String() + "] " + extra
}

func ptrText(s *string) string {
	if s == nil {
		return "nil"
	}
	return fmt.Sprintf("%q", aws.ToString(s))
}

// newRand is a fixed-seed source for tests that need one document.
func newRand() *rand.Rand { return rand.New(rand.NewPCG(7, 8)) }
