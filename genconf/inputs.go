package genconf

// The cluster.yaml fields that become config.yaml keys, each checked with
// its cluster.yaml field path.

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// bootstrapURL is dcos.bootstrapURL, or http://<bootstrap ip>:<port>,
// with the cluster.yaml field it comes from; "" after reporting a problem.
func bootstrapURL(c *config.Cluster, errs *errList) (string, string) {
	if u := c.DCOS.BootstrapURL; u != "" {
		_, msg := checkBootstrapURL(u)
		if msg == "" {
			msg = unrenderable(u)
		}
		if msg != "" {
			errs.add("dcos.bootstrapURL", "%s", msg)
			return "", "dcos.bootstrapURL"
		}
		return u, "dcos.bootstrapURL"
	}
	port := c.DCOS.BootstrapPort
	if port == 0 {
		port = config.DefaultBootstrapPort // a Cluster built in code; Load refuses an explicit 0
	}
	ok := true
	if port < 1 || port > 65535 {
		errs.add("dcos.bootstrapPort", "must be between 1 and 65535, got %d", port)
		ok = false
	}
	ip := c.Nodes.Bootstrap.IP
	if !isIPv4(ip) {
		errs.add("nodes.bootstrap.ip", "must be an IPv4 address, got %q", ip)
		ok = false
	}
	if !ok {
		return "", "nodes.bootstrap.ip"
	}
	return "http://" + ip + ":" + strconv.Itoa(port), "nodes.bootstrap.ip"
}

// masterIPs lists the masters' addresses in config order, checked for
// what master_list needs (IPv4, unique, 1/3/5/7/9 of them).
func masterIPs(c *config.Cluster, errs *errList) []string {
	var ips []string
	seen := map[string]bool{}
	nodes := c.NodesOf(config.RoleMaster)
	for _, n := range nodes {
		switch {
		case !isIPv4(n.IP):
			errs.add("nodes.masters", "master %s: address %q is not an IPv4 address", n.Name, n.IP)
		case seen[n.IP]:
			errs.add("nodes.masters", "master %s: address %s is used by another master", n.Name, n.IP)
		default:
			seen[n.IP] = true
			ips = append(ips, n.IP)
		}
	}
	if !validMasterCount(len(nodes)) {
		errs.add("nodes.masters", "DC/OS needs 1, 3, 5, 7, or 9 masters, found %d", len(nodes))
	}
	return ips
}

// checkedDNS turns network.dns into resolvers: the nodes' DNS servers
// are DC/OS's upstream resolvers unless dcos.config.resolvers says
// otherwise. An empty list is refused: DC/OS 1.9 would silently fall back
// to 8.8.8.8 and 8.8.4.4 (and the nodes would get no DNS server at all).
func checkedDNS(dns []string, errs *errList) ([]any, bool) {
	if len(dns) == 0 {
		errs.add("network.dns", "required: the nodes' DNS servers, which are also DC/OS's upstream resolvers (left out, DC/OS 1.9 would silently use 8.8.8.8 and 8.8.4.4); to give DC/OS other resolvers, or none, set dcos.config.resolvers (e.g. [] for none)")
		return nil, false
	}
	seen := map[string]bool{}
	out := []any{}
	ok := true
	for i, s := range dns {
		field := fmt.Sprintf("network.dns[%d]", i)
		switch {
		case !isIPv4(s):
			errs.add(field, "%s is not an IPv4 address", show(s))
			ok = false
		case seen[s]:
			errs.add(field, "%s is listed twice (DC/OS 1.9 refuses duplicate resolvers)", s)
			ok = false
		default:
			seen[s] = true
			out = append(out, s)
		}
	}
	return out, ok
}

// checkRegistry checks the registry fields the cluster needs. Nothing of
// them goes into config.yaml: the agents get the credentials as
// /etc/mesosphere/docker_credentials (see Render).
func checkRegistry(r config.Registry, errs *errList) bool {
	server := r.Server
	ok := true
	if strings.Contains(server, "://") || strings.ContainsAny(server, "/ \t") {
		errs.add("registry.server", "must be a host name such as myregistry.azurecr.io (no scheme, no path), got %q", server)
		ok = false
	} else if _, err := netip.ParseAddr(server); err != nil && !validHostPort(server) {
		errs.add("registry.server", "must be a host name such as myregistry.azurecr.io, got %q", server)
		ok = false
	}
	if r.Username == "" {
		errs.add("registry.username", "required when registry.server is set")
		ok = false
	}
	if !r.Password.IsSet() {
		errs.add("registry.password", "required when registry.server is set (give ${ENV_VAR} or registry.passwordFile)")
		ok = false
	}
	return ok
}

// validHostPort accepts host or host:port with DNS-name characters.
func validHostPort(s string) bool {
	host, port, hasPort := strings.Cut(s, ":")
	if hasPort {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return false
		}
	}
	if host == "" || len(host) > 253 {
		return false
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return false
			}
		}
	}
	return true
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
