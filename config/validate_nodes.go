package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dcos-vsphere/dcos-vsphere/internal/ipv4"
)

func validateSize(r *report, path string, s Size) {
	for _, f := range []struct {
		name string
		v    int
	}{{"cpus", s.CPUs}, {"memoryMB", s.MemoryMB}, {"diskGB", s.DiskGB}} {
		if f.v < 0 {
			r.err(joinPath(path, f.name), fmt.Sprintf("%d is negative", f.v))
		}
	}
}

func validateNodes(c *Cluster, r *report) {
	if c.Nodes.Bootstrap.IP == "" {
		r.err("nodes.bootstrap.ip", "required: the bootstrap node's static IPv4 address")
	}
	validateSize(r, "nodes.bootstrap", c.Nodes.Bootstrap.Size)
	for _, grp := range c.groups() {
		g, path := grp.g, grp.path
		validateSize(r, path, g.Size)
		for i, h := range g.Hosts {
			hp := fmt.Sprintf("%s.hosts[%d]", path, i)
			validateSize(r, hp, h.Size)
			if h.IP == "" {
				r.err(hp+".ip", "required: the node's static IPv4 address")
			}
		}
		if len(g.Hosts) > 0 && (g.Count != 0 || g.IPRange != "") {
			field := path + ".count"
			if g.Count == 0 {
				field = path + ".ipRange"
			}
			r.err(field, fmt.Sprintf("set %s.hosts or %s.count with %s.ipRange, not both", path, path, path))
		}
		if g.Count < 0 {
			r.err(path+".count", fmt.Sprintf("count %d is negative", g.Count))
		}
		if len(g.Hosts) == 0 && g.Count == 0 && g.IPRange != "" {
			r.err(path+".ipRange", "ipRange needs count (how many nodes to take from it)")
		}
		if err := CheckNamePrefix(g.NamePrefix); err != nil {
			r.err(path+".namePrefix", err.Error())
		}
	}
	nodes := c.expand(r)
	masters := 0
	for _, n := range nodes {
		if n.Role == RoleMaster {
			masters++
		}
	}
	if err := CheckMasters(masters); err != nil {
		r.errAt(r.keyAt("nodes.masters"), "nodes.masters", err.Error())
	}
	validateAddresses(c, r, nodes)
	validateRanges(c, r)
	validateNames(r, nodes)
}

// validateRanges: a "first-last" ipRange ends inside the network too, so
// that add-agents never hands out an address beyond it.
func validateRanges(c *Cluster, r *report) {
	subnet, ok := c.Subnet()
	if !ok {
		return
	}
	for _, grp := range c.groups() {
		g := grp.g
		if len(g.Hosts) > 0 || g.Count <= 0 || !strings.Contains(g.IPRange, "-") {
			continue
		}
		_, last, err := rangeBounds(g)
		if err != nil {
			continue // reported by expand
		}
		if !subnet.Contains(last) || ipv4.IsNetworkOrBroadcast(subnet, last) {
			r.err(grp.path+".ipRange", fmt.Sprintf("the range ends at %s, outside the usable addresses of the network %s", last, subnet))
		}
	}
}

// validateAddresses: every node IP is IPv4, inside the network, not the
// network or broadcast address, and used once (gateway included).
func validateAddresses(c *Cluster, r *report, nodes []sourcedNode) {
	subnet, haveSubnet := c.Subnet()
	// Check in file order so the later use is the one reported.
	order := make([]int, len(nodes))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		pa, pb := r.at(nodes[order[a]].ipPath), r.at(nodes[order[b]].ipPath)
		return pa.Line < pb.Line
	})
	usedBy := map[string]string{}
	outsideReported := map[string]bool{}
	if gw, err := parseIPv4(c.Network.Gateway); err == nil {
		usedBy[gw.String()] = "network.gateway"
	}
	for _, i := range order {
		n := nodes[i]
		if n.IP == "" {
			continue
		}
		who := ""
		if strings.HasSuffix(n.ipPath, ".ipRange") {
			who = " (" + n.Name + ")"
		}
		a, err := parseIPv4(n.IP)
		if err != nil {
			r.err(n.ipPath, err.Error())
			continue
		}
		if haveSubnet && !outsideReported[n.ipPath] {
			if msg := addressProblem(a, who, subnet); msg != "" {
				r.err(n.ipPath, msg)
				// One report per ipRange is enough: the rest of it is as wrong.
				outsideReported[n.ipPath] = who != ""
			}
		}
		if prev, dup := usedBy[a.String()]; dup {
			r.err(n.ipPath, fmt.Sprintf("%s%s is also used by %s", a, who, prev))
			continue
		}
		usedBy[a.String()] = n.label
	}
}

// validateNames: valid RFC 1123 labels, unique ignoring case.
func validateNames(r *report, nodes []sourcedNode) {
	seen := map[string]string{}
	for _, n := range nodes {
		if err := CheckHostName(n.Name); err != nil {
			if !strings.HasSuffix(n.namePath, ".namePrefix") {
				r.err(n.namePath, err.Error())
			}
			continue
		}
		key := strings.ToLower(n.Name)
		if prev, dup := seen[key]; dup {
			r.err(n.namePath, fmt.Sprintf("name %q is also used by %s", n.Name, prev))
			continue
		}
		seen[key] = n.label
	}
}
