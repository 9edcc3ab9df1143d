// Package config is the installer's own cluster description (cluster.yaml):
// its schema, strict decoding with line numbers, defaults, secret
// resolution and cross-field validation. Every other package reads a
// *Cluster; nothing else parses the file.
package config

// Cluster is the whole cluster.yaml document.
type Cluster struct {
	// Name identifies the cluster: VM annotations, the state directory
	// (.dcos-vsphere/<name>/) and DC/OS cluster_name default to it.
	Name     string   `yaml:"name"`
	VCenter  VCenter  `yaml:"vcenter"`
	Template Template `yaml:"template"`
	Network  Network  `yaml:"network"`
	Nodes    Nodes    `yaml:"nodes"`
	SSH      SSH      `yaml:"ssh"`
	DCOS     DCOS     `yaml:"dcos"`
	Registry Registry `yaml:"registry"`
	ACS      ACS      `yaml:"acs"`

	// Path is the file the cluster was loaded from ("" when built in code).
	// Relative paths in the file (keyFile, ova, ...) are resolved against
	// its directory by Load.
	Path string `yaml:"-"`

	// positions of every field read from the file, for Validate's errors.
	pos, keyPos map[string]Pos
	// origins of the values taken from the environment (GOVC_*).
	origins []Origin
}

// VCenter says where to create VMs and how to reach vCenter.
type VCenter struct {
	URL          string `yaml:"url"` // https://vcenter.example/sdk
	Username     string `yaml:"username"`
	Password     Secret `yaml:"password"`     // ${ENV} reference
	PasswordFile string `yaml:"passwordFile"` // or a 0600 file holding it
	CAFile       string `yaml:"caFile"`       // PEM bundle to verify vCenter
	Thumbprint   string `yaml:"thumbprint"`   // pinned SHA-256 (or SHA-1) thumbprint
	Insecure     bool   `yaml:"insecure"`     // skip verification; warned about
	Datacenter   string `yaml:"datacenter"`
	Cluster      string `yaml:"cluster"`      // compute cluster, or
	ResourcePool string `yaml:"resourcePool"` // an explicit pool path
	Datastore    string `yaml:"datastore"`
	// DatastoreCluster names a datastore cluster (StoragePod) instead of
	// Datastore: each VM goes to the member with the most room.
	DatastoreCluster string `yaml:"datastoreCluster"`
	Folder           string `yaml:"folder"` // VM folder, created when missing
	Network          string `yaml:"network"`
	// SpreadAgents places agents evenly over the ESXi hosts too (masters
	// always go to distinct hosts).
	SpreadAgents bool `yaml:"spreadAgents"`
}

// Template names the CentOS 7 template to clone, and how to get it.
type Template struct {
	Name        string `yaml:"name"`
	OVA         string `yaml:"ova"` // OVA/OVF path imported when Name is missing
	LinkedClone bool   `yaml:"linkedClone"`
}

// Network is the static addressing given to every node by guest
// customization.
type Network struct {
	Gateway      string   `yaml:"gateway"`
	Prefix       int      `yaml:"prefix"`  // e.g. 24, or
	Netmask      string   `yaml:"netmask"` // e.g. 255.255.255.0
	DNS          []string `yaml:"dns"`
	SearchDomain string   `yaml:"searchDomain"`
}

// Nodes lists every machine of the cluster by role.
type Nodes struct {
	Bootstrap    Node      `yaml:"bootstrap"`
	Masters      NodeGroup `yaml:"masters"`
	Agents       NodeGroup `yaml:"agents"`
	PublicAgents NodeGroup `yaml:"publicAgents"`
}

// Node is one machine: its VM name (also its hostname) and static IP.
type Node struct {
	Name string `yaml:"name"`
	IP   string `yaml:"ip"`
	Size `yaml:",inline"`
}

// Size is the VM hardware; zero values take the role's default.
type Size struct {
	CPUs     int `yaml:"cpus"`
	MemoryMB int `yaml:"memoryMB"`
	DiskGB   int `yaml:"diskGB"`
}

// NodeGroup is either an explicit list (Hosts) or a Count of nodes named
// NamePrefix1..N taking consecutive addresses from IPRange
// ("198.18.0.20-198.18.0.40" or a first address "198.18.0.20").
type NodeGroup struct {
	Hosts      []Node `yaml:"hosts"`
	Count      int    `yaml:"count"`
	IPRange    string `yaml:"ipRange"`
	NamePrefix string `yaml:"namePrefix"`
	Size       `yaml:",inline"`
}

// SSH is how the installer logs in to every node.
type SSH struct {
	User          string `yaml:"user"`
	Port          int    `yaml:"port"`
	KeyFile       string `yaml:"keyFile"`
	KeyPassphrase Secret `yaml:"keyPassphrase"`
	// KeyPassphraseFile is a file holding the key passphrase instead.
	KeyPassphraseFile string    `yaml:"keyPassphraseFile"`
	Agent             bool      `yaml:"agent"` // use $SSH_AUTH_SOCK
	Password          Secret    `yaml:"password"`
	PasswordFile      string    `yaml:"passwordFile"`
	KnownHostsFile    string    `yaml:"knownHostsFile"` // default: state dir/known_hosts
	JumpHost          *JumpHost `yaml:"jumpHost"`
	SudoPassword      Secret    `yaml:"sudoPassword"` // fed on stdin, never argv
	// SudoPasswordFile is a file holding the sudo password instead.
	SudoPasswordFile string `yaml:"sudoPasswordFile"`
}

// JumpHost is an SSH bastion in front of the nodes.
type JumpHost struct {
	Host    string `yaml:"host"`
	Port    int    `yaml:"port"`
	User    string `yaml:"user"`
	KeyFile string `yaml:"keyFile"`
}

// DCOS holds the DC/OS 1.9 install options.
type DCOS struct {
	// Installer is dcos_generate_config.sh: a local path (uploaded to the
	// bootstrap node) or an http(s) URL (downloaded there).
	Installer       string `yaml:"installer"`
	InstallerSHA256 string `yaml:"installerSHA256"`
	// DockerYumRepo, when set, is written as a yum repository (baseurl)
	// before docker-engine is installed; by default the template's own
	// repositories must provide docker-engine.
	DockerYumRepo string `yaml:"dockerYumRepo"`
	BootstrapPort int    `yaml:"bootstrapPort"` // default 80
	// BootstrapURL overrides the computed http://<bootstrap ip>:<port>
	// (for a proxy or another web server). A path is allowed; no trailing
	// slash (DC/OS 1.9 refuses it), query or fragment.
	BootstrapURL   string    `yaml:"bootstrapURL"`
	ClusterName    string    `yaml:"clusterName"` // default: Cluster.Name
	IPDetect       IPDetect  `yaml:"ipDetect"`
	IPDetectPublic *IPDetect `yaml:"ipDetectPublic"`
	// Config holds pass-through DC/OS 1.9 config.yaml keys, checked
	// against the 1.9 parameter list.
	Config map[string]any `yaml:"config"`
}

// IPDetect chooses how generated ip-detect finds the node's address.
type IPDetect struct {
	Method    string `yaml:"method"`    // route (default) | interface | script
	Interface string `yaml:"interface"` // for method interface
	Script    string `yaml:"script"`    // file path, for method script
}

// Registry is the shared Azure Container Registry. Its credentials reach
// the agents as /etc/mesosphere/docker_credentials and /etc/docker.tar.gz,
// never through the served DC/OS config.
type Registry struct {
	// Server is the login server as image references name it: host, or
	// host:port (myregistry.azurecr.io; no scheme, no path).
	Server       string `yaml:"server"`
	Username     string `yaml:"username"`
	Password     Secret `yaml:"password"`
	PasswordFile string `yaml:"passwordFile"`
	// CAFile is a PEM bundle trusted, beside the system roots, for the
	// registry's TLS certificate (a private registry or a TLS-inspecting
	// proxy). TLS is always verified.
	CAFile string `yaml:"caFile"`
	// CheckImage is what `registry check` pulls: repository:tag or
	// repository@sha256:... in this registry, or a repository alone (its
	// tags are listed). Empty: the check logs in only.
	CheckImage string `yaml:"checkImage"`
	// CheckPush makes `registry check` also check the right to push to
	// CheckImage's repository (an upload is started and cancelled).
	CheckPush bool `yaml:"checkPush"`
}

// ACS is the existing DC/OS cluster on Azure Container Service. Its
// agents are reached only through a master: SSH to MasterFQDN on
// SSHPort (the Azure load balancer's NAT rule 2200+i -> master i:22),
// then direct-tcpip to each agent's port 22.
type ACS struct {
	// MasterFQDN is the masters' public name
	// (<dnsprefix>mgmt.<region>.cloudapp.azure.com) or address.
	MasterFQDN string `yaml:"masterFQDN"`
	// SSHPort is 2200 for master 0 (default); 2200+i reaches master i.
	SSHPort int `yaml:"sshPort"`
	// User is the ACS admin user (default azureuser).
	User string `yaml:"user"`
	// KeyFile is the private key of the ACS admin user; an encrypted one
	// needs KeyPassphrase (or KeyPassphraseFile), or is used through Agent.
	KeyFile string `yaml:"keyFile"`
	// KeyPassphrase unlocks an encrypted KeyFile ("${ENV}" reference).
	KeyPassphrase Secret `yaml:"keyPassphrase"`
	// KeyPassphraseFile is a 0600 file holding it instead.
	KeyPassphraseFile string `yaml:"keyPassphraseFile"`
	// Agent uses the keys of the ssh-agent at $SSH_AUTH_SOCK.
	Agent bool `yaml:"agent"`
	// KnownHostsFile records the master's key ([fqdn]:2200) and every
	// agent's (by address); default: state dir/acs_known_hosts.
	KnownHostsFile string `yaml:"knownHostsFile"`
}

// Enabled reports whether the config describes an ACS cluster.
func (a ACS) Enabled() bool { return a.MasterFQDN != "" }
