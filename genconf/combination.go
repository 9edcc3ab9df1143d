package genconf

import (
	"fmt"
	"strings"
)

// dcosConfig is a config.yaml being checked: the values that passed their own
// rules, and every key that was given at all. A key that was given with a
// bad value has already been reported, so the rules between keys stay
// quiet about it (1.9 does the same: it skips a rule over several keys
// when one of them is in error, and says "Must set" only of keys nobody
// gave). That keeps one problem to one message.
type dcosConfig struct {
	values map[string]any
	given  map[string]bool
}

func newConfig() *dcosConfig { return &dcosConfig{values: map[string]any{}, given: map[string]bool{}} }

// set records a good value.
func (c *dcosConfig) set(key string, v any) { c.values[key], c.given[key] = v, true }

// bad records that key was given but its value was refused.
func (c *dcosConfig) bad(key string) { delete(c.values, key); c.given[key] = true }

// ok reports whether key, if given, passed its own rules.
func (c *dcosConfig) ok(key string) bool {
	_, good := c.values[key]
	return good || !c.given[key]
}

// str is the value of a good string key, or def when it was not given.
func (c *dcosConfig) str(key, def string) string {
	if v, ok := c.values[key].(string); ok {
		return v
	}
	return def
}

// boolean is the value of a good boolean key, or def when it was not
// given.
func (c *dcosConfig) boolean(key string, def bool) bool {
	if v, ok := c.values[key].(bool); ok {
		return v
	}
	return def
}

// checkCombination applies the rules between keys (switch cases and
// their conditionally required keys) of gen/calc.py and
// gen/dcos-config.yaml. fieldOf names a key in errors.
func checkCombination(c *dcosConfig, fieldOf func(string) string, errs *errList) {
	require := func(key, why string) {
		if !c.given[key] {
			errs.add(fieldOf(key), "required when %s (DC/OS 1.9: \"Must set %s, no way to calculate value.\")", why, key)
		}
	}
	discovery := c.str("master_discovery", "")
	backend := c.str("exhibitor_storage_backend", "")
	switch discovery {
	case "static":
		require("master_list", "master_discovery is static")
		if c.given["num_masters"] {
			errs.add(fieldOf("num_masters"), "DC/OS 1.9 calculates num_masters from master_list when master_discovery is static (\"num_masters must be calculated, but was explicitly set\"); remove it")
		}
	case "master_http_loadbalancer":
		require("exhibitor_address", "master_discovery is master_http_loadbalancer")
		require("num_masters", "master_discovery is master_http_loadbalancer")
		if backend == "static" {
			errs.add(fieldOf("exhibitor_storage_backend"), "must not be static when master_discovery is master_http_loadbalancer (a static Exhibitor ensemble needs the fixed master_list that load-balancer discovery does without); use zookeeper, aws_s3, azure or shared_filesystem")
		}
	}
	switch backend {
	case "zookeeper":
		for _, k := range []string{"exhibitor_zk_hosts", "exhibitor_zk_path"} {
			require(k, "exhibitor_storage_backend is zookeeper")
		}
	case "aws_s3":
		for _, k := range []string{"aws_region", "s3_bucket", "s3_prefix", "exhibitor_explicit_keys"} {
			require(k, "exhibitor_storage_backend is aws_s3")
		}
		if c.boolean("exhibitor_explicit_keys", false) {
			require("aws_access_key_id", "exhibitor_explicit_keys is true")
			require("aws_secret_access_key", "exhibitor_explicit_keys is true")
		}
	case "azure":
		for _, k := range []string{"exhibitor_azure_account_name", "exhibitor_azure_account_key", "exhibitor_azure_prefix"} {
			require(k, "exhibitor_storage_backend is azure")
		}
	case "shared_filesystem":
		require("exhibitor_fs_config_dir", "exhibitor_storage_backend is shared_filesystem")
	}
	if c.boolean("use_proxy", false) {
		require("http_proxy", "use_proxy is true")
		require("https_proxy", "use_proxy is true")
		if !c.given["no_proxy"] {
			errs.add(fieldOf("no_proxy"), "required when use_proxy is true: DC/OS 1.9 needs a list (no_proxy_final: \"Must be a JSON formatted list\"); use [] for none")
		}
	}
	if c.str("rexray_config_preset", "") == "aws" && c.given["rexray_config"] {
		errs.add(fieldOf("rexray_config"), "must not be set together with rexray_config_preset: aws, from which DC/OS 1.9 calculates rexray_config (\"rexray_config must be calculated, but was explicitly set\"); remove one of them")
	}
	checkDefaultOverlay(c, fieldOf, errs)
}

// checkDefaultOverlay mirrors validate_network_default_name, which 1.9
// runs only with the overlay enabled (the name is used only then).
func checkDefaultOverlay(c *dcosConfig, fieldOf func(string) string, errs *errList) {
	if !c.ok("dcos_overlay_enable") || !c.boolean("dcos_overlay_enable", true) ||
		!c.ok("dcos_overlay_network") || !c.ok("dcos_overlay_network_default_name") {
		return
	}
	_, hasNet := c.values["dcos_overlay_network"]
	_, hasName := c.values["dcos_overlay_network_default_name"]
	if !hasNet && !hasName {
		return
	}
	names := []string{"dcos"} // 1.9's default overlay network
	if hasNet {
		names = overlayNames(c.values["dcos_overlay_network"])
	}
	name := c.str("dcos_overlay_network_default_name", "dcos")
	if contains(names, name) {
		return
	}
	key := "dcos_overlay_network_default_name"
	if !hasName {
		key = "dcos_overlay_network"
	}
	errs.add(fieldOf(key), "%s", fmt.Sprintf("default overlay network %q (dcos_overlay_network_default_name) is not one of the overlays (%s)", name, strings.Join(names, ", ")))
}
