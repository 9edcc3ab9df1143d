package genconf

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

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
	"num_masters",
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
// problem is reported at once as Errors (field paths of cluster.yaml),
// one message per problem. Render does not modify c and reads files only
// for method script.
func Render(c *config.Cluster) (*Files, error) {
	var errs errList
	cfg := newConfig()
	from := map[string]string{} // key -> cluster.yaml field it came from
	set := func(key, field string, v any) { cfg.set(key, v); from[key] = field }
	bad := func(key, field string) { cfg.bad(key); from[key] = field }

	if u, field := bootstrapURL(c, &errs); u != "" {
		set("bootstrap_url", field, u)
	} else {
		bad("bootstrap_url", field)
	}
	name := c.DCOS.ClusterName
	if name == "" {
		name = c.Name
	}
	switch {
	case name == "":
		errs.add("dcos.clusterName", "required (or set name)")
		bad("cluster_name", "dcos.clusterName")
	case unrenderable(name) != "":
		errs.add("dcos.clusterName", "%s", unrenderable(name))
		bad("cluster_name", "dcos.clusterName")
	default:
		set("cluster_name", "dcos.clusterName", name)
	}
	set("master_discovery", "dcos.config.master_discovery", "static")
	set("exhibitor_storage_backend", "dcos.config.exhibitor_storage_backend", "static")
	masters := masterIPs(c, &errs)
	switch {
	case len(masters) > 0:
		set("master_list", "nodes.masters", toAny(masters))
	case len(c.NodesOf(config.RoleMaster)) > 0:
		bad("master_list", "nodes.masters") // every address was refused above
	}
	if _, override := c.DCOS.Config["resolvers"]; !override {
		if dns, ok := checkedDNS(c.Network.DNS, &errs); ok {
			set("resolvers", "network.dns", dns)
		} else {
			bad("resolvers", "network.dns")
		}
	}
	if _, override := c.DCOS.Config["dns_search"]; !override && c.Network.SearchDomain != "" {
		s := c.Network.SearchDomain
		_, msg := checkDNSSearch(s)
		if msg == "" {
			msg = unrenderable(s)
		}
		if msg == "" && len(strings.Fields(s)) > 1 {
			msg = "one domain only (it is also the nodes' domain); give DC/OS several search domains with dcos.config.dns_search"
		}
		if msg != "" {
			errs.add("network.searchDomain", "%s", msg)
			bad("dns_search", "network.searchDomain")
		} else {
			set("dns_search", "network.searchDomain", s)
		}
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

	// dcos.config keys override the tool's defaults (master_discovery,
	// exhibitor_storage_backend).
	passKeys := passThrough(c.DCOS.Config, registry, cfg, &errs)
	numMasters(c, cfg, from, &errs)

	checkCombination(cfg, func(k string) string {
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

	entries := orderedEntries(cfg.values, passKeys)
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
	if err := verifyWritten(f.ConfigYAML, entries); err != nil {
		return nil, err
	}
	return f, nil
}

// numMasters: with master_discovery master_http_loadbalancer DC/OS 1.9
// needs num_masters. The tool installs exactly nodes.masters, so it
// writes that count, and a num_masters given in dcos.config must equal it
// (a larger quorum would wait for masters that are never installed).
func numMasters(c *config.Cluster, cfg *dcosConfig, from map[string]string, errs *errList) {
	if cfg.str("master_discovery", "") != "master_http_loadbalancer" {
		return
	}
	n := int64(len(c.NodesOf(config.RoleMaster)))
	given, ok := cfg.values["num_masters"].(int64)
	switch {
	case !cfg.given["num_masters"] && validMasterCount(int(n)):
		cfg.set("num_masters", n)
		from["num_masters"] = "nodes.masters"
	case !cfg.given["num_masters"]:
		cfg.bad("num_masters") // the master count is reported at nodes.masters
		from["num_masters"] = "nodes.masters"
	case ok && given != n:
		errs.add("dcos.config.num_masters", "is %d, but nodes.masters lists %d masters, which is what the installer installs; remove num_masters (it is written from nodes.masters) or make them agree", given, n)
	}
}

// verifyWritten reads config.yaml back the way DC/OS 1.9 does and checks
// that every key has exactly the value that was meant: a guard against a
// writer bug, not the main validation.
func verifyWritten(configYAML []byte, entries []entry) error {
	var errs errList
	values, ok := readYAML11(configYAML, &errs)
	if !ok || len(errs) > 0 {
		return fmt.Errorf("rendered config.yaml cannot be read back as YAML 1.1 (a bug in genconf): %w", errs.sorted())
	}
	if len(values) != len(entries) {
		return fmt.Errorf("rendered config.yaml reads back with %d keys, not %d (a bug in genconf)", len(values), len(entries))
	}
	for _, e := range entries {
		if !reflect.DeepEqual(values[e.key], e.value) {
			return fmt.Errorf("rendered config.yaml reads back a different value for %s (a bug in genconf)", e.key)
		}
	}
	checkValues(values, &errs)
	if problems := errs.asErrors(); len(problems) > 0 {
		return fmt.Errorf("rendered config.yaml breaks a DC/OS 1.9 rule (a bug in genconf): %w", errors.Join(problems...))
	}
	return nil
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

// passThrough checks dcos.config key by key in sorted order, recording
// each good value in cfg (and each refused one as given, so that no rule
// between keys repeats the problem), and returns the accepted keys sorted.
func passThrough(m map[string]any, registry bool, cfg *dcosConfig, errs *errList) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var good []string
	for _, k := range keys {
		field := "dcos.config." + k
		if msg := refuseKey(k, registry); msg != "" {
			errs.add(field, "%s", msg)
			markSuggested(cfg, k)
			continue
		}
		n, ok := normalize(m[k], field, errs)
		if !ok {
			cfg.bad(k)
			continue
		}
		v, sub, msg := checkValue(params[k], n)
		if msg != "" {
			errs.add(field+sub, "%s", msg)
			cfg.bad(k)
			continue
		}
		cfg.set(k, v)
		good = append(good, k)
	}
	return good
}

// markSuggested treats the key a typo stands for as given: the typo's
// message already names it, so "required" for it would be a second one.
func markSuggested(cfg *dcosConfig, typo string) {
	if s := suggest(typo); s != "" && !cfg.given[s] {
		cfg.given[s] = true
	}
}

// KeyProblems are the problems of the dcos.config keys alone (unknown
// parameters with a did-you-mean, keys the tool writes itself), for a
// report on a config that fails other checks: a typo is never hidden by
// another error.
func KeyProblems(c *config.Cluster) Errors {
	var errs errList
	registry := c.Registry.Server != ""
	keys := make([]string, 0, len(c.DCOS.Config))
	for k := range c.DCOS.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if why := refuseKey(k, registry); why != "" {
			errs.add("dcos.config."+k, "%s", why)
		}
	}
	return errs.sorted()
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
	return unknownKey(key)
}

// unknownKey says why key is not a parameter one may set in an
// on-premises DC/OS 1.9.10 config.yaml, or "".
func unknownKey(key string) string {
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
