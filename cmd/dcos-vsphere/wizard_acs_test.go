package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/internal/testnet"
	"github.com/dcos-vsphere/dcos-vsphere/lab"
	"github.com/dcos-vsphere/dcos-vsphere/tui"
)

// The guided setup's ACS login check against the lab's ACS world (real
// sshd behind the lab's Azure-style load balancer): a new master host key
// is reported with its fingerprint and recorded only once the user
// trusted it and the login succeeded, which shows what the cluster is; a
// wrong key is refused as such; a changed host key is refused with both
// fingerprints and never recorded; an address nothing answers on is
// reported within the connect bound. Lab names: testnet.For("wacs", 26).
func TestWizardACSCheckOnLab(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the ACS lab needs root (network namespaces, bridges, mounts)")
	}
	for _, tool := range []string{"ip", "nsenter", "unshare", "/usr/sbin/sshd", "/usr/sbin/nginx", "nft", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the ACS lab needs %s (install the packages in scripts/deps.sh)", tool)
		}
	}
	tn := testnet.For("wacs", 26)
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
	world := l.ACS()
	master := world.Masters()[0]
	kh := filepath.Join(t.TempDir(), "state", "acs_known_hosts")
	a := config.ACS{MasterFQDN: world.MasterFQDN(), SSHPort: world.SSHPort(0), User: world.User(), KeyFile: world.KeyFile(), KnownHostsFile: kh}
	host := "[" + world.MasterFQDN() + "]:2200"
	const connect = 10 * time.Second
	check := func(a config.ACS, trust string) (tui.ACSMaster, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return liveACS{}.CheckACS(ctx, a, connect, trust)
	}
	hostKeys := func() []string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := master.Exec(ctx, "cat /etc/ssh/ssh_host_*_key.pub")
		if err != nil {
			t.Fatal(err)
		}
		var fps []string
		for rest := out; len(strings.TrimSpace(string(rest))) > 0; {
			k, _, _, r, err := gossh.ParseAuthorizedKey(rest)
			if err != nil {
				t.Fatalf("the master's host keys: %v\n%s", err, out)
			}
			fps, rest = append(fps, k.Type()+" "+gossh.FingerprintSHA256(k)), r
		}
		return fps
	}

	var trusted string
	t.Run("new host key trusted on first use", func(t *testing.T) {
		_, err := check(a, "")
		var unknown *tui.ACSHostKeyError
		if !errors.As(err, &unknown) {
			t.Fatalf("first login: %v, want the unknown host key", err)
		}
		if unknown.Host != host || unknown.File != kh || !slices.Contains(hostKeys(), unknown.Fingerprint) {
			t.Errorf("unknown host key %+v; the master's keys %q", unknown, hostKeys())
		}
		if _, err := os.Stat(kh); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("something was recorded before the user trusted the key: %v", err)
		}
		m, err := check(a, unknown.Key)
		if err != nil {
			t.Fatalf("login with the key trusted: %v", err)
		}
		if m.Hostname != "dcos-master-0" || m.Version != world.Version() || m.ClusterID != world.ClusterID() ||
			m.ClusterName != world.ClusterName() || m.OS != "Ubuntu 16.04.2 LTS" || m.HostKey != unknown.Fingerprint ||
			m.Target != world.User()+"@"+world.MasterFQDN()+":2200" {
			t.Errorf("found %+v", m)
		}
		recorded, err := os.ReadFile(kh)
		if err != nil || !strings.HasPrefix(string(recorded), host+" ") || strings.Count(string(recorded), "\n") != 1 {
			t.Errorf("known_hosts after the trusted login (%v):\n%s", err, recorded)
		}
		if st, err := os.Stat(kh); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("known_hosts mode: %v %v", st.Mode(), err)
		}
		// Known now: no question, no second entry.
		if _, err := check(a, ""); err != nil {
			t.Errorf("second login: %v", err)
		}
		if again, _ := os.ReadFile(kh); string(again) != string(recorded) {
			t.Errorf("the second login changed known_hosts:\n%s", again)
		}
		trusted = unknown.Fingerprint
	})

	t.Run("wrong key refused", func(t *testing.T) {
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		b, err := gossh.MarshalPrivateKey(priv, "")
		if err != nil {
			t.Fatal(err)
		}
		wrong := filepath.Join(t.TempDir(), "not_the_acs_key")
		if err := os.WriteFile(wrong, pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
		w := a
		w.KeyFile = wrong
		_, err = check(w, "")
		if !errors.Is(err, tui.ErrACSLoginRefused) {
			t.Fatalf("a key the master does not know: %v, want ErrACSLoginRefused", err)
		}
		t.Logf("refused: %v", err)
		if strings.Contains(err.Error(), string(pem.EncodeToMemory(b))[40:80]) {
			t.Errorf("the error shows the key")
		}
	})

	t.Run("unreachable port bounded", func(t *testing.T) {
		u := a
		u.SSHPort = 2209 // the load balancer forwards 2200-2204
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := liveACS{}.CheckACS(ctx, u, 2*time.Second, "")
		t.Logf("port 2209: %v", err)
		if err == nil || time.Since(start) > 4*time.Second {
			t.Errorf("port 2209: %v after %s, want an error within the 2s connect bound", err, time.Since(start))
		}
	})

	t.Run("changed host key refused with both fingerprints", func(t *testing.T) {
		if trusted == "" {
			t.Skip("needs the key trusted above")
		}
		before, _ := os.ReadFile(kh)
		if err := master.RegenerateHostKey(); err != nil {
			t.Fatal(err)
		}
		_, err := check(a, "")
		if !errors.Is(err, tui.ErrACSHostKeyChanged) {
			t.Fatalf("after the key changed: %v, want ErrACSHostKeyChanged", err)
		}
		msg := err.Error()
		t.Logf("changed: %v", msg)
		presented := ""
		for _, fp := range hostKeys() {
			if fp != trusted && strings.Contains(msg, fp) {
				presented = fp
			}
		}
		if !strings.Contains(msg, trusted) || presented == "" || !strings.Contains(msg, host) || !strings.Contains(msg, "ssh-keygen -R") {
			t.Errorf("the error lacks the recorded %s or the presented fingerprint (%q) or the fix:\n%s", trusted, hostKeys(), msg)
		}
		if after, _ := os.ReadFile(kh); string(after) != string(before) {
			t.Errorf("known_hosts changed:\n%s", after)
		}
	})
}
