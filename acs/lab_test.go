package acs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/dcos-vsphere/dcos-vsphere/installer/ssh"
	"github.com/dcos-vsphere/dcos-vsphere/internal/testnet"
	"github.com/dcos-vsphere/dcos-vsphere/lab"
	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

// requireRoot skips unless the lab can run (root on Linux, the tools of
// scripts/deps.sh).
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("ACS lab tests need root (network namespaces, bridges, mounts); run as root to enable")
	}
	for _, tool := range []string{"ip", "nsenter", "unshare", "/usr/sbin/sshd", "/usr/sbin/nginx", "nft", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("ACS lab tests need %s (install the packages in scripts/deps.sh)", tool)
		}
	}
}

// startLab brings up a lab with the ACS world (1 master, 2 private + 1
// public agents) on testnet.For("acs", index).
func startLab(t *testing.T, index int) *lab.Lab {
	t.Helper()
	requireRoot(t)
	tn := testnet.For("acs", index)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l, err := lab.Up(ctx, lab.Options{Dir: t.TempDir(), Bridge: tn.Bridge, Subnet: tn.Subnet, NetnsPrefix: tn.NetnsPrefix,
		ACS: &lab.ACSOptions{Subnet: tn.Inner}})
	if err != nil {
		t.Fatalf("lab up: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Down(); err != nil {
			t.Errorf("lab down: %v", err)
		}
	})
	return l
}

func labConfig(a *lab.ACS) Config {
	return Config{MasterFQDN: a.MasterFQDN(), SSHPort: a.SSHPort(0), User: a.User(), KeyFile: a.KeyFile(), KnownHostsFile: a.KnownHostsFile()}
}

func connect(t *testing.T, cfg Config) *Master {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, err := Connect(ctx, cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func archiveFor(t *testing.T, l *lab.Lab, password string) []byte {
	t.Helper()
	b, err := registry.Archive(registry.Credentials{Server: l.Gateway().String() + ":5443", Username: "labacr", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func runSync(t *testing.T, m *Master, o SyncOptions) SyncResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := Sync(ctx, m, o)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return res
}

// onAgent reads the archive's sha256 and owner on a lab host, from the
// lab's side (not through the tool).
func onAgent(t *testing.T, h *lab.Host) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := h.Exec(ctx, "if [ -f /etc/docker.tar.gz ]; then echo $(sha256sum /etc/docker.tar.gz | cut -c1-64) $(stat -c %U:%G:%a /etc/docker.tar.gz); else echo missing; fi")
	if err != nil {
		t.Fatalf("%s: %v", h.Name(), err)
	}
	return strings.TrimSpace(string(out))
}

func uploadedIPs(res SyncResult) []string {
	var ips []string
	for _, a := range res.Agents {
		if a.Uploaded {
			ips = append(ips, a.IP)
		}
	}
	slices.Sort(ips)
	return ips
}

// The whole ACS side on the lab, in order: master facts; the archive on
// every agent with the same sha256; a re-run uploads nothing; after
// scale-out 2 only the two new agents get it; stale and wrongly owned
// archives are repaired; one agent down is named and the others are
// done; no key is ever written to the master; the tunnel reaches Admin
// Router; a changed master host key is refused with both fingerprints.
func TestACSOnLab(t *testing.T) {
	l := startLab(t, 14)
	a := l.ACS()
	cfg := labConfig(a)
	m := connect(t, cfg)
	archive := archiveFor(t, l, "first-Secret-1")
	want := registry.SHA256(archive)
	fetch := FetchCheck(l.Gateway().String() + ":5443")

	t.Run("master", func(t *testing.T) {
		if m.Info.ClusterID != a.ClusterID() || m.Info.Version != "1.9.0" || m.Info.ClusterName != "acs-lab" ||
			m.Info.OS != "Ubuntu 16.04.2 LTS" || m.Info.Hostname != "dcos-master-0" {
			t.Errorf("master info = %+v", m.Info)
		}
		kh, _ := os.ReadFile(cfg.KnownHostsFile)
		if !strings.HasPrefix(string(kh), "["+a.MasterFQDN()+"]:2200 ") {
			t.Errorf("known_hosts does not start with the master as [fqdn]:2200:\n%s", kh)
		}
		agents, warns, err := m.Agents(context.Background())
		if err != nil || len(agents) != 3 || len(warns) != 0 {
			t.Fatalf("agents = %+v, warnings %v, %v", agents, warns, err)
		}
		for i, ag := range agents {
			if ag.Listed != "3dt+mesos" || ag.MesosID == "" || ag.IP != a.Agents()[i].IP().String() {
				t.Errorf("agent %d = %+v, want %s on both lists", i, ag, a.Agents()[i].IP())
			}
		}
		if agents[2].Role != RolePublicAgent || agents[0].Role != RoleAgent {
			t.Errorf("roles: %+v", agents)
		}
	})

	t.Run("archive on every agent", func(t *testing.T) {
		res := runSync(t, m, SyncOptions{Archive: archive, Checks: []AgentCheck{fetch}})
		if err := res.Err(); err != nil {
			t.Fatal(err)
		}
		if res.Uploaded != 3 || res.ArchiveSHA256 != want {
			t.Errorf("uploaded %d (want 3), archive sha %s", res.Uploaded, res.ArchiveSHA256)
		}
		for _, h := range a.Agents() {
			if got := onAgent(t, h); got != want+" root:root:600" {
				t.Errorf("%s: %s, want %s root:root:600", h.Name(), got, want)
			}
		}
		for _, r := range res.Agents {
			if r.State != StateUpdated || r.Before != "" || r.After != want || !strings.HasPrefix(r.Name, "dcos-agent-") {
				t.Errorf("agent result %+v", r)
			}
		}
		again := runSync(t, m, SyncOptions{Archive: archive})
		if again.Uploaded != 0 || again.Err() != nil {
			t.Errorf("re-run uploaded %d (%v), want 0", again.Uploaded, again.Err())
		}
		for _, r := range again.Agents {
			if r.State != StateCurrent {
				t.Errorf("re-run: %s is %s, want current", r.Name, r.State)
			}
		}
	})

	t.Run("scale-out 2 updates only the new agents", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		added, err := a.ScaleOut(ctx, 2, 0)
		if err != nil {
			t.Fatal(err)
		}
		var newIPs []string
		for _, h := range added {
			newIPs = append(newIPs, h.IP().String())
		}
		slices.Sort(newIPs)
		// A survey (status, plan) names the two new agents and changes
		// nothing.
		survey := runSync(t, m, SyncOptions{Archive: archive, ReadOnly: true})
		var missing []string
		for _, r := range survey.Agents {
			switch {
			case r.State == StateMissing:
				missing = append(missing, r.IP)
			case r.State != StateCurrent:
				t.Errorf("survey: %s is %s, want current or missing", r.Name, r.State)
			}
		}
		slices.Sort(missing)
		if survey.Uploaded != 0 || survey.Failed != 2 || !slices.Equal(missing, newIPs) {
			t.Errorf("survey: uploaded %d, failed %d, missing %v; want 0, 2, %v", survey.Uploaded, survey.Failed, missing, newIPs)
		}
		for _, h := range added {
			if got := onAgent(t, h); got != "missing" {
				t.Errorf("the survey wrote on %s: %s", h.Name(), got)
			}
		}
		res := runSync(t, m, SyncOptions{Archive: archive})
		if res.Err() != nil || len(res.Agents) != 5 {
			t.Fatalf("%d agents, %v", len(res.Agents), res.Err())
		}
		if got := uploadedIPs(res); !slices.Equal(got, newIPs) {
			t.Errorf("uploaded to %v, want only the new agents %v", got, newIPs)
		}
		for _, h := range a.Agents() {
			if got := onAgent(t, h); got != want+" root:root:600" {
				t.Errorf("%s: %s", h.Name(), got)
			}
		}
	})

	t.Run("stale and wrongly owned archives", func(t *testing.T) {
		ag := a.Agents()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := ag[0].Exec(ctx, "echo old > /etc/docker.tar.gz"); err != nil {
			t.Fatal(err)
		}
		if _, err := ag[1].Exec(ctx, "chmod 0644 /etc/docker.tar.gz && chown 1000:1000 /etc/docker.tar.gz"); err != nil {
			t.Fatal(err)
		}
		survey := runSync(t, m, SyncOptions{Archive: archive, ReadOnly: true})
		for _, r := range survey.Agents {
			if (r.IP == ag[0].IP().String() || r.IP == ag[1].IP().String()) != (r.State == StateStale) {
				t.Errorf("survey: %s (%s) is %s: %s", r.Name, r.IP, r.State, r.Error)
			}
		}
		res := runSync(t, m, SyncOptions{Archive: archive})
		if got := uploadedIPs(res); !slices.Equal(got, []string{ag[0].IP().String()}) {
			t.Errorf("uploaded to %v, want only the stale %s", got, ag[0].IP())
		}
		states := map[string]string{}
		for _, r := range res.Agents {
			states[r.IP] = r.State
		}
		if states[ag[0].IP().String()] != StateUpdated || states[ag[1].IP().String()] != StateFixed {
			t.Errorf("states = %v", states)
		}
		for _, h := range ag[:2] {
			if got := onAgent(t, h); got != want+" root:root:600" {
				t.Errorf("%s: %s", h.Name(), got)
			}
		}
	})

	t.Run("one agent down is named, the others are done", func(t *testing.T) {
		down := a.Agents()[1]
		if err := down.LinkDown(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = down.LinkUp() }()
		rotated := archiveFor(t, l, "rotated-Secret-2")
		start := time.Now()
		res := runSync(t, m, SyncOptions{Archive: rotated})
		var pe *PartialError
		if err := res.Err(); !errors.As(err, &pe) || pe.ExitCode() != ExitPartial {
			t.Fatalf("err = %v, want a *PartialError", err)
		}
		if len(pe.Failed) != 1 || pe.Failed[0].IP != down.IP().String() || pe.Failed[0].State != StateUnreachable {
			t.Fatalf("failed = %+v, want only %s unreachable", pe.Failed, down.IP())
		}
		msg := pe.Error()
		if !strings.Contains(msg, down.IP().String()) || !strings.Contains(msg, "1 of 5") || strings.Contains(msg, "rotated-Secret-2") {
			t.Errorf("error does not name the agent and address (or leaks the password): %s", msg)
		}
		if !strings.Contains(pe.Failed[0].Name, "-S") {
			t.Errorf("unreachable agent named %q, want its Mesos id", pe.Failed[0].Name)
		}
		for _, h := range a.Agents() {
			if h.Name() == down.Name() {
				continue
			}
			if got := onAgent(t, h); got != registry.SHA256(rotated)+" root:root:600" {
				t.Errorf("%s did not get the rotated archive: %s", h.Name(), got)
			}
		}
		if res.Uploaded != 4 {
			t.Errorf("uploaded %d, want the 4 reachable agents", res.Uploaded)
		}
		if d := time.Since(start); d > 90*time.Second {
			t.Errorf("a down agent made the run take %s", d)
		}
	})

	t.Run("no key on the master", func(t *testing.T) {
		key, err := os.ReadFile(a.KeyFile())
		if err != nil {
			t.Fatal(err)
		}
		disk := a.Masters()[0].Dir
		err = filepath.WalkDir(disk, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			rel, _ := filepath.Rel(disk, p)
			b, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			if strings.Contains(string(b), strings.TrimSpace(string(key))) {
				t.Errorf("the ACS private key is on the master: %s", rel)
			}
			if strings.Contains(string(b), "PRIVATE KEY") && !strings.HasSuffix(rel, "etc/ssh/ssh_host_ed25519_key") {
				t.Errorf("a private key is on the master: %s", rel)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := a.Masters()[0].Exec(ctx, "ls -A /home/azureuser/.ssh; ls -A /home/azureuser")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range strings.Fields(string(out)) {
			if f != "authorized_keys" && f != ".ssh" && f != ".bash_profile" && f != ".bashrc" && f != ".sudo_as_admin_successful" {
				t.Errorf("unexpected file in azureuser's home on the master: %s", f)
			}
		}
	})

	t.Run("tunnel reaches Admin Router", func(t *testing.T) {
		tun, err := m.Tunnel("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer tun.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "curl", "-fsS", "--max-time", "10", tun.URL()+"/metadata").CombinedOutput()
		if err != nil || !strings.Contains(string(out), `"CLUSTER_ID": "`+a.ClusterID()+`"`) {
			t.Fatalf("curl %s/metadata: %v: %s", tun.URL(), err, out)
		}
		out, err = exec.CommandContext(ctx, "curl", "-fsS", "--max-time", "10", tun.URL()+"/dcos-metadata/dcos-version.json").CombinedOutput()
		if err != nil || !strings.Contains(string(out), `"version":"1.9.0"`) {
			t.Errorf("curl dcos-version.json: %v: %s", err, out)
		}
	})

	t.Run("changed master host key refused with both fingerprints", func(t *testing.T) {
		old := m.Info.HostKey
		master := a.Masters()[0]
		if err := master.RegenerateHostKey(); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		pub, err := master.Exec(ctx, "cat /etc/ssh/ssh_host_ed25519_key.pub")
		if err != nil {
			t.Fatal(err)
		}
		pk, _, _, _, err := gossh.ParseAuthorizedKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		presented := gossh.FingerprintSHA256(pk)
		_, err = Connect(ctx, cfg)
		var mismatch *ssh.HostKeyMismatchError
		if !errors.As(err, &mismatch) {
			t.Fatalf("connect after the key changed: %v, want a host key mismatch", err)
		}
		msg := err.Error()
		if !strings.Contains(msg, old) || !strings.Contains(msg, presented) || !strings.Contains(msg, "["+a.MasterFQDN()+"]:2200") {
			t.Errorf("error lacks the old %s or the presented %s fingerprint or the host:\n%s", old, presented, msg)
		}
	})
}
