package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Limits on the policy text Parse accepts. S3 refuses bucket policies over
// 20 KB (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html),
// and a real policy nests five levels (document, statement list, statement,
// condition operator, condition key, value list): anything beyond these
// bounds did not come from S3 as it documents itself, and is refused
// before it can cost memory or stack.
const (
	// MaxDocumentBytes is the largest policy text parsed: S3's 20 KB
	// limit with room for whitespace S3 may count differently.
	MaxDocumentBytes = 64 << 10
	// MaxDepth is the deepest nesting of JSON arrays and objects parsed.
	MaxDepth = 16
	// MaxStatements is the most statements a document may hold.
	MaxStatements = 1000
)

// kind is the JSON type of a node.
type kind int

const (
	kindString kind = iota
	kindNumber
	kindBool
	kindNull
	kindArray
	kindObject
)

func (k kind) String() string {
	return [...]string{"a string", "a number", "a boolean", "null", "a list", "an object"}[k]
}

// node is one JSON value. Objects keep their members in document order and
// never hold a key twice (JSON allows it, IAM's parser does not, and which
// of two "Effect"s wins is not something to guess about).
type node struct {
	kind    kind
	text    string // string value, number as written, "true"/"false"
	items   []*node
	members []member
	raw     []byte // the value's own text, compacted; set for objects only
}

type member struct {
	key   string
	value *node
}

// field returns the member named key, or nil.
func (n *node) field(key string) *node {
	for _, m := range n.members {
		if m.key == key {
			return m.value
		}
	}
	return nil
}

// parseTree decodes one JSON value from text, refusing more than
// MaxDocumentBytes, nesting deeper than MaxDepth, duplicate keys and
// trailing data. It never panics on any input.
func parseTree(text []byte) (*node, error) {
	if len(text) > MaxDocumentBytes {
		return nil, fmt.Errorf("the policy is %d bytes, more than the %d this parser reads", len(text), MaxDocumentBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	p := &treeParser{dec: dec, text: text}
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the policy document")
	}
	return n, nil
}

type treeParser struct {
	dec  *json.Decoder
	text []byte
}

func (p *treeParser) value(depth int) (*node, error) {
	start := p.dec.InputOffset()
	tok, err := p.dec.Token()
	if err != nil {
		return nil, syntaxError(err)
	}
	switch t := tok.(type) {
	case string:
		return &node{kind: kindString, text: t}, nil
	case json.Number:
		return &node{kind: kindNumber, text: t.String()}, nil
	case bool:
		return &node{kind: kindBool, text: fmt.Sprint(t)}, nil
	case nil:
		return &node{kind: kindNull}, nil
	case json.Delim:
		if depth >= MaxDepth {
			return nil, fmt.Errorf("the policy nests deeper than %d levels", MaxDepth)
		}
		if t == '[' {
			return p.array(depth)
		}
		return p.object(depth, start)
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

func (p *treeParser) array(depth int) (*node, error) {
	n := &node{kind: kindArray}
	for p.dec.More() {
		item, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.items = append(n.items, item)
	}
	if _, err := p.dec.Token(); err != nil { // ']'
		return nil, syntaxError(err)
	}
	return n, nil
}

func (p *treeParser) object(depth int, start int64) (*node, error) {
	n := &node{kind: kindObject}
	for p.dec.More() {
		tok, err := p.dec.Token()
		if err != nil {
			return nil, syntaxError(err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errors.New("an object key is not a string")
		}
		if n.field(key) != nil {
			return nil, fmt.Errorf("the key %q appears twice in one object", clip(key))
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.members = append(n.members, member{key: key, value: v})
	}
	if _, err := p.dec.Token(); err != nil { // '}'
		return nil, syntaxError(err)
	}
	// The object's own text: from its '{' (after any whitespace before
	// it) to the '}' just read.
	end := p.dec.InputOffset()
	raw := bytes.TrimLeft(p.text[start:end], " \t\r\n,:")
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, syntaxError(err)
	}
	n.raw = buf.Bytes()
	return n, nil
}

func syntaxError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("the policy text ends in the middle of a JSON value")
	}
	return fmt.Errorf("the policy is not valid JSON: %v", err)
}

// clip shortens text quoted in an error message.
func clip(s string) string {
	const most = 60
	if len(s) <= most {
		return s
	}
	return s[:most] + "..."
}
