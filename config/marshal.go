package config

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Marshal renders c as cluster.yaml, the inverse of Parse: every field
// by its yaml tag (so fields added to the schema are written without
// changes here), empty values left out, and the comments of the example
// `dcos-vsphere init` writes (example.yaml) on the same fields. Secrets
// appear only as their "${ENV}" reference or through their ...File
// sibling, never as a value: a Secret holding a value with neither is an
// error, so the document is always safe to show and to save.
func Marshal(c Cluster) ([]byte, error) {
	m := &marshaler{comments: exampleComments(), secretFiles: map[string]string{}, secretFileSet: map[string]bool{}}
	for _, f := range c.secretFields() {
		m.secretFiles[f.path] = f.filePath
		m.secretFileSet[f.path] = f.file != ""
	}
	root, _ := m.encode(reflect.ValueOf(c), "")
	if len(m.errs) > 0 {
		return nil, fmt.Errorf("marshal cluster %s: %s", c.Name, strings.Join(m.errs, "; "))
	}
	if root == nil {
		root = &yaml.Node{Kind: yaml.MappingNode}
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, HeadComment: m.comments[""].head, Content: []*yaml.Node{root}}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("marshal cluster %s: %w", c.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("marshal cluster %s: %w", c.Name, err)
	}
	return spaceSections(buf.Bytes()), nil
}

// spaceSections puts a blank line before every top-level key but the
// first (and before the comments above it), as example.yaml does.
func spaceSections(doc []byte) []byte {
	lines := strings.Split(string(doc), "\n")
	out := make([]string, 0, len(lines)+16)
	keys := 0
	for _, l := range lines {
		if l != "" && l[0] != ' ' && l[0] != '#' && l[0] != '-' {
			keys++
			if keys > 1 {
				// Move the blank line above the key's own comments.
				at := len(out)
				for at > 0 && strings.HasPrefix(out[at-1], "#") {
					at--
				}
				if at > 0 && out[at-1] != "" {
					out = append(out[:at], append([]string{""}, out[at:]...)...)
				}
			}
		}
		out = append(out, l)
	}
	return []byte(strings.Join(out, "\n"))
}

// fieldComments are the comments example.yaml has on one field.
type fieldComments struct{ head, line, foot string }

// exampleComments maps field paths ("vcenter.url"; "" for the document)
// to the comments example.yaml puts on them.
var exampleComments = sync.OnceValue(func() map[string]fieldComments {
	out := map[string]fieldComments{}
	var doc yaml.Node
	if err := yaml.Unmarshal(exampleYAML, &doc); err != nil || len(doc.Content) == 0 {
		panic(fmt.Sprintf("config: example.yaml does not parse: %v", err)) // caught by the tests
	}
	out[""] = fieldComments{head: doc.HeadComment}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := joinPath(path, k.Value)
			fc := fieldComments{head: k.HeadComment, line: k.LineComment, foot: k.FootComment}
			// yaml.v3 keeps a scalar's line comment on the value node.
			if fc.line == "" {
				fc.line = v.LineComment
			}
			out[p] = fc
			walk(v, p)
		}
	}
	walk(doc.Content[0], "")
	return out
})

type marshaler struct {
	comments      map[string]fieldComments
	secretFiles   map[string]string // secret path -> its ...File sibling's path
	secretFileSet map[string]bool   // secret path -> the sibling is set
	errs          []string
}

// encode returns the node for v at path, or nil when v is empty.
func (m *marshaler) encode(v reflect.Value, path string) (*yaml.Node, bool) {
	t := v.Type()
	switch {
	case t == secretType:
		return m.secret(v.Interface().(Secret), path)
	case t == anyMapType:
		if v.Len() == 0 {
			return nil, false
		}
		n := &yaml.Node{}
		if err := n.Encode(v.Interface()); err != nil {
			m.errs = append(m.errs, fmt.Sprintf("%s: %v", path, err))
			return nil, false
		}
		m.mapComments(n, path)
		return n, true
	}
	switch t.Kind() {
	case reflect.Struct:
		return m.mapping(v, path)
	case reflect.Pointer:
		if v.IsNil() {
			return nil, false
		}
		n, ok := m.encode(v.Elem(), path)
		if !ok {
			// A set pointer means something (ipDetectPublic: {}).
			n = &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
		}
		return n, true
	case reflect.Slice:
		if v.Len() == 0 {
			return nil, false
		}
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		flow := true
		for i := 0; i < v.Len(); i++ {
			item, ok := m.encode(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
			if !ok {
				item = zeroNode(t.Elem()) // a list keeps its empty items
			}
			if item.Kind == yaml.MappingNode {
				flow = false
				if allScalars(item) {
					item.Style = yaml.FlowStyle
				}
			}
			seq.Content = append(seq.Content, item)
		}
		if flow {
			seq.Style = yaml.FlowStyle
		}
		return seq, true
	case reflect.String:
		if v.String() == "" {
			return nil, false
		}
		n := scalar("!!str", v.String())
		if path == "vcenter.thumbprint" {
			n.Style = yaml.DoubleQuotedStyle // hex pairs and colons read better quoted
		}
		return n, true
	case reflect.Int:
		if v.Int() == 0 {
			return nil, false
		}
		return scalar("!!int", fmt.Sprint(v.Int())), true
	case reflect.Bool:
		if !v.Bool() {
			return nil, false
		}
		return scalar("!!bool", "true"), true
	}
	m.errs = append(m.errs, fmt.Sprintf("%s: internal: no encoder for %s", path, t))
	return nil, false
}

// zeroNode is the explicit empty value of type t.
func zeroNode(t reflect.Type) *yaml.Node {
	switch t.Kind() {
	case reflect.String:
		n := scalar("!!str", "")
		n.Style = yaml.DoubleQuotedStyle
		return n
	case reflect.Int:
		return scalar("!!int", "0")
	case reflect.Bool:
		return scalar("!!bool", "false")
	}
	return &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
}

func scalar(tag, value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
}

func allScalars(n *yaml.Node) bool {
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			return false
		}
	}
	return true
}

// secret writes the reference only. A value without one must be kept by
// the ...File sibling, or it would be lost (or leaked) on the way.
func (m *marshaler) secret(s Secret, path string) (*yaml.Node, bool) {
	switch {
	case s.Ref != "":
		n := scalar("!!str", s.Ref)
		n.Style = yaml.DoubleQuotedStyle
		return n, true
	case s.value != "" && !m.secretFileSet[path]:
		file := m.secretFiles[path]
		if file == "" {
			file = "its ...File field"
		}
		m.errs = append(m.errs, fmt.Sprintf(`%s holds a value but no "${ENV}" reference and %s is not set: secret values are never written`, path, file))
	}
	return nil, false
}

// mapping encodes a struct field by field (inline fields flattened) in
// schema order, with example.yaml's comments on the fields present.
func (m *marshaler) mapping(v reflect.Value, path string) (*yaml.Node, bool) {
	type entry struct {
		name     string
		key, val *yaml.Node
	}
	// Every field in schema order; absent ones (key nil) keep their place
	// for the comments.
	var fields []entry
	for _, f := range fieldsOf(v.Type()) {
		val, ok := m.encode(v.FieldByIndex(f.index), joinPath(path, f.name))
		if !ok {
			fields = append(fields, entry{name: f.name})
			continue
		}
		fields = append(fields, entry{name: f.name, key: scalar("!!str", f.name), val: val})
	}
	names := map[string]bool{}
	for _, e := range fields {
		if e.key != nil {
			names[e.name] = true
		}
	}
	if len(names) == 0 {
		return nil, false
	}
	n := &yaml.Node{Kind: yaml.MappingNode}
	var pending []string // comments of absent fields, placed before the next present one
	var last *yaml.Node
	for _, e := range fields {
		fc := m.comments[joinPath(path, e.name)]
		head := hintLines(fc.head, names)
		foot := hintLines(fc.foot, names)
		if e.key == nil {
			pending = appendComment(pending, head, foot)
			continue
		}
		e.key.HeadComment = strings.Join(appendComment(pending, head), "\n")
		pending = appendComment(nil, foot)
		line := fc.line
		if line == "" {
			line = m.hintFor(path, e.name)
		}
		if e.val.Kind == yaml.ScalarNode {
			e.val.LineComment = line
		} else {
			e.key.LineComment = line
		}
		n.Content = append(n.Content, e.key, e.val)
		last = e.key
	}
	if len(pending) > 0 && last != nil {
		last.FootComment = strings.Join(pending, "\n")
	}
	return n, true
}

// mapComments puts example.yaml's comments on the keys of a pass-through
// map (dcos.config) that the example has too; the comments of example
// keys the map lacks follow its last key. Hints for keys the map has are
// dropped, as for struct fields.
func (m *marshaler) mapComments(n *yaml.Node, path string) {
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		return
	}
	present := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		present[n.Content[i].Value] = true
	}
	var absent []string
	var keys []string
	for p := range m.comments {
		if parentPath(p) == path {
			keys = append(keys, p)
		}
	}
	sort.Strings(keys)
	for _, p := range keys {
		fc := m.comments[p]
		if !present[strings.TrimPrefix(p, path+".")] {
			absent = appendComment(absent, hintLines(fc.head, present), hintLines(fc.foot, present))
		}
	}
	var last *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		fc := m.comments[joinPath(path, k.Value)]
		k.HeadComment = hintLines(fc.head, present)
		k.FootComment = hintLines(fc.foot, present)
		if v.Kind == yaml.ScalarNode {
			v.LineComment = fc.line
		} else {
			k.LineComment = fc.line
		}
		last = k
	}
	if len(absent) > 0 {
		last.FootComment = strings.Join(appendComment(appendComment(nil, last.FootComment), absent...), "\n")
	}
}

// hintFor is the explanation of a commented-out "# name: value  # why"
// hint that example.yaml shows beside name's siblings, used as name's
// line comment when name is present and has none of its own.
func (m *marshaler) hintFor(path, name string) string {
	for p, fc := range m.comments {
		if parentPath(p) != path {
			continue // not a sibling
		}
		for _, text := range []string{fc.head, fc.foot} {
			for _, l := range strings.Split(text, "\n") {
				if mm := hintLine.FindStringSubmatch(l); mm != nil && mm[1] == name && mm[2] != "" {
					return "# " + mm[2]
				}
			}
		}
	}
	return ""
}

// hintLine is a commented-out key of the example, "# name: value" with
// an optional "  # why".
var hintLine = regexp.MustCompile(`^# ([A-Za-z][A-Za-z0-9]*):[^#]*(?:#\s*(.*))?$`)

// hintLines drops the "# name: value" hints for fields that are present:
// the document shows their real value instead.
func hintLines(comment string, present map[string]bool) string {
	if comment == "" {
		return ""
	}
	var keep []string
	for _, l := range strings.Split(comment, "\n") {
		if mm := hintLine.FindStringSubmatch(l); mm != nil && present[mm[1]] {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n")
}

func appendComment(list []string, texts ...string) []string {
	for _, t := range texts {
		if t != "" {
			list = append(list, t)
		}
	}
	return list
}

// DefaultDCOSConfig is the dcos.config that `dcos-vsphere init` writes
// (example.yaml) and the guided setup starts from: static Exhibitor
// storage, and OAuth and telemetry off (both need the internet).
func DefaultDCOSConfig() map[string]any {
	return map[string]any{
		"exhibitor_storage_backend": "static",
		"oauth_enabled":             false,
		"telemetry_enabled":         false,
	}
}
