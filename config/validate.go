package config

import (
	"fmt"
	"regexp"
	"strings"
)

// Validate checks a Cluster (built in code, or re-checked after edits)
// with the same rules Load applies, on a copy with Load's defaults
// filled in (c itself is not changed). Errors point at the lines the
// cluster was loaded from when there are any.
func (c *Cluster) Validate() ([]Warning, error) {
	r := reportFor(c)
	validate(c.withDefaults(), r)
	sortWarnings(r.warns)
	return r.warns, r.errors()
}

var (
	hostLabel  = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
	thumbprint = regexp.MustCompile(`^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})*$`)
	sha256Hex  = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
)

// validate runs every cross-field rule; defaults are already applied.
func validate(c *Cluster, r *report) {
	required(r, "name", c.Name)
	if c.Name != "" {
		if err := CheckClusterName(c.Name); err != nil {
			r.err("name", err.Error())
		}
	}
	validateVCenter(c, r)
	required(r, "template.name", c.Template.Name)
	validateNetwork(c, r)
	validateNodes(c, r)
	validateSSH(c, r)
	validateDCOS(c, r)
	validateRegistry(c, r)
	validateACS(c, r)
	validateInventoryPaths(c, r)
}

func required(r *report, path, v string) {
	if strings.TrimSpace(v) == "" {
		r.err(path, "required")
	}
}

// requiredOr is required for a field the environment can also give.
func requiredOr(r *report, path, v, envVar string) {
	if strings.TrimSpace(v) == "" {
		r.err(path, "required (or export "+envVar+", as for govc)")
	}
}

func checkPort(r *report, path string, p int) {
	if err := CheckPort(p); err != nil {
		r.err(path, err.Error())
	}
}

func validateVCenter(c *Cluster, r *report) {
	v := c.VCenter
	requiredOr(r, "vcenter.url", v.URL, "GOVC_URL")
	if v.URL != "" {
		if err := CheckVCenterURL(v.URL, v.Insecure); err != nil {
			r.err("vcenter.url", err.Error())
		}
	}
	requiredOr(r, "vcenter.username", v.Username, "GOVC_USERNAME")
	if !v.Password.IsSet() && v.Password.Ref == "" && v.PasswordFile == "" {
		r.err("vcenter.password", `required: set vcenter.password: "${ENV_VAR}" or vcenter.passwordFile (or export GOVC_PASSWORD)`)
	}
	var trust []string
	if v.CAFile != "" {
		trust = append(trust, "vcenter.caFile")
	}
	if v.Thumbprint != "" {
		trust = append(trust, "vcenter.thumbprint")
	}
	if v.Insecure {
		trust = append(trust, "vcenter.insecure")
	}
	if len(trust) > 1 {
		r.err(trust[1], fmt.Sprintf("set only one of vcenter.caFile, vcenter.thumbprint, vcenter.insecure (found %s)", strings.Join(trust, " and ")))
	}
	if v.Thumbprint != "" {
		if err := CheckThumbprint(v.Thumbprint); err != nil {
			r.err("vcenter.thumbprint", err.Error())
		}
	}
	if v.Insecure {
		r.warn("vcenter.insecure", "TLS certificate verification of vCenter is off; anyone on the path can read the vCenter password")
	}
	requiredOr(r, "vcenter.datacenter", v.Datacenter, "GOVC_DATACENTER")
	switch {
	case v.Datastore != "" && v.DatastoreCluster != "":
		r.err("vcenter.datastoreCluster", "set vcenter.datastore or vcenter.datastoreCluster, not both")
	case v.Datastore == "" && v.DatastoreCluster == "":
		r.err("vcenter.datastore", "required: set vcenter.datastore (or vcenter.datastoreCluster for a datastore cluster; or export GOVC_DATASTORE)")
	}
	requiredOr(r, "vcenter.network", v.Network, "GOVC_NETWORK")
	if v.Cluster != "" && v.ResourcePool != "" {
		r.err("vcenter.resourcePool", "set vcenter.cluster or vcenter.resourcePool, not both")
	}
}

func validateNetwork(c *Cluster, r *report) {
	n := c.Network
	required(r, "network.gateway", n.Gateway)
	if n.Gateway != "" {
		if err := CheckIPv4(n.Gateway); err != nil {
			r.err("network.gateway", err.Error())
		}
	}
	switch {
	case n.Prefix != 0 && n.Netmask != "":
		r.err("network.netmask", "set network.prefix or network.netmask, not both")
	case n.Prefix == 0 && n.Netmask == "":
		r.err("network.prefix", "required: set network.prefix (e.g. 24) or network.netmask (e.g. 255.255.255.0)")
	case n.Netmask != "":
		if _, ok := maskPrefix(n.Netmask); !ok {
			r.err("network.netmask", fmt.Sprintf("%q is not a netmask (contiguous ones, e.g. 255.255.255.0)", n.Netmask))
		}
	default:
		if err := CheckPrefix(n.Prefix); err != nil {
			r.err("network.prefix", err.Error())
		}
	}
	for i, d := range n.DNS {
		if err := CheckIPv4(d); err != nil {
			r.err(fmt.Sprintf("network.dns[%d]", i), err.Error())
		}
	}
	switch {
	case strings.ContainsAny(n.SearchDomain, " \t"):
		r.err("network.searchDomain", fmt.Sprintf("%q: one domain only (it is also the nodes' domain); give DC/OS several search domains with dcos.config.dns_search", n.SearchDomain))
	case n.SearchDomain != "":
		if err := CheckDomain(n.SearchDomain); err != nil {
			r.err("network.searchDomain", err.Error())
		}
	}
}

func validDomain(s string) bool {
	for _, l := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if !hostLabel.MatchString(l) {
			return false
		}
	}
	return len(s) <= 253
}

func validateSSH(c *Cluster, r *report) {
	s := c.SSH
	checkPort(r, "ssh.port", s.Port)
	// No login method written: OpenSSH's conventions apply (~/.ssh/config,
	// ssh-agent, ~/.ssh/id_*); CheckFiles checks that one of them exists.
	if s.KeyFile == "" && (s.KeyPassphrase.Ref != "" || s.KeyPassphrase.IsSet() || s.KeyPassphraseFile != "") {
		r.err("ssh.keyPassphrase", "a key passphrase needs ssh.keyFile")
	}
	if j := s.JumpHost; j != nil {
		required(r, "ssh.jumpHost.host", j.Host)
		checkPort(r, "ssh.jumpHost.port", j.Port)
	}
}

func validateACS(c *Cluster, r *report) {
	a := c.ACS
	checkPort(r, "acs.sshPort", a.SSHPort)
	if !a.Enabled() {
		if a.User != "" || a.KeyFile != "" || a.Agent || a.KnownHostsFile != "" {
			r.err("acs.masterFQDN", "required when acs is configured: the ACS masters' public name (<dnsprefix>mgmt.<region>.cloudapp.azure.com) or address")
		}
		return
	}
	if err := CheckACSMasterFQDN(a.MasterFQDN); err != nil {
		r.err("acs.masterFQDN", err.Error())
	}
	if err := CheckACSUser(a.User); err != nil {
		r.err("acs.user", err.Error())
	}
	if a.KeyFile == "" && !a.Agent {
		r.err("acs", "no login method: set acs.keyFile (the ACS admin's private key) or acs.agent: true")
	}
	if a.KeyFile == "" && (a.KeyPassphrase.Ref != "" || a.KeyPassphrase.IsSet() || a.KeyPassphraseFile != "") {
		r.err("acs.keyPassphrase", "a key passphrase needs acs.keyFile")
	}
	if msg := ACSPortNote(a.SSHPort); msg != "" {
		r.warn("acs.sshPort", msg)
	}
}

// unixUser is a portable Linux user name (useradd's default rule).
var unixUser = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
