package genconf

import (
	"fmt"
	"sort"

	"gopkg.in/yaml.v3"
)

// requiredKeys have no default in DC/OS 1.9 (an empty config.yaml fails
// with exactly these); master_list is required with static discovery.
var requiredKeys = []string{"bootstrap_url", "cluster_name", "master_discovery", "exhibitor_storage_backend"}

// Check validates a config.yaml (rendered or hand-written) against the
// DC/OS 1.9.10 rules: required keys, known keys only, no agent lists, no
// YAML null or float anywhere, true/false booleans, switch cases and
// their conditionally required keys, 1/3/5/7/9 unique IPv4 masters,
// bootstrap_url with a scheme and no trailing slash, and each
// parameter's own rule. Errors name the config.yaml key; nil means valid.
func Check(configYAML []byte) []error {
	var doc yaml.Node
	if err := yaml.Unmarshal(configYAML, &doc); err != nil {
		return []error{fmt.Errorf("config.yaml: %w", err)}
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return []error{&FieldError{Field: "config.yaml", Msg: "must be a YAML mapping"}}
	}
	var errs errList
	root := doc.Content[0]
	values := map[string]any{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		key := k.Value
		if _, dup := values[key]; dup {
			errs.add(key, "appears twice")
			continue
		}
		if !scanNode(v, key, &errs) {
			values[key] = nil
			continue
		}
		var raw any
		if err := v.Decode(&raw); err != nil {
			errs.add(key, "cannot decode: %v", err)
			continue
		}
		values[key] = raw
	}
	checked := map[string]any{}
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
			errs.add(key, "%s", refuseKey(key, false))
			continue
		case raw == nil:
			continue // reported by scanNode
		}
		n, ok := normalize(raw, key, &errs)
		if !ok {
			continue
		}
		v, msg := checkValue(p, n)
		if msg != "" {
			errs.add(key, "%s", msg)
			continue
		}
		checked[key] = v
	}
	for _, k := range requiredKeys {
		if _, ok := values[k]; !ok {
			errs.add(k, "required by DC/OS 1.9 (no default)")
		}
	}
	checkCombination(checked, func(k string) string { return k }, &errs)
	out := make([]error, 0, len(errs))
	for _, e := range errs.sorted() {
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// scanNode reports YAML nulls, floats, timestamps and aliases anywhere
// under n, which 1.9's stringifier cannot take.
func scanNode(n *yaml.Node, path string, errs *errList) bool {
	ok := true
	switch n.Kind {
	case yaml.AliasNode:
		errs.add(path, "YAML aliases are not allowed")
		return false
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			errs.add(path, "must not be null (DC/OS 1.9 fails on YAML null)")
			return false
		case "!!float":
			errs.add(path, "must not be a float (DC/OS 1.9 fails on floats)")
			return false
		case "!!str", "!!bool", "!!int":
			return true
		default:
			errs.add(path, "unsupported YAML type %s", n.ShortTag())
			return false
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			ok = scanNode(c, fmt.Sprintf("%s[%d]", path, i), errs) && ok
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			ok = scanNode(n.Content[i+1], path+"."+n.Content[i].Value, errs) && ok
		}
	}
	return ok
}
