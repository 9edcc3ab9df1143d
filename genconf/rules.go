package genconf

// The rules of gen/calc.py (DC/OS 1.9.10) on single parameters, each
// returning (path below the key, problem) or ("", "") when the value is
// good. docs/dcos-1.9-rules.md lists which 1.9.10 function each mirrors
// and where the tool is deliberately stricter.

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
)

// isIPv4 reports whether s is a dotted-quad IPv4 address (what 1.9 checks
// with inet_pton).
func isIPv4(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4()
}

func nonEmpty(v any) (string, string) {
	if s, ok := v.(string); ok && s == "" {
		return "", "must not be empty"
	}
	return "", ""
}

// checkBootstrapURL mirrors validate_bootstrap_url: longer than one
// character, no trailing slash. The scheme is needed by pkgpanda's
// downloader although gen does not check it.
func checkBootstrapURL(v any) (string, string) {
	s, _ := v.(string)
	switch {
	case len(s) <= 1:
		return "", "must be a URL such as http://198.18.0.10:80"
	case strings.HasSuffix(s, "/"):
		return "", "must not end in '/' (DC/OS 1.9 appends /bootstrap/... itself)"
	case !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "file://"):
		return "", "must start with http://, https:// or file://"
	}
	return "", ""
}

func validMasterCount(n int) bool { return n == 1 || n == 3 || n == 5 || n == 7 || n == 9 }

func checkMasterCount(v any) (string, string) {
	list, _ := v.([]any)
	if !validMasterCount(len(list)) {
		return "", fmt.Sprintf("must have 1, 3, 5, 7, or 9 masters, found %d", len(list))
	}
	return "", ""
}

func checkNumMasters(v any) (string, string) {
	n, _ := v.(int64)
	if !validMasterCount(int(n)) {
		return "", fmt.Sprintf("must be 1, 3, 5, 7, or 9, got %d", n)
	}
	return "", ""
}

// checkZKHosts mirrors validate_zk_hosts (not starting with zk://); an
// empty value, which 1.9 accepts, is refused.
func checkZKHosts(v any) (string, string) {
	s, _ := v.(string)
	if s == "" || strings.HasPrefix(s, "zk://") {
		return "", "must be of the form host:port,host:port (without zk://)"
	}
	return "", ""
}

func checkZKPath(v any) (string, string) {
	s, _ := v.(string)
	if !strings.HasPrefix(s, "/") {
		return "", "must be of the form /path/to/znode"
	}
	return "", ""
}

// checkDNSSearch mirrors validate_dns_search.
func checkDNSSearch(v any) (string, string) {
	s, _ := v.(string)
	switch {
	case strings.Contains(s, "\n"):
		return "", "newlines are not allowed"
	case strings.Contains(s, ","):
		return "", "commas are not allowed (separate domains with spaces)"
	case len(s) >= 256:
		return "", "must be less than 256 characters long"
	case len(strings.Fields(s)) > 6:
		return "", "must contain no more than 6 domains"
	}
	return "", ""
}

// checkNoProxy: the items are joined into no_proxy="..." in
// /opt/mesosphere/etc/proxy.env.
func checkNoProxy(v any) (string, string) {
	list, _ := v.([]any)
	for i, e := range list {
		s, _ := e.(string)
		msg := unrenderable(s)
		if msg == "" && strings.ContainsAny(s, `"\`) {
			msg = `contains a double quote or backslash: DC/OS 1.9 writes the list between quotes into /opt/mesosphere/etc/proxy.env (no_proxy="..."), which it would break`
		}
		if msg != "" {
			return fmt.Sprintf("[%d]", i), msg
		}
	}
	return "", ""
}

// checkExhibitorPassword: the password becomes the line
// "admin: <password>,admin" of Exhibitor's Jetty realm file, where a
// comma ends the password. Messages never show the value.
func checkExhibitorPassword(v any) (string, string) {
	if s, _ := v.(string); strings.Contains(s, ",") {
		return "", `contains a comma: DC/OS 1.9 writes "admin: <password>,admin" into Exhibitor's realm file, where the comma would end the password`
	}
	return "", ""
}

// checkBootstrapTmpDir follows validate_bootstrap_tmp_dir, which 1.9.10
// defines but never registers: a relative directory (it is used as
// /<dir>/bootstrap.tar.xz in dcos-download.service), without spaces.
func checkBootstrapTmpDir(v any) (string, string) {
	s, _ := v.(string)
	switch {
	case s == "":
		return "", "must not be empty"
	case strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/"):
		return "", "must be a directory path without a leading or trailing '/' (DC/OS uses /<value>/bootstrap.tar.xz)"
	case strings.ContainsAny(s, " \t"):
		return "", "must not contain spaces (it is an argument of curl in dcos-download.service)"
	}
	return "", ""
}

// checkForwardZones mirrors validate_dns_forward_zones:
// [[zone, [[ip, port], ...]], ...] with IPv4 and ports 1-65535. Ports
// must be YAML integers (1.9's int() also takes "53", but the value goes
// into spartan.json as a string then), and zones non-empty.
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
		if !ok {
			return fmt.Sprintf("item %d: upstreams must be a list of [ip, port]", i)
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
				return fmt.Sprintf("item %d upstream %d: port must be an integer between 1 and 65535, got %s", i, j, show(up[1]))
			}
		}
	}
	return ""
}

// vtepMACOUI is a MAC address in the form of 1.9's default
// 70:B3:D5:00:00:00 (navstar takes the OUI from it).
var vtepMACOUI = regexp.MustCompile(`^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$`)

// ipv4Network parses an IPv4 network as Python's ipaddress.ip_network
// (strict) does: no host bits set.
func ipv4Network(v any) (netip.Prefix, string) {
	s, ok := v.(string)
	if !ok {
		return netip.Prefix{}, "must be an IPv4 network such as 9.0.0.0/8, got " + show(v)
	}
	p, err := netip.ParsePrefix(s)
	switch {
	case err != nil || !p.Addr().Is4():
		return netip.Prefix{}, fmt.Sprintf("must be an IPv4 network such as 9.0.0.0/8, got %s", show(s))
	case p.Masked() != p:
		return netip.Prefix{}, fmt.Sprintf("%s has host bits set (DC/OS 1.9 refuses it): did you mean %s?", s, p.Masked())
	}
	return p, ""
}

// checkOverlayNetwork mirrors validate_dcos_overlay_network: vtep_subnet
// an IP network without host bits, vtep_mac_oui present, at least one
// overlay, each with a name of at most 13 characters and a subnet without
// host bits. The tool also requires IPv4 (1.9.10's message says "Only
// IPv4 values are allowed" but ip_network takes IPv6), a MAC-shaped
// vtep_mac_oui, non-empty unique names and, when given, an integer prefix
// inside the subnet; where 1.9 itself crashes (a missing name or subnet,
// overlays not a list of mappings) the tool refuses.
func checkOverlayNetwork(v any) (string, string) {
	m, _ := v.(map[string]any)
	if _, ok := m["vtep_subnet"]; !ok {
		return "", "vtep_subnet is required (e.g. 44.128.0.0/20)"
	}
	if _, msg := ipv4Network(m["vtep_subnet"]); msg != "" {
		return ".vtep_subnet", msg
	}
	mac, ok := m["vtep_mac_oui"]
	if !ok {
		return "", "vtep_mac_oui is required (e.g. 70:B3:D5:00:00:00)"
	}
	if s, _ := mac.(string); !vtepMACOUI.MatchString(s) {
		return ".vtep_mac_oui", "must be a MAC address such as 70:B3:D5:00:00:00, got " + show(mac)
	}
	raw, ok := m["overlays"]
	if !ok {
		return "", "overlays is required: a list of {name, subnet, prefix}"
	}
	overlays, ok := raw.([]any)
	if !ok || len(overlays) == 0 {
		return ".overlays", "must list at least one overlay ({name, subnet, prefix})"
	}
	seen := map[string]bool{}
	for i, o := range overlays {
		at := fmt.Sprintf(".overlays[%d]", i)
		om, ok := o.(map[string]any)
		if !ok {
			return at, "must be a mapping with name, subnet and prefix"
		}
		name, _ := om["name"].(string)
		switch {
		case name == "" || len(name) > 13:
			return at + ".name", "must be a string of 1 to 13 characters (DC/OS 1.9: \"Overlay name cannot exceed 13 characters\")"
		case unrenderable(name) != "":
			return at + ".name", unrenderable(name)
		case seen[name]:
			return at + ".name", fmt.Sprintf("overlay %q is defined twice", name)
		}
		seen[name] = true
		if _, ok := om["subnet"]; !ok {
			return at, "subnet is required (e.g. 9.0.0.0/8)"
		}
		subnet, msg := ipv4Network(om["subnet"])
		if msg != "" {
			return at + ".subnet", msg
		}
		if pv, ok := om["prefix"]; ok {
			n, isInt := pv.(int64)
			if !isInt || n < int64(subnet.Bits()) || n > 32 {
				return at + ".prefix", fmt.Sprintf("must be an integer between %d (the subnet's prefix length) and 32, got %s", subnet.Bits(), show(pv))
			}
		}
	}
	return "", ""
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

// cosmosKeys are the only keys of cosmos_config 1.9.10 reads.
var cosmosKeys = []string{"package_storage_uri", "staged_package_storage_uri"}

// checkCosmosConfig mirrors validate_cosmos_config: both or neither of
// the two URIs, each parsable as a URL. The tool also wants strings with
// a scheme (1.9 crashes on a number, and Cosmos needs the scheme) and no
// other keys (1.9 ignores them; here they are taken for typos). The URIs
// are written raw into /opt/mesosphere/etc/cosmos.env.
func checkCosmosConfig(v any) (string, string) {
	m, _ := v.(map[string]any)
	for k := range m {
		if !contains(cosmosKeys, k) {
			return "." + k, "unknown key: DC/OS 1.9 reads only package_storage_uri and staged_package_storage_uri"
		}
	}
	_, a := m[cosmosKeys[0]]
	_, b := m[cosmosKeys[1]]
	if a != b {
		return "", "give both package_storage_uri and staged_package_storage_uri, or neither"
	}
	for _, k := range cosmosKeys {
		raw, ok := m[k]
		if !ok {
			continue
		}
		s, isString := raw.(string)
		if !isString {
			return "." + k, "must be a URL string, got " + typeName(raw)
		}
		if msg := unrenderable(s); msg != "" {
			return "." + k, msg
		}
		if u, err := url.Parse(s); err != nil || u.Scheme == "" {
			return "." + k, fmt.Sprintf("%s is not a URL with a scheme such as file:///var/lib/dcos/cosmos/package", show(s))
		}
	}
	return "", ""
}
