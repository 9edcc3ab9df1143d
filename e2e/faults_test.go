package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

// A run killed with SIGKILL at any point is finished by the next run:
// healthy, with exactly the planned VMs.
func TestResumeAfterKill(t *testing.T) {
	l := needLab(t)
	cases := []struct {
		name string
		base int
		at   func(installer.Event) bool
		prep func(t *testing.T, c *cluster)
	}{
		{name: "cloning", base: 40, at: func(e installer.Event) bool {
			return e.Kind == installer.NodeStep && e.PhaseID == installer.PhaseCreateVMs && strings.HasPrefix(e.Step, "cloning")
		}},
		{name: "upload", base: 55, prep: bigInstaller, at: func(e installer.Event) bool {
			return e.Kind == installer.Progress && strings.HasPrefix(e.Step, "upload") && e.Done > 0 && e.Done < e.Total
		}},
		{name: "master-install", base: 70, at: func(e installer.Event) bool {
			return e.Kind == installer.NodeStep && e.PhaseID == installer.PhaseInstallMasters
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, l, "k"+strings.ReplaceAll(tc.name, "-", ""), tc.base, 1, 1, 0)
			if tc.prep != nil {
				tc.prep(t, c)
			}
			runAndKill(t, 5*time.Minute, tc.at, "install", "--config", c.Path)
			r := run(t, 10*time.Minute, "install", "--config", c.Path, "-o", "json")
			ok(t, r, "install after kill -9 during "+tc.name)
			c.assertHealthy(t, append(c.masters(), c.agents()...)...)
			if n := c.vmCount(t); n != 3 {
				t.Fatalf("VMs after resume = %d, want 3 (no duplicates)", n)
			}
		})
	}
}

// bigInstaller pads the stand-in dcos_generate_config.sh to 64 MiB (before
// its #EOF# payload marker, where bash never reads), so that its upload
// takes long enough to be interrupted.
func bigInstaller(t *testing.T, c *cluster) {
	data, err := os.ReadFile(c.lab.InstallerPath())
	if err != nil {
		t.Fatal(err)
	}
	marker := []byte("\n#EOF#\n")
	i := bytes.Index(data, marker)
	if i < 0 {
		t.Fatal("installer has no #EOF# marker")
	}
	line := append([]byte("# padding"), bytes.Repeat([]byte("."), 1014)...)
	pad := bytes.Repeat(append([]byte{'\n'}, line...), 64<<10)
	out := append(append(append([]byte{}, data[:i]...), pad...), data[i:]...)
	path := filepath.Join(c.Dir, "dcos_generate_config.sh")
	if err := os.WriteFile(path, out, 0o755); err != nil {
		t.Fatal(err)
	}
	c.Installer = path
	c.write(t)
}

// runWatching runs the CLI with JSON events and calls on for each event
// while it runs.
func runWatching(t *testing.T, timeout time.Duration, env []string, on func(installer.Event), args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliPath, append(args, "-o", "json")...)
	cmd.Env = append(append(os.Environ(), "CI=true"), env...)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = pw, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		var pending []byte
		for {
			n, err := pr.Read(buf)
			out.Write(buf[:n])
			pending = append(pending, buf[:n]...)
			for {
				j := bytes.IndexByte(pending, '\n')
				if j < 0 {
					break
				}
				for _, e := range parseEvents(string(pending[:j])) {
					on(e)
				}
				pending = pending[j+1:]
			}
			if err != nil {
				return
			}
		}
	}()
	werr := cmd.Wait()
	<-done
	r := result{Stdout: out.String(), Stderr: errb.String(), Events: parseEvents(out.String())}
	if ee, ok := werr.(*exec.ExitError); ok {
		r.Exit = ee.ExitCode()
	} else if werr != nil {
		t.Fatalf("run %v: %v", args, werr)
	}
	return r
}

// sshd killed on one agent in the middle of its install: the installer
// reconnects, gives up after its bound with an error naming that node
// (exit 3, a connection failure), and the other nodes finish. With sshd back, a re-run ends healthy.
func TestAgentSSHDKilledDuringInstall(t *testing.T) {
	l := needLab(t)
	c := newCluster(t, l, "sshd", 85, 1, 2, 0)
	victim := c.agents()[0]
	var once sync.Once
	r := runWatching(t, 10*time.Minute, nil, func(e installer.Event) {
		if e.Kind == installer.NodeStep && e.Node == victim && e.PhaseID == installer.PhaseInstallAgents {
			once.Do(func() {
				h, ok := l.Host(victim)
				if !ok {
					t.Errorf("no host %s", victim)
					return
				}
				if err := h.KillSSHD(); err != nil {
					t.Error(err)
				}
			})
		}
	}, "install", "--config", c.Path)
	// The node stayed unreachable: an SSH connection failure, exit code 3.
	if r.Exit != 3 {
		t.Fatalf("exit %d, want 3\n%s", r.Exit, tail(r.Stderr, 20))
	}
	if !strings.Contains(r.Stderr, victim+" (") || !strings.Contains(r.Stderr, "SSH connection lost") || !strings.Contains(r.Stderr, "reconnecting") {
		t.Errorf("error does not name %s and the lost connection:\n%s", victim, r.Stderr)
	}
	other := c.agents()[1]
	for _, n := range []string{c.masters()[0], other} {
		if strings.Contains(r.Stderr, n+" (") {
			t.Errorf("%s reported as failed:\n%s", n, r.Stderr)
		}
	}
	var otherDone bool
	for _, e := range r.Events {
		if e.Kind == installer.NodeDone && e.Node == other && e.Message == "installed" {
			otherDone = true
		}
	}
	if !otherDone {
		t.Errorf("%s did not finish its install", other)
	}
	h, _ := l.Host(victim)
	if err := h.StartSSHD(); err != nil {
		t.Fatal(err)
	}
	ok(t, run(t, 10*time.Minute, "install", "--config", c.Path), "install after sshd is back")
	c.assertHealthy(t, append(c.masters(), c.agents()...)...)
}

// A host key that changed on a node this run did not create is refused
// with both fingerprints and the fix.
func TestChangedHostKeyRefused(t *testing.T) {
	l := needLab(t)
	c := newCluster(t, l, "hkey", 100, 1, 0, 0)
	ok(t, run(t, 10*time.Minute, "install", "--config", c.Path), "install")
	m := c.masters()[0]
	c.hostSh(t, m, "rm -f /etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_ed25519_key.pub && /usr/bin/ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key")
	h, _ := l.Host(m)
	if err := h.KillSSHD(); err != nil {
		t.Fatal(err)
	}
	if err := h.StartSSHD(); err != nil {
		t.Fatal(err)
	}
	r := run(t, 5*time.Minute, "install", "--config", c.Path)
	if r.Exit != 3 {
		t.Fatalf("exit %d, want 3\n%s", r.Exit, tail(r.Stderr, 20))
	}
	if strings.Count(r.Stderr, "SHA256:") < 2 || !strings.Contains(r.Stderr, "ssh-keygen -R") || !strings.Contains(r.Stderr, c.masterIPs[0]) {
		t.Errorf("mismatch error lacks the fingerprints, the host or the fix:\n%s", r.Stderr)
	}
}

// A wrong sudo password is a clear error (exit 3) and no password, sudo,
// vCenter or registry, ever appears in output, logs, state or ps.
func TestSudoPasswordAndNoSecretLeaks(t *testing.T) {
	l := needLab(t)
	c := newCluster(t, l, "sudo", 110, 1, 0, 0)
	const right, wrong = "Right-Sudo-Pw-7731", "Wrong-Sudo-Pw-4419"
	// The lab registry, its password given by environment variable.
	c.Registry = labRegistry(l, 0)
	registry := readSecret(t, c.Registry.PasswordFile)
	c.Registry.PasswordFile, c.Registry.Password = "", config.Secret{Ref: "${E2E_REGISTRY_PW}"}
	c.write(t)
	env := []string{"E2E_REGISTRY_PW=" + registry}
	ok(t, runWatching(t, 10*time.Minute, env, func(installer.Event) {}, "install", "--config", c.Path), "install")

	m := c.masters()[0]
	c.hostSh(t, m, "rm -f /etc/sudoers.d/* && echo 'centos:"+right+"' | /usr/sbin/chpasswd")
	c.SudoPassword = "${E2E_SUDO_PW}"
	c.write(t)

	vcPassword, err := os.ReadFile(c.vcenterPasswordFile())
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{right, wrong, registry, strings.TrimSpace(string(vcPassword))}
	var psMu sync.Mutex
	var psHits []string
	watchPS := func(stop <-chan struct{}) {
		for i := 0; i < 2000; i++ { // bounded: the run ends long before
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			out, _ := exec.Command("ps", "-eww", "-o", "args").Output()
			for _, s := range secrets {
				if bytes.Contains(out, []byte(s)) {
					psMu.Lock()
					psHits = append(psHits, s)
					psMu.Unlock()
				}
			}
		}
	}
	stop := make(chan struct{})
	go watchPS(stop)
	bad := runWatching(t, 5*time.Minute, append(env, "E2E_SUDO_PW="+wrong), func(installer.Event) {}, "install", "--config", c.Path)
	good := runWatching(t, 5*time.Minute, append(env, "E2E_SUDO_PW="+right), func(installer.Event) {}, "install", "--config", c.Path)
	close(stop)

	if bad.Exit != 3 || !strings.Contains(bad.Stderr, "sudo: wrong password for centos@"+c.masterIPs[0]) {
		t.Errorf("wrong sudo password: exit %d, want 3 and a clear message:\n%s", bad.Exit, tail(bad.Stderr, 15))
	}
	ok(t, good, "install with the right sudo password")

	// Everything the runs wrote: outputs, the state dir (state, logs, known_hosts).
	texts := map[string]string{"stdout": bad.Stdout + good.Stdout, "stderr": bad.Stderr + good.Stderr}
	_ = filepath.WalkDir(c.Dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && p != c.Path {
			data, _ := os.ReadFile(p)
			texts[p] = string(data)
		}
		return nil
	})
	// Every file the bootstrap node serves, fetched as anyone could.
	for f, body := range servedBytes(t, c) {
		texts["served "+f] = string(body)
	}
	secrets = append(secrets, base64.StdEncoding.EncodeToString([]byte(c.Registry.Username+":"+registry)))
	for where, text := range texts {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("secret %q found in %s", s[:6]+"…", where)
			}
		}
	}
	psMu.Lock()
	defer psMu.Unlock()
	if len(psHits) > 0 {
		t.Errorf("secrets seen in ps output: %d times", len(psHits))
	}
	// The state file holds no secret and is 0600.
	st, err := os.Stat(filepath.Join(c.Dir, ".dcos-vsphere", c.Name, "state.json"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("state.json: %v mode %v, want 0600", err, st.Mode().Perm())
	}
}

// A node whose ip-detect prints garbage fails with the cause named; the
// other nodes are not affected.
func TestBadIPDetectOnOneNode(t *testing.T) {
	l := needLab(t)
	c := newCluster(t, l, "ipd", 125, 1, 2, 0)
	bad := c.agents()[1]
	script := filepath.Join(c.Dir, "ip-detect")
	err := os.WriteFile(script, []byte(`#!/usr/bin/env bash
set -o nounset -o errexit -o pipefail
if [ "$(hostname)" = "`+bad+`" ]; then echo "not-an-ip"; exit 0; fi
ip -4 route get `+c.masterIPs[0]+` | awk '{for (i = 1; i < NF; i++) if ($i == "src") { print $(i+1); exit }}'
`), 0o755)
	if err != nil {
		t.Fatal(err)
	}
	c.IPDetect = config.IPDetect{Method: "script", Script: script}
	c.write(t)
	r := run(t, 10*time.Minute, "install", "--config", c.Path)
	if r.Exit != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.Exit, tail(r.Stderr, 20))
	}
	if !strings.Contains(r.Stderr, bad+" (") || !strings.Contains(r.Stderr, "not an IPv4 address") {
		t.Errorf("failure does not name %s and the ip-detect cause:\n%s", bad, r.Stderr)
	}
	if strings.Contains(r.Stderr, c.agents()[0]+" (") {
		t.Errorf("the good agent failed too:\n%s", r.Stderr)
	}
}
