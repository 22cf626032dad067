package fastdecode

import (
	"bytes"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ownerscan/ownerscan/internal/xmlscan"
)

// aclDecoder decodes an AccessControlPolicy document (the answer of
// GetBucketAcl and GetObjectAcl) into the Owner and Grants the SDK's
// deserializer makes of it, following its rules for odd documents too:
// element names match whatever their case; unknown elements and text
// between elements are ignored; a repeated Owner, or a repeated Grantee in
// one Grant, fills the first one again (a field present in the later one
// replaces the earlier value); repeated AccessControlLists add up; the
// root element's name is not checked (answerGuard does); nothing after the
// root element is read. A grantee's type is its xsi:type attribute as the
// SDK resolves namespace prefixes (see granteeType).
//
// A document outside what xmlscan accepts is refused, and the caller hands
// it to the SDK. Keep one decoder per goroutine: it reuses its buffers.
type aclDecoder struct {
	walker
	ns    []binding // namespace prefixes declared on the path to the current element
	nsBuf []byte    // their URIs

	hasOwner bool
	owner    ownerRefs
	hasList  bool // an AccessControlList was seen: Grants is not nil
	grants   []grantRefs
}

type ownerRefs struct{ displayName, id ref }

type grantRefs struct {
	hasGrantee                        bool
	typ                               ref
	displayName, email, id, uri, perm ref
}

// binding is a namespace prefix declared by an xmlns:prefix attribute.
type binding struct {
	prefix []byte // in the document
	uri    span   // in nsBuf
}

// xmlNamespace is the namespace encoding/xml gives the prefix "xml".
const xmlNamespace = "http://www.w3.org/XML/1998/namespace"

// decode reads body. On error the decoder's state is undefined and the
// document goes to the SDK.
func (d *aclDecoder) decode(body []byte) error {
	d.ns, d.nsBuf = d.ns[:0], d.nsBuf[:0]
	d.hasOwner, d.owner, d.hasList, d.grants = false, ownerRefs{}, false, d.grants[:0]
	root, sc, err := d.root(body)
	if err != nil {
		return err
	}
	d.declare()
	return d.children(root, sc, func(name []byte, sc bool) error {
		switch {
		case fold(name, "AccessControlList"):
			d.hasList = true
			mark := len(d.ns)
			d.declare()
			err := d.children(name, sc, func(name []byte, sc bool) error {
				if fold(name, "Grant") {
					return d.grant(name, sc)
				}
				return d.skipElement(name, sc)
			})
			d.ns = d.ns[:mark]
			return err
		case fold(name, "Owner"):
			d.hasOwner = true
			return d.children(name, sc, func(name []byte, sc bool) error {
				switch {
				case fold(name, "DisplayName"):
					return d.value(&d.owner.displayName, name, sc)
				case fold(name, "ID"):
					return d.value(&d.owner.id, name, sc)
				}
				return d.skipElement(name, sc)
			})
		}
		return d.skipElement(name, sc)
	})
}

func (d *aclDecoder) grant(name []byte, sc bool) error {
	d.grants = append(d.grants, grantRefs{})
	i := len(d.grants) - 1
	mark := len(d.ns)
	d.declare()
	err := d.children(name, sc, func(name []byte, sc bool) error {
		g := &d.grants[i]
		switch {
		case fold(name, "Grantee"):
			g.hasGrantee = true
			mark := len(d.ns)
			d.declare()
			d.granteeType(&g.typ, mark)
			err := d.children(name, sc, func(name []byte, sc bool) error {
				switch {
				case fold(name, "DisplayName"):
					return d.value(&g.displayName, name, sc)
				case fold(name, "EmailAddress"):
					return d.value(&g.email, name, sc)
				case fold(name, "ID"):
					return d.value(&g.id, name, sc)
				case fold(name, "URI"):
					return d.value(&g.uri, name, sc)
				}
				return d.skipElement(name, sc)
			})
			d.ns = d.ns[:mark]
			return err
		case fold(name, "Permission"):
			return d.value(&g.perm, name, sc)
		}
		return d.skipElement(name, sc)
	})
	d.ns = d.ns[:mark]
	return err
}

// attrName splits an attribute name as encoding/xml does: a prefix and a
// local part around one colon, both non-empty; otherwise no prefix.
func attrName(name []byte) (prefix, local []byte) {
	if p, l, ok := bytes.Cut(name, []byte(":")); ok && len(p) > 0 && len(l) > 0 {
		return p, l
	}
	return nil, name
}

// declare records the namespace prefixes the start tag in d.attrs declares
// (xmlns:prefix="uri"), for the elements inside it. The caller drops them
// (d.ns = d.ns[:mark]) after the element's end.
func (d *aclDecoder) declare() {
	for _, a := range d.attrs {
		if p, l := attrName(a.Name); string(p) == "xmlns" {
			d.ns = append(d.ns, binding{prefix: l, uri: d.nsValue(a)})
		}
	}
}

func (d *aclDecoder) nsValue(a xmlscan.Attr) span {
	off := len(d.nsBuf)
	if a.Entity {
		d.nsBuf = xmlscan.AppendText(d.nsBuf, a.Value)
	} else {
		d.nsBuf = append(d.nsBuf, a.Value...)
	}
	return span{int32(off), int32(len(d.nsBuf))}
}

// namespace is the namespace encoding/xml resolves an attribute's prefix
// to: "xml"'s own, else the innermost declaration's URI, else the prefix
// itself when nothing declares it.
func (d *aclDecoder) namespace(prefix []byte) []byte {
	if string(prefix) == "xml" {
		return []byte(xmlNamespace)
	}
	for i := len(d.ns) - 1; i >= 0; i-- {
		if bytes.Equal(d.ns[i].prefix, prefix) {
			return d.nsBuf[d.ns[i].uri.off:d.ns[i].uri.end]
		}
	}
	return prefix
}

// granteeType sets *typ from the Grantee start tag in d.attrs (whose
// declarations are in d.ns) the way the SDK does. encoding/xml replaces an
// attribute's prefix by its namespace URI; smithy-go then puts back the
// prefix of the tag's FIRST xmlns:prefix declaration where an attribute's
// URI equals that declaration's (restoreAttrNamespaces); the SDK takes the
// value of every attribute whose name, "space:local", equals "xsi:type"
// under strings.EqualFold. So S3's <Grantee xmlns:xsi="..." xsi:type="...">
// has a type, and a Grantee whose xsi prefix is declared on an ancestor
// has none.
func (d *aclDecoder) granteeType(typ *ref, mark int) {
	// d.ns[mark:] are the tag's own declarations, in document order.
	var first *binding
	if len(d.ns) > mark {
		first = &d.ns[mark]
	}
	for _, a := range d.attrs {
		prefix, local := attrName(a.Name)
		if string(prefix) == "xmlns" {
			continue // kept as written: never "xsi"
		}
		var space []byte // none for an attribute without a prefix...
		if prefix != nil {
			space = d.namespace(prefix)
		}
		// ...but one declared with the URI "" first gives it that prefix.
		if first != nil && bytes.Equal(space, d.nsBuf[first.uri.off:first.uri.end]) {
			space = first.prefix
		}
		// The colon folds to nothing else, so "space:local" folds to
		// "xsi:type" exactly when each side does.
		if bytes.EqualFold(space, []byte("xsi")) && fold(local, "type") {
			*typ = d.add(a.Value, a.Entity)
		}
	}
}

// ownerOf builds the SDK's Owner from the decoded refs; strs holds the
// values.
func (d *aclDecoder) ownerOf(strs []string) *types.Owner {
	if !d.hasOwner {
		return nil
	}
	return &types.Owner{DisplayName: ptr(strs, d.owner.displayName), ID: ptr(strs, d.owner.id)}
}

// grantsOf builds the SDK's Grants: nil without an AccessControlList, else
// every Grant in document order.
func (d *aclDecoder) grantsOf(strs []string) []types.Grant {
	if !d.hasList {
		return nil
	}
	grants := make([]types.Grant, len(d.grants))
	n := 0
	for _, g := range d.grants {
		if g.hasGrantee {
			n++
		}
	}
	grantees := make([]types.Grantee, n)
	n = 0
	for i, g := range d.grants {
		grants[i].Permission = types.Permission(str(strs, g.perm))
		if !g.hasGrantee {
			continue
		}
		ge := &grantees[n]
		n++
		ge.Type = types.Type(str(strs, g.typ))
		ge.DisplayName, ge.EmailAddress = ptr(strs, g.displayName), ptr(strs, g.email)
		ge.ID, ge.URI = ptr(strs, g.id), ptr(strs, g.uri)
		grants[i].Grantee = ge
	}
	return grants
}
