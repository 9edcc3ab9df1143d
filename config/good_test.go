package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func sprintAll(c *Cluster) []string {
	out := []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c)}
	if b, err := yaml.Marshal(c); err == nil {
		out = append(out, string(b))
	}
	return out
}

// copyGood copies testdata/config/good into a temp dir (so the secret
// file can be given mode 0600 whatever git checked out) and returns it.
func copyGood(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files, _ := filepath.Glob("../testdata/config/good/*")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func mustLoad(t *testing.T, path string) (*Cluster, []Warning) {
	t.Helper()
	c, warns, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return c, warns
}

func names(nodes []PlannedNode) string {
	var s []string
	for _, n := range nodes {
		s = append(s, n.Name+"="+n.IP)
	}
	return strings.Join(s, " ")
}

func TestGoodMinimalDefaults(t *testing.T) {
	setTestSecrets(t)
	dir := copyGood(t)
	path := filepath.Join(dir, "minimal-1-master.yaml")
	c, warns := mustLoad(t, path)
	if len(warns) != 1 || warns[0].Path != "vcenter.insecure" || warns[0].Line != 7 {
		t.Errorf("warnings = %v, want one about vcenter.insecure on line 7", warns)
	}
	if c.VCenter.Password.Value() != testSecrets["VCENTER_PASSWORD"] || c.VCenter.Password.Ref != "${VCENTER_PASSWORD}" {
		t.Errorf("vcenter.password not resolved from the environment (ref %q)", c.VCenter.Password.Ref)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"ssh.port", c.SSH.Port, 22},
		{"ssh.user", c.SSH.User, "centos"},
		{"ssh.keyFile", c.SSH.KeyFile, filepath.Join(dir, "id_rsa")},
		{"ssh.knownHostsFile", c.SSH.KnownHostsFile, filepath.Join(dir, ".dcos-vsphere", "lab", "known_hosts")},
		{"StateDir", c.StateDir(), filepath.Join(dir, ".dcos-vsphere", "lab")},
		{"dcos.installer", c.DCOS.Installer, filepath.Join(dir, "dcos_generate_config.sh")},
		{"dcos.bootstrapPort", c.DCOS.BootstrapPort, 80},
		{"dcos.clusterName", c.DCOS.ClusterName, "lab"},
		{"dcos.ipDetect.method", c.DCOS.IPDetect.Method, "route"},
		{"acs.sshPort", c.ACS.SSHPort, 2200},
		{"BootstrapURL", c.BootstrapURL(), "http://198.18.0.10:80"},
		{"Netmask", c.Netmask(), "255.255.255.0"},
		{"PrefixLen", c.PrefixLen(), 24},
		{"nodes", names(c.AllNodes()), "bootstrap=198.18.0.10 master-1=198.18.0.11"},
		{"bootstrap size", c.AllNodes()[0].Size, Size{CPUs: 2, MemoryMB: 16384, DiskGB: 60}},
		{"master size", c.AllNodes()[1].Size, Size{CPUs: 4, MemoryMB: 32768, DiskGB: 120}},
		{"master role", c.AllNodes()[1].Role, RoleMaster},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}
}

func TestGoodThreeMastersExplicit(t *testing.T) {
	setTestSecrets(t)
	dir := copyGood(t)
	c, warns := mustLoad(t, filepath.Join(dir, "three-masters-explicit.yaml"))
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	if got, want := names(c.AllNodes()), "boot=198.18.4.10 m1=198.18.4.11 m2=198.18.5.12 m3=198.18.6.13 a1=198.18.4.21 a2=198.18.4.22 p1=198.18.7.31"; got != want {
		t.Errorf("nodes = %s, want %s", got, want)
	}
	a := c.NodesOf(RoleAgent)
	if a[0].Size != (Size{CPUs: 2, MemoryMB: 65536, DiskGB: 60}) || a[1].Size != (Size{CPUs: 16, MemoryMB: 65536, DiskGB: 60}) {
		t.Errorf("agent sizes (group memory, host cpus) = %+v %+v", a[0].Size, a[1].Size)
	}
	if b := c.NodesOf(RoleBootstrap)[0]; b.Size.CPUs != 4 || b.Size.MemoryMB != 16384 {
		t.Errorf("bootstrap size = %+v", b.Size)
	}
	if c.PrefixLen() != 22 || c.Netmask() != "255.255.252.0" {
		t.Errorf("prefix %d netmask %s, want 22 255.255.252.0", c.PrefixLen(), c.Netmask())
	}
	if c.BootstrapURL() != "http://198.18.4.10:8080" {
		t.Errorf("BootstrapURL = %s", c.BootstrapURL())
	}
	if c.SSH.SudoPassword.Value() != testSecrets["SUDO_PASSWORD"] || c.Registry.Password.Value() != testSecrets["REGISTRY_PASSWORD"] {
		t.Errorf("sudo/registry passwords not resolved")
	}
	if r := c.Registry; r.CAFile != filepath.Join(dir, "registry-ca.pem") || r.CheckImage != "samples/hello:1.0" || !r.CheckPush {
		t.Errorf("registry caFile %s (want it relative to the config), checkImage %q, checkPush %v", r.CAFile, r.CheckImage, r.CheckPush)
	}
	if c.DCOS.IPDetectPublic.Script != filepath.Join(dir, "ip-detect-public.sh") {
		t.Errorf("ipDetectPublic.script = %s, want it relative to the config", c.DCOS.IPDetectPublic.Script)
	}
	if home, err := os.UserHomeDir(); err == nil && c.ACS.KeyFile != filepath.Join(home, ".ssh/acs_rsa") {
		t.Errorf("acs.keyFile = %s, want ~ expanded", c.ACS.KeyFile)
	}
	if !c.ACS.Enabled() || c.ACS.User != "azureuser" || c.ACS.SSHPort != 2200 ||
		c.ACS.KnownHostsFile != filepath.Join(c.StateDir(), "acs_known_hosts") {
		t.Errorf("acs defaults: enabled %v user %q port %d knownHostsFile %q", c.ACS.Enabled(), c.ACS.User, c.ACS.SSHPort, c.ACS.KnownHostsFile)
	}
	if c.DCOS.Installer != "https://downloads.example/dcos/1.9.10/dcos_generate_config.sh" {
		t.Errorf("installer URL was rewritten: %s", c.DCOS.Installer)
	}
	cfg := c.DCOS.Config
	if cfg["oauth_enabled"] != false || cfg["exhibitor_storage_backend"] != "static" || !reflect.DeepEqual(cfg["no_proxy"], []any{}) {
		t.Errorf("dcos.config = %#v", cfg)
	}
	overlay := cfg["dcos_overlay_network"].(map[string]any)["overlays"].([]any)[0].(map[string]any)
	if overlay["prefix"] != int64(24) || overlay["name"] != "dcos" {
		t.Errorf("nested dcos.config = %#v", overlay)
	}
	for _, n := range c.AllNodes() {
		if want := map[Role]string{RoleBootstrap: "", RoleMaster: "master", RoleAgent: "slave", RolePublicAgent: "slave_public"}[n.Role]; n.Role.InstallRole() != want {
			t.Errorf("%s: InstallRole = %q, want %q", n.Name, n.Role.InstallRole(), want)
		}
	}
}

func TestGoodFiveMastersRanges(t *testing.T) {
	dir := copyGood(t)
	c, warns := mustLoad(t, filepath.Join(dir, "five-masters-range-public.yaml"))
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	if c.VCenter.DatastoreCluster != "DC0_POD0" || c.VCenter.Datastore != "" || !c.VCenter.SpreadAgents {
		t.Errorf("vcenter datastoreCluster %q datastore %q spreadAgents %v", c.VCenter.DatastoreCluster, c.VCenter.Datastore, c.VCenter.SpreadAgents)
	}
	if c.VCenter.Password.Value() != "vcenter-password-from-file" {
		t.Errorf("password file not read or newline not trimmed (len %d)", len(c.VCenter.Password.Value()))
	}
	if got := names(c.NodesOf(RoleMaster)); got != "master-1=198.18.0.11 master-2=198.18.0.12 master-3=198.18.0.13 master-4=198.18.0.14 master-5=198.18.0.15" {
		t.Errorf("masters = %s", got)
	}
	agents := c.NodesOf(RoleAgent)
	if len(agents) != 10 || agents[9].Name != "worker-10" || agents[9].IP != "198.18.0.109" || agents[0].Size.DiskGB != 200 {
		t.Errorf("agents = %s (first size %+v)", names(agents), agents[0].Size)
	}
	if got := names(c.NodesOf(RolePublicAgent)); got != "public-agent-1=198.18.0.200 public-agent-2=198.18.0.201" {
		t.Errorf("public agents = %s", got)
	}
	if c.BootstrapURL() != "http://198.18.0.10:8081" || c.DCOS.BootstrapPort != 0 {
		t.Errorf("bootstrapURL override: %s port %d", c.BootstrapURL(), c.DCOS.BootstrapPort)
	}
	if c.Template.OVA != filepath.Join(filepath.Dir(dir), "images", "centos7.ova") {
		t.Errorf("ova = %s", c.Template.OVA)
	}
	// The same file readable by others still loads, with a warning.
	if err := os.Chmod(filepath.Join(dir, "vcenter.pw"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, warns = mustLoad(t, filepath.Join(dir, "five-masters-range-public.yaml"))
	if len(warns) != 1 || warns[0].Path != "vcenter.passwordFile" || !strings.Contains(warns[0].Message, "mode 0644") {
		t.Errorf("warnings = %v, want one about vcenter.passwordFile mode", warns)
	}
}

func TestGoodJumpHost(t *testing.T) {
	setTestSecrets(t)
	dir := copyGood(t)
	c, _ := mustLoad(t, filepath.Join(dir, "ssh-jump-host.yaml"))
	j := c.SSH.JumpHost
	if j == nil || j.Host != "bastion.example.local" || j.Port != 22 || j.User != "centos" || j.KeyFile != filepath.Join(dir, "bastion_rsa") {
		t.Fatalf("jump host = %+v", j)
	}
	if c.SSH.KnownHostsFile != "/var/lib/dcos-vsphere/known_hosts" {
		t.Errorf("knownHostsFile = %s", c.SSH.KnownHostsFile)
	}
	if c.SSH.KeyPassphrase.Value() != testSecrets["SSH_KEY_PASSPHRASE"] {
		t.Errorf("key passphrase not resolved")
	}
	if got := names(c.NodesOf(RoleMaster)); got != "master-1=198.18.8.11 master-2=198.18.8.12 master-3=198.18.8.13" {
		t.Errorf("masters = %s", got)
	}
}

// TestExampleLoads: the file `init` writes is valid once its env vars
// are set, and warns about nothing.
func TestExampleLoads(t *testing.T) {
	for _, v := range ExampleEnv {
		t.Setenv(v, "example-"+v)
	}
	c, warns, err := Parse(Example(), filepath.Join(t.TempDir(), "cluster.yaml"))
	if err != nil {
		t.Fatalf("example does not load: %v", err)
	}
	if len(warns) != 0 {
		t.Errorf("example warnings: %v", warns)
	}
	if len(c.NodesOf(RoleMaster)) != 3 || len(c.NodesOf(RoleAgent)) != 3 || len(c.NodesOf(RolePublicAgent)) != 1 {
		t.Errorf("example nodes: %s", names(c.AllNodes()))
	}
	for _, s := range []string{"bootstrapPort: 80", "sshPort: 2200", "user: centos", "port: 22", "method: route", "16384 MB", "32768 MB"} {
		if !strings.Contains(string(Example()), s) {
			t.Errorf("example does not document default %q", s)
		}
	}
}

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(content string, mode os.FileMode) {
		p := filepath.Join(dir, "pw")
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	load := func() (*report, *Cluster) {
		r := newReport("c.yaml")
		c := &Cluster{Path: filepath.Join(dir, "c.yaml")}
		c.VCenter.PasswordFile = "pw"
		c.resolvePaths()
		resolveSecrets(c, nil, r, os.LookupEnv)
		return r, c
	}
	write("pa ss\r\n", 0o600)
	r, c := load()
	if len(r.errs)+len(r.warns) != 0 || c.VCenter.Password.Value() != "pa ss" {
		t.Errorf("0600 file: errs %v warns %v, value trimmed ok=%v", r.errs, r.warns, c.VCenter.Password.Value() == "pa ss")
	}
	write("\n", 0o600)
	r, _ = load()
	if len(r.errs) != 1 || !strings.Contains(r.errs[0].Message, "is empty") || r.errs[0].Path != "vcenter.passwordFile" {
		t.Errorf("empty file: %v", r.errs)
	}
	write("x", 0o640)
	r, _ = load()
	if len(r.warns) != 1 || !strings.Contains(r.warns[0].Message, "mode 0640") {
		t.Errorf("group-readable file: warns %v", r.warns)
	}
	if err := os.Remove(filepath.Join(dir, "pw")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "pw"), 0o700); err != nil {
		t.Fatal(err)
	}
	r, _ = load()
	if len(r.errs) != 1 || !strings.Contains(r.errs[0].Message, "not a regular file") {
		t.Errorf("directory as secret file: %v", r.errs)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	var s Secret
	if err := yaml.Unmarshal([]byte(`"literal-Value-42"`), &s); err != nil {
		t.Fatal(err)
	}
	if s.Value() != "literal-Value-42" || s.Ref != "" {
		t.Fatalf("literal not kept: ref %q", s.Ref)
	}
	for _, txt := range []string{s.String(), s.GoString(), fmt.Sprintf("%v %+v %#v %s", s, s, s, s)} {
		if strings.Contains(txt, "literal-Value-42") {
			t.Errorf("secret printed: %q", txt)
		}
	}
	if err := yaml.Unmarshal([]byte(`"${MY_VAR}"`), &s); err != nil || s.Ref != "${MY_VAR}" || s.EnvVar() != "MY_VAR" || s.IsSet() {
		t.Errorf("env ref: %v ref %q var %q", err, s.Ref, s.EnvVar())
	}
	if b, _ := yaml.Marshal(struct{ P Secret }{NewSecret("v-Secret")}); strings.Contains(string(b), "v-Secret") {
		t.Errorf("MarshalYAML printed the value: %s", b)
	}
}

func TestRangeAddrs(t *testing.T) {
	cases := []struct {
		spec  string
		count int
		want  string
		err   string
	}{
		{"10.0.0.254-10.0.1.2", 4, "10.0.0.254 10.0.0.255 10.0.1.0 10.0.1.1", ""},
		{"10.0.0.5", 2, "10.0.0.5 10.0.0.6", ""},
		{"10.0.0.5-10.0.0.4", 1, "", "last address is before the first"},
		{"255.255.255.255", 2, "", "run past 255.255.255.255"},
		{"10.0.0.5-x", 1, "", `last address "x" is not an IPv4 address`},
		{"::1", 1, "", "is not an IPv4 address"},
	}
	for _, c := range cases {
		got, err := rangeAddrs(c.spec, c.count)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("rangeAddrs(%q) err = %v, want %q", c.spec, err, c.err)
			}
			continue
		}
		if err != nil || strings.Join(got, " ") != c.want {
			t.Errorf("rangeAddrs(%q, %d) = %v, %v; want %s", c.spec, c.count, got, err, c.want)
		}
	}
}

func TestNetmaskPrefix(t *testing.T) {
	for _, c := range []struct {
		prefix  int
		netmask string
		wantLen int
		wantNm  string
	}{
		{24, "", 24, "255.255.255.0"},
		{0, "255.255.240.0", 20, "255.255.240.0"},
		{0, "255.0.255.0", 0, ""},
		{33, "", 0, ""},
		{0, "", 0, ""},
	} {
		cl := &Cluster{Network: Network{Prefix: c.prefix, Netmask: c.netmask}}
		if cl.PrefixLen() != c.wantLen || cl.Netmask() != c.wantNm {
			t.Errorf("prefix %d netmask %q: got %d %q, want %d %q", c.prefix, c.netmask, cl.PrefixLen(), cl.Netmask(), c.wantLen, c.wantNm)
		}
	}
}

// TestValidateCodeBuilt: a Cluster made in code (the TUI's path) gets
// the same rules, with field paths but no positions from a file.
func TestValidateCodeBuilt(t *testing.T) {
	c := &Cluster{
		Name:     "lab",
		VCenter:  VCenter{URL: "https://vc/sdk", Username: "u", Password: NewSecret("p"), Datacenter: "d", Datastore: "s", Network: "n"},
		Template: Template{Name: "t"},
		Network:  Network{Gateway: "198.18.0.1", Prefix: 24},
		Nodes: Nodes{
			Bootstrap: Node{IP: "198.18.0.10"},
			Masters:   NodeGroup{Count: 3, IPRange: "198.18.0.11"},
		},
		SSH:  SSH{Agent: true},
		DCOS: DCOS{Installer: "/x/dcos_generate_config.sh"},
	}
	c.ApplyDefaults()
	if _, err := c.Validate(); err != nil {
		t.Fatalf("valid cluster: %v", err)
	}
	c.Nodes.Masters.Count = 2
	c.DCOS.Config = map[string]any{"gc_delay": 1.5, "x": map[string]any{"y": []any{nil}}}
	_, err := c.Validate()
	for _, w := range []string{
		"nodes.masters: Must have 1, 3, 5, 7, or 9 masters. Found 2",
		"dcos.config.gc_delay: floating-point value",
		"dcos.config.x.y[0]: null value",
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Validate = %v, want %q", err, w)
		}
	}
}

func TestComputedDCOSKeysCopy(t *testing.T) {
	m := ComputedDCOSKeys()
	if m["bootstrap_url"] == "" || m["master_list"] != "nodes.masters" {
		t.Fatalf("ComputedDCOSKeys = %v", m)
	}
	m["master_list"] = "changed"
	if ComputedDCOSKeys()["master_list"] != "nodes.masters" {
		t.Errorf("ComputedDCOSKeys returns the package map itself")
	}
}
