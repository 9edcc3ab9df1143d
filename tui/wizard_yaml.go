package tui

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// The wizard writes its own mirror of config.Cluster so the file holds
// only what was chosen (omitempty) and secrets appear only as references.
// Field names must match config's yaml tags; the tests decode the output
// strictly into config.Cluster to keep them in step.
type (
	yamlCluster struct {
		Name     string        `yaml:"name"`
		VCenter  yamlVCenter   `yaml:"vcenter"`
		Template yamlTemplate  `yaml:"template"`
		Network  yamlNetwork   `yaml:"network"`
		Nodes    yamlNodes     `yaml:"nodes"`
		SSH      yamlSSH       `yaml:"ssh"`
		DCOS     yamlDCOS      `yaml:"dcos"`
		Registry *yamlRegistry `yaml:"registry,omitempty"`
		ACS      *yamlACS      `yaml:"acs,omitempty"`
	}
	yamlVCenter struct {
		URL          string `yaml:"url"`
		Username     string `yaml:"username"`
		Password     string `yaml:"password,omitempty"`
		PasswordFile string `yaml:"passwordFile,omitempty"`
		CAFile       string `yaml:"caFile,omitempty"`
		Thumbprint   string `yaml:"thumbprint,omitempty"`
		Insecure     bool   `yaml:"insecure,omitempty"`
		Datacenter   string `yaml:"datacenter"`
		Cluster      string `yaml:"cluster,omitempty"`
		Datastore    string `yaml:"datastore"`
		Folder       string `yaml:"folder,omitempty"`
		Network      string `yaml:"network"`
	}
	yamlTemplate struct {
		Name string `yaml:"name"`
		OVA  string `yaml:"ova,omitempty"`
	}
	yamlNetwork struct {
		Gateway      string   `yaml:"gateway"`
		Prefix       int      `yaml:"prefix"`
		DNS          []string `yaml:"dns,flow"`
		SearchDomain string   `yaml:"searchDomain,omitempty"`
	}
	yamlNodes struct {
		Bootstrap    yamlNode   `yaml:"bootstrap"`
		Masters      yamlGroup  `yaml:"masters"`
		Agents       *yamlGroup `yaml:"agents,omitempty"`
		PublicAgents *yamlGroup `yaml:"publicAgents,omitempty"`
	}
	yamlNode struct {
		Name string `yaml:"name"`
		IP   string `yaml:"ip"`
	}
	yamlGroup struct {
		Count      int    `yaml:"count"`
		IPRange    string `yaml:"ipRange"`
		NamePrefix string `yaml:"namePrefix,omitempty"`
	}
	yamlSSH struct {
		User           string `yaml:"user"`
		KeyFile        string `yaml:"keyFile"`
		KnownHostsFile string `yaml:"knownHostsFile,omitempty"`
	}
	yamlDCOS struct {
		Installer     string       `yaml:"installer"`
		BootstrapPort int          `yaml:"bootstrapPort"`
		IPDetect      yamlIPDetect `yaml:"ipDetect"`
	}
	yamlIPDetect struct {
		Method    string `yaml:"method"`
		Interface string `yaml:"interface,omitempty"`
	}
	yamlRegistry struct {
		Server       string `yaml:"server"`
		Username     string `yaml:"username"`
		Password     string `yaml:"password,omitempty"`
		PasswordFile string `yaml:"passwordFile,omitempty"`
	}
	yamlACS struct {
		MasterFQDN string `yaml:"masterFQDN"`
		SSHPort    int    `yaml:"sshPort"`
		User       string `yaml:"user"`
		KeyFile    string `yaml:"keyFile"`
	}
)

// marshalCluster renders c as cluster.yaml. Secrets appear only as their
// ${ENV} reference or as a passwordFile path: the values never reach the
// document, so the same text is safe to show on the review page.
func marshalCluster(c config.Cluster) ([]byte, error) {
	doc := yamlCluster{
		Name: c.Name,
		VCenter: yamlVCenter{
			URL: c.VCenter.URL, Username: c.VCenter.Username,
			Password: c.VCenter.Password.Ref, PasswordFile: c.VCenter.PasswordFile,
			CAFile: c.VCenter.CAFile, Thumbprint: c.VCenter.Thumbprint, Insecure: c.VCenter.Insecure,
			Datacenter: c.VCenter.Datacenter, Cluster: c.VCenter.Cluster, Datastore: c.VCenter.Datastore,
			Folder: c.VCenter.Folder, Network: c.VCenter.Network,
		},
		Template: yamlTemplate{Name: c.Template.Name, OVA: c.Template.OVA},
		Network: yamlNetwork{
			Gateway: c.Network.Gateway, Prefix: c.Network.Prefix,
			DNS: c.Network.DNS, SearchDomain: c.Network.SearchDomain,
		},
		Nodes: yamlNodes{
			Bootstrap: yamlNode{Name: c.Nodes.Bootstrap.Name, IP: c.Nodes.Bootstrap.IP},
			Masters:   groupOf(c.Nodes.Masters),
		},
		SSH: yamlSSH{User: c.SSH.User, KeyFile: c.SSH.KeyFile, KnownHostsFile: c.SSH.KnownHostsFile},
		DCOS: yamlDCOS{
			Installer: c.DCOS.Installer, BootstrapPort: c.DCOS.BootstrapPort,
			IPDetect: yamlIPDetect{Method: c.DCOS.IPDetect.Method, Interface: c.DCOS.IPDetect.Interface},
		},
	}
	if c.Nodes.Agents.Count > 0 {
		g := groupOf(c.Nodes.Agents)
		doc.Nodes.Agents = &g
	}
	if c.Nodes.PublicAgents.Count > 0 {
		g := groupOf(c.Nodes.PublicAgents)
		doc.Nodes.PublicAgents = &g
	}
	if c.Registry.Server != "" {
		doc.Registry = &yamlRegistry{
			Server: c.Registry.Server, Username: c.Registry.Username,
			Password: c.Registry.Password.Ref, PasswordFile: c.Registry.PasswordFile,
		}
	}
	if c.ACS.MasterFQDN != "" {
		doc.ACS = &yamlACS{MasterFQDN: c.ACS.MasterFQDN, SSHPort: c.ACS.SSHPort, User: c.ACS.User, KeyFile: c.ACS.KeyFile}
	}

	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# %s: DC/OS 1.9 on vSphere, written by the dcos-vsphere wizard.\n", c.Name)
	fmt.Fprintf(&buf, "# Use it with: dcos-vsphere install --config <this file>\n")
	for _, env := range envRefs(c) {
		fmt.Fprintf(&buf, "# Export %s before running; the password is not stored here.\n", env)
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("render cluster %s as YAML: %w", c.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("render cluster %s as YAML: %w", c.Name, err)
	}
	return buf.Bytes(), nil
}

func groupOf(g config.NodeGroup) yamlGroup {
	return yamlGroup{Count: g.Count, IPRange: g.IPRange, NamePrefix: g.NamePrefix}
}

// envRefs lists the environment variables the document refers to.
func envRefs(c config.Cluster) []string {
	var out []string
	for _, s := range []config.Secret{c.VCenter.Password, c.Registry.Password} {
		if len(s.Ref) > 3 {
			out = append(out, s.Ref[2:len(s.Ref)-1])
		}
	}
	return out
}
