package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/acs"
	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/dcoscli"
	"github.com/dcos-vsphere/dcos-vsphere/internal/testnet"
	"github.com/dcos-vsphere/dcos-vsphere/lab"
)

// The ACS commands end to end with the built binary on a lab with the
// ACS world (testnet.For("cmd", 16)): lab up --acs, acs sync (JSON only
// on stdout, exit 4 with an agent down), lab acs scale-out, acs tunnel,
// clusters register.
func TestACSCommands(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the lab needs root (network namespaces, bridges, mounts)")
	}
	for _, tool := range []string{"go", "ip", "nsenter", "unshare", "ssh", "nft", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the ACS command test needs %s", tool)
		}
	}
	bin := filepath.Join(t.TempDir(), "dcos-vsphere")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	tn := testnet.For("cmd", 16)
	// cli runs the binary; stdout and stderr apart, and the exit code.
	cli := func(args ...string) (string, string, int) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		var stdout, stderr bytes.Buffer
		c := exec.CommandContext(ctx, bin, args...)
		c.Stdout, c.Stderr = &stdout, &stderr
		err := c.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return stdout.String(), stderr.String(), code
	}
	t.Cleanup(func() {
		_, _, _ = cli("lab", "down", "--dir", dir)
		_ = lab.Cleanup(lab.Options{Dir: dir, Bridge: tn.Bridge, Subnet: tn.Subnet, NetnsPrefix: tn.NetnsPrefix})
	})
	out, errOut, code := cli("lab", "up", "--detach", "--dir", dir, "--bridge", tn.Bridge, "--subnet", tn.Subnet.String(),
		"--prefix", tn.NetnsPrefix, "--masters", "1", "--agents", "1", "--public-agents", "0", "--acs")
	if code != 0 {
		t.Fatalf("lab up --acs: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "dcos-vsphere acs sync --config") || !strings.Contains(out, "-p 2200 azureuser@") {
		t.Errorf("lab up --acs does not say how to reach ACS:\n%s", out)
	}
	a, err := lab.LoadACS(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "cluster.yaml")
	// The lab's cluster.yaml names the lab registry (its admin user and
	// password file): acs sync puts those credentials on the ACS agents.
	secret, err := os.ReadFile(filepath.Join(dir, "acr-admin-password"))
	if err != nil {
		t.Fatal(err)
	}
	password := strings.TrimSpace(string(secret))
	if c, _, err := config.Load(cfg); err != nil || c.Registry.Server != testnet.Addr(tn.Subnet, 1).String()+":5443" {
		t.Fatalf("the lab's cluster.yaml has no lab registry: %v", err)
	}

	syncJSON := func(wantCode int) acs.SyncResult {
		t.Helper()
		out, errOut, code := cli("acs", "sync", "--config", cfg, "-o", "json")
		if code != wantCode {
			t.Fatalf("acs sync -o json: exit %d, want %d\n%s%s", code, wantCode, out, errOut)
		}
		var res acs.SyncResult
		dec := json.NewDecoder(strings.NewReader(out))
		if err := dec.Decode(&res); err != nil || dec.More() {
			t.Fatalf("stdout is not one JSON document (%v):\n%s", err, out)
		}
		if strings.Contains(out+errOut, password) {
			t.Errorf("the registry password is in the output")
		}
		return res
	}
	res := syncJSON(0)
	if res.Uploaded != 3 || len(res.Agents) != 3 || res.Master.ClusterID != a.ClusterID() {
		t.Errorf("first sync: %d uploaded of %d, cluster %s", res.Uploaded, len(res.Agents), res.Master.ClusterID)
	}
	out, _, code = cli("acs", "sync", "--config", cfg)
	if code != 0 || !strings.Contains(out, "3 agents, 0 uploaded, 0 failed") {
		t.Errorf("second sync (text): exit %d\n%s", code, out)
	}

	out, errOut, code = cli("lab", "acs", "scale-out", "2", "--dir", dir)
	if code != 0 || strings.Count(out, " up\n") != 2 {
		t.Fatalf("lab acs scale-out 2: exit %d\n%s%s", code, out, errOut)
	}
	if res := syncJSON(0); res.Uploaded != 2 || len(res.Agents) != 5 {
		t.Errorf("sync after scale-out: %d uploaded of %d, want 2 of 5", res.Uploaded, len(res.Agents))
	}

	// One agent down: exit 4, JSON still alone on stdout, the agent named.
	if _, errOut, code := cli("lab", "host", "dcos-agent-private-1", "link-down", "--dir", dir); code != 0 {
		t.Fatalf("link-down: %s", errOut)
	}
	out, errOut, code = cli("acs", "sync", "--config", cfg, "-o", "json")
	if code != acs.ExitPartial {
		t.Errorf("sync with an agent down: exit %d, want %d\n%s", code, acs.ExitPartial, errOut)
	}
	var partial acs.SyncResult
	if err := json.Unmarshal([]byte(out), &partial); err != nil || partial.Failed != 1 {
		t.Errorf("sync with an agent down: %v, %d failed\n%s", err, partial.Failed, out)
	}
	if down, _ := a.Host("dcos-agent-private-1"); down == nil || !strings.Contains(errOut, down.Addr) {
		t.Errorf("stderr does not name the down agent's address:\n%s", errOut)
	}
	_, _, _ = cli("lab", "host", "dcos-agent-private-1", "link-up", "--dir", dir)

	// The tunnel: JSON once it listens, curl reaches Admin Router, SIGINT ends it.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tc := exec.CommandContext(ctx, bin, "acs", "tunnel", "--config", cfg, "--port", "0", "-o", "json")
	pipe, _ := tc.StdoutPipe()
	if err := tc.Start(); err != nil {
		t.Fatal(err)
	}
	var info tunnelInfo
	if err := json.NewDecoder(bufio.NewReader(pipe)).Decode(&info); err != nil {
		t.Fatalf("acs tunnel -o json: %v", err)
	}
	body, err := exec.CommandContext(ctx, "curl", "-fsS", "--max-time", "10", info.URL+"/metadata").CombinedOutput()
	if err != nil || !strings.Contains(string(body), a.ClusterID()) {
		t.Errorf("curl through the tunnel %s: %v %s", info.URL, err, body)
	}
	if len(info.Commands) == 0 || info.ClusterName != "acs-lab" {
		t.Errorf("tunnel info = %+v", info)
	}
	_ = tc.Process.Signal(syscall.SIGINT)
	if err := tc.Wait(); err != nil {
		t.Errorf("acs tunnel after SIGINT: %v", err)
	}

	// clusters register: both entries, an existing ACS entry keeps its token.
	dcosDir := filepath.Join(dir, "dcos")
	existing := filepath.Join(dcosDir, "clusters", a.ClusterID(), "dcos.toml")
	if err := os.MkdirAll(filepath.Dir(existing), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(existing, []byte("[core]\ndcos_url = \"http://localhost:8000\"\ndcos_acs_token = \"tok-123\"\n\n[cluster]\nname = \"my-acs\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vsphereID := "6f1c2a3e-9b1d-4c55-8a77-0c2d9e1f4b10"
	out, errOut, code = cli("clusters", "register", "--config", cfg, "--vsphere-cluster-id", vsphereID, "--dcos-dir", dcosDir, "-o", "json")
	if code != 0 {
		t.Fatalf("clusters register: exit %d\n%s%s", code, out, errOut)
	}
	var reg registerResult
	if err := json.Unmarshal([]byte(out), &reg); err != nil || len(reg.Clusters) != 2 {
		t.Fatalf("clusters register -o json: %v\n%s", err, out)
	}
	if e := reg.Clusters[1]; e.ID != a.ClusterID() || e.Action != dcoscli.Updated || e.URL != "http://localhost:10080" || e.Name != "my-acs" {
		t.Errorf("ACS entry = %+v", e)
	}
	if b, _ := os.ReadFile(existing); !strings.Contains(string(b), `dcos_acs_token = "tok-123"`) || !strings.Contains(string(b), `dcos_url = "http://localhost:10080"`) {
		t.Errorf("existing ACS entry after register:\n%s", b)
	}
	// The lone existing cluster was the current one; it stays attached.
	if reg.Clusters[0].ID != vsphereID || reg.Clusters[0].Attached || !reg.Clusters[1].Attached || reg.Attached != a.ClusterID() {
		t.Errorf("attached = %s; entries %+v", reg.Attached, reg.Clusters)
	}
	if m, _ := filepath.Glob(filepath.Join(dcosDir, "clusters", "*", "attached")); len(m) != 1 {
		t.Errorf("attached markers: %v, want exactly one", m)
	}

	// No acs section: a usage error.
	bare := filepath.Join(dir, "bare.yaml")
	b, _ := os.ReadFile(cfg)
	_ = os.WriteFile(bare, []byte(strings.Split(string(b), "acs:")[0]), 0o600)
	if _, errOut, code := cli("acs", "sync", "--config", bare); code != 2 || !strings.Contains(errOut, "no acs section") {
		t.Errorf("acs sync without acs: exit %d\n%s", code, errOut)
	}
}
