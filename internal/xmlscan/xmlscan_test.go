package xmlscan

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// walk scans body's root element to its end tag and returns what it saw:
// one line per start tag (with its attributes, values expanded) and per
// end tag, a self-closing tag giving both, as encoding/xml reports them.
func walk(body []byte) ([]string, error) {
	var s Scanner
	s.Reset(body)
	if err := s.Prolog(); err != nil {
		return nil, err
	}
	var trace []string
	var stack [][]byte
	var attrs []Attr
	start := func() error {
		name, all, selfClosing, err := s.StartTagAttrs(attrs[:0])
		if err != nil {
			return err
		}
		attrs = all
		line := "<" + string(name)
		for _, a := range all {
			line += fmt.Sprintf(" %s=%q", a.Name, AppendText(nil, a.Value))
		}
		trace = append(trace, line)
		if selfClosing {
			trace = append(trace, "</"+string(name))
		} else {
			stack = append(stack, name)
		}
		return nil
	}
	if err := start(); err != nil {
		return nil, err
	}
	for len(stack) > 0 {
		kind, err := s.Next()
		if err != nil {
			return nil, err
		}
		switch kind {
		case KindEOF:
			return nil, s.Fail("unexpected end of document")
		case KindEnd:
			top := stack[len(stack)-1]
			if err := s.EndTag(top); err != nil {
				return nil, err
			}
			trace = append(trace, "</"+string(top))
			stack = stack[:len(stack)-1]
		case KindStart:
			if err := start(); err != nil {
				return nil, err
			}
		}
	}
	return trace, nil
}

// stdWalk is walk by encoding/xml, the SDK's tokenizer: Token checks the
// document (nesting, names, namespaces), RawToken gives names as written.
func stdWalk(body []byte) ([]string, error) {
	check := xml.NewDecoder(bytes.NewReader(body))
	raw := xml.NewDecoder(bytes.NewReader(body))
	var trace []string
	depth := 0
	for {
		if _, err := check.Token(); err != nil {
			return nil, err
		}
		tok, err := raw.RawToken()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			line := "<" + prefixed(t.Name)
			for _, a := range t.Attr {
				line += fmt.Sprintf(" %s=%q", prefixed(a.Name), a.Value)
			}
			trace = append(trace, line)
			depth++
		case xml.EndElement:
			trace = append(trace, "</"+prefixed(t.Name))
			if depth--; depth == 0 {
				return trace, nil
			}
		}
	}
}

func prefixed(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// scannerSeeds are documents on either side of the subset's edges.
var scannerSeeds = []string{
	`<a/>`,
	`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<a x="1" y='2'><b/>text<!-- c --><c z="&amp;&#65;"></c></a>`,
	`<a xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><b xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"/></a>`,
	`<a p:q:r="1"/>`,
	`<a p:="1"/>`,
	`<a xmlns:="1"/>`,
	`<a b:c="1" b:c="2"/>`,
	`<a x = "1" ></a >`,
	`<a x="<"/>`,
	`<a x="1"y="2"/>`,
	`<a><b></a></b>`,
	`<p:a/>`,
	`<a>]]></a>`,
	"<a x=\"\r\"/>",
}

// FuzzScannerSubset: whatever the scanner accepts, encoding/xml accepts
// too, and both see the same elements and attributes.
func FuzzScannerSubset(f *testing.F) {
	for _, s := range scannerSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := walk(body)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error of another type: %v", err)
			}
			return
		}
		want, err := stdWalk(body)
		if err != nil {
			t.Fatalf("the scanner accepts what encoding/xml refuses (%v):\n%q", err, body)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("scanner and encoding/xml disagree on %q:\nscanner:  %q\nencoding: %q", body, got, want)
		}
	})
}

// TestScannerSeeds runs the seeds, and names those the scanner must refuse
// because encoding/xml does.
func TestScannerSeeds(t *testing.T) {
	for _, s := range scannerSeeds {
		got, err := walk([]byte(s))
		want, stdErr := stdWalk([]byte(s))
		switch {
		case err == nil && stdErr != nil:
			t.Errorf("%q: the scanner accepts what encoding/xml refuses: %v", s, stdErr)
		case err == nil && strings.Join(got, "\n") != strings.Join(want, "\n"):
			t.Errorf("%q: scanner %q, encoding/xml %q", s, got, want)
		}
	}
	// An attribute name with two colons is a syntax error to encoding/xml.
	if _, err := walk([]byte(`<a p:q:r="1"/>`)); err == nil {
		t.Error("the scanner accepts an attribute name with two colons")
	}
}
