package genconf

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// This file walks every parameter of DC/OS 1.9.10 (the list extracted
// from gen/*.yaml, gen/calc.py, gen/build_deploy/bash.py and
// ssh/validate.py at tag 1.9.10, in testdata/genconf/dcos-1.9.10) and
// every validator of gen/calc.py: each parameter one may set has values
// 1.9.10 accepts (the tool must accept and write them) and values it
// refuses, crashes on or renders into invalid JSON (the tool must refuse
// them with one message). Values 1.9.10 accepts but the tool refuses are
// marked accepted19 with the reason: those are the deliberate
// strictnesses, listed in docs/dcos-1.9-rules.md too.
// TestAgainstDCOS1910 replays the same table against the real generator.

const dcos1910Dir = "../testdata/genconf/dcos-1.9.10/"

// outcome is what DC/OS 1.9.10 does with a value.
type outcome int

const (
	refused19  outcome = iota // its validation refuses it
	crashes19                 // it validates it, then --genconf (or its validation) crashes
	badJSON19                 // it renders it into one of its JSON files, which is then not JSON
	accepted19                // it accepts and renders it; the tool is deliberately stricter (why)
)

func (o outcome) String() string {
	return [...]string{"refused", "crashes", "invalid JSON", "accepted"}[o]
}

type badValue struct {
	v    any
	msg  string // part of the tool's one message
	by19 outcome
	why  string // accepted19 only: why the tool refuses it anyway
}

// paramCase is one parameter set through dcos.config.
type paramCase struct {
	ctx  map[string]any // other dcos.config keys it needs (its condition)
	good []any
	bad  []badValue
}

var (
	ctxZK      = map[string]any{"exhibitor_storage_backend": "zookeeper", "exhibitor_zk_hosts": "198.18.0.5:2181", "exhibitor_zk_path": "/dcos"}
	ctxS3      = map[string]any{"exhibitor_storage_backend": "aws_s3", "aws_region": "us-west-2", "s3_bucket": "b", "s3_prefix": "p", "exhibitor_explicit_keys": true, "aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "secret-example"}
	ctxAzure   = map[string]any{"exhibitor_storage_backend": "azure", "exhibitor_azure_account_name": "acct", "exhibitor_azure_account_key": "key-example", "exhibitor_azure_prefix": "dcos"}
	ctxSharedF = map[string]any{"exhibitor_storage_backend": "shared_filesystem", "exhibitor_fs_config_dir": "/mnt/exhibitor"}
	ctxLB      = merge(ctxSharedF, map[string]any{"master_discovery": "master_http_loadbalancer", "exhibitor_address": "198.18.0.9"})
	ctxProxy   = map[string]any{"use_proxy": true, "http_proxy": "http://proxy.example:3128", "https_proxy": "http://proxy.example:3128", "no_proxy": []any{}}
	ctxAll     = merge(merge(ctxZK, ctxS3), merge(ctxAzure, ctxSharedF))
)

func boolCase() paramCase {
	return paramCase{good: []any{true, "false"}, bad: []badValue{{v: "yes", msg: "must be true or false, got 'yes'", by19: refused19}}}
}

// looseBool is a true/false parameter 1.9.10 does not validate.
func looseBool(why string) paramCase {
	return paramCase{good: []any{true, "false"}, bad: []badValue{{v: "maybe", msg: "must be true or false", by19: accepted19, why: why}}}
}

func textCase(ctx map[string]any, good ...any) paramCase {
	return paramCase{ctx: ctx, good: good, bad: []badValue{{v: "a\nb", msg: "contains a line break (U+000A)", by19: crashes19}}}
}

func overlay(mut func(m map[string]any)) map[string]any {
	m := map[string]any{"vtep_subnet": "44.128.0.0/20", "vtep_mac_oui": "70:B3:D5:00:00:00",
		"overlays": []any{map[string]any{"name": "dcos", "subnet": "9.0.0.0/8", "prefix": int64(24)}}}
	if mut != nil {
		mut(m)
	}
	return m
}

func firstOverlay(m map[string]any) map[string]any { return m["overlays"].([]any)[0].(map[string]any) }

// passCases are the parameters set through dcos.config.
var passCases = map[string]paramCase{
	"master_discovery": {ctx: map[string]any{"exhibitor_address": "198.18.0.9", "exhibitor_storage_backend": "shared_filesystem", "exhibitor_fs_config_dir": "/mnt/x"},
		good: []any{"static", "master_http_loadbalancer"},
		bad:  []badValue{{v: "dns", msg: "must be one of 'static', 'master_http_loadbalancer', got 'dns'", by19: refused19}}},
	"exhibitor_storage_backend": {ctx: ctxAll, good: []any{"static", "zookeeper", "aws_s3", "azure", "shared_filesystem"},
		bad: []badValue{{v: "etcd", msg: "must be one of", by19: refused19},
			{v: "agent_only_group_no_exhibitor", msg: "must be one of", by19: accepted19, why: "a case of 1.9's switch for cloud agent-only groups: masters would run Exhibitor without any configuration"}}},
	"exhibitor_address": {ctx: ctxLB, good: []any{"198.18.0.9", "masters-lb.example"},
		bad: []badValue{{v: "", msg: "must not be empty", by19: accepted19, why: "EXHIBITOR_URI would be http://:8181/..."},
			{v: "a\nb", msg: "contains a line break", by19: crashes19}}},
	"num_masters": {ctx: ctxLB, good: []any{int64(3), "3"},
		bad: []badValue{{v: int64(4), msg: "must be 1, 3, 5, 7, or 9, got 4", by19: refused19},
			{v: "3.0", msg: "must be an integer", by19: crashes19},
			{v: int64(5), msg: "is 5, but nodes.masters lists 3 masters", by19: accepted19, why: "the installer installs the 3 masters of nodes.masters; a quorum of 5 would never form"},
			{v: " 3", msg: "must be written as a plain integer such as 3", by19: accepted19, why: "written into the master_count file as given"}}},
	"exhibitor_zk_hosts": {ctx: ctxZK, good: []any{"198.18.0.5:2181,198.18.0.6:2181"},
		bad: []badValue{{v: "zk://198.18.0.5:2181", msg: "without zk://", by19: refused19},
			{v: "", msg: "host:port,host:port", by19: accepted19, why: "Exhibitor gets no ZooKeeper to store its state in"}}},
	"exhibitor_zk_path": {ctx: ctxZK, good: []any{"/dcos"}, bad: []badValue{{v: "dcos", msg: "/path/to/znode", by19: refused19}}},
	"aws_region":        textCase(ctxS3, "us-west-2"),
	"s3_bucket":         textCase(ctxS3, "my-bucket"),
	"s3_prefix":         textCase(ctxS3, "dcos"),
	"exhibitor_explicit_keys": {ctx: ctxS3, good: []any{true, "false"},
		bad: []badValue{{v: "yes", msg: "must be true or false", by19: refused19}}},
	"aws_access_key_id":            textCase(ctxS3, "AKIAEXAMPLE"),
	"aws_secret_access_key":        textCase(ctxS3, "secret-example"),
	"exhibitor_azure_account_name": textCase(ctxAzure, "acct"),
	"exhibitor_azure_account_key":  textCase(ctxAzure, "key-example"),
	"exhibitor_azure_prefix":       textCase(ctxAzure, "dcos"),
	"exhibitor_fs_config_dir": {ctx: ctxSharedF, good: []any{"/mnt/exhibitor"},
		bad: []badValue{{v: "", msg: "must not be empty", by19: accepted19, why: "Exhibitor would get no shared directory"},
			{v: "a\nb", msg: "contains a line break", by19: crashes19}}},
	"exhibitor_admin_password": {good: []any{"s3cret-example", ""},
		bad: []badValue{{v: "a,b", msg: "contains a comma", by19: accepted19, why: "Exhibitor's Jetty realm line admin: <password>,admin would end the password at the comma"},
			{v: "secret\n", msg: "contains a line break", by19: crashes19}}},
	"resolvers": {good: []any{[]any{"198.18.0.1"}, []any{"198.18.0.1:53", "198.18.0.2"}, []any{}},
		bad: []badValue{{v: []any{"dns.example"}, msg: "not an IPv4 address", by19: refused19},
			{v: []any{"198.18.0.1", "198.18.0.1"}, msg: "duplicate", by19: refused19},
			{v: []any{"198.18.0.1:0"}, msg: "port must be a number between 1 and 65535", by19: refused19},
			{v: "198.18.0.1", msg: "must be a list, got a string", by19: refused19},
			{v: []any{"198.18.0.1: 53"}, msg: "port must be a number", by19: accepted19, why: "1.9's int() takes ' 53', but the resolver is written as \"198.18.0.1: 53\""}}},
	"dns_search": {good: []any{"a.example b.example", ""},
		bad: []badValue{{v: "a.example,b.example", msg: "commas are not allowed", by19: refused19},
			{v: "a b c d e f g", msg: "no more than 6 domains", by19: refused19},
			{v: "a.example\n", msg: "newlines are not allowed", by19: refused19}}},
	"dns_forward_zones": {good: []any{[]any{[]any{"corp.example", []any{[]any{"198.18.0.53", int64(53)}}}}, []any{}},
		bad: []badValue{{v: []any{[]any{"corp.example", []any{[]any{"ns.example", int64(53)}}}}, msg: "is not an IPv4 address", by19: refused19},
			{v: []any{[]any{int64(5), []any{}}}, msg: "zone must be a non-empty string", by19: refused19},
			{v: []any{[]any{"corp.example", []any{[]any{"198.18.0.53", "53"}}}}, msg: "port must be an integer", by19: accepted19, why: "the port would be the string \"53\" in spartan.json"},
			{v: []any{[]any{"", []any{[]any{"198.18.0.53", int64(53)}}}}, msg: "zone must be a non-empty string", by19: accepted19, why: "an empty zone name forwards nothing"}}},
	"dns_bind_ip_blacklist": {good: []any{[]any{"198.18.0.5"}, []any{}},
		bad: []badValue{{v: []any{"x"}, msg: "not an IPv4 address", by19: refused19},
			{v: []any{"198.18.0.5", "198.18.0.5"}, msg: "duplicate", by19: refused19}}},
	"master_dns_bindall": boolCase(),
	"mesos_dns_ip_sources": {good: []any{[]any{"host", "netinfo"}, []any{}},
		bad: []badValue{{v: "host", msg: "must be a list", by19: refused19},
			{v: []any{int64(1)}, msg: "item 0 must be a string", by19: refused19}}},
	"use_proxy": {ctx: map[string]any{"http_proxy": "http://p:3128", "https_proxy": "http://p:3128", "no_proxy": []any{}}, good: []any{true, "false"},
		bad: []badValue{{v: "yes", msg: "must be true or false", by19: refused19}}},
	"http_proxy":  textCase(ctxProxy, "http://proxy.example:3128"),
	"https_proxy": textCase(ctxProxy, "http://proxy.example:3128"),
	"no_proxy": {ctx: ctxProxy, good: []any{[]any{".example", "198.18.0.0/24"}, []any{}, []any{".a", ".a"}},
		bad: []badValue{{v: ".example", msg: "must be a list, got a string", by19: refused19},
			{v: []any{"a\nb"}, msg: "contains a line break", by19: crashes19},
			{v: []any{`a"b`}, msg: "contains a double quote or backslash", by19: accepted19, why: "the list is written between quotes into proxy.env (no_proxy=\"...\")"}}},
	"cluster_docker_credentials_enabled":      boolCase(),
	"cluster_docker_credentials_dcos_owned":   boolCase(),
	"cluster_docker_credentials_write_to_etc": boolCase(),
	"cluster_docker_registry_url":             textCase(nil, "https://registry.example", ""),
	"dcos_overlay_enable":                     boolCase(),
	"dcos_overlay_mtu": {good: []any{int64(1420), "1400", int64(9000)},
		bad: []badValue{{v: int64(500), msg: "must be at least 552, got 500", by19: refused19},
			{v: "big", msg: "must be an integer, got 'big'", by19: refused19},
			{v: "+1420", msg: "must be written as a plain integer such as 1420", by19: badJSON19},
			{v: " 1420", msg: "must be written as a plain integer such as 1420", by19: accepted19, why: "not rewritten silently; write 1420"}}},
	"dcos_overlay_config_attempts": {good: []any{int64(0), int64(10), "4"},
		bad: []badValue{{v: int64(11), msg: "between 0 and 10 inclusive, got 11", by19: refused19},
			{v: int64(-1), msg: "between 0 and 10 inclusive, got -1", by19: refused19}}},
	"dcos_overlay_network": {good: []any{overlay(nil), overlay(func(m map[string]any) {
		m["overlays"] = append(m["overlays"].([]any), map[string]any{"name": "apps", "subnet": "10.0.0.0/8", "prefix": int64(24)})
	})},
		bad: []badValue{{v: overlay(func(m map[string]any) { m["vtep_subnet"] = "44.128.0.1/20" }), msg: "has host bits set", by19: refused19},
			{v: overlay(func(m map[string]any) { firstOverlay(m)["subnet"] = "9.0.0.1/8" }), msg: "has host bits set", by19: refused19},
			{v: overlay(func(m map[string]any) { firstOverlay(m)["name"] = "a-very-long-name" }), msg: "1 to 13 characters", by19: refused19},
			{v: overlay(func(m map[string]any) { delete(m, "vtep_subnet") }), msg: "vtep_subnet is required", by19: refused19},
			{v: overlay(func(m map[string]any) { m["overlays"] = []any{} }), msg: "at least one overlay", by19: refused19},
			{v: overlay(func(m map[string]any) { delete(firstOverlay(m), "subnet") }), msg: "subnet is required", by19: crashes19},
			{v: overlay(func(m map[string]any) { m["vtep_subnet"] = "fd00::/64" }), msg: "must be an IPv4 network", by19: accepted19, why: "1.9.10's own message says only IPv4 is allowed; its navstar has no IPv6 overlay"},
			{v: overlay(func(m map[string]any) { m["vtep_mac_oui"] = "x" }), msg: "must be a MAC address", by19: accepted19, why: "navstar takes the OUI from a MAC address"},
			{v: overlay(func(m map[string]any) { firstOverlay(m)["prefix"] = int64(4) }), msg: "between 8 (the subnet's prefix length) and 32", by19: accepted19, why: "the per-agent prefix must lie inside the overlay subnet"},
			{v: "x", msg: "must be a mapping", by19: refused19}}},
	"dcos_overlay_network_default_name": {good: []any{"dcos"},
		bad: []badValue{{v: "other", msg: "is not one of the overlays (dcos)", by19: refused19},
			{v: "", msg: "must not be empty", by19: refused19}}},
	"mesos_log_retention_mb": {good: []any{int64(4000), "2048"},
		bad: []badValue{{v: int64(512), msg: "must be at least 1024, got 512", by19: refused19},
			{v: "lots", msg: "must be an integer, got 'lots'", by19: crashes19}}},
	"mesos_container_log_sink": {good: []any{"journald", "logrotate", "journald+logrotate"},
		bad: []badValue{{v: "syslog", msg: "must be one of 'journald', 'logrotate', 'journald+logrotate'", by19: accepted19, why: "1.9.10 defines validate_mesos_container_log_sink but does not register it; the journald logger module knows only these"},
			{v: `journald"`, msg: "must be one of", by19: badJSON19}}},
	"docker_remove_delay":          textCase(nil, "1hrs"),
	"docker_stop_timeout":          textCase(nil, "20secs"),
	"gc_delay":                     textCase(nil, "2days"),
	"enable_docker_gc":             boolCase(),
	"dcos_remove_dockercfg_enable": boolCase(),
	"enable_gpu_isolation":         boolCase(),
	"gpus_are_scarce":              boolCase(),
	"weights":                      textCase(nil, "slave_public=1", ""),
	"rexray_config": {good: []any{map[string]any{"rexray": map[string]any{"loglevel": "info"}}},
		bad: []badValue{{v: "x", msg: "must be a mapping, got a string", by19: refused19}}},
	"rexray_config_preset": {good: []any{"", "aws"},
		bad: []badValue{{v: "ec2", msg: "must be one of '', 'aws', got 'ec2'", by19: accepted19, why: "1.9.10 silently treats any other value as '' (a typo would go unnoticed)"}}},
	"enable_lb":                    boolCase(),
	"minuteman_min_named_ip":       {good: []any{"11.0.0.0"}, bad: []badValue{{v: "11.0.0", msg: "must be an IPv4 address", by19: refused19}}},
	"minuteman_max_named_ip":       {good: []any{"11.255.255.255"}, bad: []badValue{{v: "11.0.0", msg: "must be an IPv4 address", by19: refused19}}},
	"master_external_loadbalancer": textCase(nil, "dcos.example", ""),
	"oauth_enabled":                boolCase(),
	"oauth_available":              boolCase(),
	"oauth_issuer_url":             textCase(nil, "https://dcos.auth0.com/"),
	"oauth_client_id":              textCase(nil, "3yF5TOSzdlI45Q1xspxzeoGBe9fNxm9m"),
	"oauth_auth_redirector":        textCase(nil, "https://auth.dcos.io"),
	"oauth_auth_host": {good: []any{"https://dcos.auth0.com"},
		bad: []badValue{{v: `https://a"b`, msg: "contains a double quote", by19: badJSON19}}},
	"adminrouter_auth_enabled": looseBool("1.9.10 writes it into adminrouter.env without validating it; Admin Router takes true/false"),
	"auth_cookie_secure_flag":  looseBool("1.9.10 has a default for it but no template reads it"),
	"ui_tracking":              looseBool("1.9.10 has a default for it but no template reads it"),
	"telemetry_enabled":        boolCase(),
	"check_time":               boolCase(),
	"platform": {good: []any{"onprem", "vsphere", "<<"},
		bad: []badValue{{v: `on"prem`, msg: "contains a double quote", by19: badJSON19},
			{v: "on\tprem", msg: "contains the control character U+0009", by19: badJSON19},
			{v: `on\prem`, msg: "contains a backslash", by19: badJSON19},
			{v: "onprem\n", msg: "contains a line break", by19: crashes19}}},
	"bootstrap_tmp_dir": {good: []any{"tmp", "var/tmp"},
		bad: []badValue{{v: "/tmp", msg: "without a leading or trailing '/'", by19: accepted19, why: "1.9.10's own validate_bootstrap_tmp_dir says so, but it is not registered"},
			{v: "a\nb", msg: "contains a line break", by19: crashes19}}},
	"cosmos_config": {good: []any{map[string]any{}, map[string]any{"package_storage_uri": "file:///var/lib/dcos/cosmos/package", "staged_package_storage_uri": "file:///var/lib/dcos/cosmos/staged-package"}},
		bad: []badValue{{v: map[string]any{"package_storage_uri": "file:///x"}, msg: "give both", by19: refused19},
			{v: map[string]any{"package_storage_uri": "http://[x", "staged_package_storage_uri": "file:///x"}, msg: "is not a URL", by19: refused19},
			{v: map[string]any{"package_storage_uri": int64(5), "staged_package_storage_uri": "file:///x"}, msg: "must be a URL string", by19: crashes19},
			{v: map[string]any{"package_storage_uri": "no scheme", "staged_package_storage_uri": "file:///x"}, msg: "is not a URL with a scheme", by19: accepted19, why: "Cosmos cannot store packages at a URL without a scheme"},
			{v: map[string]any{"package_storage_uri_typo": "file:///x"}, msg: "unknown key", by19: accepted19, why: "1.9.10 ignores other keys; here they are taken for typos"}}},
	"ui_banner":                  {good: []any{true, "false"}, bad: []badValue{{v: "maybe", msg: "must be true or false", by19: badJSON19}}},
	"ui_banner_background_color": {good: []any{"#1E232F"}, bad: []badValue{{v: `#1E2"`, msg: "contains a double quote", by19: badJSON19}}},
	"ui_banner_foreground_color": {good: []any{"#FFFFFF"}, bad: []badValue{{v: `#FFF\`, msg: "contains a backslash", by19: badJSON19}}},
	"ui_banner_header_title":     uiText(),
	"ui_banner_header_content":   uiText(),
	"ui_banner_footer_content":   uiText(),
	"ui_banner_image_path":       uiText(),
	"ui_banner_dismissible": {good: []any{"null", true, "false"},
		bad: []badValue{{v: "maybe", msg: "must be true, false or 'null'", by19: badJSON19}}},
}

func uiText() paramCase {
	return paramCase{good: []any{"null", `"Welcome to DC/OS"`},
		bad: []badValue{{v: "Welcome", msg: "must be JSON: null, or a JSON string", by19: badJSON19},
			{v: int64(5), msg: "must be a string holding JSON", by19: accepted19, why: "valid JSON, but the UI wants a string or null"}}}
}

// toolCases are the parameters written from cluster.yaml fields: given in
// dcos.config they are refused with the field to use; set through the
// field they follow 1.9's rules.
var toolCases = map[string]struct {
	set  func(c *config.Cluster, v string)
	good []string
	bad  []badValue
}{
	"bootstrap_url": {set: func(c *config.Cluster, v string) { c.DCOS.BootstrapURL = v },
		good: []string{"http://198.18.0.10:8080", "http://web.example/dcos/1.9"},
		bad:  []badValue{{v: "http://web.example/", msg: "must not end in '/'", by19: refused19}, {v: "198.18.0.10:80", msg: "must start with http://", by19: accepted19, why: "pkgpanda downloads need a scheme"}}},
	"cluster_name": {set: func(c *config.Cluster, v string) { c.DCOS.ClusterName = v },
		good: []string{"DC/OS lab", "caf\u00e9"},
		bad: []badValue{{v: "a\nb", msg: "contains a line break", by19: crashes19},
			{v: "lab\n", msg: "contains a line break", by19: accepted19, why: "a line break is refused everywhere; the one template cluster_name goes into happens to survive a trailing one"}}},
	"master_list": {set: func(c *config.Cluster, v string) {
		c.Nodes.Masters = config.NodeGroup{Count: len(v), IPRange: "198.18.0.11"}
	}, good: []string{"x", "xxx", "xxxxx"}, bad: []badValue{{v: "xxxx", msg: "1, 3, 5, 7, or 9 masters, found 4", by19: refused19}}},
	"ip_detect_filename": {set: func(c *config.Cluster, v string) {
		c.DCOS.IPDetect = config.IPDetect{Method: MethodScript, Script: scriptsDir + v}
	}, good: []string{"ip-detect-metadata.sh"}, bad: []badValue{{v: "does-not-exist.sh", msg: "read ip-detect script", by19: refused19}}},
	"ip_detect_public_filename": {set: func(c *config.Cluster, v string) {
		c.DCOS.IPDetectPublic = &config.IPDetect{Method: MethodScript, Script: scriptsDir + v}
	}, good: []string{"ip-detect-public.sh"}, bad: []badValue{{v: "does-not-exist.sh", msg: "read ip-detect script", by19: refused19}}},
}

// refusedKeys are parameters one may not set in dcos.config, with the
// reason given.
func refusedKeyMessage(name, sources string) string {
	switch {
	case name == "agent_list" || name == "public_agent_list":
		return "agents are never written to config.yaml"
	case name == "cluster_docker_credentials":
		// 1.9.10 accepts a mapping; the tool refuses it outright: it would
		// serve the registry password (registry.* puts it on the agents).
		return "puts the registry password into the dcos-config package the bootstrap node serves"
	case strings.HasPrefix(sources, "ssh-"):
		return "parameter of the DC/OS SSH installer modes"
	}
	return "must be calculated by DC/OS 1.9, not set"
}

// validatorCases maps each validator of gen/calc.py (function and the
// parameters it takes) to the parameter whose cases above exercise it, or
// says why it does not apply to an on-premises --genconf.
var validatorCases = map[string]string{
	"validate_num_masters(num_masters)":                                                       "num_masters",
	"validate_bootstrap_url(bootstrap_url)":                                                   "tool:bootstrap_url",
	"validate_channel_name(channel_name)":                                                     "n/a: channel_name is a build-time parameter, not read by --genconf",
	"validate_dns_search(dns_search)":                                                         "dns_search",
	"validate_master_list(master_list)":                                                       "tool:master_list",
	"validate_resolvers(resolvers)":                                                           "resolvers",
	"validate_dns_bind_ip_blacklist(dns_bind_ip_blacklist)":                                   "dns_bind_ip_blacklist",
	"validate_dns_forward_zones(dns_forward_zones)":                                           "dns_forward_zones",
	"validate_zk_hosts(exhibitor_zk_hosts)":                                                   "exhibitor_zk_hosts",
	"validate_zk_path(exhibitor_zk_path)":                                                     "exhibitor_zk_path",
	"validate_cluster_packages(cluster_packages)":                                             "n/a: cluster_packages is calculated (refused in dcos.config)",
	"validate_true_false(oauth_enabled)":                                                      "oauth_enabled",
	"validate_true_false(oauth_available)":                                                    "oauth_available",
	"validate_mesos_dns_ip_sources(mesos_dns_ip_sources)":                                     "mesos_dns_ip_sources",
	"validate_mesos_log_retention_mb(mesos_log_retention_mb)":                                 "mesos_log_retention_mb",
	"validate_true_false(telemetry_enabled)":                                                  "telemetry_enabled",
	"validate_true_false(master_dns_bindall)":                                                 "master_dns_bindall",
	"validate_os_type(os_type)":                                                               "n/a: os_type belongs to the cloud templates",
	"validate_dcos_overlay_network(dcos_overlay_network)":                                     "dcos_overlay_network",
	"validate_network_default_name(dcos_overlay_network,dcos_overlay_network_default_name)":   "dcos_overlay_network_default_name",
	"validate_true_false(dcos_overlay_enable)":                                                "dcos_overlay_enable",
	"validate_int_in_range(dcos_overlay_mtu)":                                                 "dcos_overlay_mtu",
	"validate_int_in_range(dcos_overlay_config_attempts)":                                     "dcos_overlay_config_attempts",
	"validate_true_false(dcos_remove_dockercfg_enable)":                                       "dcos_remove_dockercfg_enable",
	"validate_json_dictionary(rexray_config)":                                                 "rexray_config",
	"validate_true_false(check_time)":                                                         "check_time",
	"validate_true_false(enable_gpu_isolation)":                                               "enable_gpu_isolation",
	"validate_minuteman_min_named_ip(minuteman_min_named_ip)":                                 "minuteman_min_named_ip",
	"validate_minuteman_max_named_ip(minuteman_max_named_ip)":                                 "minuteman_max_named_ip",
	"validate_true_false(cluster_docker_credentials_dcos_owned)":                              "cluster_docker_credentials_dcos_owned",
	"validate_true_false(cluster_docker_credentials_enabled)":                                 "cluster_docker_credentials_enabled",
	"validate_true_false(cluster_docker_credentials_write_to_etc)":                            "cluster_docker_credentials_write_to_etc",
	"validate_json_dictionary(cluster_docker_credentials)":                                    "n/a: cluster_docker_credentials is refused (it would serve the registry password); registry.* puts the credentials on the agents",
	"validate_true_false(aws_masters_have_public_ip)":                                         "n/a: aws_masters_have_public_ip belongs to the AWS templates",
	"validate_exhibitor_storage_master_discovery(exhibitor_storage_backend,master_discovery)": "combination:loadbalancer with static storage",
	"validate_true_false(exhibitor_admin_password_enabled)":                                   "n/a: exhibitor_admin_password_enabled is calculated from exhibitor_admin_password",
	"validate_cosmos_config(cosmos_config)":                                                   "cosmos_config",
	"validate_true_false(enable_lb)":                                                          "enable_lb",
	"validate_true_false(gpus_are_scarce)":                                                    "gpus_are_scarce",
	// Defined in gen/calc.py but not registered (1.9.10 does not run them).
	"validate_bootstrap_tmp_dir(bootstrap_tmp_dir)":               "bootstrap_tmp_dir",
	"validate_mesos_container_log_sink(mesos_container_log_sink)": "mesos_container_log_sink",
	"validate_ip_list(json_str)":                                  "n/a: helper of the list validators above",
	"validate_ip_port_list(json_str)":                             "n/a: helper of validate_resolvers",
	"validate_ipv4_addresses(ips)":                                "n/a: helper of the IP validators above",
	"validate_json_list(value)":                                   "n/a: helper of the list validators above",
	"validate_url(url)":                                           "n/a: helper of validate_cosmos_config",
}

// combinationCases are the rules between keys, each refused with one
// message at field.
var combinationCases = map[string]struct {
	cfg          map[string]any
	field, msg   string
	by19         outcome
	acceptedWhen map[string]any // a neighbouring config 1.9 and the tool accept
}{
	"loadbalancer with static storage": {cfg: map[string]any{"master_discovery": "master_http_loadbalancer", "exhibitor_address": "198.18.0.9"},
		field: "dcos.config.exhibitor_storage_backend", msg: "must not be static when master_discovery is master_http_loadbalancer", by19: refused19,
		acceptedWhen: ctxLB},
	"rexray_config with preset aws": {cfg: map[string]any{"rexray_config_preset": "aws", "rexray_config": map[string]any{"rexray": map[string]any{}}},
		field: "dcos.config.rexray_config", msg: "must not be set together with rexray_config_preset: aws", by19: refused19,
		acceptedWhen: map[string]any{"rexray_config_preset": "", "rexray_config": map[string]any{"rexray": map[string]any{}}}},
	"num_masters with static discovery": {cfg: map[string]any{"num_masters": int64(3)},
		field: "dcos.config.num_masters", msg: "calculates num_masters from master_list", by19: refused19,
		acceptedWhen: merge(ctxLB, map[string]any{"num_masters": int64(3)})},
	"zookeeper without hosts": {cfg: map[string]any{"exhibitor_storage_backend": "zookeeper", "exhibitor_zk_path": "/dcos"},
		field: "dcos.config.exhibitor_zk_hosts", msg: "required when exhibitor_storage_backend is zookeeper", by19: refused19,
		acceptedWhen: ctxZK},
	"proxy without no_proxy": {cfg: map[string]any{"use_proxy": true, "http_proxy": "h", "https_proxy": "h"},
		field: "dcos.config.no_proxy", msg: "required when use_proxy is true", by19: refused19,
		acceptedWhen: ctxProxy},
	"default overlay not defined": {cfg: map[string]any{"dcos_overlay_network": overlay(nil), "dcos_overlay_network_default_name": "apps"},
		field: "dcos.config.dcos_overlay_network_default_name", msg: `default overlay network "apps"`, by19: refused19,
		acceptedWhen: map[string]any{"dcos_overlay_network": overlay(nil), "dcos_overlay_network_default_name": "apps", "dcos_overlay_enable": false}},
}

// dcos1910Parameters reads parameters.tsv: name -> sources.
func dcos1910Parameters(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range readTSV(t, dcos1910Dir+"parameters.tsv") {
		out[f[0]] = f[1]
	}
	if len(out) < 100 {
		t.Fatalf("parameters.tsv lists only %d parameters", len(out))
	}
	return out
}

func readTSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// renderOne renders baseCluster with dcos.config = ctx + {key: v}.
func renderOne(ctx map[string]any, key string, v any) (*Files, Errors, error) {
	f, err := Render(withConfig(merge(ctx, map[string]any{key: v})))
	var errs Errors
	if err != nil && !errors.As(err, &errs) {
		return nil, nil, err
	}
	return f, errs, nil
}

// TestEveryDCOS1910Parameter: every parameter is known to the tool and
// handled, and every value of the table is accepted or refused as it must.
func TestEveryDCOS1910Parameter(t *testing.T) {
	all := dcos1910Parameters(t)
	for name, sources := range all {
		_, pass := passCases[name]
		_, tool := toolCases[name]
		switch {
		case pass && tool:
			t.Errorf("%s is both passed through and written by the tool", name)
		case pass, tool:
		default:
			want := refusedKeyMessage(name, sources)
			_, errs, err := renderOne(nil, name, "x")
			if err != nil || len(errs) != 1 || errs[0].Field != "dcos.config."+name || !strings.Contains(errs[0].Msg, want) {
				t.Errorf("%s (%s): dcos.config gives %v %v, want one error ...%s...", name, sources, errs, err, want)
			}
		}
	}
	// No Go table may know a parameter 1.9.10 does not have.
	for name := range params {
		if _, ok := all[name]; !ok {
			t.Errorf("params has %s, which is not a DC/OS 1.9.10 parameter", name)
		}
	}
	for name := range calculatedKeys {
		if _, ok := all[name]; !ok {
			t.Errorf("calculatedKeys has %s, which is not a DC/OS 1.9.10 parameter", name)
		}
	}
	for name := range passCases {
		if _, ok := all[name]; !ok {
			t.Errorf("passCases has %s, which is not a DC/OS 1.9.10 parameter", name)
		}
		if _, ok := params[name]; !ok {
			t.Errorf("passCases has %s, which params does not", name)
		}
	}
	for name, pc := range passCases {
		t.Run(name, func(t *testing.T) {
			if len(pc.good) == 0 || len(pc.bad) == 0 {
				t.Fatalf("needs at least one good and one bad value")
			}
			for _, v := range pc.good {
				f, errs, err := renderOne(pc.ctx, name, v)
				if err != nil || errs != nil {
					t.Errorf("%#v: refused: %v %v", v, errs, err)
					continue
				}
				if !strings.Contains(string(f.ConfigYAML), "\n"+name+":") {
					t.Errorf("%#v: config.yaml lacks %s:\n%s", v, name, f.ConfigYAML)
				}
			}
			for _, b := range pc.bad {
				if b.by19 == accepted19 && b.why == "" {
					t.Errorf("%#v: accepted by 1.9.10, so the table must say why the tool is stricter", b.v)
				}
				_, errs, err := renderOne(pc.ctx, name, b.v)
				if err != nil {
					t.Errorf("%#v: %v", b.v, err)
					continue
				}
				if len(errs) != 1 || !strings.HasPrefix(errs[0].Field, "dcos.config."+name) || !strings.Contains(errs[0].Msg, b.msg) {
					t.Errorf("%#v (1.9.10: %s): got %v, want exactly one error ...%s...", b.v, b.by19, errs, b.msg)
				}
			}
		})
	}
	for name, tc := range toolCases {
		t.Run("tool/"+name, func(t *testing.T) {
			_, errs, _ := renderOne(nil, name, "x")
			if len(errs) != 1 || !strings.Contains(errs[0].Msg, "is written by dcos-vsphere") {
				t.Errorf("dcos.config.%s: %v, want the field to use instead", name, errs)
			}
			for _, v := range tc.good {
				c := baseCluster()
				tc.set(c, v)
				if _, err := Render(c); err != nil {
					t.Errorf("%q: %v", v, err)
				}
			}
			for _, b := range tc.bad {
				c := baseCluster()
				tc.set(c, b.v.(string))
				_, err := Render(c)
				var errs Errors
				if !errors.As(err, &errs) || len(errs) != 1 || !strings.Contains(errs[0].Msg, b.msg) {
					t.Errorf("%q: %v, want one error ...%s...", b.v, err, b.msg)
				}
			}
		})
	}
	for name, cc := range combinationCases {
		t.Run("combination/"+name, func(t *testing.T) {
			_, err := Render(withConfig(cc.cfg))
			var errs Errors
			if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Field != cc.field || !strings.Contains(errs[0].Msg, cc.msg) {
				t.Errorf("got %v, want exactly %s: ...%s...", err, cc.field, cc.msg)
			}
			if _, err := Render(withConfig(cc.acceptedWhen)); err != nil {
				t.Errorf("neighbouring config refused: %v", err)
			}
		})
	}
}

// TestEveryDCOS1910Validator: each validator of gen/calc.py is mapped to
// the cases exercising it, and those include a value 1.9.10 refuses.
func TestEveryDCOS1910Validator(t *testing.T) {
	rows := readTSV(t, dcos1910Dir+"validators.tsv")
	if len(rows) < 40 {
		t.Fatalf("validators.tsv lists only %d validators", len(rows))
	}
	seen := map[string]bool{}
	for _, r := range rows {
		key := r[0] + "(" + r[1] + ")"
		seen[key] = true
		target, ok := validatorCases[key]
		if !ok {
			t.Errorf("validator %s (registered: %s) has no counterpart in validatorCases", key, r[2])
			continue
		}
		switch {
		case strings.HasPrefix(target, "n/a: "):
		case strings.HasPrefix(target, "tool:"):
			tc, ok := toolCases[strings.TrimPrefix(target, "tool:")]
			if !ok || !hasOutcome(tc.bad, refused19) {
				t.Errorf("%s: %s has no value 1.9.10 refuses", key, target)
			}
		case strings.HasPrefix(target, "combination:"):
			if cc, ok := combinationCases[strings.TrimPrefix(target, "combination:")]; !ok || cc.by19 != refused19 {
				t.Errorf("%s: no combination case %s", key, target)
			}
		default:
			pc, ok := passCases[target]
			if !ok {
				t.Errorf("%s: no cases for %s", key, target)
				continue
			}
			// A registered validator must be shown refusing something;
			// for the unregistered ones the tool is the stricter party.
			want := refused19
			if r[2] == "no" {
				want = accepted19
			}
			if !hasOutcome(pc.bad, want) {
				t.Errorf("%s: the cases of %s have no value 1.9.10 %s", key, target, want)
			}
		}
	}
	for key := range validatorCases {
		if !seen[key] {
			t.Errorf("validatorCases has %s, which is not in validators.tsv", key)
		}
	}
}

func hasOutcome(bads []badValue, o outcome) bool {
	for _, b := range bads {
		if b.by19 == o {
			return true
		}
	}
	return false
}
