package config

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/dcos-vsphere/dcos-vsphere/internal/ipv4"
)

// Role is what a node does in the cluster.
type Role string

// The four node roles.
const (
	RoleBootstrap   Role = "bootstrap"
	RoleMaster      Role = "master"
	RoleAgent       Role = "agent"
	RolePublicAgent Role = "public-agent"
)

// InstallRole is the argument dcos_install.sh takes for this role
// ("master", "slave", "slave_public"); "" for the bootstrap node, which
// runs no DC/OS.
func (r Role) InstallRole() string {
	switch r {
	case RoleMaster:
		return "master"
	case RoleAgent:
		return "slave"
	case RolePublicAgent:
		return "slave_public"
	}
	return ""
}

// String is the role's name.
func (r Role) String() string { return string(r) }

// MaxGroupCount bounds nodes.<group>.count: far above any DC/OS 1.9
// cluster this tool targets, low enough that a typo cannot make it plan
// millions of VMs.
const MaxGroupCount = 1000

// PlannedNode is one VM of the cluster after expanding groups and
// applying size defaults.
type PlannedNode struct {
	Name string
	IP   string
	Role Role
	Size Size
}

// sourcedNode is a PlannedNode with the field paths that produced it,
// for validation messages.
type sourcedNode struct {
	PlannedNode
	ipPath   string // e.g. nodes.masters.hosts[2].ip or nodes.agents.ipRange
	namePath string // e.g. nodes.masters.hosts[2].name or nodes.agents.namePrefix
	label    string // how other messages refer to it
}

// AllNodes lists every node: bootstrap, masters, agents, public agents,
// in that order, with names and sizes filled in. On a config that failed
// validation the result is best effort.
func (c *Cluster) AllNodes() []PlannedNode {
	src := c.expand(nil)
	out := make([]PlannedNode, len(src))
	for i, n := range src {
		out[i] = n.PlannedNode
	}
	return out
}

// NodesOf lists the nodes with role r, in file order.
func (c *Cluster) NodesOf(r Role) []PlannedNode {
	var out []PlannedNode
	for _, n := range c.AllNodes() {
		if n.Role == r {
			out = append(out, n)
		}
	}
	return out
}

// nodeGroups is the one table of the node groups: each group's role, its
// YAML key under nodes, and where it is in a Cluster.
var nodeGroups = []struct {
	role  Role
	key   string
	field func(*Nodes) *NodeGroup
}{
	{RoleMaster, "masters", func(n *Nodes) *NodeGroup { return &n.Masters }},
	{RoleAgent, "agents", func(n *Nodes) *NodeGroup { return &n.Agents }},
	{RolePublicAgent, "publicAgents", func(n *Nodes) *NodeGroup { return &n.PublicAgents }},
}

// groupRoute is role's entry of nodeGroups; ok is false for a role
// without a node group (bootstrap).
func groupRoute(role Role) (key string, field func(*Nodes) *NodeGroup, ok bool) {
	for _, e := range nodeGroups {
		if e.role == role {
			return e.key, e.field, true
		}
	}
	return "", nil, false
}

// groups names the node groups with their role and field path.
func (c *Cluster) groups() []struct {
	g    *NodeGroup
	role Role
	path string
} {
	out := make([]struct {
		g    *NodeGroup
		role Role
		path string
	}, len(nodeGroups))
	for i, e := range nodeGroups {
		out[i].g, out[i].role, out[i].path = e.field(&c.Nodes), e.role, "nodes."+e.key
	}
	return out
}

// group is role's node group in c, or nil for a role without one.
func (c *Cluster) group(role Role) *NodeGroup {
	if _, field, ok := groupRoute(role); ok {
		return field(&c.Nodes)
	}
	return nil
}

// expand builds the node list; problems go to r when r is not nil.
func (c *Cluster) expand(r *report) []sourcedNode {
	b := c.Nodes.Bootstrap
	name := b.Name
	if name == "" {
		name = DefaultBootstrapName
	}
	out := []sourcedNode{{
		PlannedNode: PlannedNode{Name: name, IP: b.IP, Role: RoleBootstrap, Size: b.Size.or(DefaultSize(RoleBootstrap))},
		ipPath:      "nodes.bootstrap.ip", namePath: "nodes.bootstrap.name", label: "nodes.bootstrap",
	}}
	for _, grp := range c.groups() {
		g, path := grp.g, grp.path
		def := g.Size.or(DefaultSize(grp.role))
		if len(g.Hosts) > 0 {
			for i, h := range g.Hosts {
				hp := fmt.Sprintf("%s.hosts[%d]", path, i)
				n := sourcedNode{
					PlannedNode: PlannedNode{Name: h.Name, IP: h.IP, Role: grp.role, Size: h.Size.or(def)},
					ipPath:      hp + ".ip", namePath: hp + ".name", label: hp,
				}
				if n.Name == "" {
					n.Name = fmt.Sprintf("%s%d", g.NamePrefix, i+1)
					n.namePath = path + ".namePrefix"
				}
				out = append(out, n)
			}
			continue
		}
		if g.Count <= 0 {
			continue
		}
		if g.Count > MaxGroupCount {
			if r != nil {
				r.err(path+".count", fmt.Sprintf("count %d is more than %d", g.Count, MaxGroupCount))
			}
			continue
		}
		ips, err := rangeAddrs(g.IPRange, g.Count)
		if err != nil && r != nil {
			r.err(path+".ipRange", err.Error())
		}
		for i := 0; i < g.Count; i++ {
			n := sourcedNode{
				PlannedNode: PlannedNode{Name: fmt.Sprintf("%s%d", g.NamePrefix, i+1), Role: grp.role, Size: def},
				ipPath:      path + ".ipRange", namePath: path + ".namePrefix",
			}
			if i < len(ips) {
				n.IP = ips[i]
			}
			n.label = fmt.Sprintf("%s (%s from ipRange)", path, n.Name)
			out = append(out, n)
		}
	}
	return out
}

// rangeAddrs returns count consecutive addresses from spec, which is
// "first-last" (inclusive) or just "first".
func rangeAddrs(spec string, count int) ([]string, error) {
	if spec == "" {
		return nil, fmt.Errorf("count %d needs an ipRange (\"a.b.c.d-a.b.c.e\" or a first address)", count)
	}
	first, last, hasLast, err := parseRange(spec)
	if err != nil {
		return nil, err
	}
	start := ipv4.ToUint(first)
	if hasLast {
		end := ipv4.ToUint(last)
		if size := uint64(end-start) + 1; size < uint64(count) {
			return nil, fmt.Errorf("range %s holds %d addresses, but count is %d", spec, size, count)
		}
	} else if uint64(start)+uint64(count)-1 > 0xffffffff {
		return nil, fmt.Errorf("%q: %d addresses from here run past 255.255.255.255", spec, count)
	}
	out := make([]string, count)
	for i := range out {
		out[i] = ipv4.FromUint(start + uint32(i)).String()
	}
	return out, nil
}

// parseRange reads an ipRange, "first-last" (inclusive, last not before
// first) or just "first" (then hasLast is false and last is unset).
func parseRange(spec string) (first, last netip.Addr, hasLast bool, err error) {
	firstS, lastS, hasLast := strings.Cut(spec, "-")
	if first, err = parseIPv4(strings.TrimSpace(firstS)); err != nil {
		return first, last, hasLast, fmt.Errorf("%q: first address %v", spec, err)
	}
	if !hasLast {
		return first, last, false, nil
	}
	if last, err = parseIPv4(strings.TrimSpace(lastS)); err != nil {
		return first, last, true, fmt.Errorf("%q: last address %v", spec, err)
	}
	if ipv4.ToUint(last) < ipv4.ToUint(first) {
		return first, last, true, fmt.Errorf("%q: last address is before the first", spec)
	}
	return first, last, true, nil
}

// parseIPv4 accepts only dotted-quad IPv4 (no IPv6, no zones).
func parseIPv4(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, fmt.Errorf("%q is not an IPv4 address", s)
	}
	return a, nil
}
