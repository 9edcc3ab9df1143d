package tui

import (
	"fmt"

	"github.com/charmbracelet/huh"
)

func (w *wizard) pageCluster() error {
	return w.page("Cluster",
		w.input("Cluster name", "Names the VMs' folder, the state directory and the DC/OS cluster.", &w.a.Name, validClusterName),
	)
}

func (w *wizard) pageVCenter() error {
	a := w.a
	return w.page("vCenter",
		w.input("vCenter URL", "e.g. https://vcenter.example.com/sdk", &a.URL, validVCenterURL),
		w.input("Username", "e.g. administrator@vsphere.local", &a.Username, required("username")),
		w.password("Password", &a.Password),
		selectOf("Keep the password for later runs in", &a.PasswordStore,
			huh.NewOption("the environment variable "+VCenterPasswordEnv+" (recommended)", storeEnv),
			huh.NewOption("a 0600 file next to the config", storeFile)),
		selectOf("How to trust vCenter's certificate", &a.TLS,
			huh.NewOption("Pin its certificate thumbprint", tlsThumbprint),
			huh.NewOption("Verify with a CA file", tlsCAFile),
			huh.NewOption("Do not verify (insecure)", tlsInsecure)),
	)
}

// pageTLS asks the detail of the TLS choice; choosing "insecure" needs an
// explicit second yes, or the choice is asked again.
func (w *wizard) pageTLS() error {
	a := w.a
	for {
		switch a.TLS {
		case tlsThumbprint:
			return w.page("vCenter certificate",
				w.input("Certificate thumbprint", "SHA-256 fingerprint, e.g. from: govc about.cert -thumbprint", &a.Thumbprint, validThumbprint))
		case tlsCAFile:
			return w.page("vCenter certificate",
				w.input("CA bundle (PEM file)", "", &a.CAFile, fileExists))
		}
		sure := false
		err := w.page("vCenter certificate",
			w.note("⚠ Insecure connection", "Without verification anyone on the network path can read the vCenter password and change what the installer does."),
			w.confirm("Skip certificate verification anyway?", &sure))
		if err != nil || sure {
			return err
		}
		if err := w.page("vCenter certificate", selectOf("How to trust vCenter's certificate", &a.TLS,
			huh.NewOption("Pin its certificate thumbprint", tlsThumbprint),
			huh.NewOption("Verify with a CA file", tlsCAFile),
			huh.NewOption("Do not verify (insecure)", tlsInsecure))); err != nil {
			return err
		}
	}
}

func (w *wizard) pageNetwork() error {
	a := w.a
	return w.page("Node network",
		w.input("Gateway", "IPv4 address of the nodes' default gateway", &a.Gateway, validIPv4),
		w.input("Prefix length", "e.g. 24 for 255.255.255.0", &a.Prefix, validPrefix),
		w.input("DNS servers", "comma-separated IPv4 addresses", &a.DNS, validDNSList),
		w.input("Search domain (optional)", "", &a.SearchDomain, optionalHostname),
	)
}

// pageNodes asks the addresses; each first address is checked against
// the network and the groups before it, and the whole set once more after
// the page (a count changed after its address would slip through).
func (w *wizard) pageNodes() error {
	a := w.a
	for {
		err := w.page("Nodes",
			w.input("Bootstrap node IP", "the node serving the DC/OS install files", &a.Bootstrap, a.checkRange("bootstrap")),
			huh.NewSelect[int]().Title("Masters").Options(
				huh.NewOption("1 (no high availability)", 1), huh.NewOption("3", 3), huh.NewOption("5", 5)).Value(&a.Masters),
			w.input("First master IP", "masters take consecutive addresses from here", &a.MasterIP, a.checkRange("masters")),
			w.input("Private agents", "how many", &a.Agents, validCount(500)),
			w.input("First private agent IP", "", &a.AgentIP, func(s string) error {
				if atoi(a.Agents) == 0 {
					return nil
				}
				return a.checkRange("agents")(s)
			}),
			w.input("Public agents", "how many", &a.Public, validCount(100)),
			w.input("First public agent IP", "", &a.PublicIP, func(s string) error {
				if atoi(a.Public) == 0 {
					return nil
				}
				return a.checkRange("public agents")(s)
			}),
		)
		if err != nil {
			return err
		}
		_, err = a.nodeRanges()
		if err == nil {
			return nil
		}
		fmt.Fprintf(w.out, "\nNode addresses: %v\nPlease correct them.\n", err)
	}
}

func (w *wizard) pageSSH() error {
	a := w.a
	return w.page("SSH",
		w.input("SSH user", "a user with passwordless sudo on the template", &a.SSHUser, required("SSH user")),
		w.input("Private key file", "e.g. ~/.ssh/id_ed25519 (give the full path)", &a.SSHKey, fileExists),
		w.input("known_hosts file (optional)", "empty: .dcos-vsphere/<cluster>/known_hosts", &a.KnownHosts, nil),
	)
}

func (w *wizard) pageDCOS() error {
	a := w.a
	err := w.page("DC/OS 1.9",
		w.input("Installer (dcos_generate_config.sh)", "local path (uploaded) or http(s) URL (downloaded by the bootstrap node)", &a.Installer, validInstaller),
		w.input("Bootstrap port", "where the bootstrap node serves genconf/serve", &a.Port, validPort),
		selectOf("How nodes detect their IP (ip-detect)", &a.IPDetect,
			huh.NewOption("route: the address used to reach the gateway", "route"),
			huh.NewOption("interface: the address of a named interface", "interface")),
	)
	if err != nil || a.IPDetect != "interface" {
		return err
	}
	return w.page("DC/OS 1.9", w.input("Interface", "e.g. eth0 or ens192", &a.IfaceArg, validInterface))
}

// pageExtras asks for the optional Azure parts.
func (w *wizard) pageExtras() error {
	a := w.a
	if err := w.page("Azure (optional)",
		w.confirm("Configure an Azure Container Registry (ACR)?", &a.UseRegistry),
		w.confirm("Register with an ACS DC/OS cluster?", &a.UseACS),
	); err != nil {
		return err
	}
	if a.UseRegistry {
		if err := w.page("Azure Container Registry",
			w.input("Registry server", "e.g. myregistry.azurecr.io", &a.RegServer, validHostname),
			w.input("Registry username", "", &a.RegUser, required("registry username")),
			w.password("Registry password", &a.RegPassword),
			selectOf("Keep the registry password in", &a.RegPassStore,
				huh.NewOption("the environment variable "+RegistryPasswordEnv+" (recommended)", storeEnv),
				huh.NewOption("a 0600 file next to the config", storeFile)),
		); err != nil {
			return err
		}
	}
	if a.UseACS {
		return w.page("Azure Container Service",
			w.input("ACS master FQDN", "e.g. mycluster-mgmt.westeurope.cloudapp.azure.com", &a.ACSFQDN, validHostname),
			w.input("ACS SSH port", "", &a.ACSPort, validPort),
			w.input("ACS SSH user", "", &a.ACSUser, required("ACS SSH user")),
			w.input("ACS SSH key file", "", &a.ACSKey, fileExists),
		)
	}
	return nil
}
