package lab

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/internal/testnet"
)

// checkClusterConfig: the generated cluster.yaml passes the installer's
// own config loader and describes lab l (test network n).
func checkClusterConfig(t *testing.T, l *Lab, n int) {
	t.Helper()
	path := filepath.Join(l.Dir(), "cluster.yaml")
	if err := l.WriteClusterConfig(path, Topology{Masters: 3, Agents: 2, PublicAgents: 1, Registry: true}); err != nil {
		t.Fatal(err)
	}
	c, warnings, err := config.Load(path)
	if err != nil {
		t.Fatalf("config.Load of the lab's cluster.yaml: %v", err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("cluster.yaml mode: %v %v, want 0600", st.Mode(), err)
	}
	for _, w := range warnings {
		t.Logf("warning: %s", w)
	}
	url, thumb, user, pw := l.VCenter()
	if c.VCenter.URL != url || c.VCenter.Thumbprint != thumb || c.VCenter.Username != user || c.VCenter.PasswordFile != pw {
		t.Errorf("vcenter = %+v, want url %s thumbprint %s user %s passwordFile %s", c.VCenter, url, thumb, user, pw)
	}
	if c.VCenter.Folder != "dcos-lab" || c.VCenter.Network != "VM Network" || c.Template.Name != vcTemplate {
		t.Errorf("folder/network/template = %q/%q/%q", c.VCenter.Folder, c.VCenter.Network, c.Template.Name)
	}
	if c.Network.Gateway != labIP(n, 1) || c.Network.Prefix != 24 || len(c.Network.DNS) != 1 || c.Network.DNS[0] != labIP(n, 1) {
		t.Errorf("network = %+v", c.Network)
	}
	if c.Nodes.Bootstrap.IP != labIP(n, 10) || c.Nodes.Masters.Count != 3 || c.Nodes.Masters.IPRange != labIP(n, 11)+"-"+labIP(n, 13) ||
		c.Nodes.Agents.Count != 2 || c.Nodes.Agents.IPRange != labIP(n, 21)+"-"+labIP(n, 30) ||
		c.Nodes.PublicAgents.Count != 1 || c.Nodes.PublicAgents.IPRange != labIP(n, 31)+"-"+labIP(n, 40) {
		t.Errorf("nodes = %+v", c.Nodes)
	}
	if c.SSH.User != "centos" || c.SSH.KeyFile != l.KeyFile() || c.SSH.KnownHostsFile != l.KnownHostsFile() {
		t.Errorf("ssh = %+v", c.SSH)
	}
	if c.DCOS.Installer != l.InstallerPath() || c.DCOS.IPDetect.Method != "route" {
		t.Errorf("dcos = %+v", c.DCOS)
	}
	acr := l.ACR()
	if r := c.Registry; r.Server != labIP(n, 1)+":5443" || r.Username != "labacr" || r.PasswordFile != acr.AdminPasswordFiles[0] ||
		r.Password.Value() != l.ACRRegistry().AdminPassword(0) || r.CAFile != acr.CAFile || r.CheckImage != "samples/hello:1.0" {
		t.Errorf("registry = %+v (password resolved: %v)", r, r.Password.IsSet())
	}
	if err := l.WriteClusterConfig(path, Topology{Masters: 1}); err != nil {
		t.Fatal(err)
	}
	if c, _, err := config.Load(path); err != nil || c.Registry.Server != "" {
		t.Errorf("without Topology.Registry: %v, registry %q", err, c.Registry.Server)
	}
	if err := l.WriteClusterConfig(path, Topology{Masters: 0}); err == nil {
		t.Error("a topology without masters was accepted")
	}
}

func labIP(n, host int) string { return testnet.Addr(testnet.For("lab", n).Subnet, host).String() }
