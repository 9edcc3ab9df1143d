package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// TLS choices for vCenter.
const (
	tlsThumbprint = "thumbprint"
	tlsCAFile     = "ca"
	tlsInsecure   = "insecure"
)

// Where a password typed into the wizard is kept for later runs.
const (
	storeEnv  = "env"
	storeFile = "file"
)

// Environment variables the saved YAML refers to.
const (
	VCenterPasswordEnv  = "VCENTER_PASSWORD"
	RegistryPasswordEnv = "REGISTRY_PASSWORD"
)

// answers is what the wizard's pages edit. Fields stay strings, as typed,
// until build turns them into a config.Cluster.
type answers struct {
	Name string

	URL, Username, Password, PasswordStore string
	TLS, Thumbprint, CAFile                string

	Datacenter, Cluster, Datastore, Network, Folder, Template, OVA string

	Gateway, Prefix, DNS, SearchDomain string

	Bootstrap          string
	Masters            int
	MasterIP           string
	Agents, AgentIP    string
	Public, PublicIP   string
	SSHUser, SSHKey    string
	KnownHosts         string
	Installer, Port    string
	IPDetect, IfaceArg string

	UseRegistry                                   bool
	RegServer, RegUser, RegPassword, RegPassStore string

	UseACS                            bool
	ACSFQDN, ACSPort, ACSUser, ACSKey string
}

// newAnswers starts from the caller's defaults and fills the rest with
// the installer's usual choices.
func newAnswers(c config.Cluster) *answers {
	a := &answers{
		Name:          c.Name,
		URL:           c.VCenter.URL,
		Username:      c.VCenter.Username,
		Password:      c.VCenter.Password.Value(),
		PasswordStore: storeEnv,
		TLS:           tlsThumbprint,
		Thumbprint:    c.VCenter.Thumbprint,
		CAFile:        c.VCenter.CAFile,
		Datacenter:    c.VCenter.Datacenter,
		Cluster:       c.VCenter.Cluster,
		Datastore:     c.VCenter.Datastore,
		Network:       c.VCenter.Network,
		Folder:        c.VCenter.Folder,
		Template:      c.Template.Name,
		OVA:           c.Template.OVA,
		Gateway:       c.Network.Gateway,
		Prefix:        itoaOr(c.Network.Prefix, "24"),
		DNS:           strings.Join(c.Network.DNS, ", "),
		SearchDomain:  c.Network.SearchDomain,
		Bootstrap:     c.Nodes.Bootstrap.IP,
		Masters:       c.Nodes.Masters.Count,
		MasterIP:      firstIP(c.Nodes.Masters.IPRange),
		Agents:        itoaOr(c.Nodes.Agents.Count, "1"),
		AgentIP:       firstIP(c.Nodes.Agents.IPRange),
		Public:        itoaOr(c.Nodes.PublicAgents.Count, "0"),
		PublicIP:      firstIP(c.Nodes.PublicAgents.IPRange),
		SSHUser:       or(c.SSH.User, "centos"),
		SSHKey:        c.SSH.KeyFile,
		KnownHosts:    c.SSH.KnownHostsFile,
		Installer:     c.DCOS.Installer,
		Port:          itoaOr(c.DCOS.BootstrapPort, "80"),
		IPDetect:      or(c.DCOS.IPDetect.Method, "route"),
		IfaceArg:      or(c.DCOS.IPDetect.Interface, "eth0"),
		UseRegistry:   c.Registry.Server != "",
		RegServer:     c.Registry.Server,
		RegUser:       c.Registry.Username,
		RegPassword:   c.Registry.Password.Value(),
		RegPassStore:  storeEnv,
		UseACS:        c.ACS.MasterFQDN != "",
		ACSFQDN:       c.ACS.MasterFQDN,
		ACSPort:       itoaOr(c.ACS.SSHPort, "2200"),
		ACSUser:       or(c.ACS.User, "azureuser"),
		ACSKey:        c.ACS.KeyFile,
	}
	switch {
	case c.VCenter.Insecure:
		a.TLS = tlsInsecure
	case c.VCenter.CAFile != "":
		a.TLS = tlsCAFile
	}
	if c.VCenter.PasswordFile != "" {
		a.PasswordStore = storeFile
	}
	if c.Registry.PasswordFile != "" {
		a.RegPassStore = storeFile
	}
	if a.Masters != 3 && a.Masters != 5 {
		a.Masters = 1
	}
	return a
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func itoaOr(n int, def string) string {
	if n == 0 {
		return def
	}
	return strconv.Itoa(n)
}

// firstIP is the start of "a-b" or the lone address "a".
func firstIP(r string) string {
	first, _, _ := strings.Cut(r, "-")
	return strings.TrimSpace(first)
}

func atoi(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}

// nodeRanges checks the node addresses against the network and each other
// and returns the ranges in role order: bootstrap, masters, agents, public
// agents (empty groups are left out).
func (a *answers) nodeRanges() ([]ipRange, error) {
	type group struct {
		role, first string
		count       int
	}
	groups := []group{
		{"bootstrap", a.Bootstrap, 1},
		{"masters", a.MasterIP, a.Masters},
		{"agents", a.AgentIP, atoi(a.Agents)},
		{"public agents", a.PublicIP, atoi(a.Public)},
	}
	var ranges []ipRange
	for _, g := range groups {
		if g.count == 0 {
			continue
		}
		r, err := makeRange(g.role, strings.TrimSpace(g.first), g.count, a.Gateway, a.Prefix)
		if err != nil {
			return nil, err
		}
		ranges = append(ranges, r)
		if err := checkNoOverlap(ranges...); err != nil {
			return nil, err
		}
	}
	return ranges, nil
}

// checkRange is the inline validator of one group's first address: the
// group's range must fit the network and miss the groups asked before it.
func (a *answers) checkRange(role string) func(string) error {
	return func(first string) error {
		saved := *a
		switch role {
		case "bootstrap":
			saved.Bootstrap, saved.Masters, saved.Agents, saved.Public = first, 0, "0", "0"
		case "masters":
			saved.MasterIP, saved.Agents, saved.Public = first, "0", "0"
		case "agents":
			saved.AgentIP, saved.Public = first, "0"
		case "public agents":
			saved.PublicIP = first
		}
		_, err := saved.nodeRanges()
		return err
	}
}

// build turns the answers into the cluster they describe. Secrets are
// kept in memory (config.NewSecret) and carry the ${ENV} reference the
// YAML will show; password files are named but not yet written.
func (a *answers) build() (config.Cluster, error) {
	ranges, err := a.nodeRanges()
	if err != nil {
		return config.Cluster{}, err
	}
	byRole := map[string]string{}
	for _, r := range ranges {
		byRole[r.role] = r.String()
	}
	c := config.Cluster{Name: strings.TrimSpace(a.Name)}
	c.VCenter = config.VCenter{
		URL:        strings.TrimSpace(a.URL),
		Username:   strings.TrimSpace(a.Username),
		Datacenter: a.Datacenter,
		Cluster:    a.Cluster,
		Datastore:  a.Datastore,
		Folder:     a.Folder,
		Network:    a.Network,
	}
	c.VCenter.Password, c.VCenter.PasswordFile = a.secret(a.Password, a.PasswordStore, VCenterPasswordEnv, "vcenter")
	switch a.TLS {
	case tlsThumbprint:
		c.VCenter.Thumbprint = strings.TrimSpace(a.Thumbprint)
	case tlsCAFile:
		c.VCenter.CAFile = strings.TrimSpace(a.CAFile)
	case tlsInsecure:
		c.VCenter.Insecure = true
	default:
		return c, fmt.Errorf("unknown TLS choice %q", a.TLS)
	}
	c.Template = config.Template{Name: a.Template, OVA: strings.TrimSpace(a.OVA)}
	c.Network = config.Network{
		Gateway:      strings.TrimSpace(a.Gateway),
		Prefix:       atoi(a.Prefix),
		DNS:          splitList(a.DNS),
		SearchDomain: strings.TrimSpace(a.SearchDomain),
	}
	c.Nodes.Bootstrap = config.Node{Name: "bootstrap", IP: byRole["bootstrap"]}
	c.Nodes.Masters = config.NodeGroup{Count: a.Masters, IPRange: byRole["masters"], NamePrefix: "master-"}
	if n := atoi(a.Agents); n > 0 {
		c.Nodes.Agents = config.NodeGroup{Count: n, IPRange: byRole["agents"], NamePrefix: "agent-"}
	}
	if n := atoi(a.Public); n > 0 {
		c.Nodes.PublicAgents = config.NodeGroup{Count: n, IPRange: byRole["public agents"], NamePrefix: "public-agent-"}
	}
	c.SSH = config.SSH{
		User:           strings.TrimSpace(a.SSHUser),
		KeyFile:        strings.TrimSpace(a.SSHKey),
		KnownHostsFile: strings.TrimSpace(a.KnownHosts),
	}
	c.DCOS = config.DCOS{
		Installer:     strings.TrimSpace(a.Installer),
		BootstrapPort: atoi(a.Port),
		IPDetect:      config.IPDetect{Method: a.IPDetect},
	}
	if a.IPDetect == "interface" {
		c.DCOS.IPDetect.Interface = strings.TrimSpace(a.IfaceArg)
	}
	if a.UseRegistry {
		c.Registry = config.Registry{Server: strings.TrimSpace(a.RegServer), Username: strings.TrimSpace(a.RegUser)}
		c.Registry.Password, c.Registry.PasswordFile = a.secret(a.RegPassword, a.RegPassStore, RegistryPasswordEnv, "registry")
	}
	if a.UseACS {
		c.ACS = config.ACS{
			MasterFQDN: strings.TrimSpace(a.ACSFQDN),
			SSHPort:    atoi(a.ACSPort),
			User:       strings.TrimSpace(a.ACSUser),
			KeyFile:    strings.TrimSpace(a.ACSKey),
		}
	}
	return c, nil
}

// secret keeps value in memory and says how the YAML refers to it: an
// ${ENV} reference, or a file (named after the cluster, written beside
// the config on save).
func (a *answers) secret(value, store, env, what string) (config.Secret, string) {
	s := config.NewSecret(value)
	if store == storeFile {
		return s, passwordFileName(a.Name, what)
	}
	s.Ref = "${" + env + "}"
	return s, ""
}

// passwordFileName is the file, relative to the config, holding a secret.
func passwordFileName(cluster, what string) string {
	return strings.TrimSpace(cluster) + "-" + what + ".password"
}
