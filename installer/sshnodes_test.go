package installer_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

// sshCluster is a valid cluster whose ssh section is sshYAML.
func sshCluster(t *testing.T, sshYAML string) *config.Cluster {
	t.Helper()
	t.Setenv("TEST_VC_PASSWORD", "vc-secret")
	y := `name: s
vcenter: {url: https://vc.test/sdk, username: u, password: "${TEST_VC_PASSWORD}", insecure: true, datacenter: D, datastore: S, network: N}
template: {name: t}
network: {gateway: 198.18.0.1, prefix: 24, dns: [198.18.0.1]}
nodes:
  bootstrap: {ip: 198.18.0.10}
  masters: {count: 1, ipRange: 198.18.0.11}
ssh:
` + sshYAML + `dcos: {installer: https://downloads.test/dcos_generate_config.sh}
`
	c, _, err := config.Parse([]byte(y), filepath.Join(t.TempDir(), "cluster.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The installer's node connections: cluster.yaml's explicit ssh settings
// win, ~/.ssh/config fills what it leaves out (for the nodes' addresses
// and for the jump host's alias), the defaults come last.
func TestNodeSSHConfigHonoursSSHConfig(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("SSH_AUTH_SOCK", "")
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	sshConfig := `Host bastion
  HostName 198.18.0.5
  User jumper
  Port 2222
  IdentityFile ~/.ssh/bastion
Host 198.18.0.*
  User admin
  Port 2200
  IdentityFile ~/.ssh/nodes
  ProxyJump bastion
`
	if err := os.WriteFile(filepath.Join(home, ".ssh", "config"), []byte(sshConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	warn := func(m string) { t.Errorf("warning: %s", m) }

	// Nothing in cluster.yaml but the user's default: ~/.ssh/config decides.
	cfg, err := installer.NodeSSHConfig(sshCluster(t, "  port: 22\n"), "198.18.0.11", warn)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.String(); got != "admin@198.18.0.11:22 via jumper@198.18.0.5:2222" {
		t.Fatalf("node %s", got)
	}
	if len(cfg.IdentityFiles) != 1 || cfg.IdentityFiles[0] != filepath.Join(home, ".ssh", "nodes") || cfg.KeyFile != "" {
		t.Fatalf("keys %v %q", cfg.IdentityFiles, cfg.KeyFile)
	}

	// Explicit settings win; the explicit jump host's alias is still
	// looked up, and its user defaults to ~/.ssh/config's before ssh.user.
	c := sshCluster(t, "  user: core\n  keyFile: /keys/id\n  jumpHost: {host: bastion}\n")
	cfg, err = installer.NodeSSHConfig(c, "198.18.0.11", warn)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.String(); got != "core@198.18.0.11:2200 via jumper@198.18.0.5:2222" || cfg.KeyFile != "/keys/id" || cfg.Jump.KeyFile != "/keys/id" {
		t.Fatalf("explicit: %s key %q jump key %q", got, cfg.KeyFile, cfg.Jump.KeyFile)
	}

	// No ~/.ssh/config entry: the config's defaults, as before.
	cfg, err = installer.NodeSSHConfig(sshCluster(t, "  keyFile: /keys/id\n"), "10.1.1.1", warn)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.String(); got != "centos@10.1.1.1:22" {
		t.Fatalf("defaults: %s", got)
	}
}

func TestNodeSSHConfigRefusesProxyCommand(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".ssh", "config"), []byte("Host 198.18.0.11\n  ProxyCommand nc %h %p\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := installer.NodeSSHConfig(sshCluster(t, "  keyFile: /k\n"), "198.18.0.11", func(string) {})
	var ec interface{ ExitCode() int }
	if err == nil || !strings.Contains(err.Error(), "ProxyCommand") || !errorsAs(err, &ec) || ec.ExitCode() != 2 {
		t.Fatalf("%v", err)
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// SecretRedactor hides each of the config's secrets, the ACS key
// passphrase included.
func TestSecretRedactorHidesEverySecret(t *testing.T) {
	c := &config.Cluster{}
	c.VCenter.Password = config.NewSecret("vc-pw")
	c.SSH.KeyPassphrase = config.NewSecret("ssh-pass")
	c.SSH.Password = config.NewSecret("ssh-pw")
	c.SSH.SudoPassword = config.NewSecret("sudo-pw")
	c.Registry.Password = config.NewSecret("acr-pw")
	c.ACS.KeyPassphrase = config.NewSecret("acs-pass")
	line := "vc-pw ssh-pass ssh-pw sudo-pw acr-pw acs-pass"
	if got, want := installer.SecretRedactor(c).Redact(line), "*** *** *** *** *** ***"; got != want {
		t.Errorf("Redact(%q) = %q, want %q", line, got, want)
	}
}
