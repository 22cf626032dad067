package versionlist

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// DecodeError says why the fast decoder refused a document. The refusal is
// not a verdict on the document: callers hand it to the SDK's deserializer,
// which is more lenient (CDATA, namespace prefixes, other date formats...).
type DecodeError struct {
	Offset int
	Reason string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("versionlist: fast decode: offset %d: %s", e.Offset, e.Reason)
}

// xmlScanner walks a complete XML document held in memory. It accepts a
// subset of XML on which its results equal encoding/xml's (the SDK's
// tokenizer): anything outside the subset is an error, never a guess.
// Subset: ASCII names without namespace prefixes, the five predefined
// entities and numeric character references, comments between elements,
// an <?xml?> declaration in the prolog. Not in it: CDATA, DOCTYPE, other
// processing instructions, raw '\r' in text (encoding/xml rewrites it).
type xmlScanner struct {
	b []byte
	i int
}

func (s *xmlScanner) fail(reason string) error {
	return &DecodeError{Offset: s.i, Reason: reason}
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
// expanded with appendText). quote > 0 scans an attribute value up to that
// quote instead, consuming the quote.
func (s *xmlScanner) text(quote byte) (raw []byte, hasEntity bool, err error) {
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
				return nil, false, s.fail("'<' in attribute value")
			}
			s.i = i
			return b[start:i], hasEntity, nil
		case c == '&':
			_, n := entity(b[i:])
			if n == 0 {
				s.i = i
				return nil, false, s.fail("invalid entity reference")
			}
			hasEntity = true
			i += n
		case c == ']':
			if quote == 0 && i+2 < len(b) && b[i+1] == ']' && b[i+2] == '>' {
				s.i = i
				return nil, false, s.fail("]]> in text")
			}
			i++
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 || !inCharRange(r) {
				s.i = i
				return nil, false, s.fail("invalid UTF-8 or character")
			}
			i += size
		default:
			s.i = i
			return nil, false, s.fail("control character in text")
		}
	}
	s.i = i
	return nil, false, s.fail("unexpected end of document in text")
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

// appendText appends raw character data to dst with entity references
// expanded. raw must have been validated by text.
func appendText(dst, raw []byte) []byte {
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

func (s *xmlScanner) skipSpace() {
	for s.i < len(s.b) && isSpace(s.b[s.i]) {
		s.i++
	}
}

// name scans an element or attribute name at s.i. Element names with a
// namespace prefix are refused (allowColon false): the SDK matches on the
// local part and the fast path does not try to.
func (s *xmlScanner) name(allowColon bool) ([]byte, error) {
	start := s.i
	b := s.b
	i := s.i
	if i >= len(b) || !(b[i] == '_' || 'a' <= b[i] && b[i] <= 'z' || 'A' <= b[i] && b[i] <= 'Z') {
		return nil, s.fail("a name must start with a letter or '_'")
	}
	for i < len(b) && nameByte[b[i]] {
		i++
	}
	for allowColon && i < len(b) && (nameByte[b[i]] || b[i] == ':') {
		i++
	}
	s.i = i
	if s.i == start {
		return nil, s.fail("expected a name")
	}
	if s.i < len(s.b) && (s.b[s.i] == ':' || s.b[s.i] >= utf8.RuneSelf) {
		return nil, s.fail("namespace prefix or non-ASCII name")
	}
	return s.b[start:s.i], nil
}

// attrsAndClose scans the attributes of a start tag and its end ('>' or
// "/>"), validating attribute values as encoding/xml does.
func (s *xmlScanner) attrsAndClose() (selfClosing bool, err error) {
	for {
		s.skipSpace()
		if s.i >= len(s.b) {
			return false, s.fail("unexpected end of document in tag")
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
			return false, s.fail("expected '/>'")
		}
		if _, err := s.name(true); err != nil {
			return false, err
		}
		s.skipSpace()
		if s.i >= len(s.b) || s.b[s.i] != '=' {
			return false, s.fail("attribute without '='")
		}
		s.i++
		s.skipSpace()
		if s.i >= len(s.b) || s.b[s.i] != '"' && s.b[s.i] != '\'' {
			return false, s.fail("unquoted attribute value")
		}
		q := s.b[s.i]
		s.i++
		if _, _, err := s.text(q); err != nil {
			return false, err
		}
	}
}

// startTag scans "<name attrs>" at s.i (which must be at '<' followed by a
// name start).
func (s *xmlScanner) startTag() (name []byte, selfClosing bool, err error) {
	s.i++ // '<'
	if name, err = s.name(false); err != nil {
		return nil, false, err
	}
	selfClosing, err = s.attrsAndClose()
	return name, selfClosing, err
}

// endTag scans "</name>" at s.i and checks it closes want.
func (s *xmlScanner) endTag(want []byte) error {
	if j := s.i + 2 + len(want); j < len(s.b) && s.b[s.i] == '<' && s.b[s.i+1] == '/' && s.b[j] == '>' && string(s.b[s.i+2:j]) == string(want) {
		s.i = j + 1
		return nil
	}
	if !bytes.HasPrefix(s.b[s.i:], []byte("</")) {
		return s.fail("expected an end tag")
	}
	s.i += 2
	got, err := s.name(false)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return s.fail("mismatched end tag")
	}
	s.skipSpace()
	if s.i >= len(s.b) || s.b[s.i] != '>' {
		return s.fail("expected '>' after end tag name")
	}
	s.i++
	return nil
}

// comment skips "<!--...-->" at s.i; "--" inside is an error as in encoding/xml.
func (s *xmlScanner) comment() error {
	s.i += 4
	end := bytes.Index(s.b[s.i:], []byte("--"))
	if end < 0 || s.i+end+2 >= len(s.b) || s.b[s.i+end+2] != '>' {
		return s.fail("bad comment")
	}
	s.i += end + 3
	return nil
}

// tokenKind is what the next markup at s.i is, after character data.
type tokenKind int

const (
	tokStart tokenKind = iota
	tokEnd
	tokEOF
)

// next skips character data (validated, ignored) and comments between
// elements, and says whether a start tag or an end tag follows.
// Non-whitespace text between elements is ignored, as the SDK does.
func (s *xmlScanner) next() (tokenKind, error) {
	for {
		if s.i < len(s.b) && s.b[s.i] != '<' {
			if _, _, err := s.text(0); err != nil {
				return 0, err
			}
		}
		if s.i >= len(s.b) {
			return tokEOF, nil
		}
		if s.i+1 >= len(s.b) {
			return 0, s.fail("unexpected end of document")
		}
		switch c := s.b[s.i+1]; {
		case c == '/':
			return tokEnd, nil
		case c == '!':
			if !bytes.HasPrefix(s.b[s.i:], []byte("<!--")) {
				return 0, s.fail("CDATA or directive")
			}
			if err := s.comment(); err != nil {
				return 0, err
			}
		case c == '?':
			return 0, s.fail("processing instruction")
		default:
			return tokStart, nil
		}
	}
}

// skipElement skips the content and end tag of the element name whose start
// tag was just scanned, checking that the nesting is well formed.
func (s *xmlScanner) skipElement(name []byte, stack [][]byte) error {
	stack = append(stack[:0], name)
	for len(stack) > 0 {
		kind, err := s.next()
		if err != nil {
			return err
		}
		switch kind {
		case tokEOF:
			return s.fail("unexpected end of document in element")
		case tokEnd:
			if err := s.endTag(stack[len(stack)-1]); err != nil {
				return err
			}
			stack = stack[:len(stack)-1]
		case tokStart:
			child, selfClosing, err := s.startTag()
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

// value scans the text-only content and end tag of element name, as the
// SDK's NodeDecoder.Value accepts it: character data (possibly none) then
// the end tag. It returns the raw text; use appendText when hasEntity.
func (s *xmlScanner) value(name []byte, selfClosing bool) (raw []byte, hasEntity bool, err error) {
	if selfClosing {
		return nil, false, nil
	}
	if s.i < len(s.b) && s.b[s.i] != '<' {
		if raw, hasEntity, err = s.text(0); err != nil {
			return nil, false, err
		}
	}
	return raw, hasEntity, s.endTag(name)
}

// prolog skips what may precede the root element: whitespace, comments and
// an XML declaration with version 1.0 and encoding UTF-8 (or none).
func (s *xmlScanner) prolog() error {
	for {
		s.skipSpace()
		switch {
		case bytes.HasPrefix(s.b[s.i:], []byte("<?xml")) && s.i+5 < len(s.b) && isSpace(s.b[s.i+5]):
			end := bytes.Index(s.b[s.i:], []byte("?>"))
			if end < 0 {
				return s.fail("unterminated XML declaration")
			}
			decl := s.b[s.i+5 : s.i+end]
			if !declOK(decl) {
				return s.fail("XML declaration other than version 1.0, UTF-8")
			}
			s.i += end + 2
		case bytes.HasPrefix(s.b[s.i:], []byte("<!--")):
			if err := s.comment(); err != nil {
				return err
			}
		case s.i < len(s.b) && s.b[s.i] == '<' && s.i+1 < len(s.b) && nameByte[s.b[s.i+1]]:
			return nil
		default:
			return s.fail("expected the root element")
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
