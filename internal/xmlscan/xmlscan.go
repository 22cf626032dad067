// Package xmlscan walks XML documents held in memory for the scanner's fast
// decoders of S3 answers (ListObjectVersions pages, ACLs, ownership
// controls). It accepts a subset of XML on which its results equal
// encoding/xml's, the tokenizer of the AWS SDK's deserializers: anything
// outside the subset is an error, never a guess, and the decoders then hand
// the document to the SDK.
package xmlscan

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// Error says why a fast decoder refused a document. The refusal is not a
// verdict on the document: callers hand it to the SDK's deserializer,
// which is more lenient (CDATA, namespace prefixes, other date formats...).
type Error struct {
	Offset int
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("xmlscan: offset %d: %s", e.Offset, e.Reason)
}

// Scanner walks a complete XML document held in memory. It accepts a
// subset of XML on which its results equal encoding/xml's (the SDK's
// tokenizer): anything outside the subset is an error, never a guess.
// Subset: ASCII names (element names without a namespace prefix,
// attribute names with at most one), the five predefined
// entities and numeric character references, comments between elements,
// an <?xml?> declaration in the prolog. Not in it: CDATA, DOCTYPE, other
// processing instructions, raw '\r' in text (encoding/xml rewrites it).
type Scanner struct {
	b []byte
	i int
}

// Reset starts scanning document b.
func (s *Scanner) Reset(b []byte) { *s = Scanner{b: b} }

// AtEnd reports whether the whole document has been scanned.
func (s *Scanner) AtEnd() bool { return s.i == len(s.b) }

// Fail returns the error refusing the document at the current offset.
func (s *Scanner) Fail(reason string) error {
	return &Error{Offset: s.i, Reason: reason}
}

// textSpecial marks the bytes that end or complicate character data:
// markup, entity references, "]]>", control characters (including '\r',
// which encoding/xml would rewrite) and non-ASCII bytes (UTF-8 checks).
var textSpecial = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c < 0x20 && c != '\t' && c != '\n' || c == '<' || c == '&' || c == ']' || c >= 0x80
	}
	return t
}()

// nameByte marks the bytes allowed in element and attribute names.
var nameByte = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-'
	}
	return t
}()

// inCharRange is encoding/xml's isInCharacterRange: the XML 1.0 Char production.
func inCharRange(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// text scans character data from s.i up to the next '<' and validates it.
// It returns the raw bytes and whether they hold entity references (to be
// expanded with AppendText). quote > 0 scans an attribute value up to that
// quote instead, consuming the quote.
func (s *Scanner) text(quote byte) (raw []byte, hasEntity bool, err error) {
	b := s.b
	start := s.i
	i := start
	for i < len(b) {
		// Skip eight plain bytes at a time: none below 0x20, none at or
		// above 0x80, none of '<', '&', ']' or the quote.
		for i+8 <= len(b) && plain8(binary.LittleEndian.Uint64(b[i:]), quote) {
			i += 8
		}
		if i >= len(b) {
			break
		}
		c := b[i]
		if quote != 0 && c == quote {
			s.i = i + 1
			return b[start:i], hasEntity, nil
		}
		if !textSpecial[c] {
			i++
			continue
		}
		switch {
		case c == '<':
			if quote != 0 {
				s.i = i
				return nil, false, s.Fail("'<' in attribute value")
			}
			s.i = i
			return b[start:i], hasEntity, nil
		case c == '&':
			_, n := entity(b[i:])
			if n == 0 {
				s.i = i
				return nil, false, s.Fail("invalid entity reference")
			}
			hasEntity = true
			i += n
		case c == ']':
			if quote == 0 && i+2 < len(b) && b[i+1] == ']' && b[i+2] == '>' {
				s.i = i
				return nil, false, s.Fail("]]> in text")
			}
			i++
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 || !inCharRange(r) {
				s.i = i
				return nil, false, s.Fail("invalid UTF-8 or character")
			}
			i += size
		default:
			s.i = i
			return nil, false, s.Fail("control character in text")
		}
	}
	s.i = i
	return nil, false, s.Fail("unexpected end of document in text")
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// hasZeroByte reports whether any byte of x is zero (classic SWAR test).
func hasZeroByte(x uint64) bool { return (x-lsb)&^x&msb != 0 }

// plain8 reports whether the eight bytes in x are all plain text bytes:
// 0x20..0x7f and none of '<', '&', ']' or quote (0 = no quote).
func plain8(x uint64, quote byte) bool {
	if x&msb != 0 || (x-0x20*lsb)&msb != 0 {
		return false
	}
	if hasZeroByte(x^('<'*lsb)) || hasZeroByte(x^('&'*lsb)) || hasZeroByte(x^(']'*lsb)) {
		return false
	}
	return quote == 0 || !hasZeroByte(x^(uint64(quote)*lsb))
}

// entity decodes the entity reference at the start of b ("&...;"). It
// returns the rune and the reference's length, or n == 0 when encoding/xml
// would reject it or when the rune is not an XML character.
func entity(b []byte) (r rune, n int) {
	if len(b) < 3 || b[0] != '&' {
		return 0, 0
	}
	if b[1] != '#' {
		switch {
		case bytes.HasPrefix(b, []byte("&amp;")):
			return '&', 5
		case bytes.HasPrefix(b, []byte("&lt;")):
			return '<', 4
		case bytes.HasPrefix(b, []byte("&gt;")):
			return '>', 4
		case bytes.HasPrefix(b, []byte("&quot;")):
			return '"', 6
		case bytes.HasPrefix(b, []byte("&apos;")):
			return '\'', 6
		}
		return 0, 0
	}
	i := 2
	base := rune(10)
	if b[i] == 'x' {
		base = 16
		i++
	}
	digits := i
	var v rune
	for ; i < len(b); i++ {
		c := b[i]
		var d rune
		switch {
		case '0' <= c && c <= '9':
			d = rune(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			d = rune(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			d = rune(c-'A') + 10
		default:
			goto end
		}
		v = v*base + d
		if v > utf8.MaxRune {
			return 0, 0
		}
	}
end:
	if i == digits || i >= len(b) || b[i] != ';' || !inCharRange(v) {
		return 0, 0
	}
	return v, i + 1
}

// AppendText appends raw character data to dst with entity references
// expanded. raw must have been validated by text.
func AppendText(dst, raw []byte) []byte {
	for {
		j := bytes.IndexByte(raw, '&')
		if j < 0 {
			return append(dst, raw...)
		}
		dst = append(dst, raw[:j]...)
		r, n := entity(raw[j:])
		dst = utf8.AppendRune(dst, r)
		raw = raw[j+n:]
	}
}

// isSpace is encoding/xml's markup whitespace.
func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// SkipSpace skips markup white space.
func (s *Scanner) SkipSpace() {
	for s.i < len(s.b) && isSpace(s.b[s.i]) {
		s.i++
	}
}

// name scans an element or attribute name at s.i. Element names with a
// namespace prefix are refused (allowColon false): the SDK matches on the
// local part and the fast path does not try to.
func (s *Scanner) name(allowColon bool) ([]byte, error) {
	start := s.i
	b := s.b
	i := s.i
	if i >= len(b) || !(b[i] == '_' || 'a' <= b[i] && b[i] <= 'z' || 'A' <= b[i] && b[i] <= 'Z') {
		return nil, s.Fail("a name must start with a letter or '_'")
	}
	for i < len(b) && nameByte[b[i]] {
		i++
	}
	for allowColon && i < len(b) && (nameByte[b[i]] || b[i] == ':') {
		i++
	}
	s.i = i
	if s.i == start {
		return nil, s.Fail("expected a name")
	}
	if s.i < len(s.b) && (s.b[s.i] == ':' || s.b[s.i] >= utf8.RuneSelf) {
		return nil, s.Fail("namespace prefix or non-ASCII name")
	}
	if allowColon && bytes.Count(b[start:i], []byte(":")) > 1 {
		// encoding/xml refuses it ("expected attribute name in element").
		return nil, s.Fail("a name with more than one colon")
	}
	return s.b[start:s.i], nil
}

// Attr is an attribute of a start tag as written: Name with its prefix, if
// any, and Value raw (expand it with AppendText when Entity).
type Attr struct {
	Name, Value []byte
	Entity      bool
}

// attrsAndClose scans the attributes of a start tag and its end ('>' or
// "/>"), validating attribute values as encoding/xml does, and appends the
// attributes to *attrs unless attrs is nil.
func (s *Scanner) attrsAndClose(attrs *[]Attr) (selfClosing bool, err error) {
	for {
		s.SkipSpace()
		if s.i >= len(s.b) {
			return false, s.Fail("unexpected end of document in tag")
		}
		switch s.b[s.i] {
		case '>':
			s.i++
			return false, nil
		case '/':
			if s.i+1 < len(s.b) && s.b[s.i+1] == '>' {
				s.i += 2
				return true, nil
			}
			return false, s.Fail("expected '/>'")
		}
		name, err := s.name(true)
		if err != nil {
			return false, err
		}
		s.SkipSpace()
		if s.i >= len(s.b) || s.b[s.i] != '=' {
			return false, s.Fail("attribute without '='")
		}
		s.i++
		s.SkipSpace()
		if s.i >= len(s.b) || s.b[s.i] != '"' && s.b[s.i] != '\'' {
			return false, s.Fail("unquoted attribute value")
		}
		q := s.b[s.i]
		s.i++
		value, entity, err := s.text(q)
		if err != nil {
			return false, err
		}
		if attrs != nil {
			*attrs = append(*attrs, Attr{Name: name, Value: value, Entity: entity})
		}
	}
}

// StartTag scans "<name attrs>" at s.i (which must be at '<' followed by a
// name start).
func (s *Scanner) StartTag() (name []byte, selfClosing bool, err error) {
	s.i++ // '<'
	if name, err = s.name(false); err != nil {
		return nil, false, err
	}
	selfClosing, err = s.attrsAndClose(nil)
	return name, selfClosing, err
}

// StartTagAttrs is StartTag that also appends the tag's attributes, in
// document order, to attrs.
func (s *Scanner) StartTagAttrs(attrs []Attr) (name []byte, all []Attr, selfClosing bool, err error) {
	s.i++ // '<'
	if name, err = s.name(false); err != nil {
		return nil, attrs, false, err
	}
	selfClosing, err = s.attrsAndClose(&attrs)
	return name, attrs, selfClosing, err
}

// EndTag scans "</name>" at s.i and checks it closes want.
func (s *Scanner) EndTag(want []byte) error {
	if j := s.i + 2 + len(want); j < len(s.b) && s.b[s.i] == '<' && s.b[s.i+1] == '/' && s.b[j] == '>' && string(s.b[s.i+2:j]) == string(want) {
		s.i = j + 1
		return nil
	}
	if !bytes.HasPrefix(s.b[s.i:], []byte("</")) {
		return s.Fail("expected an end tag")
	}
	s.i += 2
	got, err := s.name(false)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return s.Fail("mismatched end tag")
	}
	s.SkipSpace()
	if s.i >= len(s.b) || s.b[s.i] != '>' {
		return s.Fail("expected '>' after end tag name")
	}
	s.i++
	return nil
}

// comment skips "<!--...-->" at s.i; "--" inside is an error as in encoding/xml.
func (s *Scanner) comment() error {
	s.i += 4
	end := bytes.Index(s.b[s.i:], []byte("--"))
	if end < 0 || s.i+end+2 >= len(s.b) || s.b[s.i+end+2] != '>' {
		return s.Fail("bad comment")
	}
	s.i += end + 3
	return nil
}

// Kind is what the next markup is, after character data (Next).
type Kind int

// What Next found.
const (
	KindStart Kind = iota // a start tag at the current offset
	KindEnd               // an end tag at the current offset
	KindEOF               // the end of the document
)

// Next skips character data (validated, ignored) and comments between
// elements, and says whether a start tag or an end tag follows.
// Non-whitespace text between elements is ignored, as the SDK does.
func (s *Scanner) Next() (Kind, error) {
	for {
		if s.i < len(s.b) && s.b[s.i] != '<' {
			if _, _, err := s.text(0); err != nil {
				return 0, err
			}
		}
		if s.i >= len(s.b) {
			return KindEOF, nil
		}
		if s.i+1 >= len(s.b) {
			return 0, s.Fail("unexpected end of document")
		}
		switch c := s.b[s.i+1]; {
		case c == '/':
			return KindEnd, nil
		case c == '!':
			if !bytes.HasPrefix(s.b[s.i:], []byte("<!--")) {
				return 0, s.Fail("CDATA or directive")
			}
			if err := s.comment(); err != nil {
				return 0, err
			}
		case c == '?':
			return 0, s.Fail("processing instruction")
		default:
			return KindStart, nil
		}
	}
}

// NextChild moves to the next child element of parent, the element whose
// start tag was scanned last, skipping text and comments: true at the
// child's start tag (scan it with StartTag or StartTagAttrs), false once
// parent's end tag is scanned.
func (s *Scanner) NextChild(parent []byte) (bool, error) {
	kind, err := s.Next()
	switch {
	case err != nil:
		return false, err
	case kind == KindEOF:
		return false, s.Fail("unexpected end of document")
	case kind == KindEnd:
		return false, s.EndTag(parent)
	}
	return true, nil
}

// SkipElement skips the content and end tag of the element name whose start
// tag was just scanned, checking that the nesting is well formed.
func (s *Scanner) SkipElement(name []byte, stack [][]byte) error {
	stack = append(stack[:0], name)
	for len(stack) > 0 {
		kind, err := s.Next()
		if err != nil {
			return err
		}
		switch kind {
		case KindEOF:
			return s.Fail("unexpected end of document in element")
		case KindEnd:
			if err := s.EndTag(stack[len(stack)-1]); err != nil {
				return err
			}
			stack = stack[:len(stack)-1]
		case KindStart:
			child, selfClosing, err := s.StartTag()
			if err != nil {
				return err
			}
			if !selfClosing {
				stack = append(stack, child)
			}
		}
	}
	return nil
}

// Value scans the text-only content and end tag of element name, as the
// SDK's NodeDecoder.Value accepts it: character data (possibly none) then
// the end tag. It returns the raw text; use AppendText when hasEntity.
func (s *Scanner) Value(name []byte, selfClosing bool) (raw []byte, hasEntity bool, err error) {
	if selfClosing {
		return nil, false, nil
	}
	if s.i < len(s.b) && s.b[s.i] != '<' {
		if raw, hasEntity, err = s.text(0); err != nil {
			return nil, false, err
		}
	}
	return raw, hasEntity, s.EndTag(name)
}

// Prolog skips what may precede the root element: whitespace, comments and
// an XML declaration with version 1.0 and encoding UTF-8 (or none).
func (s *Scanner) Prolog() error {
	for {
		s.SkipSpace()
		switch {
		case bytes.HasPrefix(s.b[s.i:], []byte("<?xml")) && s.i+5 < len(s.b) && isSpace(s.b[s.i+5]):
			end := bytes.Index(s.b[s.i:], []byte("?>"))
			if end < 0 {
				return s.Fail("unterminated XML declaration")
			}
			decl := s.b[s.i+5 : s.i+end]
			if !declOK(decl) {
				return s.Fail("XML declaration other than version 1.0, UTF-8")
			}
			s.i += end + 2
		case bytes.HasPrefix(s.b[s.i:], []byte("<!--")):
			if err := s.comment(); err != nil {
				return err
			}
		case s.i < len(s.b) && s.b[s.i] == '<' && s.i+1 < len(s.b) && nameByte[s.b[s.i+1]]:
			return nil
		default:
			return s.Fail("expected the root element")
		}
	}
}

// declOK accepts the pseudo-attributes of an XML declaration that
// encoding/xml accepts without a CharsetReader: version 1.0, encoding UTF-8.
func declOK(decl []byte) bool {
	for _, f := range bytes.Fields(decl) {
		k, v, ok := bytes.Cut(f, []byte("="))
		if !ok || len(v) < 2 || v[0] != v[len(v)-1] || v[0] != '"' && v[0] != '\'' {
			return false
		}
		v = v[1 : len(v)-1]
		switch string(k) {
		case "version":
			if string(v) != "1.0" {
				return false
			}
		case "encoding":
			if !bytes.EqualFold(v, []byte("utf-8")) {
				return false
			}
		case "standalone":
		default:
			return false
		}
	}
	return true
}
