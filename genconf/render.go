package genconf

import (
	"errors"
	"fmt"
	"sort"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// Paths of the rendered files relative to the directory that holds
// genconf/ (where dcos_generate_config.sh runs), as 1.9 expects them.
const (
	ConfigPath         = "genconf/config.yaml"
	IPDetectPath       = "genconf/ip-detect"
	IPDetectPublicPath = "genconf/ip-detect-public"
)

// toolKeyOrder is the fixed order of the keys dcos-vsphere writes itself,
// before the pass-through keys (which follow sorted by name).
var toolKeyOrder = []string{
	"bootstrap_url",
	"cluster_name",
	"master_discovery",
	"exhibitor_storage_backend",
	"master_list",
	"resolvers",
	"dns_search",
	"ip_detect_filename",
	"ip_detect_public_filename",
	"cluster_docker_credentials_enabled",
}

// ownedKeys are written from cluster.yaml fields; giving them in
// dcos.config is refused with the field to use instead.
var ownedKeys = map[string]string{
	"bootstrap_url":             "it is computed from nodes.bootstrap.ip and dcos.bootstrapPort (or set dcos.bootstrapURL)",
	"master_list":               "it is computed from nodes.masters",
	"agent_list":                "agents are never written to config.yaml (adding one later would change the DC/OS config id); list them in nodes.agents",
	"public_agent_list":         "agents are never written to config.yaml (adding one later would change the DC/OS config id); list them in nodes.publicAgents",
	"cluster_name":              "use dcos.clusterName (default: name)",
	"ip_detect_filename":        "use dcos.ipDetect",
	"ip_detect_public_filename": "use dcos.ipDetectPublic",
}

// registryKeys are owned while registry.server is set: the agents read
// /etc/mesosphere/docker_credentials, which these keys would move or
// replace.
var registryKeys = map[string]bool{
	"cluster_docker_credentials_enabled":      true,
	"cluster_docker_credentials_dcos_owned":   true,
	"cluster_docker_credentials_write_to_etc": true,
}

// servedCredentials is why cluster_docker_credentials is refused: 1.9
// puts them into the dcos-config package that the bootstrap node serves
// over plain, unauthenticated HTTP, and ties them to the config id (no
// rotation without a new DC/OS config).
const servedCredentials = "puts the registry password into the dcos-config package the bootstrap node serves over plain HTTP to anyone who can reach it (and it could never be rotated without a new DC/OS config); set registry.* instead: the agents then get /etc/mesosphere/docker_credentials (0600) and /etc/docker.tar.gz"

// entry is one top-level config.yaml key with its checked value.
type entry struct {
	key   string
	value any
}

// Render builds config.yaml and the ip-detect script(s) for c. Every
// problem is reported at once as Errors (field paths of cluster.yaml).
// Render does not modify c and reads files only for method script.
func Render(c *config.Cluster) (*Files, error) {
	var errs errList
	values := map[string]any{}
	from := map[string]string{} // key -> cluster.yaml field it came from

	set := func(key, field string, v any) { values[key], from[key] = v, field }

	if u := bootstrapURL(c, &errs); u != "" {
		field := "nodes.bootstrap.ip"
		if c.DCOS.BootstrapURL != "" {
			field = "dcos.bootstrapURL"
		}
		set("bootstrap_url", field, u)
	}
	name := c.DCOS.ClusterName
	if name == "" {
		name = c.Name
	}
	if name == "" {
		errs.add("dcos.clusterName", "required (or set name)")
	} else {
		set("cluster_name", "dcos.clusterName", name)
	}
	set("master_discovery", "dcos.config.master_discovery", "static")
	set("exhibitor_storage_backend", "dcos.config.exhibitor_storage_backend", "static")
	masters := masterIPs(c, &errs)
	if len(masters) > 0 {
		set("master_list", "nodes.masters", toAny(masters))
	}
	if dns := checkedDNS(c.Network.DNS, &errs); len(dns) > 0 {
		set("resolvers", "network.dns", dns)
	}
	if s := c.Network.SearchDomain; s != "" {
		if msg := checkDNSSearch(s); msg != "" {
			errs.add("network.searchDomain", "%s", msg)
		}
		set("dns_search", "network.searchDomain", s)
	}
	set("ip_detect_filename", "dcos.ipDetect", IPDetectPath)
	if c.DCOS.IPDetectPublic != nil {
		set("ip_detect_public_filename", "dcos.ipDetectPublic", IPDetectPublicPath)
	}
	// With a registry, DC/OS 1.9 gets only the switch: the Mesos agent
	// reads /etc/mesosphere/docker_credentials (--docker_config), which
	// the installer writes on every agent. The secret stays out of
	// config.yaml, the config id and genconf/serve.
	registry := c.Registry.Server != ""
	if registry && checkRegistry(c.Registry, &errs) {
		set("cluster_docker_credentials_enabled", "registry.server", true)
	}

	passKeys := passThrough(c.DCOS.Config, registry, &errs, func(key string, v any) {
		set(key, "dcos.config."+key, v) // overrides tool defaults such as resolvers
	})

	checkCombination(values, func(k string) string {
		if f, ok := from[k]; ok {
			return f
		}
		return "dcos.config." + k
	}, &errs)

	firstMaster := ""
	if len(masters) > 0 {
		firstMaster = masters[0]
	}
	f := &Files{}
	f.IPDetect = ipDetectScript(c.DCOS.IPDetect, firstMaster, "dcos.ipDetect", &errs)
	if c.DCOS.IPDetectPublic != nil {
		f.IPDetectPublic = ipDetectScript(*c.DCOS.IPDetectPublic, firstMaster, "dcos.ipDetectPublic", &errs)
	}
	if len(errs) > 0 {
		return nil, errs.sorted()
	}

	entries := orderedEntries(values, passKeys)
	var err error
	if f.ConfigYAML, err = encodeConfig(entries, false); err != nil {
		return nil, err
	}
	if f.redacted, err = encodeConfig(entries, true); err != nil {
		return nil, err
	}
	for _, e := range entries {
		f.secret = f.secret || params[e.key].secret
	}
	// A guard, not the main validation: what Render wrote must pass the
	// same 1.9 rules a hand-written config.yaml is held to.
	if problems := Check(f.ConfigYAML); len(problems) > 0 {
		return nil, fmt.Errorf("rendered config.yaml breaks a DC/OS 1.9 rule (a bug in genconf): %w", errors.Join(problems...))
	}
	return f, nil
}

// orderedEntries puts the tool's keys first in toolKeyOrder, then the
// remaining pass-through keys sorted by name.
func orderedEntries(values map[string]any, passKeys []string) []entry {
	var out []entry
	done := map[string]bool{}
	for _, k := range toolKeyOrder {
		if v, ok := values[k]; ok {
			out = append(out, entry{k, v})
			done[k] = true
		}
	}
	for _, k := range passKeys { // already sorted
		if !done[k] {
			out = append(out, entry{k, values[k]})
		}
	}
	return out
}

// passThrough checks dcos.config key by key in sorted order, calling
// accept for each good one, and returns the accepted keys sorted.
func passThrough(cfg map[string]any, registry bool, errs *errList, accept func(string, any)) []string {
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var good []string
	for _, k := range keys {
		field := "dcos.config." + k
		if msg := refuseKey(k, registry); msg != "" {
			errs.add(field, "%s", msg)
			continue
		}
		n, ok := normalize(cfg[k], field, errs)
		if !ok {
			continue
		}
		v, msg := checkValue(params[k], n)
		if msg != "" {
			errs.add(field, "%s", msg)
			continue
		}
		accept(k, v)
		good = append(good, k)
	}
	return good
}

// refuseKey says why key may not be given in dcos.config, or "".
func refuseKey(key string, registry bool) string {
	if why, ok := ownedKeys[key]; ok {
		return "is written by dcos-vsphere; " + why
	}
	if registry && registryKeys[key] {
		return "is written by dcos-vsphere from registry.* while registry.server is set (the agents read /etc/mesosphere/docker_credentials)"
	}
	if key == "cluster_docker_credentials" {
		return servedCredentials
	}
	switch {
	case sshModeKeys[key]:
		return "is a parameter of the DC/OS SSH installer modes; the installer does its own SSH; use ssh.*"
	case calculatedKeys[key]:
		return "must be calculated by DC/OS 1.9, not set; remove it"
	case documentedOnly[key]:
		return "is documented for 1.9 but not read by DC/OS 1.9.10 (it would be silently ignored); remove it"
	case enterpriseKeys[key]:
		return "is a DC/OS Enterprise parameter; this installer targets DC/OS 1.9 open source"
	}
	if _, ok := params[key]; ok {
		return ""
	}
	if s := suggest(key); s != "" {
		return fmt.Sprintf("not a DC/OS 1.9 parameter (did you mean %s?)", s)
	}
	return "not a DC/OS 1.9 parameter"
}
