package lab

import (
	"fmt"
	"net/netip"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/internal/fsutil"
)

// Topology is how many nodes of each role the generated cluster.yaml asks
// for (plus one bootstrap node), and whether it uses the lab registry.
type Topology struct {
	Masters, Agents, PublicAgents int
	// Registry writes a registry section for the lab registry: its address,
	// CA file, the admin user with its first password file, and the seeded
	// image as registry.checkImage.
	Registry bool
}

// DefaultTopology is the smallest highly available cluster: 3 masters, 2
// agents and 1 public agent, with the lab registry.
var DefaultTopology = Topology{Masters: 3, Agents: 2, PublicAgents: 1, Registry: true}

// Node addresses inside the lab subnet (offsets from its first address).
const (
	bootstrapOffset   = 10
	masterOffset      = 11
	agentOffset       = 21
	publicAgentOffset = 31
	groupCapacity     = 10
)

// WriteClusterConfig writes a ready cluster.yaml for this lab: its vCenter
// (URL, user, password file, pinned thumbprint, DC0/DC0_C0/LocalDS_0,
// folder dcos-lab, "VM Network"), the template, the subnet (gateway and DNS
// = bridge address), nodes — bootstrap at .10, masters from .11, agents
// from .21, public agents from .31 — the lab SSH key and known_hosts, and
// the DC/OS stand-in installer; with t.Registry the lab registry (secrets
// by file: the admin password file is 0600); with an ACS world also its
// acs section (the load balancer's address as masterFQDN, port 2200,
// azureuser, the ACS key and known_hosts).
func (l *Lab) WriteClusterConfig(path string, t Topology) error {
	if t.Masters < 1 || t.Masters > groupCapacity || t.Agents < 0 || t.Agents > groupCapacity ||
		t.PublicAgents < 0 || t.PublicAgents > groupCapacity {
		return fmt.Errorf("write lab cluster config: topology %+v: masters 1-%d, agents and public agents 0-%d", t, groupCapacity, groupCapacity)
	}
	if l.opts.Subnet.Bits() > 26 {
		return fmt.Errorf("write lab cluster config: subnet %s is too small for node addresses up to .%d", l.opts.Subnet, publicAgentOffset+groupCapacity)
	}
	at := func(off int) netip.Addr {
		a := l.opts.Subnet.Addr()
		for range off {
			a = a.Next()
		}
		return a
	}
	// Agent ranges span the whole block so add-agents finds free addresses.
	span := func(off, n int) string {
		if n <= 1 {
			return at(off).String()
		}
		return at(off).String() + "-" + at(off+n-1).String()
	}
	url, thumb, user, pw := l.VCenter()
	c := config.Cluster{
		Name: "lab",
		VCenter: config.VCenter{URL: url, Username: user, PasswordFile: pw, Thumbprint: thumb,
			Datacenter: "DC0", Cluster: "DC0_C0", Datastore: "LocalDS_0", Folder: "dcos-lab", Network: "VM Network"},
		Template: config.Template{Name: "centos7-template"},
		Network:  config.Network{Gateway: l.opts.gateway().String(), Prefix: l.opts.Subnet.Bits(), DNS: []string{l.opts.gateway().String()}},
		Nodes: config.Nodes{
			Bootstrap: config.Node{Name: "bootstrap", IP: at(bootstrapOffset).String()},
			Masters:   config.NodeGroup{Count: t.Masters, IPRange: span(masterOffset, t.Masters)},
		},
		SSH:  config.SSH{User: "centos", KeyFile: l.KeyFile(), KnownHostsFile: l.KnownHostsFile()},
		DCOS: config.DCOS{Installer: l.InstallerPath(), IPDetect: config.IPDetect{Method: "route"}},
	}
	if t.Agents > 0 {
		c.Nodes.Agents = config.NodeGroup{Count: t.Agents, IPRange: span(agentOffset, groupCapacity)}
	}
	if t.PublicAgents > 0 {
		c.Nodes.PublicAgents = config.NodeGroup{Count: t.PublicAgents, IPRange: span(publicAgentOffset, groupCapacity)}
	}
	if t.Registry {
		if l.acr == nil {
			return fmt.Errorf("write lab cluster config: the lab has no registry")
		}
		r := l.ACR()
		c.Registry = config.Registry{Server: r.Host, Username: r.Admin, PasswordFile: r.AdminPasswordFiles[0], CAFile: r.CAFile, CheckImage: r.Image}
	}
	if a := l.acs; a != nil {
		c.ACS = config.ACS{MasterFQDN: a.MasterFQDN(), SSHPort: a.SSHPort(0), User: a.User(), KeyFile: a.KeyFile(), KnownHostsFile: a.KnownHostsFile()}
	}
	// The same schema and comments as `dcos-vsphere init` (config.Marshal),
	// so the lab's file is read by exactly the rules a user's is.
	doc, err := config.Marshal(c)
	if err != nil {
		return fmt.Errorf("write lab cluster config: %w", err)
	}
	head := fmt.Sprintf("# cluster.yaml for the dcos-vsphere lab in %s\n# (written by the lab; install with: dcos-vsphere install --config %s)\n", l.opts.Dir, path)
	if err := fsutil.WriteAtomic(path, append([]byte(head), doc...), 0o600); err != nil {
		return fmt.Errorf("write lab cluster config %s: %w", path, err)
	}
	return nil
}
