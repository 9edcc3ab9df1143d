package config

import (
	"strings"
	"testing"
)

func validCluster() *Cluster {
	return &Cluster{
		Name:     "lab",
		VCenter:  VCenter{URL: "https://vc/sdk", Username: "u", Password: NewSecret("p"), Datacenter: "d", Datastore: "s", Network: "n"},
		Template: Template{Name: "t"},
		Network:  Network{Gateway: "198.18.0.1", Prefix: 24},
		Nodes: Nodes{
			Bootstrap: Node{IP: "198.18.0.10"},
			Masters:   NodeGroup{Count: 3, IPRange: "198.18.0.11"},
		},
		SSH:  SSH{Agent: true},
		DCOS: DCOS{Installer: "/x/dcos_generate_config.sh"},
	}
}

// TestChecksAreValidatesRules: each field check gives exactly the message
// Validate reports for that field: the guided setup and Load cannot
// disagree about a value.
func TestChecksAreValidatesRules(t *testing.T) {
	for _, tc := range []struct {
		path  string
		set   func(c *Cluster)
		check error
	}{
		{"name", func(c *Cluster) { c.Name = "-lab" }, CheckClusterName("-lab")},
		{"name", func(c *Cluster) { c.Name = strings.Repeat("a", 64) }, CheckClusterName(strings.Repeat("a", 64))},
		{"vcenter.thumbprint", func(c *Cluster) { c.VCenter.Thumbprint = strings.Repeat("AB", 32) }, CheckThumbprint(strings.Repeat("AB", 32))},
		{"vcenter.thumbprint", func(c *Cluster) { c.VCenter.Thumbprint = "AB:CD" }, CheckThumbprint("AB:CD")},
		{"vcenter.url", func(c *Cluster) { c.VCenter.URL = "http://vc/sdk" }, CheckVCenterURL("http://vc/sdk", false)},
		{"vcenter.url", func(c *Cluster) { c.VCenter.URL = "vc" }, CheckVCenterURL("vc", false)},
		{"vcenter.url", func(c *Cluster) { c.VCenter.URL = "ftp://vc/sdk" }, CheckVCenterURL("ftp://vc/sdk", false)},
		{"network.gateway", func(c *Cluster) { c.Network.Gateway = "198.18.0.256" }, CheckIPv4("198.18.0.256")},
		{"network.prefix", func(c *Cluster) { c.Network.Prefix = 31 }, CheckPrefix(31)},
		{"network.dns[0]", func(c *Cluster) { c.Network.DNS = []string{"::1"} }, CheckIPv4("::1")},
		{"network.searchDomain", func(c *Cluster) { c.Network.SearchDomain = "a..b" }, CheckDomain("a..b")},
		{"ssh.port", func(c *Cluster) { c.SSH.Port = 70000 }, CheckPort(70000)},
		{"nodes.masters", func(c *Cluster) { c.Nodes.Masters.Count = 4 }, CheckMasters(4)},
		{"nodes.masters.namePrefix", func(c *Cluster) { c.Nodes.Masters.NamePrefix = "m_" }, CheckNamePrefix("m_")},
		{"nodes.bootstrap.name", func(c *Cluster) { c.Nodes.Bootstrap.Name = "boot strap" }, CheckHostName("boot strap")},
		{"nodes.masters.ipRange", func(c *Cluster) { c.Nodes.Masters.IPRange = "198.18.0.11-198.18.0.12" }, CheckIPRange("198.18.0.11-198.18.0.12", 3)},
		{"nodes.bootstrap.ip", func(c *Cluster) { c.Nodes.Bootstrap.IP = "198.18.1.10" }, CheckNodeAddress("198.18.1.10", "198.18.0.1", 24)},
		{"nodes.bootstrap.ip", func(c *Cluster) { c.Nodes.Bootstrap.IP = "198.18.0.255" }, CheckNodeAddress("198.18.0.255", "198.18.0.1", 24)},
		{"nodes.bootstrap.ip", func(c *Cluster) { c.Nodes.Bootstrap.IP = "198.18.0.1" }, CheckNodeAddress("198.18.0.1", "198.18.0.1", 24)},
		{"acs.masterFQDN", func(c *Cluster) { c.ACS = ACS{MasterFQDN: "ssh://m.example:2200", Agent: true} }, CheckACSMasterFQDN("ssh://m.example:2200")},
		{"acs.masterFQDN", func(c *Cluster) { c.ACS = ACS{MasterFQDN: "m.example.", Agent: true} }, CheckACSMasterFQDN("m.example.")},
		{"acs.user", func(c *Cluster) { c.ACS = ACS{MasterFQDN: "m.example", User: "Azure User", Agent: true} }, CheckACSUser("Azure User")},
		{"acs.sshPort", func(c *Cluster) { c.ACS = ACS{MasterFQDN: "m.example", SSHPort: 70000, Agent: true} }, CheckPort(70000)},
	} {
		if tc.check == nil {
			t.Errorf("%s: the check accepts the bad value", tc.path)
			continue
		}
		c := validCluster()
		tc.set(c)
		_, err := c.Validate()
		var got []string
		for _, p := range problems(err) {
			if path, msg, _ := strings.Cut(p, ": "); path == tc.path {
				got = append(got, msg)
			}
		}
		if len(got) != 1 || got[0] != tc.check.Error() {
			t.Errorf("%s: Validate says %q, the check says %q", tc.path, got, tc.check)
		}
	}
	if _, err := validCluster().Validate(); err != nil {
		t.Fatalf("the base cluster is not valid: %v", err)
	}
}

func TestChecksAccept(t *testing.T) {
	for _, err := range []error{
		CheckClusterName("Lab-1"), CheckThumbprint(strings.TrimSuffix(strings.Repeat("ab:", 20), ":")),
		CheckVCenterURL("http://vc/sdk", true), CheckIPv4("198.18.0.1"), CheckPrefix(30), CheckDomain("lab.example."),
		CheckPort(1), CheckMasters(9), CheckNamePrefix("lab-master-"), CheckHostName("bootstrap"),
		CheckIPRange("198.18.0.11", 200), CheckNodeAddress("198.18.0.254", "198.18.0.1", 24),
		CheckACSMasterFQDN("myacs-mgmt.westeurope.cloudapp.azure.com"), CheckACSMasterFQDN("198.18.0.5"), CheckACSUser("azureuser"),
	} {
		if err != nil {
			t.Errorf("rejected: %v", err)
		}
	}
}

func TestNormalizeThumbprint(t *testing.T) {
	want := strings.TrimSuffix(strings.Repeat("AB:", 32), ":")
	for _, in := range []string{strings.Repeat("ab", 32), want, strings.ToLower(want), " " + strings.Repeat("AB ", 32)} {
		got, err := NormalizeThumbprint(in)
		if err != nil || got != want {
			t.Errorf("NormalizeThumbprint(%q) = %q, %v; want %q", in, got, err, want)
		}
		if CheckThumbprint(got) != nil {
			t.Errorf("the normal form of %q fails CheckThumbprint", in)
		}
	}
	for _, bad := range []string{"", "AB", strings.Repeat("AB", 31), strings.Repeat("ZZ", 32), strings.Repeat("A", 63)} {
		if got, err := NormalizeThumbprint(bad); err == nil {
			t.Errorf("NormalizeThumbprint(%q) = %q, want an error", bad, got)
		}
	}
}

// The acs.sshPort warning is Validate's, and only for a port the Azure
// load balancer does not forward to a master.
func TestACSPortNoteIsValidatesWarning(t *testing.T) {
	for _, port := range []int{2200, 2204, 22, 2205, 8022} {
		c := validCluster()
		c.ACS = ACS{MasterFQDN: "m.example", SSHPort: port, Agent: true}
		warns, err := c.Validate()
		if err != nil {
			t.Fatal(err)
		}
		var got string
		for _, w := range warns {
			if w.Path == "acs.sshPort" {
				got = w.Message
			}
		}
		if got != ACSPortNote(port) {
			t.Errorf("port %d: Validate warns %q, ACSPortNote says %q", port, got, ACSPortNote(port))
		}
		if want := port == 2205 || port == 8022; (got != "") != want {
			t.Errorf("port %d: warning %q", port, got)
		}
	}
	if err := CheckACSMasterFQDN(""); err == nil || !strings.Contains(err.Error(), "required") {
		t.Errorf("an empty master FQDN: %v", err)
	}
}
