package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// Prompts of the network and node pages.
const (
	promptGateway       = "Gateway"
	promptPrefix        = "Prefix length"
	promptDNS           = "DNS servers"
	promptSearchDomain  = "Search domain (optional)"
	promptBootstrapIP   = "Bootstrap node IP"
	promptMasters       = "Masters"
	promptMasterIP      = "First master IP"
	promptAgents        = "Private agents"
	promptAgentIP       = "First private agent IP"
	promptPublic        = "Public agents"
	promptPublicIP      = "First public agent IP"
	promptBootstrapName = "Bootstrap node name"
	promptMasterPrefix  = "Master name prefix"
	promptAgentPrefix   = "Private agent name prefix"
	promptPublicPrefix  = "Public agent name prefix"
	promptSizeBootstrap = "Bootstrap node size"
	promptSizeMasters   = "Master size"
	promptSizeAgents    = "Private agent size"
	promptSizePublic    = "Public agent size"
)

type networkPage struct {
	meta
	gateway, prefix, dns, search string
}

func (p *networkPage) load(_ *wizard, c config.Cluster) {
	n := c.Network
	p.gateway, p.prefix, p.dns, p.search = n.Gateway, itoaOr(n.Prefix, "24"), strings.Join(n.DNS, ", "), n.SearchDomain
	if n.Prefix == 0 && n.Netmask != "" {
		p.prefix = itoaOr(c.PrefixLen(), "24")
	}
}
func (p *networkPage) hidden(*wizard) bool              { return false }
func (p *networkPage) owns(_ *wizard, path string) bool { return hasPrefix(path, "network") }
func (p *networkPage) fields(_ *wizard, f *fieldSet) {
	f.input(promptGateway, "IPv4 address of the nodes' default gateway; the nodes get static addresses in its network", &p.gateway, config.CheckIPv4)
	f.input(promptPrefix, "e.g. 24 for 255.255.255.0", &p.prefix, func(s string) error {
		n, err := number(s, "prefix")
		if err != nil {
			return err
		}
		return config.CheckPrefix(n)
	})
	f.input(promptDNS, "comma-separated IPv4 addresses", &p.dns, func(s string) error {
		items := splitList(s)
		if len(items) == 0 {
			return fmt.Errorf("required: at least one DNS server")
		}
		for _, it := range items {
			if err := config.CheckIPv4(it); err != nil {
				return err
			}
		}
		return nil
	})
	f.input(promptSearchDomain, "", &p.search, optional(config.CheckDomain))
}
func (p *networkPage) apply(_ *wizard, c *config.Cluster) error {
	prefix, err := number(p.prefix, "prefix")
	if err != nil {
		return err
	}
	c.Network = config.Network{Gateway: strings.TrimSpace(p.gateway), Prefix: prefix, DNS: splitList(p.dns), SearchDomain: strings.TrimSpace(p.search)}
	return nil
}

// nodesPage asks how many nodes of each role, and the bootstrap node's
// address; addressesPage then asks where each group's addresses start.
// config's rules check them against the network and each other.
type nodesPage struct {
	meta
	bootstrap      string
	masters        int
	agents, public string
}

func (p *nodesPage) load(_ *wizard, c config.Cluster) {
	n := c.Nodes
	p.bootstrap = n.Bootstrap.IP
	p.masters, p.agents, p.public = groupCount(n.Masters), strconv.Itoa(groupCount(n.Agents)), strconv.Itoa(groupCount(n.PublicAgents))
	if p.masters == 0 {
		p.masters = 3
	}
	if groupCount(n.Agents) == 0 {
		p.agents = "1"
	}
}

func groupCount(g config.NodeGroup) int {
	if len(g.Hosts) > 0 {
		return len(g.Hosts)
	}
	return g.Count
}

// firstIP is where a group's addresses start.
func firstIP(g config.NodeGroup) string {
	if len(g.Hosts) > 0 {
		return g.Hosts[0].IP
	}
	first, _, _ := strings.Cut(g.IPRange, "-")
	return strings.TrimSpace(first)
}

func (p *nodesPage) hidden(*wizard) bool { return false }
func (p *nodesPage) owns(_ *wizard, path string) bool {
	return hasPrefix(path, "nodes.bootstrap.ip", "nodes.masters.count", "nodes.agents.count", "nodes.publicAgents.count") || path == "nodes.masters"
}

func (p *nodesPage) fields(w *wizard, f *fieldSet) {
	gw, prefix := w.c.Network.Gateway, w.c.Network.Prefix
	f.input(promptBootstrapIP, "the node that serves the DC/OS install files", &p.bootstrap, func(s string) error {
		return config.CheckNodeAddress(s, gw, prefix)
	})
	masters := make([]option[int], 0, 5)
	for _, n := range config.MasterCounts() {
		label := strconv.Itoa(n)
		if n == 1 {
			label += " (no high availability)"
		}
		masters = append(masters, option[int]{label, n})
	}
	choose(f, promptMasters, "DC/OS 1.9 runs 1, 3, 5, 7 or 9 masters", &p.masters, masters...)
	count := numberIn(0, config.MaxGroupCount, "count")
	f.input(promptAgents, "how many", &p.agents, count)
	f.input(promptPublic, "how many (public agents serve traffic from outside)", &p.public, count)
}

func (p *nodesPage) counts() (agents, public int, err error) {
	if agents, err = number(p.agents, "private agents"); err != nil {
		return 0, 0, err
	}
	public, err = number(p.public, "public agents")
	return agents, public, err
}

func (p *nodesPage) apply(w *wizard, c *config.Cluster) error {
	agents, public, err := p.counts()
	if err != nil {
		return err
	}
	c.Nodes.Bootstrap.IP = strings.TrimSpace(p.bootstrap)
	a := pageOf[*addressesPage](w)
	setGroup(&c.Nodes.Masters, p.masters, a.master)
	setGroup(&c.Nodes.Agents, agents, a.agent)
	setGroup(&c.Nodes.PublicAgents, public, a.public)
	return nil
}

// setGroup makes g count nodes from the first address on; its name
// prefix and size are the other pages'.
func setGroup(g *config.NodeGroup, count int, first string) {
	g.Hosts, g.Count, g.IPRange = nil, count, ""
	if count > 0 {
		g.IPRange = strings.TrimSpace(first)
	}
}

// addressesPage asks where each group's consecutive addresses start.
type addressesPage struct {
	meta
	master, agent, public string
}

func (p *addressesPage) load(_ *wizard, c config.Cluster) {
	n := c.Nodes
	p.master, p.agent, p.public = firstIP(n.Masters), firstIP(n.Agents), firstIP(n.PublicAgents)
}
func (p *addressesPage) hidden(*wizard) bool { return false }
func (p *addressesPage) owns(_ *wizard, path string) bool {
	return hasPrefix(path, "nodes.masters.ipRange", "nodes.agents.ipRange", "nodes.publicAgents.ipRange",
		"nodes.masters.hosts", "nodes.agents.hosts", "nodes.publicAgents.hosts")
}
func (p *addressesPage) fields(w *wizard, f *fieldSet) {
	n := w.c.Nodes
	gw, prefix := w.c.Network.Gateway, w.c.Network.Prefix
	addr := func(s string) error { return config.CheckNodeAddress(s, gw, prefix) }
	w.notes = append(w.notes, fmt.Sprintf("Bootstrap node: %s. Each group takes consecutive addresses from its first one.", n.Bootstrap.IP))
	f.input(promptMasterIP, fmt.Sprintf("%d master(s)", n.Masters.Count), &p.master, addr)
	if n.Agents.Count > 0 {
		f.input(promptAgentIP, fmt.Sprintf("%d private agent(s)", n.Agents.Count), &p.agent, addr)
	}
	if n.PublicAgents.Count > 0 {
		f.input(promptPublicIP, fmt.Sprintf("%d public agent(s)", n.PublicAgents.Count), &p.public, addr)
	}
}
func (p *addressesPage) apply(_ *wizard, c *config.Cluster) error {
	n := &c.Nodes
	setGroup(&n.Masters, n.Masters.Count, p.master)
	setGroup(&n.Agents, n.Agents.Count, p.agent)
	setGroup(&n.PublicAgents, n.PublicAgents.Count, p.public)
	return nil
}

// namesPage: the node names, editable (VM names are also host names).
type namesPage struct {
	meta
	bootstrap, master, agent, public string
}

func (p *namesPage) load(_ *wizard, c config.Cluster) {
	n := c.Nodes
	p.bootstrap = or(n.Bootstrap.Name, config.DefaultBootstrapName)
	p.master = or(n.Masters.NamePrefix, config.DefaultMasterPrefix)
	p.agent = or(n.Agents.NamePrefix, config.DefaultAgentPrefix)
	p.public = or(n.PublicAgents.NamePrefix, config.DefaultPublicAgentPrefix)
}
func (p *namesPage) hidden(*wizard) bool { return false }
func (p *namesPage) owns(_ *wizard, path string) bool {
	return hasPrefix(path, "nodes") && namePath(path)
}
func (p *namesPage) fields(w *wizard, f *fieldSet) {
	w.notes = append(w.notes, "VM names are also the nodes' host names; the VMs go into folder "+w.c.VCenter.Folder+".")
	f.input(promptBootstrapName, "", &p.bootstrap, config.CheckHostName)
	n := w.c.Nodes
	prefix := func(title string, v *string, count int) {
		if count > 0 {
			f.input(title, "", v, config.CheckNamePrefix)
			w.notes = append(w.notes, fmt.Sprintf("%s: %s", title, namesOf(*v, count)))
		}
	}
	prefix(promptMasterPrefix, &p.master, n.Masters.Count)
	prefix(promptAgentPrefix, &p.agent, n.Agents.Count)
	prefix(promptPublicPrefix, &p.public, n.PublicAgents.Count)
}

// namesOf shows the names a prefix makes.
func namesOf(prefix string, count int) string {
	if count == 1 {
		return prefix + "1"
	}
	return fmt.Sprintf("%s1 … %s%d", prefix, prefix, count)
}

func (p *namesPage) apply(_ *wizard, c *config.Cluster) error {
	n := &c.Nodes
	n.Bootstrap.Name = strings.TrimSpace(p.bootstrap)
	n.Masters.NamePrefix = strings.TrimSpace(p.master)
	n.Agents.NamePrefix = strings.TrimSpace(p.agent)
	n.PublicAgents.NamePrefix = strings.TrimSpace(p.public)
	return nil
}

// sizesPage shows each role's VM size (DC/OS 1.9 minimums by default) and
// lets the user change it.
type sizesPage struct {
	meta
	bootstrap, master, agent, public string
}

func (p *sizesPage) load(_ *wizard, c config.Cluster) {
	n := c.Nodes
	p.bootstrap = sizeText(n.Bootstrap.Size, config.RoleBootstrap)
	p.master = sizeText(n.Masters.Size, config.RoleMaster)
	p.agent = sizeText(n.Agents.Size, config.RoleAgent)
	p.public = sizeText(n.PublicAgents.Size, config.RolePublicAgent)
}

// sizeText shows s, its zero fields as the role's default.
func sizeText(s config.Size, r config.Role) string {
	d := config.DefaultSize(r)
	if s.CPUs == 0 {
		s.CPUs = d.CPUs
	}
	if s.MemoryMB == 0 {
		s.MemoryMB = d.MemoryMB
	}
	if s.DiskGB == 0 {
		s.DiskGB = d.DiskGB
	}
	return fmt.Sprintf("%d, %d, %d", s.CPUs, s.MemoryMB, s.DiskGB)
}

// parseSize reads "CPUs, memory MB, disk GB".
func parseSize(s string) (config.Size, error) {
	parts := splitList(s)
	if len(parts) != 3 {
		return config.Size{}, fmt.Errorf("%q: give three numbers: CPUs, memory in MB, disk in GB (e.g. 4, 32768, 120)", s)
	}
	var v [3]int
	for i, what := range []string{"CPUs", "memory MB", "disk GB"} {
		n, err := number(parts[i], what)
		if err != nil {
			return config.Size{}, err
		}
		if n < 1 {
			return config.Size{}, fmt.Errorf("%s: %d is not a positive number", what, n)
		}
		v[i] = n
	}
	return config.Size{CPUs: v[0], MemoryMB: v[1], DiskGB: v[2]}, nil
}

func (p *sizesPage) hidden(*wizard) bool { return false }
func (p *sizesPage) owns(_ *wizard, path string) bool {
	return hasPrefix(path, "nodes") && sizePath(path)
}
func (p *sizesPage) fields(w *wizard, f *fieldSet) {
	check := func(s string) error { _, err := parseSize(s); return err }
	desc := func(r config.Role) string {
		return "CPUs, memory (MB), disk (GB); DC/OS 1.9 minimum " + sizeText(config.Size{}, r)
	}
	n := w.c.Nodes
	f.input(promptSizeBootstrap, desc(config.RoleBootstrap), &p.bootstrap, check)
	f.input(promptSizeMasters, desc(config.RoleMaster), &p.master, check)
	if n.Agents.Count > 0 {
		f.input(promptSizeAgents, desc(config.RoleAgent), &p.agent, check)
	}
	if n.PublicAgents.Count > 0 {
		f.input(promptSizePublic, desc(config.RolePublicAgent), &p.public, check)
	}
}
func (p *sizesPage) apply(_ *wizard, c *config.Cluster) error {
	n := &c.Nodes
	for _, s := range []struct {
		text string
		dst  *config.Size
		used bool
	}{
		{p.bootstrap, &n.Bootstrap.Size, true},
		{p.master, &n.Masters.Size, true},
		{p.agent, &n.Agents.Size, n.Agents.Count > 0},
		{p.public, &n.PublicAgents.Size, n.PublicAgents.Count > 0},
	} {
		if !s.used {
			*s.dst = config.Size{}
			continue
		}
		size, err := parseSize(s.text)
		if err != nil {
			return err
		}
		*s.dst = size
	}
	return nil
}

func namePath(path string) bool {
	return strings.HasSuffix(path, ".namePrefix") || strings.HasSuffix(path, ".name")
}

func sizePath(path string) bool {
	return strings.HasSuffix(path, ".cpus") || strings.HasSuffix(path, ".memoryMB") || strings.HasSuffix(path, ".diskGB")
}
