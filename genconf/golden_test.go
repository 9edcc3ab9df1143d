package genconf

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

var update = flag.Bool("update", false, "rewrite testdata/genconf/golden from the current output")

const goldenDir = "../testdata/genconf/golden"

// golden compares got with the named golden file (or rewrites it with
// -update).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(goldenDir, name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test ./genconf -run Golden -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

func TestGolden(t *testing.T) {
	clusters := goldenClusters()
	names := make([]string, 0, len(clusters))
	for n := range clusters {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		c := clusters[name]
		t.Run(name, func(t *testing.T) {
			f, err := Render(c)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			golden(t, name+".config.yaml", f.ConfigYAML)
			golden(t, name+".config.redacted.yaml", f.Redacted())
			golden(t, name+".ip-detect", f.IPDetect)
			if f.IPDetectPublic != nil {
				golden(t, name+".ip-detect-public", f.IPDetectPublic)
			}
			if errs := Check(f.ConfigYAML); errs != nil {
				t.Errorf("rendered config.yaml fails Check: %v", errs)
			}
			assertNoAgents(t, c, f.ConfigYAML)
		})
	}
}

// assertNoAgents checks that no agent address and no agent list key is
// in config.yaml.
func assertNoAgents(t *testing.T, c *config.Cluster, cfg []byte) {
	t.Helper()
	for _, k := range []string{"agent_list", "public_agent_list"} {
		if bytes.Contains(cfg, []byte(k)) {
			t.Errorf("config.yaml contains %s", k)
		}
	}
	for _, r := range []config.Role{config.RoleAgent, config.RolePublicAgent} {
		for _, n := range c.NodesOf(r) {
			if bytes.Contains(cfg, []byte(n.IP+"\n")) {
				t.Errorf("config.yaml contains %s address %s", r, n.IP)
			}
		}
	}
}

// Every golden example must exercise what it claims to.
func TestGoldenExamplesCoverTheirFeatures(t *testing.T) {
	cl := goldenClusters()
	for name, want := range map[string][]string{
		"one-master":            {"master_list:\n  - 198.18.0.11\nresolvers:\n  - 198.18.0.1\nip_detect_filename"},
		"three-masters":         {"bootstrap_url: http://198.18.1.5:8080\n", "dns_search: lab.example corp.example\n", "cluster_name: DC/OS lab three\n"},
		"five-masters-registry": {"cluster_docker_credentials_enabled: true\n", "ip_detect_public_filename: genconf/ip-detect-public\n", "oauth_enabled: false\n", "mesos_log_retention_mb: 2048\n", "- 198.18.2.1:53\n"},
		"interface-zookeeper":   {"exhibitor_storage_backend: zookeeper\n", "enable_docker_gc: true\n", "resolvers: []\n"},
		"script-bootstrap-url":  {"bootstrap_url: http://bootstrap.lab.example:8080/dcos/1.9\n"},
	} {
		f, err := Render(cl[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, w := range want {
			if !strings.Contains(string(f.ConfigYAML), w) {
				t.Errorf("%s: config.yaml lacks %q", name, w)
			}
		}
	}
	// Without a search domain in network.searchDomain or dcos.config the
	// key is left out, so 1.9's default (none) applies.
	f, err := Render(cl["one-master"])
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(f.ConfigYAML, []byte("dns_search")) {
		t.Errorf("one-master has no search domain but config.yaml names one:\n%s", f.ConfigYAML)
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	for name, c := range goldenClusters() {
		first, err := Render(c)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i := 0; i < 20; i++ {
			// A fresh copy of the pass-through map each time: Go randomizes
			// map iteration, so insertion and iteration order vary.
			cc := *c
			cc.DCOS.Config = map[string]any{}
			keys := make([]string, 0, len(c.DCOS.Config))
			for k := range c.DCOS.Config {
				keys = append(keys, k)
			}
			sort.Sort(sort.Reverse(sort.StringSlice(keys)))
			for _, k := range keys {
				cc.DCOS.Config[k] = c.DCOS.Config[k]
			}
			again, err := Render(&cc)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !bytes.Equal(first.ConfigYAML, again.ConfigYAML) || !bytes.Equal(first.IPDetect, again.IPDetect) {
				t.Fatalf("%s: render %d differs from the first", name, i)
			}
		}
	}
}

func TestAddingAnAgentKeepsConfigYAML(t *testing.T) {
	c := baseCluster()
	before, err := Render(c)
	if err != nil {
		t.Fatal(err)
	}
	c.Nodes.Agents.Count++
	c.Nodes.PublicAgents = config.NodeGroup{Count: 1, IPRange: "198.18.0.200"}
	after, err := Render(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.NodesOf(config.RoleAgent)) != 3 {
		t.Fatalf("test setup: want 3 agents, have %d", len(c.NodesOf(config.RoleAgent)))
	}
	if !bytes.Equal(before.ConfigYAML, after.ConfigYAML) || !bytes.Equal(before.IPDetect, after.IPDetect) {
		t.Errorf("adding agents changed the genconf files:\n%s\nvs\n%s", before.ConfigYAML, after.ConfigYAML)
	}
}

// The registry password never enters config.yaml (1.9 would put it into
// the served dcos-config package): only the switch does. Secret
// pass-through keys are masked in the redacted form.
func TestSecretsStayOutOfRedactedOutput(t *testing.T) {
	c := goldenClusters()["five-masters-registry"]
	f, err := Render(c)
	if err != nil {
		t.Fatal(err)
	}
	auth := "ZGNvc3Byb2Q6Z29sZGVuLXJlZ2lzdHJ5LXBhc3N3b3Jk" // base64("dcosprod:golden-registry-password")
	for _, secret := range []string{"golden-registry-password", auth, "dcosprod.azurecr.io"} {
		if bytes.Contains(f.ConfigYAML, []byte(secret)) {
			t.Errorf("config.yaml names the registry or its credentials (%d chars):\n%s", len(secret), f.ConfigYAML)
		}
	}
	if !bytes.Contains(f.ConfigYAML, []byte("\ncluster_docker_credentials_enabled: true\n")) || bytes.Contains(f.ConfigYAML, []byte("cluster_docker_credentials:")) {
		t.Errorf("config.yaml should switch the agents to /etc/mesosphere/docker_credentials only:\n%s", f.ConfigYAML)
	}
	if !f.HasSecrets() {
		t.Fatal("HasSecrets = false with exhibitor_admin_password")
	}
	for _, form := range []string{f.String(), f.GoString(), string(f.Redacted())} {
		if strings.Contains(form, "golden-exhibitor-password") {
			t.Error("redacted form contains the Exhibitor password")
		}
	}
	if !bytes.Contains(f.Redacted(), []byte("exhibitor_admin_password: '**HIDDEN**'\n")) {
		t.Errorf("redacted config does not mask the Exhibitor password:\n%s", f.Redacted())
	}
	plain, err := Render(baseCluster())
	if err != nil {
		t.Fatal(err)
	}
	if plain.HasSecrets() || !bytes.Equal(plain.ConfigYAML, plain.Redacted()) {
		t.Error("a config without secrets should be its own redacted form")
	}
	// A registry alone is no secret of config.yaml any more.
	reg := baseCluster()
	reg.Registry = c.Registry
	withReg, err := Render(reg)
	if err != nil {
		t.Fatal(err)
	}
	if withReg.HasSecrets() || bytes.Contains(withReg.ConfigYAML, []byte("golden-registry-password")) {
		t.Errorf("registry only: HasSecrets %v\n%s", withReg.HasSecrets(), withReg.ConfigYAML)
	}
}
