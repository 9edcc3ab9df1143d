package tui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"gopkg.in/yaml.v3"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

const (
	testVCPassword  = "vc-S3cret-pw"
	testRegPassword = "acr-S3cret-pw"
)

// wizardFiles makes the files the wizard checks for and returns their
// paths plus the output directory.
func wizardFiles(t *testing.T) (dir, key, installer string) {
	t.Helper()
	dir = t.TempDir()
	key = filepath.Join(dir, "id_ed25519")
	installer = filepath.Join(dir, "dcos_generate_config.sh")
	for _, p := range []string{key, installer} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir, key, installer
}

// runAccessible runs the wizard with the answers piped in, one per line.
func runAccessible(t *testing.T, defaults WizardDefaults, answers ...string) (WizardResult, string, error) {
	t.Helper()
	defaults.Accessible = true
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in := strings.NewReader(strings.Join(answers, "\n") + "\n")
	res, err := RunWizard(ctx, in, &out, defaults)
	return res, ansi.Strip(out.String()), err
}

// baseAnswers answers every page up to and including the nodes page.
// Selects are answered by number.
func baseAnswers(passwordStore string, nodesIP ...string) []string {
	a := []string{
		"lab",                                                             // cluster name
		"https://127.0.0.1:8989/sdk",                                      // vCenter URL
		"administrator@vsphere.local",                                     // username
		testVCPassword,                                                    // password
		passwordStore,                                                     // 1 env, 2 file
		"1",                                                               // TLS: thumbprint
		strings.Repeat("AB:", 31) + "AB",                                  // SHA-256 thumbprint
		"DC0", "DC0_C0", "LocalDS_0", "VM Network", "dcos", "centos7", "", // inventory
		"198.18.0.1", "24", "198.18.0.1, 198.18.0.2", "lab.example", // network
	}
	return append(a, nodesIP...)
}

func goodNodes() []string {
	return []string{"198.18.0.10", "2", "198.18.0.11", "2", "198.18.0.21", "1", "198.18.0.31"}
}

func TestWizardAccessibleWritesConfig(t *testing.T) {
	dir, key, installer := wizardFiles(t)
	answers := baseAnswers("2", goodNodes()...)
	answers = append(answers,
		"", key, "", // ssh: default user centos, key, default known_hosts
		installer, "8080", "1", // dcos
		"y", "y", // ACR, ACS
		"myreg.azurecr.io", "acruser", testRegPassword, "2",
		"acs-mgmt.westeurope.cloudapp.azure.com", "", "", key,
		"1",                                // review: save
		filepath.Join(dir, "cluster.yaml"), // path
	)
	res, out, err := runAccessible(t, WizardDefaults{OutputDir: dir}, answers...)
	if err != nil {
		t.Fatalf("RunWizard: %v\noutput:\n%s", err, out)
	}
	if res.InstallNow {
		t.Error("InstallNow set although \"save\" was chosen")
	}
	if want := filepath.Join(dir, "cluster.yaml"); res.ConfigPath != want {
		t.Errorf("ConfigPath = %q, want %q", res.ConfigPath, want)
	}
	raw, err := os.ReadFile(res.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{testVCPassword, testRegPassword} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("config file contains a literal password:\n%s", raw)
		}
		if strings.Contains(out, secret) {
			t.Errorf("wizard output shows a literal password")
		}
	}

	var c config.Cluster
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("strict decode into config.Cluster: %v\n%s", err, raw)
	}
	checks := []struct{ name, got, want string }{
		{"name", c.Name, "lab"},
		{"vcenter.url", c.VCenter.URL, "https://127.0.0.1:8989/sdk"},
		{"vcenter.passwordFile", c.VCenter.PasswordFile, "lab-vcenter.password"},
		{"vcenter.datastore", c.VCenter.Datastore, "LocalDS_0"},
		{"vcenter.network", c.VCenter.Network, "VM Network"},
		{"template.name", c.Template.Name, "centos7"},
		{"network.gateway", c.Network.Gateway, "198.18.0.1"},
		{"network.dns", strings.Join(c.Network.DNS, ","), "198.18.0.1,198.18.0.2"},
		{"nodes.bootstrap.ip", c.Nodes.Bootstrap.IP, "198.18.0.10"},
		{"nodes.masters.ipRange", c.Nodes.Masters.IPRange, "198.18.0.11-198.18.0.13"},
		{"nodes.agents.ipRange", c.Nodes.Agents.IPRange, "198.18.0.21-198.18.0.22"},
		{"nodes.publicAgents.ipRange", c.Nodes.PublicAgents.IPRange, "198.18.0.31"},
		{"ssh.user", c.SSH.User, "centos"},
		{"ssh.keyFile", c.SSH.KeyFile, key},
		{"dcos.installer", c.DCOS.Installer, installer},
		{"dcos.ipDetect.method", c.DCOS.IPDetect.Method, "route"},
		{"registry.server", c.Registry.Server, "myreg.azurecr.io"},
		{"registry.passwordFile", c.Registry.PasswordFile, "lab-registry.password"},
		{"acs.masterFQDN", c.ACS.MasterFQDN, "acs-mgmt.westeurope.cloudapp.azure.com"},
		{"acs.user", c.ACS.User, "azureuser"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.name, ch.got, ch.want)
		}
	}
	if c.Nodes.Masters.Count != 3 || c.Nodes.Agents.Count != 2 || c.Nodes.PublicAgents.Count != 1 {
		t.Errorf("counts masters/agents/public = %d/%d/%d, want 3/2/1",
			c.Nodes.Masters.Count, c.Nodes.Agents.Count, c.Nodes.PublicAgents.Count)
	}
	if c.Network.Prefix != 24 || c.DCOS.BootstrapPort != 8080 || c.ACS.SSHPort != 2200 {
		t.Errorf("prefix/bootstrapPort/acs port = %d/%d/%d, want 24/8080/2200",
			c.Network.Prefix, c.DCOS.BootstrapPort, c.ACS.SSHPort)
	}

	// The passwords went to 0600 files beside the config.
	for file, want := range map[string]string{"lab-vcenter.password": testVCPassword, "lab-registry.password": testRegPassword} {
		p := filepath.Join(dir, file)
		st, err := os.Stat(p)
		if err != nil {
			t.Fatalf("password file: %v", err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", file, st.Mode().Perm())
		}
		if got, _ := os.ReadFile(p); string(got) != want {
			t.Errorf("%s holds the wrong password", file)
		}
	}
	// The result keeps the secret in memory for an install started now,
	// and names files the way config.Load would.
	if res.Cluster.VCenter.Password.Value() != testVCPassword {
		t.Error("result lost the vCenter password")
	}
	if want := filepath.Join(dir, "lab-vcenter.password"); res.Cluster.VCenter.PasswordFile != want || res.Cluster.Path != res.ConfigPath {
		t.Errorf("result passwordFile %q path %q, want %q and %q", res.Cluster.VCenter.PasswordFile, res.Cluster.Path, want, res.ConfigPath)
	}
}

func TestWizardEnvReferenceAndInstallNow(t *testing.T) {
	dir, key, installer := wizardFiles(t)
	answers := baseAnswers("1", goodNodes()...)
	answers = append(answers, "", key, "", installer, "", "2", "ens192", "n", "n", "2", filepath.Join(dir, "c.yaml"))
	res, out, err := runAccessible(t, WizardDefaults{OutputDir: dir}, answers...)
	if err != nil {
		t.Fatalf("RunWizard: %v\noutput:\n%s", err, out)
	}
	if !res.InstallNow {
		t.Error("InstallNow not set after \"save and install now\"")
	}
	raw, err := os.ReadFile(res.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(testVCPassword)) {
		t.Fatalf("config holds the literal password:\n%s", raw)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	vc := doc["vcenter"].(map[string]any)
	if vc["password"] != "${VCENTER_PASSWORD}" {
		t.Errorf("vcenter.password = %v, want ${VCENTER_PASSWORD}", vc["password"])
	}
	if _, ok := doc["registry"]; ok {
		t.Error("registry written although declined")
	}
	dcos := doc["dcos"].(map[string]any)
	if ipd := dcos["ipDetect"].(map[string]any); ipd["method"] != "interface" || ipd["interface"] != "ens192" {
		t.Errorf("dcos.ipDetect = %v, want interface ens192", ipd)
	}
	if dcos["bootstrapPort"] != 80 {
		t.Errorf("dcos.bootstrapPort = %v, want the default 80", dcos["bootstrapPort"])
	}
	if !strings.Contains(out, "vCenter password: ******** (read from ${VCENTER_PASSWORD}") {
		t.Errorf("review does not say where the masked password lives:\n%s", out)
	}
	// Decoding strictly needs config.Secret to read "${ENV}"; config owns
	// that, so check it only once config provides it.
	if _, ok := any(&config.Secret{}).(yaml.Unmarshaler); ok {
		var c config.Cluster
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("strict decode: %v", err)
		}
		if c.VCenter.Password.Ref != "${VCENTER_PASSWORD}" {
			t.Errorf("decoded password ref = %q", c.VCenter.Password.Ref)
		}
	} else {
		t.Log("config.Secret has no UnmarshalYAML yet; strict decode of ${ENV} skipped")
	}
}

func TestWizardRejectsBadIPAndReasks(t *testing.T) {
	dir, key, installer := wizardFiles(t)
	nodes := []string{
		"198.18.0.300", // not an IP
		"10.0.0.5",     // outside 198.18.0.0/24
		"198.18.0.10",  // bootstrap, accepted
		"2",            // 3 masters
		"198.18.0.9",   // 9..11 overlaps the bootstrap
		"198.18.0.11",
		"1", "198.18.0.1", // the gateway
		"198.18.0.21",
		"0", "", // no public agents, address not asked for
	}
	answers := append(baseAnswers("1", nodes...), "", key, "", installer, "", "1", "n", "n", "1", filepath.Join(dir, "c.yaml"))
	res, out, err := runAccessible(t, WizardDefaults{OutputDir: dir}, answers...)
	if err != nil {
		t.Fatalf("RunWizard: %v\noutput:\n%s", err, out)
	}
	for _, want := range []string{
		`"198.18.0.300" is not an IPv4 address`,
		"10.0.0.5 is outside the node network 198.18.0.0/24",
		"masters (198.18.0.9-198.18.0.11) overlaps bootstrap (198.18.0.10)",
		"agents: 198.18.0.1 is the gateway",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if res.Cluster.Nodes.Bootstrap.IP != "198.18.0.10" || res.Cluster.Nodes.Agents.IPRange != "198.18.0.21" {
		t.Errorf("bootstrap %q agents %q, want the re-entered addresses",
			res.Cluster.Nodes.Bootstrap.IP, res.Cluster.Nodes.Agents.IPRange)
	}
	if res.Cluster.Nodes.PublicAgents.Count != 0 {
		t.Errorf("public agents = %d, want 0", res.Cluster.Nodes.PublicAgents.Count)
	}
}

func TestWizardRefusesOverwriteUnlessConfirmed(t *testing.T) {
	dir, key, installer := wizardFiles(t)
	existing := filepath.Join(dir, "cluster.yaml")
	if err := os.WriteFile(existing, []byte("keep me\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.yaml")
	answers := append(baseAnswers("1", goodNodes()...), "", key, "", installer, "", "1", "n", "n", "1",
		existing, "n", // refuse to overwrite
		existing, "", // default answer is No as well
		other)
	res, out, err := runAccessible(t, WizardDefaults{OutputDir: dir}, answers...)
	if err != nil {
		t.Fatalf("RunWizard: %v\noutput:\n%s", err, out)
	}
	if got, _ := os.ReadFile(existing); string(got) != "keep me\n" {
		t.Errorf("existing file was changed to:\n%s", got)
	}
	if res.ConfigPath != other {
		t.Errorf("ConfigPath = %q, want %q", res.ConfigPath, other)
	}
}

func TestWizardStopsWhenInputEnds(t *testing.T) {
	_, out, err := runAccessible(t, WizardDefaults{}, "lab", "https://vc.example/sdk")
	if !errors.Is(err, errUnexpectedEOF()) {
		t.Fatalf("err = %v, want unexpected EOF\noutput:\n%s", err, out)
	}
}

func TestWizardCancel(t *testing.T) {
	dir, key, installer := wizardFiles(t)
	answers := append(baseAnswers("1", goodNodes()...), "", key, "", installer, "", "1", "n", "n", "4")
	_, _, err := runAccessible(t, WizardDefaults{OutputDir: dir}, answers...)
	if !errors.Is(err, ErrWizardCancelled) {
		t.Fatalf("err = %v, want ErrWizardCancelled", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("cancel wrote files: %v", entries)
	}
}

func TestWizardInventoryPickLists(t *testing.T) {
	dir, key, installer := wizardFiles(t)
	var seen []string
	inv := func(ctx context.Context, field string, vc config.VCenter) ([]string, error) {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("inventory lookup without a deadline")
		}
		if vc.Password.Value() != testVCPassword {
			t.Error("inventory lookup did not get the typed password")
		}
		seen = append(seen, field+"@"+vc.Datacenter)
		switch field {
		case FieldDatacenter:
			return []string{"DC0"}, nil
		case FieldCluster:
			return []string{"C0", "C1"}, nil
		case FieldDatastore:
			return []string{"ds-a"}, nil
		case FieldNetwork:
			return nil, errors.New("permission denied")
		case FieldFolder:
			return []string{"vms"}, nil
		default:
			return []string{"centos7", "centos7-old"}, nil
		}
	}
	a := []string{
		"lab", "https://127.0.0.1:8989/sdk", "admin", testVCPassword, "1", "1", strings.Repeat("ab", 32),
		// datacenter auto-selected: nothing asked
		"2",          // cluster C1
		"VM Network", // network typed after the failed lookup
		"2",          // folder: Other…
		"1",          // template centos7
		"",           // OVA
		"dcos-lab",   // the new folder name
		"198.18.0.1", "24", "198.18.0.1", "",
	}
	a = append(a, goodNodes()...)
	a = append(a, "", key, "", installer, "", "1", "n", "n", "1", filepath.Join(dir, "c.yaml"))
	res, out, err := runAccessible(t, WizardDefaults{OutputDir: dir, Inventory: inv}, a...)
	if err != nil {
		t.Fatalf("RunWizard: %v\noutput:\n%s", err, out)
	}
	vc := res.Cluster.VCenter
	if vc.Datacenter != "DC0" || vc.Cluster != "C1" || vc.Datastore != "ds-a" || vc.Network != "VM Network" ||
		vc.Folder != "dcos-lab" || res.Cluster.Template.Name != "centos7" {
		t.Errorf("inventory answers = %+v / template %q", vc, res.Cluster.Template.Name)
	}
	for _, want := range []string{"Only one datacenter found: DC0 (selected).", "Only one datastore found: ds-a (selected).", "permission denied"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if len(seen) < 2 || seen[0] != "datacenter@" || seen[1] != "cluster@DC0" {
		t.Errorf("lookups = %v, want datacenter first, then the rest within DC0", seen)
	}
}

func errUnexpectedEOF() error { return io.ErrUnexpectedEOF }

func TestNoteKeepsUnderscores(t *testing.T) {
	w := &wizard{}
	n := w.note("Datastore", "Only one datastore found: LocalDS_0 (selected).")
	if v := ansi.Strip(n.View()); !strings.Contains(v, "LocalDS_0") {
		t.Errorf("note shows %q, want LocalDS_0 intact", v)
	}
}
