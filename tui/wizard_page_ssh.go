package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/crypto/ssh"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// Prompts of the SSH, DC/OS and registry pages.
const (
	promptSSHUser        = "SSH user"
	promptSSHKey         = "Private key file"
	promptKnownHosts     = "known_hosts file (optional)"
	promptPassphrase     = "Key passphrase"
	promptPassStore      = "Keep the key passphrase for later runs in"
	promptInstaller      = "Installer (dcos_generate_config.sh)"
	promptBootstrapPort  = "Bootstrap port"
	promptIPDetect       = "How nodes detect their IP (ip-detect)"
	promptInterface      = "Interface"
	promptUseRegistry    = "Use an Azure Container Registry shared with ACS?"
	promptRegistryServer = "Registry server"
	promptRegistryUser   = "Registry user"
	promptRegistryPass   = "Registry password"
	promptRegistryStore  = "Keep the registry password for later runs in"
)

// maxKeyFile bounds reading a private key file.
const maxKeyFile = 1 << 20

// sshState is what the SSH pages learned about the key.
type sshState struct {
	encrypted bool // the key needs a passphrase
}

// readKey parses path as an SSH private key; encrypted keys parse with
// passphrase only ("" reports them as *ssh.PassphraseMissingError).
func readKey(path, passphrase string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot use %s: %w", path, unwrapPathError(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxKeyFile {
		return fmt.Errorf("%s is larger than a private key can be (%d bytes)", path, maxKeyFile)
	}
	if passphrase == "" {
		_, err = ssh.ParseRawPrivateKey(data)
	} else {
		_, err = ssh.ParseRawPrivateKeyWithPassphrase(data, []byte(passphrase))
	}
	var missing *ssh.PassphraseMissingError
	switch {
	case err == nil || errors.As(err, &missing):
		return err
	case passphrase != "":
		return fmt.Errorf("the passphrase does not open %s", path)
	case strings.HasPrefix(strings.TrimSpace(string(data)), "ssh-") || strings.HasSuffix(path, ".pub"):
		return fmt.Errorf("%s is a public key: give the private key (the file without .pub)", path)
	}
	return fmt.Errorf("%s is not an SSH private key (%v)", path, err)
}

// checkKey is the key field's rule: a private key, encrypted or not.
func checkKey(s string) error {
	if err := checkFile(s); err != nil {
		return err
	}
	var missing *ssh.PassphraseMissingError
	if err := readKey(expandPath(s), ""); err != nil && !errors.As(err, &missing) {
		return err
	}
	return nil
}

type sshPage struct {
	meta
	user, key, knownHosts string
}

func (p *sshPage) load(w *wizard, c config.Cluster) {
	p.user, p.key, p.knownHosts = or(c.SSH.User, config.DefaultSSHUser), c.SSH.KeyFile, c.SSH.KnownHostsFile
	w.ssh.encrypted = c.SSH.KeyPassphrase.Ref != "" || c.SSH.KeyPassphraseFile != ""
}
func (p *sshPage) hidden(*wizard) bool { return false }
func (p *sshPage) owns(_ *wizard, path string) bool {
	return hasPrefix(path, "ssh") && !hasPrefix(path, "ssh.keyPassphrase", "ssh.keyPassphraseFile")
}
func (p *sshPage) fields(_ *wizard, f *fieldSet) {
	f.input(promptSSHUser, "a user with sudo on the template (passwordless sudo)", &p.user, required)
	f.input(promptSSHKey, "its private key, e.g. ~/.ssh/id_ed25519 (~/ is your home directory)", &p.key, checkKey)
	f.input(promptKnownHosts, "empty: .dcos-vsphere/<cluster>/known_hosts beside the config (new hosts are trusted on first use)", &p.knownHosts, nil)
}
func (p *sshPage) apply(w *wizard, c *config.Cluster) error {
	c.SSH.User = strings.TrimSpace(p.user)
	c.SSH.KeyFile = expandPath(p.key)
	c.SSH.KnownHostsFile = expandPath(p.knownHosts)
	if !w.ssh.encrypted {
		c.SSH.KeyPassphrase, c.SSH.KeyPassphraseFile = config.Secret{}, ""
	}
	return nil
}

// check learns whether the key needs its passphrase (the next page).
func (p *sshPage) check(_ *wizard, c *config.Cluster) *job {
	key := c.SSH.KeyFile
	return &job{run: func(context.Context) outcome {
		err := readKey(key, "")
		var missing *ssh.PassphraseMissingError
		return func(w *wizard) tea.Cmd {
			switch {
			case errors.As(err, &missing):
				w.ssh.encrypted = true
			case err != nil:
				return w.stay(err.Error())
			default:
				w.ssh.encrypted = false
				c.SSH.KeyPassphrase, c.SSH.KeyPassphraseFile = config.Secret{}, ""
			}
			return w.proceed(c)
		}
	}}
}

type passphrasePage struct {
	meta
	passphrase, store string
}

func (p *passphrasePage) load(_ *wizard, c config.Cluster) {
	p.passphrase, p.store = c.SSH.KeyPassphrase.Value(), storeOf(c.SSH.KeyPassphraseFile)
}
func (p *passphrasePage) hidden(w *wizard) bool { return !w.ssh.encrypted }
func (p *passphrasePage) owns(_ *wizard, path string) bool {
	return hasPrefix(path, "ssh.keyPassphrase", "ssh.keyPassphraseFile")
}
func (p *passphrasePage) fields(w *wizard, f *fieldSet) {
	key := w.c.SSH.KeyFile
	w.notes = append(w.notes, key+" is encrypted.")
	f.secret(promptPassphrase, "used for this run; where it is kept for later runs is asked next", &p.passphrase)
	choose(f, promptPassStore, "", &p.store, storeOptions(KeyPassphraseEnv)...)
}
func (p *passphrasePage) apply(_ *wizard, c *config.Cluster) error {
	if err := readKey(c.SSH.KeyFile, p.passphrase); err != nil {
		return err
	}
	c.SSH.KeyPassphrase, c.SSH.KeyPassphraseFile = secretFor(p.passphrase, p.store, KeyPassphraseEnv, c.Name, "ssh-key.passphrase")
	return nil
}

type dcosPage struct {
	meta
	installer, port, ipDetect string
}

func (p *dcosPage) load(_ *wizard, c config.Cluster) {
	d := c.DCOS
	p.installer, p.port, p.ipDetect = d.Installer, itoaOr(d.BootstrapPort, strconv.Itoa(config.DefaultBootstrapPort)), or(d.IPDetect.Method, config.DefaultIPDetectMethod)
}
func (p *dcosPage) hidden(*wizard) bool { return false }
func (p *dcosPage) owns(_ *wizard, path string) bool {
	return hasPrefix(path, "dcos") && !hasPrefix(path, "dcos.ipDetect.interface")
}
func (p *dcosPage) fields(_ *wizard, f *fieldSet) {
	f.input(promptInstaller, "a local path (uploaded to the bootstrap node) or an http(s) URL (downloaded there)", &p.installer, func(s string) error {
		if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
			return nil // config's rules check the URL
		}
		return checkFile(s)
	})
	f.input(promptBootstrapPort, "where the bootstrap node serves the install files", &p.port, func(s string) error {
		n, err := number(s, "port")
		if err != nil {
			return err
		}
		return config.CheckPort(n)
	})
	choose(f, promptIPDetect, "", &p.ipDetect,
		option[string]{"route: the address the node uses to reach the first master (default)", "route"},
		option[string]{"interface: the address of a named interface", "interface"})
}
func (p *dcosPage) apply(_ *wizard, c *config.Cluster) error {
	port, err := number(p.port, "bootstrap port")
	if err != nil {
		return err
	}
	c.DCOS.Installer = expandPath(p.installer)
	c.DCOS.BootstrapPort = port
	c.DCOS.IPDetect.Method = p.ipDetect
	if p.ipDetect != "interface" {
		c.DCOS.IPDetect.Interface = ""
	}
	return nil
}

type interfacePage struct {
	meta
	iface string
}

func (p *interfacePage) load(_ *wizard, c config.Cluster) {
	p.iface = or(c.DCOS.IPDetect.Interface, "eth0")
}
func (p *interfacePage) hidden(w *wizard) bool {
	return pageOf[*dcosPage](w).ipDetect != "interface"
}
func (p *interfacePage) owns(_ *wizard, path string) bool {
	return hasPrefix(path, "dcos.ipDetect.interface")
}
func (p *interfacePage) fields(_ *wizard, f *fieldSet) {
	f.input(promptInterface, "the nodes' interface on the node network, e.g. eth0 or ens192", &p.iface, func(s string) error {
		if s == "" || len(s) > 15 || strings.ContainsAny(s, " /") {
			return errors.New("give a network interface name such as eth0 or ens192")
		}
		return nil
	})
}
func (p *interfacePage) apply(_ *wizard, c *config.Cluster) error {
	c.DCOS.IPDetect.Interface = strings.TrimSpace(p.iface)
	return nil
}

type registryAskPage struct {
	meta
	use bool
}

func (p *registryAskPage) load(_ *wizard, c config.Cluster) { p.use = c.Registry.Server != "" }
func (p *registryAskPage) hidden(*wizard) bool              { return false }
func (p *registryAskPage) owns(*wizard, string) bool        { return false }
func (p *registryAskPage) fields(w *wizard, f *fieldSet) {
	w.notes = append(w.notes, "With a registry, every node of the new cluster gets its credentials (DC/OS cluster_docker_credentials).")
	f.confirm(promptUseRegistry, "", "Yes", "No", &p.use)
}
func (p *registryAskPage) apply(_ *wizard, c *config.Cluster) error {
	if !p.use {
		c.Registry = config.Registry{}
	}
	return nil
}

type registryPage struct {
	meta
	server, user, password, store string
}

func (p *registryPage) load(_ *wizard, c config.Cluster) {
	r := c.Registry
	p.server, p.user, p.password, p.store = r.Server, r.Username, r.Password.Value(), storeOf(r.PasswordFile)
}
func (p *registryPage) hidden(w *wizard) bool            { return !pageOf[*registryAskPage](w).use }
func (p *registryPage) owns(_ *wizard, path string) bool { return hasPrefix(path, "registry") }
func (p *registryPage) fields(_ *wizard, f *fieldSet) {
	f.input(promptRegistryServer, "e.g. myregistry.azurecr.io", &p.server, required)
	f.input(promptRegistryUser, "the admin user or a service principal", &p.user, required)
	f.secret(promptRegistryPass, "used for this run; where it is kept for later runs is asked next", &p.password)
	choose(f, promptRegistryStore, "", &p.store, storeOptions(RegistryPasswordEnv)...)
}
func (p *registryPage) apply(_ *wizard, c *config.Cluster) error {
	c.Registry.Server, c.Registry.Username = strings.TrimSpace(p.server), strings.TrimSpace(p.user)
	c.Registry.Password, c.Registry.PasswordFile = secretFor(p.password, p.store, RegistryPasswordEnv, c.Name, "registry.password")
	return nil
}
