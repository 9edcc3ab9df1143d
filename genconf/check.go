package genconf

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// requiredKeys have no default in DC/OS 1.9 (an empty config.yaml fails
// with exactly these); master_list is required with static discovery.
var requiredKeys = []string{"bootstrap_url", "cluster_name", "master_discovery", "exhibitor_storage_backend"}

// Check validates a config.yaml (rendered or hand-written) against the
// DC/OS 1.9.10 rules, reading it as 1.9 does (YAML 1.1, PyYAML 3.12's
// implicit types: yes is a boolean, 0x10 an integer, 2001-12-14 a date):
// required keys, known keys only, no agent lists, no YAML null, float,
// timestamp, merge or value scalar anywhere, true/false booleans, switch
// cases and their conditionally required keys, 1/3/5/7/9 unique IPv4
// masters, bootstrap_url with a scheme and no trailing slash, values 1.9
// can render, and each parameter's own rule. Errors name the config.yaml
// key; nil means valid.
func Check(configYAML []byte) []error {
	var errs errList
	values, ok := readYAML11(configYAML, &errs)
	if !ok {
		return errs.asErrors()
	}
	checkValues(values, &errs)
	return errs.asErrors()
}

// checkValues applies Check's rules to the values readYAML11 read, adding
// each problem to errs.
func checkValues(values map[string]any, errs *errList) {
	cfg := newConfig()
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		raw := values[key]
		p, known := params[key]
		switch {
		case key == "agent_list" || key == "public_agent_list":
			errs.add(key, "must not be in config.yaml (adding an agent later would change the DC/OS config id)")
			continue
		case !known:
			errs.add(key, "%s", unknownKey(key))
			markSuggested(cfg, key)
			continue
		case raw == nil: // the value could not be read; reported
			cfg.bad(key)
			continue
		}
		v, sub, msg := checkValue(p, raw)
		if msg != "" {
			errs.add(key+sub, "%s", msg)
			cfg.bad(key)
			continue
		}
		cfg.set(key, v)
	}
	for _, k := range requiredKeys {
		if !cfg.given[k] {
			errs.add(k, "required by DC/OS 1.9 (no default)")
		}
	}
	checkCombination(cfg, func(k string) string { return k }, errs)
}

// readYAML11 reads the top-level mapping of a config.yaml into normalized
// values (string, bool, int64, []any, map[string]any) the way PyYAML's
// safe_load resolves them. A key whose value cannot be taken is reported
// and kept with a nil value.
func readYAML11(data []byte, errs *errList) (map[string]any, bool) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		errs.add("config.yaml", "%v", err)
		return nil, false
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		errs.add("config.yaml", "must be a YAML mapping")
		return nil, false
	}
	root := doc.Content[0]
	values := map[string]any{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, ok := scalarKey(root.Content[i], "", errs)
		if !ok {
			continue
		}
		if _, dup := values[key]; dup {
			errs.add(key, "appears twice")
			continue
		}
		v, good := read11(root.Content[i+1], key, errs)
		if !good {
			v = nil
		}
		values[key] = v
	}
	return values, true
}

// scalarKey reads a mapping key, which must be a YAML 1.1 string.
func scalarKey(n *yaml.Node, parent string, errs *errList) (string, bool) {
	at := parent
	if at == "" {
		at = "config.yaml"
	}
	if n.Kind != yaml.ScalarNode {
		errs.add(at, "mapping keys must be strings")
		return "", false
	}
	if tag := scalarTag(n); tag != tagStr {
		errs.add(joinKey(parent, n.Value), "the key %q is read by YAML 1.1 as a %s, not a string; quote it", n.Value, tag)
		return "", false
	}
	return n.Value, true
}

func joinKey(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// scalarTag is the type PyYAML 3.12 gives a scalar node: its explicit
// tag, str for quoted and block scalars, else the implicit resolvers'.
func scalarTag(n *yaml.Node) yaml11Tag {
	if n.Style&yaml.TaggedStyle != 0 {
		switch n.Tag {
		case "!!str", "!":
			return tagStr
		case "!!int":
			return tagInt
		case "!!bool":
			return tagBool
		case "!!float":
			return tagFloat
		case "!!null":
			return tagNull
		case "!!timestamp":
			return tagTimestamp
		}
		return yaml11Tag("value tagged " + n.Tag)
	}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return tagStr
	}
	return resolvePlain(pyyaml312, n.Value)
}

// read11 converts a value node as PyYAML would, reporting what 1.9
// cannot load or stringify.
func read11(n *yaml.Node, path string, errs *errList) (any, bool) {
	switch n.Kind {
	case yaml.AliasNode:
		errs.add(path, "YAML aliases are not allowed")
		return nil, false
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		ok := true
		for i, c := range n.Content {
			var good bool
			out[i], good = read11(c, fmt.Sprintf("%s[%d]", path, i), errs)
			ok = ok && good
		}
		return out, ok
	case yaml.MappingNode:
		out := map[string]any{}
		ok := true
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, good := scalarKey(n.Content[i], path, errs)
			if !good {
				ok = false
				continue
			}
			if _, dup := out[k]; dup {
				errs.add(path+"."+k, "appears twice")
				ok = false
				continue
			}
			out[k], good = read11(n.Content[i+1], path+"."+k, errs)
			ok = ok && good
		}
		return out, ok
	}
	switch tag := scalarTag(n); tag {
	case tagStr:
		return n.Value, true
	case tagBool:
		switch strings.ToLower(n.Value) {
		case "yes", "true", "on":
			return true, true
		case "no", "false", "off":
			return false, true
		}
		errs.add(path, "%q is tagged !!bool but is not a YAML 1.1 boolean", n.Value)
	case tagInt:
		if v, ok := yaml11Int(n.Value); ok {
			return v, true
		}
		errs.add(path, "integer %s cannot be read (PyYAML fails on it, or it is out of range)", n.Value)
	case tagNull:
		errs.add(path, "must not be null (DC/OS 1.9 fails on YAML null: \"Invalid type for value\")")
	case tagFloat:
		errs.add(path, "must not be a float (DC/OS 1.9 fails on floats: \"Invalid type for value\"; YAML 1.1 reads %s as one: quote it)", n.Value)
	case tagTimestamp:
		errs.add(path, "YAML 1.1 reads %s as a date, on which DC/OS 1.9 fails; quote it", n.Value)
	case tagMerge:
		errs.add(path, "YAML 1.1 reads a plain << as a merge key, which DC/OS 1.9 cannot load as a value; quote it")
	case tagValue:
		errs.add(path, "YAML 1.1 reads a plain = as its value key, which DC/OS 1.9 cannot load; quote it")
	default:
		errs.add(path, "unsupported YAML type (%s)", tag)
	}
	return nil, false
}
