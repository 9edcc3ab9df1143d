package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
	"github.com/dcos-vsphere/dcos-vsphere/lab"
	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

// labRegistry is the registry section for the lab registry with admin
// password i (0 or 1); labACS the acs section for the lab's ACS world on
// sshPort.
func labRegistry(l *lab.Lab, i int) config.Registry {
	a := l.ACR()
	return config.Registry{Server: a.Host, Username: a.Admin, PasswordFile: a.AdminPasswordFiles[i], CAFile: a.CAFile, CheckImage: a.Image}
}

func labACS(a *lab.ACS, sshPort int) config.ACS {
	return config.ACS{MasterFQDN: a.MasterFQDN(), SSHPort: sshPort, User: a.User(), KeyFile: a.KeyFile(), KnownHostsFile: a.KnownHostsFile()}
}

func readSecret(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// wantFiles are the two agent files for the lab registry with password.
func wantFiles(t *testing.T, l *lab.Lab, password string) map[string]string {
	t.Helper()
	a := l.ACR()
	files, err := registry.NodeFiles(registry.Credentials{Server: a.Host, Username: a.Admin, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range files {
		out[f.Path] = f.SHA256
	}
	return out
}

// fileFacts is "MODE UID:GID SHA256" of path on a host, or "missing".
const fileFactsScript = `if [ -f %[1]s ]; then echo "$(stat -c '%%a %%u:%%g' %[1]s) $(sha256sum < %[1]s | cut -c1-64)"; else echo missing; fi`

func hostFile(t *testing.T, h *lab.Host, path string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := h.Exec(ctx, fmt.Sprintf(fileFactsScript, path))
	if err != nil {
		t.Fatalf("%s: %v", h.Name(), err)
	}
	return strings.TrimSpace(string(out))
}

// pullOnAgent pulls the lab image on a vSphere agent the way the Mesos
// 1.2 Docker containerizer would: with the agent's --docker_config, and
// with a sandbox unpacked from file:///etc/docker.tar.gz.
func pullOnAgent(t *testing.T, c *cluster, name, image string) {
	t.Helper()
	c.hostSh(t, name, "/opt/mesosphere/bin/mesos-docker-pull "+image+" >/dev/null")
	c.hostSh(t, name, "sb=$(mktemp -d) && tar -xzf /etc/docker.tar.gz -C $sb && /opt/mesosphere/bin/mesos-docker-pull "+image+" $sb >/dev/null && rm -rf $sb")
}

// servedBytes fetches every file the bootstrap node serves under
// genconf/serve over HTTP, as any machine on the network could, and
// returns them with the .tar.xz packages decompressed.
func servedBytes(t *testing.T, c *cluster) map[string][]byte {
	t.Helper()
	boot := c.Name + "-bootstrap"
	list := strings.Fields(c.hostSh(t, boot, "cd /opt/dcos-bootstrap/genconf/serve && find . -type f | sed 's|^\\./||'"))
	if len(list) < 5 {
		t.Fatalf("genconf/serve lists only %v", list)
	}
	base := "http://" + addr(c.lab.Subnet(), c.Base, 0) + ":80/"
	client := &http.Client{Timeout: 20 * time.Second}
	out := map[string][]byte{}
	for _, f := range list {
		resp, err := client.Get(base + f)
		if err != nil {
			t.Fatalf("GET %s: %v", f, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %v", f, resp.StatusCode, err)
		}
		if strings.HasSuffix(f, ".xz") {
			cmd := exec.Command("xz", "-dc")
			cmd.Stdin = bytes.NewReader(body)
			if body, err = cmd.Output(); err != nil {
				t.Fatalf("xz -dc %s: %v", f, err)
			}
		}
		out[f] = body
	}
	return out
}

// The registry and the ACS side end to end on the lab (issues 12, 13):
// install with registry and acs set puts the same archive on every agent
// of both clusters and the credentials on the vSphere agents, serves no
// trace of the password, pulls work as Mesos would pull, both clusters are
// registered with the DC/OS CLI (a legacy dcos.toml migrated, a token
// kept); a re-run after an ACS scale-out uploads to the new agents only;
// add-agents gives the new agent the same; registry rotate moves every
// agent of both clusters to the second password; an unreachable ACS
// master, an ACS agent down and a changed ACS host key never fail the
// vSphere cluster (exit 5, named).
func TestRegistryAndACSOnLab(t *testing.T) {
	l := needLab(t)
	a := l.ACS()
	acr := l.ACR()
	pw1, pw2 := readSecret(t, acr.AdminPasswordFiles[0]), readSecret(t, acr.AdminPasswordFiles[1])
	image := acr.Host + "/" + acr.Image
	c := newCluster(t, l, "acr", 26, 1, 2, 1)
	defer c.destroy(t)
	c.Registry, c.ACS = labRegistry(l, 0), labACS(a, a.SSHPort(0))
	c.write(t)

	// The admin's DC/OS CLI directory holds a legacy dcos.toml (CLI 0.4)
	// for the vSphere cluster's master, with a token.
	cliDir := t.TempDir()
	legacy := fmt.Sprintf("[core]\ndcos_url = \"http://%s\"\ndcos_acs_token = \"legacy-Token-77\"\n", c.masterIPs[0])
	if err := os.WriteFile(filepath.Join(cliDir, "dcos.toml"), []byte(legacy), 0o600); err != nil {
		t.Fatal(err)
	}

	r := run(t, 15*time.Minute, "install", "--config", c.Path, "--dcos-dir", cliDir, "-o", "json")
	ok(t, r, "install with registry and acs")
	res := resultOf(t, r)
	if res.ACS == nil || res.ACS.Error != "" || res.ACS.Failed != 0 || len(res.ACS.Agents) != 3 {
		t.Fatalf("ACS result %+v", res.ACS)
	}

	t.Run("same archive on every agent of both clusters", func(t *testing.T) {
		want := wantFiles(t, l, pw1)
		for _, name := range append(c.agents(), c.publics()...) {
			h, _ := l.Host(name)
			for path, sum := range want {
				if got := hostFile(t, h, path); got != "600 0:0 "+sum {
					t.Errorf("%s: %s is %q, want 600 0:0 %s", name, path, got, sum)
				}
			}
		}
		for _, name := range append(c.masters(), c.Name+"-bootstrap") {
			h, _ := l.Host(name)
			if got := hostFile(t, h, registry.CredentialsPath); got != "missing" {
				t.Errorf("%s has %s: %s", name, registry.CredentialsPath, got)
			}
		}
		for _, h := range a.Agents() {
			if got := hostFile(t, h, registry.ArchivePath); got != "600 0:0 "+want[registry.ArchivePath] {
				t.Errorf("ACS %s: %s is %q, want the vSphere agents' archive %s", h.Name(), registry.ArchivePath, got, want[registry.ArchivePath])
			}
		}
	})

	t.Run("pulls as Mesos would", func(t *testing.T) {
		for _, name := range append(c.agents(), c.publics()...) {
			pullOnAgent(t, c, name, image)
		}
	})

	t.Run("ACS agents pull with the archive as Mesos and Docker would", func(t *testing.T) {
		r := run(t, 5*time.Minute, "acs", "sync", "--config", c.Path, "--pull-image", image, "-o", "json")
		ok(t, r, "acs sync --pull-image")
		var res acsSyncResult
		if err := json.Unmarshal([]byte(strings.TrimSpace(r.Stdout)), &res); err != nil {
			t.Fatalf("acs sync JSON: %v\n%s", err, r.Stdout)
		}
		if len(res.Agents) != 3 || res.Uploaded != 0 || res.Failed != 0 {
			t.Errorf("acs sync --pull-image: %d agents, %d uploaded, %d failed; want 3, 0 (install put it there), 0", len(res.Agents), res.Uploaded, res.Failed)
		}
	})

	t.Run("nothing served holds the password", func(t *testing.T) {
		secrets := []string{pw1, pw2, base64.StdEncoding.EncodeToString([]byte(acr.Admin + ":" + pw1))}
		served := servedBytes(t, c)
		for f, body := range served {
			for _, s := range secrets {
				if bytes.Contains(body, []byte(s)) {
					t.Errorf("genconf/serve/%s holds a registry secret", f)
				}
			}
		}
		if cfg := string(served["genconf/config.yaml"]) + c.hostSh(t, c.Name+"-bootstrap", "cat /opt/dcos-bootstrap/genconf/config.yaml"); !strings.Contains(cfg, "cluster_docker_credentials_enabled: true") || strings.Contains(cfg, "cluster_docker_credentials:") {
			t.Errorf("config.yaml on the bootstrap node:\n%s", cfg)
		}
	})

	var vsphereID string
	t.Run("both clusters known to the DC/OS CLI", func(t *testing.T) {
		vsphereID = strings.TrimSpace(c.hostSh(t, c.masters()[0], "cat /var/lib/dcos/cluster-id"))
		ids, err := os.ReadDir(filepath.Join(cliDir, "clusters"))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		attached := 0
		for _, d := range ids {
			got = append(got, d.Name())
			if _, err := os.Stat(filepath.Join(cliDir, "clusters", d.Name(), "attached")); err == nil {
				attached++
			}
		}
		want := []string{vsphereID, a.ClusterID()}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) || attached != 1 {
			t.Errorf("clusters %v (attached %d), want %v with exactly one attached", got, attached, want)
		}
		vs, err := os.ReadFile(filepath.Join(cliDir, "clusters", vsphereID, "dcos.toml"))
		if err != nil || !strings.Contains(string(vs), "legacy-Token-77") {
			t.Errorf("the migrated entry lost its token: %v\n%s", err, vs)
		}
		if _, err := os.Stat(filepath.Join(cliDir, "clusters", vsphereID, "attached")); err != nil {
			t.Errorf("the migrated (current) cluster is not the attached one: %v", err)
		}
		if kept, err := os.ReadFile(filepath.Join(cliDir, "dcos.toml")); err != nil || string(kept) != legacy {
			t.Errorf("the legacy dcos.toml was lost or changed: %v", err)
		}
		ac, err := os.ReadFile(filepath.Join(cliDir, "clusters", a.ClusterID(), "dcos.toml"))
		if err != nil || !strings.Contains(string(ac), "http://localhost:10080") || !strings.Contains(string(ac), a.ClusterName()) {
			t.Errorf("ACS entry: %v\n%s", err, ac)
		}
	})

	t.Run("an existing entry with a token is left as it is", func(t *testing.T) {
		dir := t.TempDir()
		entry := filepath.Join(dir, "clusters", a.ClusterID(), "dcos.toml")
		body := "# mine\n[core]\ndcos_url = \"http://localhost:10080\"\ndcos_acs_token = \"acs-Token-31\"\nssl_verify = \"false\"\n\n[cluster]\nname = \"integration\"\n"
		if err := os.MkdirAll(filepath.Dir(entry), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(entry, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		ok(t, run(t, 5*time.Minute, "install", "--config", c.Path, "--dcos-dir", dir), "re-run into another CLI directory")
		if got, _ := os.ReadFile(entry); string(got) != body {
			t.Errorf("the existing entry changed:\n%s", got)
		}
	})

	t.Run("status shows both clusters", func(t *testing.T) {
		r := run(t, 3*time.Minute, "status", "--config", c.Path, "-o", "json")
		ok(t, r, "status")
		var st installer.Result
		if err := json.Unmarshal([]byte(strings.TrimSpace(r.Stdout)), &st); err != nil {
			t.Fatal(err)
		}
		if st.ACS == nil || !st.ACS.Survey || len(st.ACS.Agents) != 3 || !st.ACS.AllCurrent() {
			t.Errorf("status ACS = %+v", st.ACS)
		}
		for _, n := range st.Nodes {
			if (n.Role == installer.RoleAgent || n.Role == installer.RolePublicAgent) && n.Registry != "ok" {
				t.Errorf("%s: registry %q", n.Name, n.Registry)
			}
		}
	})

	t.Run("after an ACS scale-out only the new agents get the archive", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		added, err := a.ScaleOut(ctx, 2, 0)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, h := range added {
			want = append(want, h.IP().String())
		}
		r := run(t, 5*time.Minute, "install", "--config", c.Path, "--dcos-dir", cliDir, "-o", "json")
		ok(t, r, "re-run after scale-out")
		res := resultOf(t, r)
		var got []string
		for _, ag := range res.ACS.Agents {
			if ag.Uploaded {
				got = append(got, ag.IP)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) || res.ACS.Uploaded != 2 || res.Changed != 0 {
			t.Errorf("uploaded to %v (%d), changed %d; want only %v", got, res.ACS.Uploaded, res.Changed, want)
		}
	})

	t.Run("add-agents gives the new agent the credentials", func(t *testing.T) {
		ok(t, run(t, 10*time.Minute, "add-agents", "--config", c.Path, "--agents", "1"), "add-agents")
		name := c.Name + "-agent-3"
		h, found := l.Host(name)
		if !found {
			t.Fatalf("no host %s", name)
		}
		want := wantFiles(t, l, pw1)
		if got := hostFile(t, h, registry.CredentialsPath); got != "600 0:0 "+want[registry.CredentialsPath] {
			t.Errorf("%s: %s", name, got)
		}
		pullOnAgent(t, c, name, image)
	})

	t.Run("an unreachable ACS master does not fail the vSphere cluster", func(t *testing.T) {
		c.ACS = labACS(a, 2299) // no master behind that port
		c.write(t)
		defer func() { c.ACS = labACS(a, a.SSHPort(0)); c.write(t) }()
		r := run(t, 5*time.Minute, "install", "--config", c.Path, "--dcos-dir", cliDir, "-o", "json")
		res := resultOf(t, r)
		if r.Exit != 5 || res.Status != "ok" || res.ACS == nil || !strings.Contains(res.ACS.Error, a.MasterFQDN()) {
			t.Errorf("exit %d, status %s, ACS %+v; want 5, ok and the master named", r.Exit, res.Status, res.ACS)
		}
		// --dry-run is plan: both exit 5 for what install would not get done beside.
		dry := run(t, 5*time.Minute, "install", "--dry-run", "--config", c.Path, "--dcos-dir", cliDir, "-o", "json")
		if res := resultOf(t, dry); dry.Exit != 5 || res.ACS == nil || !strings.Contains(res.ACS.Error, a.MasterFQDN()) {
			t.Errorf("install --dry-run: exit %d, ACS %+v; want 5 and the master named", dry.Exit, res.ACS)
		}
		plan := run(t, 5*time.Minute, "plan", "--config", c.Path, "--dcos-dir", cliDir, "-o", "json")
		var planned installer.Result
		if err := json.Unmarshal([]byte(plan.Stdout), &planned); err != nil || plan.Exit != 5 || planned.ACS == nil || !strings.Contains(planned.ACS.Error, a.MasterFQDN()) {
			t.Errorf("plan: exit %d, ACS %+v (%v); want 5 and the master named", plan.Exit, planned.ACS, err)
		}
	})

	t.Run("one ACS agent down is named, the others are done", func(t *testing.T) {
		down := a.Agents()[1]
		other := a.Agents()[2]
		// Make both stale, so that the run has work on each.
		for _, h := range []*lab.Host{down, other} {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if _, err := h.Exec(ctx, "rm -f /etc/docker.tar.gz"); err != nil {
				t.Fatal(err)
			}
			cancel()
		}
		if err := down.LinkDown(); err != nil {
			t.Fatal(err)
		}
		r := run(t, 5*time.Minute, "install", "--config", c.Path, "--dcos-dir", cliDir, "-o", "json")
		if err := down.LinkUp(); err != nil {
			t.Fatal(err)
		}
		if r.Exit != 5 || !strings.Contains(r.Stderr, down.IP().String()) {
			t.Errorf("exit %d, want 5 naming %s:\n%s", r.Exit, down.IP(), tail(r.Stderr, 10))
		}
		want := wantFiles(t, l, pw1)[registry.ArchivePath]
		if got := hostFile(t, other, registry.ArchivePath); got != "600 0:0 "+want {
			t.Errorf("the reachable agent %s was not done: %s", other.Name(), got)
		}
	})

	t.Run("registry rotate moves both clusters to the second password", func(t *testing.T) {
		c.Registry = labRegistry(l, 1)
		c.write(t)
		r := run(t, 15*time.Minute, "registry", "rotate", "--config", c.Path, "-o", "json")
		ok(t, r, "registry rotate")
		want := wantFiles(t, l, pw2)
		agents := append(append(c.agents(), c.Name+"-agent-3"), c.publics()...)
		for _, name := range agents {
			h, _ := l.Host(name)
			for path, sum := range want {
				if got := hostFile(t, h, path); got != "600 0:0 "+sum {
					t.Errorf("%s: %s is %q after rotate", name, path, got)
				}
			}
		}
		for _, h := range a.Agents() {
			if got := hostFile(t, h, registry.ArchivePath); got != "600 0:0 "+want[registry.ArchivePath] {
				t.Errorf("ACS %s: %s after rotate", h.Name(), got)
			}
		}
		// The first password stops working at the registry: pulls go on,
		// with the agents' reloaded credentials.
		fresh, err := l.ACRRegistry().RegenerateAdminPassword(0)
		if err != nil {
			t.Fatal(err)
		}
		// Other tests share the lab registry: its password file follows.
		if err := os.WriteFile(acr.AdminPasswordFiles[0], []byte(fresh+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, name := range agents {
			pullOnAgent(t, c, name, image)
		}
		c.assertHealthy(t, agents...)
	})

	t.Run("a changed ACS master host key is refused with both fingerprints", func(t *testing.T) {
		kh := a.KnownHostsFile()
		orig, err := os.ReadFile(kh)
		if err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(kh, orig, 0o600)
		// Another key for [fqdn]:2200 (the lab's vSphere key stands in).
		pub, err := os.ReadFile(l.KeyFile() + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, line := range strings.Split(string(orig), "\n") {
			if strings.HasPrefix(line, "["+a.MasterFQDN()+"]:2200 ") {
				f := strings.Fields(string(pub))
				line = "[" + a.MasterFQDN() + "]:2200 " + f[0] + " " + f[1]
			}
			lines = append(lines, line)
		}
		if err := os.WriteFile(kh, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
			t.Fatal(err)
		}
		r := run(t, 5*time.Minute, "install", "--config", c.Path, "--dcos-dir", cliDir)
		if r.Exit != 5 || strings.Count(r.Stdout+r.Stderr, "SHA256:") < 2 {
			t.Errorf("exit %d, want 5 with both fingerprints:\n%s\n%s", r.Exit, tail(r.Stdout, 10), tail(r.Stderr, 10))
		}
	})

	t.Run("no key was ever written to the ACS master", func(t *testing.T) {
		key, err := os.ReadFile(a.KeyFile())
		if err != nil {
			t.Fatal(err)
		}
		disk := a.Masters()[0].Dir // the master's own disk
		err = filepath.WalkDir(disk, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			b, err := os.ReadFile(p)
			if err == nil && (bytes.Contains(b, bytes.TrimSpace(key)) || bytes.Contains(b, []byte("PRIVATE KEY")) && !strings.HasSuffix(p, "ssh_host_ed25519_key")) {
				rel, _ := filepath.Rel(disk, p)
				t.Errorf("a private key is on the ACS master: %s", rel)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// acsSyncResult is the part of `acs sync -o json` the tests read.
type acsSyncResult struct {
	Agents   []struct{ Name, IP, State, Error string } `json:"agents"`
	Uploaded int                                       `json:"uploaded"`
	Failed   int                                       `json:"failed"`
}
