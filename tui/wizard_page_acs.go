package tui

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// Prompts of the ACS pages.
const (
	promptUseACS        = "Is there an existing DC/OS cluster on ACS to work beside?"
	promptACSNoRegistry = "Without a registry"
	acsRegistryBack     = "Go back and set up the registry"
	acsRegistryOn       = "Continue without a registry"
	promptACSMaster     = "ACS master FQDN"
	promptACSPort       = "ACS SSH port (2200+i reaches master i)"
	promptACSUser       = "ACS admin user"
	promptACSLogin      = "Log in to the ACS master with"
	promptACSKnownHosts = "ACS known_hosts file (optional)"
	promptACSKey        = "ACS admin's private key file"
	promptACSPassphrase = "ACS key passphrase"
	promptACSPassStore  = "Keep the ACS key passphrase for later runs in"
	promptACSTrustKey   = "Trust this host key?"
	promptACSRight      = "Is this the ACS cluster to work beside?"
)

// How the ACS admin logs in.
const (
	acsLoginKey   = "key"
	acsLoginAgent = "agent"
)

// acsState is what the ACS pages learned from the live check.
type acsState struct {
	checked    string           // the answers of the login that stands (acsKey)
	knownHosts string           // the known_hosts file that login used
	pending    *ACSHostKeyError // a host key waiting for the user's trust
	found      *ACSMaster       // what the login found, for the user to confirm
}

type acsAskPage struct {
	meta
	use bool
}

func (p *acsAskPage) load(w *wizard, c config.Cluster) { p.use = c.ACS.Enabled(); w.acs = acsState{} }
func (p *acsAskPage) hidden(*wizard) bool              { return false }
func (p *acsAskPage) owns(*wizard, string) bool        { return false }
func (p *acsAskPage) fields(w *wizard, f *fieldSet) {
	w.notes = append(w.notes, "With an ACS cluster, install also puts the registry's credentials on every ACS agent "+
		"(reached through the master's SSH on port 2200; no key is copied there) and registers both clusters for the DC/OS CLI.")
	f.confirm(promptUseACS, "", "Yes", "No", &p.use)
}
func (p *acsAskPage) apply(w *wizard, c *config.Cluster) error {
	if !p.use {
		c.ACS = config.ACS{}
		w.acs = acsState{}
	}
	return nil
}

// acsNoRegistryPage says what ACS without a registry does, and offers to
// go back to the registry.
type acsNoRegistryPage struct {
	meta
	choice string
}

func (p *acsNoRegistryPage) load(*wizard, config.Cluster) {}
func (p *acsNoRegistryPage) hidden(w *wizard) bool {
	return !pageOf[*acsAskPage](w).use || pageOf[*registryAskPage](w).use
}
func (p *acsNoRegistryPage) owns(*wizard, string) bool { return false }
func (p *acsNoRegistryPage) fields(w *wizard, f *fieldSet) {
	w.notes = append(w.notes, "No registry is set up, so install will not put credentials on the ACS agents "+
		"(its acs-sync phase skips itself without a registry). It still registers both clusters for the DC/OS CLI, "+
		"and status and acs tunnel reach the ACS master.")
	choose(f, promptACSNoRegistry, "", &p.choice,
		option[string]{acsRegistryBack + " (Azure Container Registry shared with ACS)", acsRegistryBack},
		option[string]{acsRegistryOn, acsRegistryOn})
}
func (p *acsNoRegistryPage) apply(*wizard, *config.Cluster) error { return nil }
func (p *acsNoRegistryPage) check(*wizard, *config.Cluster) *job {
	if p.choice != acsRegistryBack {
		return nil
	}
	return now(func(w *wizard) tea.Cmd {
		w.carry = []string{"Set up the registry shared with ACS; the ACS answers are kept."}
		return w.goTo(pageOf[*registryAskPage](w))
	})
}

// acsPage asks how to reach the ACS master.
type acsPage struct {
	meta
	fqdn, port, user, login string
}

func (p *acsPage) load(_ *wizard, c config.Cluster) {
	a := c.ACS
	p.fqdn, p.port, p.user = a.MasterFQDN, itoaOr(a.SSHPort, strconv.Itoa(config.DefaultACSSSHPort)), or(a.User, config.DefaultACSUser)
	p.login = acsLoginKey
	if a.Agent && a.KeyFile == "" {
		p.login = acsLoginAgent
	}
}
func (p *acsPage) hidden(w *wizard) bool { return !pageOf[*acsAskPage](w).use }
func (p *acsPage) owns(_ *wizard, path string) bool {
	return hasPrefix(path, "acs.masterFQDN", "acs.sshPort", "acs.user", "acs.agent")
}
func (p *acsPage) fields(_ *wizard, f *fieldSet) {
	// Short: the page is full at 80x24 and a field error needs room.
	f.input(promptACSMaster, "the masters' public name, e.g. myacs-mgmt.westeurope.cloudapp.azure.com", &p.fqdn, config.CheckACSMasterFQDN)
	f.input(promptACSPort, "", &p.port, func(s string) error {
		n, err := number(s, "port")
		if err != nil {
			return err
		}
		return config.CheckPort(n)
	})
	f.input(promptACSUser, "", &p.user, config.CheckACSUser)
	choose(f, promptACSLogin, "", &p.login,
		option[string]{"the ACS admin's private key file", acsLoginKey},
		option[string]{"the keys of my ssh-agent ($SSH_AUTH_SOCK; for a key with a passphrase)", acsLoginAgent})
}
func (p *acsPage) apply(w *wizard, c *config.Cluster) error {
	port, err := number(p.port, "ACS SSH port")
	if err != nil {
		return err
	}
	a := &c.ACS
	a.MasterFQDN, a.SSHPort, a.User = strings.TrimSpace(p.fqdn), port, strings.TrimSpace(p.user)
	a.Agent = p.login == acsLoginAgent
	if a.Agent {
		a.KeyFile = ""
	}
	w.acsAnswered(c)
	return nil
}

// acsLoginPage asks for the ACS admin's private key (unless the agent
// is the way in) and where the master's host key is kept, then logs in.
type acsLoginPage struct {
	meta
	key, knownHosts string
	// encrypted: the key needs its passphrase (the next page asks it).
	encrypted bool
}

func (p *acsLoginPage) load(_ *wizard, c config.Cluster) {
	p.key, p.knownHosts = c.ACS.KeyFile, c.ACS.KnownHostsFile
	p.encrypted = c.ACS.KeyPassphrase.Ref != "" || c.ACS.KeyPassphraseFile != ""
}
func (p *acsLoginPage) hidden(w *wizard) bool { return !pageOf[*acsAskPage](w).use }
func (p *acsLoginPage) owns(_ *wizard, path string) bool {
	return path == "acs" || hasPrefix(path, "acs.keyFile", "acs.knownHostsFile")
}
func (p *acsLoginPage) fields(w *wizard, f *fieldSet) {
	if pageOf[*acsPage](w).login == acsLoginKey {
		f.input(promptACSKey, "the private half of the deployment's sshRSAPublicKey, e.g. ~/.ssh/acs_rsa (never copied anywhere)", &p.key, checkACSKey)
	} else {
		w.notes = append(w.notes, "Logging in with the keys of the ssh-agent at $SSH_AUTH_SOCK.")
	}
	f.input(promptACSKnownHosts, "empty: .dcos-vsphere/<cluster>/acs_known_hosts beside the config (the master's key is asked on first use)", &p.knownHosts, nil)
}
func (p *acsLoginPage) apply(w *wizard, c *config.Cluster) error {
	p.encrypted = false
	if !c.ACS.Agent {
		c.ACS.KeyFile = expandPath(p.key)
		var missing *ssh.PassphraseMissingError
		p.encrypted = errors.As(readKey(c.ACS.KeyFile, ""), &missing)
	}
	if !p.encrypted {
		c.ACS.KeyPassphrase, c.ACS.KeyPassphraseFile = config.Secret{}, ""
	}
	c.ACS.KnownHostsFile = expandPath(p.knownHosts)
	w.acsAnswered(c)
	return nil
}

// check logs in, unless the key's passphrase is still to be asked (the
// next page logs in then).
func (p *acsLoginPage) check(w *wizard, c *config.Cluster) *job {
	if p.encrypted {
		return nil
	}
	return w.acsLogin(c, "")
}

// checkACSKey is the ACS key field's rule: config's, on the expanded
// path; an encrypted key is fine here (its passphrase is asked next).
func checkACSKey(s string) error {
	if err := checkFile(s); err != nil {
		return err
	}
	var missing *ssh.PassphraseMissingError
	if errors.As(readKey(expandPath(s), ""), &missing) {
		return nil
	}
	return config.CheckACSKeyFile(expandPath(s))
}

// acsPassphrasePage asks the passphrase of an encrypted ACS key, checks
// it opens the key, and logs in.
type acsPassphrasePage struct {
	meta
	passphrase, store string
}

func (p *acsPassphrasePage) load(_ *wizard, c config.Cluster) {
	p.passphrase, p.store = c.ACS.KeyPassphrase.Value(), storeOf(c.ACS.KeyPassphraseFile)
}
func (p *acsPassphrasePage) hidden(w *wizard) bool {
	return !pageOf[*acsAskPage](w).use || !pageOf[*acsLoginPage](w).encrypted
}
func (p *acsPassphrasePage) owns(_ *wizard, path string) bool {
	return hasPrefix(path, "acs.keyPassphrase", "acs.keyPassphraseFile")
}
func (p *acsPassphrasePage) fields(w *wizard, f *fieldSet) {
	w.notes = append(w.notes, w.c.ACS.KeyFile+" is encrypted.")
	f.secret(promptACSPassphrase, "used for this run; where it is kept for later runs is asked next", &p.passphrase)
	choose(f, promptACSPassStore, "", &p.store, storeOptions(ACSKeyPassphraseEnv)...)
}
func (p *acsPassphrasePage) apply(w *wizard, c *config.Cluster) error {
	if err := readKey(c.ACS.KeyFile, p.passphrase); err != nil {
		return err
	}
	c.ACS.KeyPassphrase, c.ACS.KeyPassphraseFile = secretFor(p.passphrase, p.store, ACSKeyPassphraseEnv, c.Name, "acs-key.passphrase")
	w.acsAnswered(c)
	return nil
}
func (p *acsPassphrasePage) check(w *wizard, c *config.Cluster) *job { return w.acsLogin(c, "") }

// acsHostKeyPage shows a master host key not recorded yet, for the user
// to compare and trust (trust on first use: it is recorded in the
// known_hosts file only with a yes).
type acsHostKeyPage struct {
	meta
	trust bool
}

func (p *acsHostKeyPage) load(*wizard, config.Cluster)     {}
func (p *acsHostKeyPage) hidden(w *wizard) bool            { return w.acs.pending == nil }
func (p *acsHostKeyPage) owns(_ *wizard, path string) bool { return false }
func (p *acsHostKeyPage) fields(w *wizard, f *fieldSet) {
	k := w.acs.pending
	w.notes = []string{
		fmt.Sprintf("The ACS master %s is not in %s yet. It presents this host key:", k.Host, k.File),
		"",
		verbatimNote + "  " + k.Fingerprint,
		"",
		"Compare it with the master's own: on the master, ssh-keygen -lf on the matching /etc/ssh/ssh_host_*_key.pub " +
			"(or what ssh showed when you first logged in there). Trusting it records it in that file; later runs refuse any other key.",
	}
	p.trust = false
	f.confirm(promptACSTrustKey, "", "Yes, trust and record it", "No", &p.trust)
}
func (p *acsHostKeyPage) apply(*wizard, *config.Cluster) error { return nil }
func (p *acsHostKeyPage) check(w *wizard, c *config.Cluster) *job {
	k := *w.acs.pending
	if !p.trust {
		return now(func(w *wizard) tea.Cmd {
			w.acs.pending = nil
			return w.goTo(pageOf[*acsPage](w), fmt.Sprintf("The host key of %s was not trusted; nothing was recorded. "+
				"Check the master's name and port, or ask who runs the ACS cluster for its host key.", k.Host))
		})
	}
	return w.acsLogin(c, k.Key)
}

// acsFoundPage shows what the login found, for the user to confirm that
// it is the cluster meant.
type acsFoundPage struct {
	meta
	right bool
}

func (p *acsFoundPage) load(*wizard, config.Cluster) {}
func (p *acsFoundPage) hidden(w *wizard) bool {
	return w.acs.found == nil || !pageOf[*acsAskPage](w).use
}
func (p *acsFoundPage) owns(_ *wizard, path string) bool { return false }
func (p *acsFoundPage) fields(w *wizard, f *fieldSet) {
	m := w.acs.found
	w.notes = []string{
		fmt.Sprintf("Logged in to %s; passwordless sudo works.", m.Target),
		"",
		verbatimNote + "  master      " + m.Hostname,
		verbatimNote + "  DC/OS       " + m.Version,
		verbatimNote + "  cluster     " + or(m.ClusterName, "(no name)"),
		verbatimNote + "  cluster id  " + m.ClusterID,
		verbatimNote + "  OS          " + m.OS,
		verbatimNote + "  host key    " + m.HostKey,
	}
	for _, wr := range m.Warnings {
		w.notes = append(w.notes, "⚠ "+wr)
	}
	p.right = true
	f.confirm(promptACSRight, "", "Yes", "No, change the answers", &p.right)
}
func (p *acsFoundPage) apply(*wizard, *config.Cluster) error { return nil }
func (p *acsFoundPage) check(*wizard, *config.Cluster) *job {
	if p.right {
		return nil
	}
	return now(func(w *wizard) tea.Cmd {
		return w.goTo(pageOf[*acsPage](w), "Not that cluster: change the master's name or port (2200+i reaches master i).")
	})
}

// acsKnownHosts is the known_hosts file the login records the master's
// key in: the one given, else the default beside the config where it is
// going to be saved.
func (w *wizard) acsKnownHosts(a config.ACS, name string) string {
	if a.KnownHostsFile != "" {
		return a.KnownHostsFile
	}
	save := pageOf[*savePage](w).path
	if save == "" {
		save = filepath.Join(w.defaults.OutputDir, "cluster.yaml")
	}
	return defaultACSKnownHosts(expandPath(save), name)
}

// defaultACSKnownHosts is the ACS known_hosts file config defaults to for
// cluster name saved at path: acs_known_hosts in the cluster's state dir.
func defaultACSKnownHosts(path, name string) string {
	c := config.Cluster{Path: path, Name: name}
	return filepath.Join(c.StateDir(), config.DefaultACSKnownHostsName)
}

// acsKey identifies the answers a login was made with.
func acsKey(a config.ACS, knownHosts string) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{a.MasterFQDN, strconv.Itoa(a.SSHPort), a.User, a.KeyFile, strconv.FormatBool(a.Agent), knownHosts}, "\x00")))
	return string(sum[:])
}

// acsAnswered forgets what an earlier login found once the answers
// differ from those it was made with.
func (w *wizard) acsAnswered(c *config.Cluster) {
	w.acs.pending = nil
	if acsKey(c.ACS, w.acsKnownHosts(c.ACS, c.Name)) != w.acs.checked {
		w.acs.found, w.acs.checked = nil, ""
	}
}

// acsLogin checks the ACS answers with one live login (trust: a host key
// the user just agreed to), unless the login with the same answers
// stands. Without an ACSChecker nothing is checked.
func (w *wizard) acsLogin(c *config.Cluster, trust string) *job {
	api := w.defaults.ACS
	a := c.ACS
	a.KnownHostsFile = w.acsKnownHosts(c.ACS, c.Name)
	key := acsKey(c.ACS, a.KnownHostsFile)
	if api == nil || trust == "" && key == w.acs.checked {
		return nil
	}
	ct, lt := w.defaults.ConnectTimeout, w.defaults.LookupTimeout
	target := fmt.Sprintf("%s@%s", a.User, net.JoinHostPort(a.MasterFQDN, strconv.Itoa(a.SSHPort)))
	return &job{
		busy: "Logging in to the ACS master " + target + "…",
		run: func(ctx context.Context) outcome {
			cctx, cancel := context.WithTimeout(ctx, ct+lt)
			m, err := api.CheckACS(cctx, a, ct, trust)
			cancel()
			var unknown *ACSHostKeyError
			switch {
			case err == nil:
				return func(w *wizard) tea.Cmd {
					w.acs = acsState{checked: key, knownHosts: a.KnownHostsFile, found: &m}
					return w.proceed(c)
				}
			case errors.As(err, &unknown):
				return func(w *wizard) tea.Cmd {
					w.acs = acsState{pending: unknown}
					return w.proceed(c) // on to the host key page, which now applies
				}
			}
			return func(w *wizard) tea.Cmd {
				w.acs = acsState{}
				where := page(pageOf[*acsPage](w))
				if errors.Is(err, ErrACSLoginRefused) || errors.Is(err, ErrACSHostKeyChanged) {
					where = pageOf[*acsLoginPage](w) // the key, or the known_hosts file
				}
				return w.goTo(where, explainACS(err, a, target, ct))
			}
		},
	}
}

// explainACS says why the ACS login failed, with the fix.
func explainACS(err error, a config.ACS, target string, connect time.Duration) string {
	var dnsErr *net.DNSError
	how := "the key " + a.KeyFile
	if a.Agent {
		how = "the ssh-agent's keys"
	}
	switch {
	case errors.Is(err, ErrACSHostKeyChanged):
		return err.Error()
	case errors.Is(err, ErrACSLoginRefused):
		return fmt.Sprintf("The ACS master %s refused the login with %s. Check the user (ACS's admin, default azureuser) and the key: "+
			"its public half must be in ~%s/.ssh/authorized_keys on the master (ACS puts the deployment's sshRSAPublicKey there). (%v)", target, how, a.User, err)
	case errors.Is(err, ErrACSSudo):
		return fmt.Sprintf("%s logged in, but passwordless sudo failed: %v. The tool needs root on the ACS nodes: log in as the ACS admin "+
			"(waagent gives it passwordless sudo in /etc/sudoers.d/waagent), or give this user NOPASSWD in sudoers there.", target, err)
	case errors.Is(err, ErrACSNoAgent):
		return "ssh-agent is not running for this terminal (SSH_AUTH_SOCK is not set). Choose the key file, or quit (ctrl+c keeps a draft), " +
			"run eval $(ssh-agent) and ssh-add with the ACS key, and start the setup again in that shell."
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Sprintf("The ACS master %s did not answer within %s. Check the name and port (the Azure load balancer forwards 2200+i to master i), "+
			"and that this machine may reach it (firewall, VPN, the network security group's SSH rule).", target, connect)
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("Cannot resolve %s (%v): check the ACS master's name (acs-engine's masterFQDN output).", dnsErr.Name, dnsErr.Err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("Nothing accepts connections on %s (connection refused): check the port (2200 is master 0).", net.JoinHostPort(a.MasterFQDN, strconv.Itoa(a.SSHPort)))
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		return fmt.Sprintf("No route to %s: check the name, and this machine's network (VPN, routes).", a.MasterFQDN)
	}
	return fmt.Sprintf("Checking the ACS master %s: %v", target, err)
}
