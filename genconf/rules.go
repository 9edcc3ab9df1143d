package genconf

import (
	"fmt"
	"net/netip"
	"strings"
)

// isIPv4 reports whether s is a dotted-quad IPv4 address (what 1.9 checks
// with inet_pton).
func isIPv4(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4()
}

func nonEmpty(v any) string {
	if s, ok := v.(string); ok && s == "" {
		return "must not be empty"
	}
	return ""
}

// checkBootstrapURL: 1.9 requires len > 1 and no trailing slash; the scheme
// is needed by pkgpanda's downloader although gen does not check it.
func checkBootstrapURL(v any) string {
	s, _ := v.(string)
	switch {
	case len(s) <= 1:
		return "must be a URL such as http://198.18.0.10:80"
	case strings.HasSuffix(s, "/"):
		return "must not end in '/'"
	case !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "file://"):
		return "must start with http://, https:// or file://"
	}
	return ""
}

func validMasterCount(n int) bool { return n == 1 || n == 3 || n == 5 || n == 7 || n == 9 }

func checkMasterCount(v any) string {
	list, _ := v.([]any)
	if !validMasterCount(len(list)) {
		return fmt.Sprintf("must have 1, 3, 5, 7, or 9 masters, found %d", len(list))
	}
	return ""
}

func checkNumMasters(v any) string {
	n, _ := v.(int64)
	if !validMasterCount(int(n)) {
		return fmt.Sprintf("must be 1, 3, 5, 7, or 9, got %d", n)
	}
	return ""
}

func checkZKHosts(v any) string {
	s, _ := v.(string)
	if s == "" || strings.HasPrefix(s, "zk://") {
		return "must be of the form host:port,host:port (without zk://)"
	}
	return ""
}

func checkZKPath(v any) string {
	s, _ := v.(string)
	if !strings.HasPrefix(s, "/") {
		return "must be of the form /path/to/znode"
	}
	return ""
}

func checkDNSSearch(s string) string {
	switch {
	case strings.Contains(s, "\n"):
		return "newlines are not allowed"
	case strings.Contains(s, ","):
		return "commas are not allowed (separate domains with spaces)"
	case len(s) >= 256:
		return "must be less than 256 characters long"
	case len(strings.Fields(s)) > 6:
		return "must contain no more than 6 domains"
	}
	return ""
}

// checkForwardZones: [[zone, [[ip, port], ...]], ...] with IPv4 and ports
// 1-65535.
func checkForwardZones(v any) string {
	zones, ok := v.([]any)
	if !ok {
		return "must be a list of [zone, [[ip, port], ...]], got " + typeName(v)
	}
	for i, z := range zones {
		pair, ok := z.([]any)
		if !ok || len(pair) != 2 {
			return fmt.Sprintf("item %d must be [zone, [[ip, port], ...]]", i)
		}
		if name, ok := pair[0].(string); !ok || name == "" {
			return fmt.Sprintf("item %d: zone must be a non-empty string", i)
		}
		ups, ok := pair[1].([]any)
		if !ok || len(ups) == 0 {
			return fmt.Sprintf("item %d: upstreams must be a non-empty list of [ip, port]", i)
		}
		for j, u := range ups {
			up, ok := u.([]any)
			if !ok || len(up) != 2 {
				return fmt.Sprintf("item %d upstream %d must be [ip, port]", i, j)
			}
			if ip, ok := up[0].(string); !ok || !isIPv4(ip) {
				return fmt.Sprintf("item %d upstream %d: %s is not an IPv4 address", i, j, show(up[0]))
			}
			if port, ok := asInt(up[1]); !ok || port < 1 || port > 65535 {
				return fmt.Sprintf("item %d upstream %d: port must be between 1 and 65535", i, j)
			}
		}
	}
	return ""
}

// checkOverlayNetwork follows 1.9's validate_dcos_overlay_network.
func checkOverlayNetwork(v any) string {
	m, _ := v.(map[string]any)
	vtep, _ := m["vtep_subnet"].(string)
	if p, err := netip.ParsePrefix(vtep); err != nil || !p.Addr().Is4() {
		return "vtep_subnet must be an IPv4 network such as 44.128.0.0/20"
	}
	if s, _ := m["vtep_mac_oui"].(string); s == "" {
		return "vtep_mac_oui is required"
	}
	overlays, _ := m["overlays"].([]any)
	if len(overlays) == 0 {
		return "overlays must list at least one overlay"
	}
	for i, o := range overlays {
		om, _ := o.(map[string]any)
		name, _ := om["name"].(string)
		if name == "" || len(name) > 13 {
			return fmt.Sprintf("overlays[%d].name must be 1 to 13 characters", i)
		}
		subnet, _ := om["subnet"].(string)
		if p, err := netip.ParsePrefix(subnet); err != nil || !p.Addr().Is4() {
			return fmt.Sprintf("overlays[%d].subnet must be an IPv4 network", i)
		}
	}
	return ""
}

// overlayNames lists the overlay names of a checked dcos_overlay_network.
func overlayNames(v any) []string {
	m, _ := v.(map[string]any)
	overlays, _ := m["overlays"].([]any)
	var names []string
	for _, o := range overlays {
		om, _ := o.(map[string]any)
		if name, ok := om["name"].(string); ok {
			names = append(names, name)
		}
	}
	return names
}

func checkCosmosConfig(v any) string {
	m, _ := v.(map[string]any)
	_, a := m["package_storage_uri"]
	_, b := m["staged_package_storage_uri"]
	if a != b {
		return "give both package_storage_uri and staged_package_storage_uri, or neither"
	}
	return ""
}

// checkCombination applies the rules between keys (switch cases and
// their conditionally required keys) to a complete, checked config.
// fieldOf names a key in errors.
func checkCombination(m map[string]any, fieldOf func(string) string, errs *errList) {
	require := func(key, why string) {
		if _, ok := m[key]; !ok {
			errs.add(fieldOf(key), "required when %s", why)
		}
	}
	isTrue := func(key string) bool { b, _ := m[key].(bool); return b }

	switch m["master_discovery"] {
	case "static":
		require("master_list", "master_discovery is static")
		if _, ok := m["num_masters"]; ok {
			errs.add(fieldOf("num_masters"), "is calculated from master_list when master_discovery is static; remove it")
		}
	case "master_http_loadbalancer":
		require("exhibitor_address", "master_discovery is master_http_loadbalancer")
		require("num_masters", "master_discovery is master_http_loadbalancer")
		if m["exhibitor_storage_backend"] == "static" {
			errs.add(fieldOf("exhibitor_storage_backend"), "must not be static when master_discovery is master_http_loadbalancer")
		}
	}
	switch m["exhibitor_storage_backend"] {
	case "zookeeper":
		for _, k := range []string{"exhibitor_zk_hosts", "exhibitor_zk_path"} {
			require(k, "exhibitor_storage_backend is zookeeper")
		}
	case "aws_s3":
		for _, k := range []string{"aws_region", "s3_bucket", "s3_prefix", "exhibitor_explicit_keys"} {
			require(k, "exhibitor_storage_backend is aws_s3")
		}
		if isTrue("exhibitor_explicit_keys") {
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
	if isTrue("use_proxy") {
		require("http_proxy", "use_proxy is true")
		require("https_proxy", "use_proxy is true")
		require("no_proxy", "use_proxy is true (1.9 needs a list; use [] for none)")
	}
	net, hasNet := m["dcos_overlay_network"]
	name, hasName := m["dcos_overlay_network_default_name"].(string)
	if hasNet || hasName {
		names := []string{"dcos"} // 1.9's default overlay network
		if hasNet {
			names = overlayNames(net)
		}
		if !hasName {
			name = "dcos"
		}
		if !contains(names, name) {
			key := "dcos_overlay_network_default_name"
			if !hasName {
				key = "dcos_overlay_network"
			}
			errs.add(fieldOf(key), "default overlay network %q is not one of the overlays (%s)", name, strings.Join(names, ", "))
		}
	}
}
