package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
	"github.com/dcos-vsphere/dcos-vsphere/templates/vcsimtest"
	"github.com/dcos-vsphere/dcos-vsphere/tui"
)

// "Save and install now" with the password kept in an environment
// variable: the secret typed into the guided setup is used for this run
// although VCENTER_PASSWORD is not set (it is only needed by later runs).
func TestInstallNowUsesTheTypedPassword(t *testing.T) {
	sim := vcsimtest.Start(t, vcsimtest.Options{})
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	inst := filepath.Join(dir, "dcos_generate_config.sh")
	keyPEM, err := os.ReadFile("../../testdata/config/good/id_rsa")
	if err != nil {
		t.Fatal(err)
	}
	for p, b := range map[string][]byte{key: keyPEM, inst: []byte("x")} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	doc := fmt.Sprintf(`name: wiz
vcenter:
  url: %s
  username: %s
  password: "${VCENTER_PASSWORD}"
  thumbprint: "%s"
  datacenter: DC0
  cluster: DC0_C0
  datastore: LocalDS_0
  folder: wiz
  network: VM Network
template:
  name: centos7
network:
  gateway: 198.18.0.1
  prefix: 24
  dns: [198.18.0.1]
nodes:
  bootstrap: {ip: 198.18.0.10}
  masters: {count: 1, ipRange: 198.18.0.11}
ssh:
  keyFile: %s
dcos:
  installer: %s
`, sim.URL, sim.Username, sim.Thumbprint, key, inst)
	path := filepath.Join(dir, "cluster.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	// What the wizard hands back: the saved file and the typed secret.
	t.Setenv("VCENTER_PASSWORD", "") // restored after the test
	os.Unsetenv("VCENTER_PASSWORD")
	c, _, err := config.ParseEnv([]byte(doc), path, func(name string) (string, bool) {
		return sim.Password, name == "VCENTER_PASSWORD" // typed into the wizard
	})
	if err != nil {
		t.Fatal(err)
	}
	res := tui.WizardResult{ConfigPath: path, InstallNow: true, Cluster: c}

	var out, errOut bytes.Buffer
	cmd := &cobra.Command{}
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd.SetContext(ctx)
	f := &runFlags{concurrency: installer.DefaultConcurrency, timeout: time.Minute,
		nodeTimeout: time.Minute, dryRun: true}
	// The dry run stops at the vSphere preflight (the simulator has no
	// template of that name); what matters is that it logged in.
	err = installFromWizard(cmd, &globalOptions{}, f, installer.InstallFlow(), res)
	if !strings.Contains(out.String(), "ok  Connect to vCenter") || !strings.Contains(out.String(), "0 VM(s) of cluster wiz") {
		t.Errorf("the dry run did not log in to vCenter (err %v):\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	if err != nil && strings.Contains(err.Error(), "VCENTER_PASSWORD") {
		t.Errorf("install now asked the environment for the typed password: %v", err)
	}
}

// "Save and install now" with the acs section the guided setup writes
// (key file, known_hosts file left to its default in the state dir, where
// the setup recorded the master's key): the run takes it as loaded and
// checks the ACS key with the other files before anything else; a file
// that is no usable key stops it there (exit 2), nothing reached.
func TestInstallNowWithACS(t *testing.T) {
	sim := vcsimtest.Start(t, vcsimtest.Options{})
	dir := t.TempDir()
	key := filepath.Join(dir, "id_rsa")
	keyPEM, err := os.ReadFile("../../testdata/config/good/id_rsa")
	if err != nil {
		t.Fatal(err)
	}
	inst := filepath.Join(dir, "dcos_generate_config.sh")
	for p, b := range map[string][]byte{key: keyPEM, inst: []byte("x")} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	c := config.Cluster{Name: "wiz",
		VCenter: config.VCenter{URL: sim.URL, Username: sim.Username, Password: config.Secret{Ref: "${VCENTER_PASSWORD}"}, Thumbprint: sim.Thumbprint,
			Datacenter: "DC0", Cluster: "DC0_C0", Datastore: "LocalDS_0", Folder: "wiz", Network: "VM Network"},
		Template: config.Template{Name: "centos7"},
		Network:  config.Network{Gateway: "198.18.0.1", Prefix: 24, DNS: []string{"198.18.0.1"}},
		Nodes:    config.Nodes{Bootstrap: config.Node{IP: "198.18.0.10"}, Masters: config.NodeGroup{Count: 1, IPRange: "198.18.0.11"}},
		SSH:      config.SSH{KeyFile: key},
		DCOS:     config.DCOS{Installer: inst, Config: config.DefaultDCOSConfig()},
		ACS:      config.ACS{MasterFQDN: "127.0.0.1", SSHPort: port, User: "azureuser", KeyFile: key},
	}
	doc, err := config.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "cluster.yaml")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	loaded, _, err := config.ParseEnv(doc, path, func(name string) (string, bool) { return sim.Password, name == "VCENTER_PASSWORD" })
	if err != nil {
		t.Fatal(err)
	}
	if loaded.ACS.KnownHostsFile != filepath.Join(dir, config.StateDirName, "wiz", config.DefaultACSKnownHostsName) {
		t.Errorf("acs.knownHostsFile = %q, want the state dir's", loaded.ACS.KnownHostsFile)
	}
	run := func(c *config.Cluster) (string, error) {
		var out bytes.Buffer
		cmd := &cobra.Command{}
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd.SetContext(ctx)
		f := &runFlags{concurrency: installer.DefaultConcurrency, timeout: time.Minute, nodeTimeout: time.Minute, dryRun: true}
		err := installFromWizard(cmd, &globalOptions{}, f, installer.InstallFlow(), tui.WizardResult{ConfigPath: path, InstallNow: true, Cluster: c})
		return out.String(), err
	}
	// The dry run stops at the vSphere preflight (no template in the
	// simulator); what matters is that the ACS section got it there.
	if out, err := run(loaded); !strings.Contains(out, "ok  Connect to vCenter") || (err != nil && strings.Contains(err.Error(), "acs")) {
		t.Errorf("install now with the acs section did not reach vCenter (err %v):\n%s", err, out)
	}
	bad := *loaded
	bad.ACS.KeyFile = inst // not a key
	out, err := run(&bad)
	if code := exitCodeOf(err, false); code != 2 || !strings.Contains(fmt.Sprint(err), "acs.keyFile") || strings.Contains(out, "Connect to vCenter") {
		t.Errorf("a broken acs.keyFile: exit %d, %v\n%s", code, err, out)
	}
}

// Leaving the guided setup with ctrl+c ends the CLI with 130, as a shell
// reports a command ended by ctrl+c.
func TestGuidedSetupCancelExits130(t *testing.T) {
	for _, err := range []error{&tui.CancelledError{}, fmt.Errorf("install: %w", &tui.CancelledError{Draft: "/tmp/x/cluster.draft.yaml"})} {
		if code := exitCodeOf(err, false); code != 130 {
			t.Errorf("exitCodeOf(%v) = %d, want 130", err, code)
		}
	}
}
