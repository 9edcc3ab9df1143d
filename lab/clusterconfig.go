package lab

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"text/template"
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

var clusterTemplate = template.Must(template.New("cluster").Parse(`# cluster.yaml for the dcos-vsphere lab in {{.Dir}}
# (written by the lab; install with: dcos-vsphere install --config {{.Path}})
name: lab
vcenter:
  url: {{.URL}}
  username: {{.User}}
  passwordFile: {{.PasswordFile}}
  thumbprint: "{{.Thumbprint}}"
  datacenter: DC0
  cluster: DC0_C0
  datastore: LocalDS_0
  folder: dcos-lab
  network: VM Network
template:
  name: centos7-template
network:
  gateway: {{.Gateway}}
  prefix: {{.Prefix}}
  dns: [{{.Gateway}}]
nodes:
  bootstrap:
    name: bootstrap
    ip: {{.Bootstrap}}
  masters:
    count: {{.Masters}}
    ipRange: {{.MasterRange}}
{{- if .Agents}}
  agents:
    count: {{.Agents}}
    ipRange: {{.AgentRange}}
{{- end}}
{{- if .PublicAgents}}
  publicAgents:
    count: {{.PublicAgents}}
    ipRange: {{.PublicRange}}
{{- end}}
ssh:
  user: centos
  keyFile: {{.KeyFile}}
  knownHostsFile: {{.KnownHosts}}
dcos:
  installer: {{.Installer}}
  ipDetect:
    method: route
{{- with .Registry}}
registry:
  server: {{.Host}}
  username: {{.Admin}}
  passwordFile: {{index .AdminPasswordFiles 0}}
  caFile: {{.CAFile}}
  checkImage: {{.Image}}
{{- end}}
{{- if .ACS}}
acs:
  masterFQDN: {{.ACS.MasterFQDN}}
  sshPort: {{.ACS.SSHPort 0}}
  user: {{.ACS.User}}
  keyFile: {{.ACS.KeyFile}}
  knownHostsFile: {{.ACS.KnownHostsFile}}
{{- end}}
`))

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
	var reg *ACR
	if t.Registry {
		if l.acr == nil {
			return fmt.Errorf("write lab cluster config: the lab has no registry")
		}
		info := l.ACR()
		reg = &info
	}
	var b strings.Builder
	err := clusterTemplate.Execute(&b, map[string]any{
		"Dir": l.opts.Dir, "Path": path, "URL": url, "User": user, "PasswordFile": pw, "Thumbprint": thumb,
		"Gateway": l.opts.gateway(), "Prefix": l.opts.Subnet.Bits(),
		"Bootstrap": at(bootstrapOffset), "Masters": t.Masters, "MasterRange": span(masterOffset, t.Masters),
		"Agents": t.Agents, "AgentRange": span(agentOffset, groupCapacity),
		"PublicAgents": t.PublicAgents, "PublicRange": span(publicAgentOffset, groupCapacity),
		"KeyFile": l.KeyFile(), "KnownHosts": l.KnownHostsFile(), "Installer": l.InstallerPath(),
		"Registry": reg,
		"ACS":      l.acs,
	})
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write lab cluster config %s: %w", path, err)
	}
	return nil
}
