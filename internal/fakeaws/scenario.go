package fakeaws

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// maxScenarioErrors caps how many validation problems one error reports, so
// a badly broken generated file does not produce a wall of text.
const maxScenarioErrors = 10

// LoadScenario reads and parses a scenario file (see ParseScenario).
func LoadScenario(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenario: read: %w", err)
	}
	sc, err := ParseScenario(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return sc, nil
}

// ParseScenario decodes a scenario strictly: unknown keys, duplicate keys,
// wrong types and invalid values are errors that name the line and the key
// path, e.g. `scenario: line 12: buckets[0]: unknown key "writer"`. It then
// applies defaults, expands Generate into concrete accounts and buckets, and
// validates the result.
func ParseScenario(data []byte) (*Scenario, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("scenario: empty document")
		}
		return nil, fmt.Errorf("scenario: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("scenario: more than one YAML document")
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	sc := &Scenario{}
	nd := &nodeDecoder{lines: map[string]int{}}
	if err := nd.decode(root, reflect.ValueOf(sc).Elem(), ""); err != nil {
		return nil, err
	}
	if err := prepareScenario(sc, nd.lines); err != nil {
		return nil, err
	}
	return sc, nil
}

// prepareScenario applies defaults, expands Generate and validates; New runs
// it too, so hand-built scenarios get the same treatment as parsed ones. It
// is idempotent. lines maps key paths to YAML lines (nil for Go values).
func prepareScenario(sc *Scenario, lines map[string]int) error {
	v := &validator{lines: lines}
	v.validateBeforeDefaults(sc)
	if err := v.err(); err != nil {
		return err
	}
	applyDefaults(sc)
	expandGenerate(sc)
	v.validate(sc)
	return v.err()
}

// UnmarshalYAML reads a duration written like "20ms" or "1.5s".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("must be a duration like \"20ms\"")
	}
	if n.Value == "0" {
		*d = 0
		return nil
	}
	parsed, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("%q is not a duration like \"20ms\" or \"1.5s\"", n.Value)
	}
	*d = Duration(parsed)
	return nil
}

// MarshalYAML writes the duration back in Go notation.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// nodeDecoder walks a YAML node tree alongside the Go value it fills, so
// every error can name the line and the key path, and records the line of
// every path for later validation messages.
type nodeDecoder struct {
	lines map[string]int
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

func (nd *nodeDecoder) errf(n *yaml.Node, path, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	return fmt.Errorf("scenario: line %d: %s", n.Line, msg)
}

func (nd *nodeDecoder) decode(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if path != "" {
		nd.lines[path] = n.Line
	}
	if reflect.PointerTo(v.Type()).Implements(unmarshalerType) {
		if err := v.Addr().Interface().(yaml.Unmarshaler).UnmarshalYAML(n); err != nil {
			return nd.errf(n, path, "%s", err.Error())
		}
		return nil
	}
	isNull := n.Kind == yaml.ScalarNode && n.Tag == "!!null"
	switch v.Kind() {
	case reflect.Pointer:
		if isNull {
			return nil
		}
		elem := reflect.New(v.Type().Elem())
		if err := nd.decode(n, elem.Elem(), path); err != nil {
			return err
		}
		v.Set(elem)
		return nil
	case reflect.Struct:
		if isNull {
			return nil
		}
		return nd.decodeStruct(n, v, path)
	case reflect.Slice:
		if isNull {
			return nil
		}
		if n.Kind != yaml.SequenceNode {
			return nd.errf(n, path, "must be a list, got %s", describeNode(n))
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			if err := nd.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Map:
		if isNull {
			return nil
		}
		return nd.decodeMap(n, v, path)
	default:
		return nd.decodeScalar(n, v, path)
	}
}

func (nd *nodeDecoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.MappingNode {
		return nd.errf(n, path, "must be a mapping of keys, got %s", describeNode(n))
	}
	fields := map[string]int{}
	t := v.Type()
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if tag != "" && tag != "-" {
			fields[tag] = i
		}
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nd.errf(k, path, "keys must be plain words")
		}
		where := path
		if where == "" {
			where = "top level"
		}
		if prev, dup := seen[k.Value]; dup {
			return fmt.Errorf("scenario: line %d: duplicate key %q in %s (first at line %d)", k.Line, k.Value, where, prev)
		}
		seen[k.Value] = k.Line
		idx, ok := fields[k.Value]
		if !ok {
			return fmt.Errorf("scenario: line %d: unknown key %q in %s (known: %s)", k.Line, k.Value, where, knownKeys(fields))
		}
		if err := nd.decode(val, v.Field(idx), joinPath(path, k.Value)); err != nil {
			return err
		}
	}
	return nil
}

func (nd *nodeDecoder) decodeMap(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.MappingNode {
		return nd.errf(n, path, "must be a mapping, got %s", describeNode(n))
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nd.errf(k, path, "keys must be plain values")
		}
		kv := reflect.New(v.Type().Key()).Elem()
		if err := nd.decodeScalar(k, kv, path); err != nil {
			return err
		}
		if m.MapIndex(kv).IsValid() {
			return nd.errf(k, path, "duplicate key %q", k.Value)
		}
		ev := reflect.New(v.Type().Elem()).Elem()
		if err := nd.decode(val, ev, fmt.Sprintf("%s[%s]", path, strconv.Quote(k.Value))); err != nil {
			return err
		}
		m.SetMapIndex(kv, ev)
	}
	v.Set(m)
	return nil
}

func (nd *nodeDecoder) decodeScalar(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.ScalarNode {
		return nd.errf(n, path, "must be a single value, got %s", describeNode(n))
	}
	if n.Tag == "!!null" {
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(n.Value)
	case reflect.Bool:
		switch strings.ToLower(n.Value) {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			return nd.errf(n, path, "must be true or false, got %q", n.Value)
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 10, 64)
		if err != nil || v.OverflowInt(i) {
			return nd.errf(n, path, "must be a whole number, got %q", n.Value)
		}
		v.SetInt(i)
	case reflect.Float64:
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			return nd.errf(n, path, "must be a number, got %q", n.Value)
		}
		v.SetFloat(f)
	default:
		return nd.errf(n, path, "unsupported value type %s", v.Type())
	}
	return nil
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return strconv.Quote(n.Value)
	}
}

func knownKeys(fields map[string]int) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}
