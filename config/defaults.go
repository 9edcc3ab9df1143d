package config

import "path/filepath"

// Defaults for fields left out of cluster.yaml. Each is also shown in
// example.yaml.
const (
	// DefaultSSHPort is ssh.port (and ssh.jumpHost.port).
	DefaultSSHPort = 22
	// DefaultSSHUser is ssh.user: the CentOS 7 cloud image's user.
	DefaultSSHUser = "centos"
	// DefaultBootstrapPort is dcos.bootstrapPort, where the bootstrap
	// node serves genconf/serve over HTTP.
	DefaultBootstrapPort = 80
	// DefaultIPDetectMethod is dcos.ipDetect.method: the source address
	// the kernel uses toward the first master.
	DefaultIPDetectMethod = "route"
	// DefaultACSSSHPort is acs.sshPort: the Azure load balancer forwards
	// 2200 to master 0's SSH (2200+i to master i).
	DefaultACSSSHPort = 2200
	// DefaultACSUser is acs.user: ACS's linuxAdminUsername default.
	DefaultACSUser = "azureuser"
	// DefaultACSKnownHostsName is acs.knownHostsFile's name in the state
	// dir: ACS agents have private addresses that may also exist on the
	// vSphere side, so their keys are kept apart.
	DefaultACSKnownHostsName = "acs_known_hosts"
	// DefaultBootstrapName is nodes.bootstrap.name.
	DefaultBootstrapName = "bootstrap"
	// StateDirName is the directory beside cluster.yaml holding state.
	StateDirName = ".dcos-vsphere"
)

// Default name prefixes of nodes.<group>.namePrefix; nodes are named
// prefix + 1..N.
const (
	DefaultMasterPrefix      = "master-"
	DefaultAgentPrefix       = "agent-"
	DefaultPublicAgentPrefix = "public-agent-"
)

// DefaultSize is the VM size a role gets when cpus/memoryMB/diskGB are
// left out: the DC/OS 1.9 system requirements for CentOS 7 (bootstrap
// 2 CPU/16 GB/60 GB, master 4/32 GB/120 GB, agents 2/16 GB/60 GB).
func DefaultSize(r Role) Size {
	switch r {
	case RoleMaster:
		return Size{CPUs: 4, MemoryMB: 32768, DiskGB: 120}
	default:
		return Size{CPUs: 2, MemoryMB: 16384, DiskGB: 60}
	}
}

// orSize fills zero fields of s from d.
func (s Size) or(d Size) Size {
	if s.CPUs == 0 {
		s.CPUs = d.CPUs
	}
	if s.MemoryMB == 0 {
		s.MemoryMB = d.MemoryMB
	}
	if s.DiskGB == 0 {
		s.DiskGB = d.DiskGB
	}
	return s
}

// applyDefaults fills every defaulted field (documented above). Node
// sizes are filled per node by AllNodes, so that a group size can still
// override the role default.
func (c *Cluster) applyDefaults() {
	if c.SSH.Port == 0 {
		c.SSH.Port = DefaultSSHPort
	}
	if c.SSH.User == "" {
		c.SSH.User = DefaultSSHUser
	}
	if c.SSH.KnownHostsFile == "" && c.Name != "" {
		c.SSH.KnownHostsFile = filepath.Join(c.StateDir(), "known_hosts")
	}
	if j := c.SSH.JumpHost; j != nil {
		if j.Port == 0 {
			j.Port = DefaultSSHPort
		}
		if j.User == "" {
			j.User = c.SSH.User
		}
	}
	// An explicit bootstrapPort: 0 stays 0, so that validation refuses it
	// instead of silently serving on 80.
	if _, explicit := c.pos["dcos.bootstrapPort"]; c.DCOS.BootstrapPort == 0 && c.DCOS.BootstrapURL == "" && !explicit {
		c.DCOS.BootstrapPort = DefaultBootstrapPort
	}
	if c.DCOS.ClusterName == "" {
		c.DCOS.ClusterName = c.Name
	}
	if c.DCOS.IPDetect.Method == "" {
		c.DCOS.IPDetect.Method = DefaultIPDetectMethod
	}
	if p := c.DCOS.IPDetectPublic; p != nil && p.Method == "" {
		p.Method = DefaultIPDetectMethod
	}
	if c.ACS.SSHPort == 0 {
		c.ACS.SSHPort = DefaultACSSSHPort
	}
	if c.ACS.Enabled() {
		if c.ACS.User == "" {
			c.ACS.User = DefaultACSUser
		}
		if c.ACS.KnownHostsFile == "" && c.Name != "" {
			c.ACS.KnownHostsFile = filepath.Join(c.StateDir(), DefaultACSKnownHostsName)
		}
	}
	if c.Nodes.Bootstrap.Name == "" {
		c.Nodes.Bootstrap.Name = DefaultBootstrapName
	}
	for _, g := range []struct {
		g      *NodeGroup
		prefix string
	}{{&c.Nodes.Masters, DefaultMasterPrefix}, {&c.Nodes.Agents, DefaultAgentPrefix}, {&c.Nodes.PublicAgents, DefaultPublicAgentPrefix}} {
		if g.g.NamePrefix == "" {
			g.g.NamePrefix = g.prefix
		}
	}
}

// withDefaults is a copy of c with the defaults applied; the fields
// applyDefaults changes behind pointers are copied first.
func (c *Cluster) withDefaults() *Cluster {
	cp := *c
	if j := c.SSH.JumpHost; j != nil {
		jc := *j
		cp.SSH.JumpHost = &jc
	}
	if p := c.DCOS.IPDetectPublic; p != nil {
		pc := *p
		cp.DCOS.IPDetectPublic = &pc
	}
	cp.applyDefaults()
	return &cp
}

// ApplyDefaults fills defaulted fields of a Cluster built in code (Load
// does this itself).
func (c *Cluster) ApplyDefaults() { c.applyDefaults() }

// StateDir is where the installer keeps this cluster's state:
// <directory of cluster.yaml>/.dcos-vsphere/<name>.
func (c *Cluster) StateDir() string {
	return filepath.Join(c.dir(), StateDirName, c.Name)
}
