package config

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dcos-vsphere/dcos-vsphere/internal/textdist"
)

// maxNodes bounds the work done on one document, so that aliases
// expanding into millions of nodes ("billion laughs") stop early.
const maxNodes = 100000

// decoder walks a yaml.Node tree into Go values by the yaml tags of the
// schema types, strictly: unknown and duplicate keys, wrong types and
// nulls are errors with the line and column of the offending node.
type decoder struct {
	r       *report
	visited int
	tooBig  bool
	secrets []secretSite
}

// secretSite is a Secret field found while decoding, resolved afterwards.
type secretSite struct {
	path   string
	secret *Secret
}

var (
	secretType = reflect.TypeFor[Secret]()
	anyMapType = reflect.TypeFor[map[string]any]()
)

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// resolve follows aliases; it returns nil when the document is too big.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i > 100 {
			return nil
		}
		n = n.Alias
	}
	d.visited++
	if d.visited > maxNodes {
		if !d.tooBig {
			d.tooBig = true
			d.r.decodeErr(Pos{n.Line, n.Column}, "", fmt.Sprintf("document too large (more than %d values after expanding aliases)", maxNodes))
		}
		return nil
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// describe names what a node is, for "expected X, found Y" messages.
// showValue is false for secret fields.
func describe(n *yaml.Node, showValue bool) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	kind := map[string]string{
		"!!str": "string", "!!int": "integer", "!!float": "number", "!!bool": "boolean",
		"!!null": "null", "!!timestamp": "timestamp", "!!binary": "binary value",
	}[n.ShortTag()]
	if kind == "" {
		kind = "value tagged " + n.ShortTag()
	}
	if !showValue || n.ShortTag() == "!!null" {
		return kind
	}
	if n.ShortTag() == "!!str" {
		return fmt.Sprintf("%s %q", kind, n.Value)
	}
	return kind + " " + n.Value
}

// decode fills v (addressable) from n; path is v's field path.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n = d.resolve(n); n == nil {
		return
	}
	p := Pos{n.Line, n.Column}
	d.r.pos[path] = p
	if isNull(n) {
		d.r.decodeErr(p, path, "null value: give a value or remove the key to take the default")
		return
	}
	t := v.Type()
	switch {
	case t == secretType:
		d.decodeSecret(n, v.Addr().Interface().(*Secret), path)
		return
	case t == anyMapType:
		if m, ok := d.decodeAny(n, path).(map[string]any); ok {
			v.Set(reflect.ValueOf(m))
		} else if n.Kind != yaml.MappingNode {
			d.r.decodeErr(p, path, "expected a mapping of DC/OS config.yaml keys, found "+describe(n, true))
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Pointer:
		nv := reflect.New(t.Elem())
		d.decode(n, nv.Elem(), path)
		v.Set(nv)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.r.decodeErr(p, path, "expected a list, found "+describe(n, true))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.String:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
			msg := "expected a string, found " + describe(n, true)
			if n.Kind == yaml.ScalarNode {
				msg += " (put it in quotes)"
			}
			d.r.decodeErr(p, path, msg)
			return
		}
		v.SetString(n.Value)
	case reflect.Int:
		var i int64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil || i > math.MaxInt32 || i < math.MinInt32 {
			d.r.decodeErr(p, path, "expected an integer, found "+describe(n, true))
			return
		}
		v.SetInt(i)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			d.r.decodeErr(p, path, "expected true or false, found "+describe(n, true))
			return
		}
		v.SetBool(b)
	default:
		d.r.decodeErr(p, path, fmt.Sprintf("internal: no decoder for %s", t))
	}
}

// fieldInfo locates a yaml key inside a struct (through inline fields).
type fieldInfo struct {
	name  string
	index []int
}

func fieldsOf(t reflect.Type) []fieldInfo {
	var out []fieldInfo
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if opts == "inline" {
			for _, sub := range fieldsOf(f.Type) {
				out = append(out, fieldInfo{sub.name, append([]int{i}, sub.index...)})
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out = append(out, fieldInfo{name, []int{i}})
	}
	return out
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	p := Pos{n.Line, n.Column}
	if n.Kind != yaml.MappingNode {
		d.r.decodeErr(p, path, "expected a mapping, found "+describe(n, true))
		return
	}
	fields := fieldsOf(v.Type())
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k = d.resolve(k); k == nil {
			return
		}
		kp := Pos{k.Line, k.Column}
		if k.Kind != yaml.ScalarNode || isNull(k) {
			d.r.decodeErr(kp, path, "keys must be plain names, found "+describe(k, true))
			continue
		}
		if k.Value == "<<" && k.ShortTag() == "!!merge" {
			d.r.decodeErr(kp, path, "merge keys (<<) are not supported; write the fields out")
			continue
		}
		fp := joinPath(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			d.r.decodeErr(kp, fp, fmt.Sprintf("duplicate key %q (first set on line %d)", k.Value, first))
			continue
		}
		seen[k.Value] = k.Line
		var fi *fieldInfo
		for j := range fields {
			if fields[j].name == k.Value {
				fi = &fields[j]
				break
			}
		}
		if fi == nil {
			msg, guess := unknownField(k.Value, fields)
			d.r.decodeErr(kp, fp, msg)
			if guess != "" {
				// A typo of a field: "required" for it would repeat this error.
				d.r.markBad(joinPath(path, guess))
			}
			continue
		}
		d.r.keyPos[fp] = kp
		d.decode(val, v.FieldByIndex(fi.index), fp)
	}
}

// unknownField says a key is not in the schema and suggests the nearest
// field name, which it also returns ("" when nothing is close).
func unknownField(key string, fields []fieldInfo) (string, string) {
	names := make([]string, len(fields))
	best, bestDist := "", 3
	for i, f := range fields {
		names[i] = f.name
		if dist := textdist.Levenshtein(strings.ToLower(key), strings.ToLower(f.name)); dist < bestDist {
			best, bestDist = f.name, dist
		}
	}
	if best != "" {
		return fmt.Sprintf("unknown field %q; did you mean %q?", key, best), best
	}
	sort.Strings(names)
	return fmt.Sprintf("unknown field %q; known fields: %s", key, strings.Join(names, ", ")), ""
}

func (d *decoder) decodeSecret(n *yaml.Node, s *Secret, path string) {
	if err := s.UnmarshalYAML(n); err != nil {
		d.r.decodeErr(Pos{n.Line, n.Column}, path, err.Error())
		return
	}
	d.secrets = append(d.secrets, secretSite{path: path, secret: s})
}

// decodeAny decodes a pass-through DC/OS value. DC/OS 1.9 stringifies
// every value and crashes on nulls and floats, so those are errors here.
func (d *decoder) decodeAny(n *yaml.Node, path string) any {
	if n = d.resolve(n); n == nil {
		return nil
	}
	p := Pos{n.Line, n.Column}
	d.r.pos[path] = p
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := d.resolve(n.Content[i])
			if k == nil {
				return m
			}
			kp := Pos{k.Line, k.Column}
			if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
				d.r.decodeErr(kp, path, "DC/OS config keys must be strings, found "+describe(k, true))
				continue
			}
			fp := joinPath(path, k.Value)
			if first, dup := seen[k.Value]; dup {
				d.r.decodeErr(kp, fp, fmt.Sprintf("duplicate key %q (first set on line %d)", k.Value, first))
				continue
			}
			seen[k.Value] = k.Line
			d.r.keyPos[fp] = kp
			m[k.Value] = d.decodeAny(n.Content[i+1], fp)
		}
		return m
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			l = append(l, d.decodeAny(item, fmt.Sprintf("%s[%d]", path, i)))
		}
		return l
	}
	switch n.ShortTag() {
	case "!!str":
		return n.Value
	case "!!int":
		var i int64
		if err := n.Decode(&i); err != nil {
			d.r.decodeErr(p, path, "integer "+n.Value+" is out of range")
			return nil
		}
		return i
	case "!!bool":
		var b bool
		_ = n.Decode(&b)
		return b
	case "!!null":
		d.r.decodeErr(p, path, "null value: DC/OS 1.9 crashes on nulls (\"Invalid type for value\"); give a value or remove the key")
	case "!!float":
		d.r.decodeErr(p, path, fmt.Sprintf("number %s: DC/OS 1.9 crashes on floating-point values; quote it (%q) or use an integer", n.Value, n.Value))
	default:
		d.r.decodeErr(p, path, fmt.Sprintf("%s: DC/OS 1.9 accepts only strings, integers, booleans, lists and mappings; quote it", describe(n, true)))
	}
	return nil
}
