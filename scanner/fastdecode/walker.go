package fastdecode

import (
	"strings"

	"github.com/ownerscan/ownerscan/internal/xmlscan"
)

// walker is what the decoders share: the scanner, walking elements the way
// the SDK's generated deserializers do, and the text values decoded so far.
type walker struct {
	s     xmlscan.Scanner
	attrs []xmlscan.Attr // of the start tag scanned last
	text  []byte         // decoded text values
	vals  []span         // values in text; a ref is an index in vals plus one
	skip  [][]byte       // SkipElement's stack
}

// span locates bytes in a buffer.
type span struct{ off, end int32 }

// ref is a decoded value: an index in walker.vals plus one; 0 when the
// element was absent.
type ref int32

// root starts on body and scans up to the root element's start tag. Like
// the SDK's deserializers, it does not look at the root's name.
func (w *walker) root(body []byte) (name []byte, selfClosing bool, err error) {
	w.s.Reset(body)
	w.text, w.vals = w.text[:0], w.vals[:0]
	if err := w.s.Prolog(); err != nil {
		return nil, false, err
	}
	return w.startTag()
}

// fold is the SDK's match of an element name: strings.EqualFold (names
// are ASCII here, so no Unicode folding applies).
func fold(name []byte, want string) bool {
	return len(name) == len(want) && strings.EqualFold(string(name), want)
}

// startTag scans a start tag, keeping its attributes in w.attrs.
func (w *walker) startTag() (name []byte, selfClosing bool, err error) {
	name, w.attrs, selfClosing, err = w.s.StartTagAttrs(w.attrs[:0])
	return name, selfClosing, err
}

// children calls child for each element in the element name whose start
// tag was just scanned, then scans its end tag. child must consume the
// element whole. Text between elements is ignored, as the SDK does.
func (w *walker) children(name []byte, selfClosing bool, child func(name []byte, selfClosing bool) error) error {
	if selfClosing {
		return nil
	}
	for {
		more, err := w.s.NextChild(name)
		if err != nil || !more {
			return err
		}
		cname, sc, err := w.startTag()
		if err != nil {
			return err
		}
		if err := child(cname, sc); err != nil {
			return err
		}
	}
}

// skipElement skips an element the SDK does not read.
func (w *walker) skipElement(name []byte, selfClosing bool) error {
	if selfClosing {
		return nil
	}
	return w.s.SkipElement(name, w.skip[:0])
}

// value decodes a text-only element into *r, as the SDK's NodeDecoder.Value
// reads it: an empty or self-closing element is the empty string.
func (w *walker) value(r *ref, name []byte, selfClosing bool) error {
	raw, entity, err := w.s.Value(name, selfClosing)
	if err != nil {
		return err
	}
	*r = w.add(raw, entity)
	return nil
}

// add keeps a value (raw text or an attribute value) and returns its ref.
func (w *walker) add(raw []byte, entity bool) ref {
	off := len(w.text)
	if entity {
		w.text = xmlscan.AppendText(w.text, raw)
	} else {
		w.text = append(w.text, raw...)
	}
	w.vals = append(w.vals, span{int32(off), int32(len(w.text))})
	return ref(len(w.vals))
}

// values turns the decoded values into strings sharing one allocation.
func (w *walker) values() []string {
	all := string(w.text)
	strs := make([]string, len(w.vals))
	for i, v := range w.vals {
		strs[i] = all[v.off:v.end]
	}
	return strs
}

func ptr(strs []string, r ref) *string {
	if r == 0 {
		return nil
	}
	return &strs[r-1]
}

func str(strs []string, r ref) string {
	if r == 0 {
		return ""
	}
	return strs[r-1]
}
