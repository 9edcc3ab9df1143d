package genconf

// The config.yaml writer. yaml.v3 decides quoting by YAML 1.2 rules, so on
// its own it writes strings such as "=", "<<", "._1" or
// "2001-12-14 21:59:43.10 -5" plain, and DC/OS 1.9's YAML 1.1 reader then
// fails or reads another value. Here every value is built as a node by
// hand: a string that a YAML 1.1 reader would not read back as the same
// string is double-quoted, as is every string with a character outside
// printable ASCII; the output is then made pure ASCII (see asciiEscape).

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// yamlNode builds the node of a normalized value (string, bool, int64,
// []any, map[string]any; mapping keys sorted).
func yamlNode(v any) (*yaml.Node, error) {
	switch x := v.(type) {
	case string:
		return stringNode(x)
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(x)}, nil
	case int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(x, 10)}, nil
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, item := range x {
			c, err := yamlNode(item)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, c)
		}
		return n, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, k := range keys {
			kn, err := stringNode(k)
			if err != nil {
				return nil, err
			}
			vn, err := yamlNode(x[k])
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, kn, vn)
		}
		return n, nil
	}
	return nil, fmt.Errorf("cannot write a value of type %T to config.yaml", v)
}

// stringNode is a string scalar that any YAML 1.1 reader reads back as s.
// Plain style is left to yaml.v3 (which still quotes what it resolves to
// another type, or needs quoting for its syntax) only for printable ASCII
// that no YAML 1.1 resolver takes for another type.
func stringNode(s string) (*yaml.Node, error) {
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("string %q is not valid UTF-8", s)
	}
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if !printableASCII(s) || plainIsNotString(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n, nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// asciiEscape replaces every non-ASCII character of yaml.v3's output by
// its YAML escape (\uXXXX or \UXXXXXXXX). That is only valid inside a
// double-quoted scalar, and only there can one occur: stringNode
// double-quotes every string that is not printable ASCII, and everything
// else the writer emits is ASCII. The result reads the same in any locale
// (the 1.9 generator's Python opens config.yaml with the locale's
// encoding).
func asciiEscape(b []byte) []byte {
	var out bytes.Buffer
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		switch {
		case r < utf8.RuneSelf:
			out.WriteByte(b[0])
		case r <= 0xffff:
			fmt.Fprintf(&out, `\u%04X`, r)
		default:
			fmt.Fprintf(&out, `\U%08X`, r)
		}
		b = b[size:]
	}
	return out.Bytes()
}

// encodeConfig writes entries in order as a YAML mapping (2-space indent,
// nested mappings sorted by key), after the header. With redact, secret
// values become **HIDDEN**.
func encodeConfig(entries []entry, redact bool) ([]byte, error) {
	doc := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, e := range entries {
		v := e.value
		if redact && params[e.key].secret {
			v = hidden
		}
		kn, err := stringNode(e.key)
		if err != nil {
			return nil, fmt.Errorf("encode config.yaml key %s: %w", e.key, err)
		}
		vn, err := yamlNode(v)
		if err != nil {
			return nil, fmt.Errorf("encode config.yaml key %s: %w", e.key, err)
		}
		doc.Content = append(doc.Content, kn, vn)
	}
	var buf bytes.Buffer
	buf.WriteString(header)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode config.yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode config.yaml: %w", err)
	}
	return asciiEscape(buf.Bytes()), nil
}
