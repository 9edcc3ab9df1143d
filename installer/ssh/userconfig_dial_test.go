package ssh

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// newUserKey makes a key pair in dir/name, authorised for the test user.
func newUserKey(t *testing.T, f *fixture, path, passphrase string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	f.authorize(t, path+".pub")
}

// startAgent runs an ssh-agent on a socket in a temp dir, holding keys.
func startAgent(t *testing.T, keys ...string) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "agent.sock")
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ssh-agent socket did not appear within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, k := range keys {
		add := exec.Command("ssh-add", k)
		add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
		if out, err := add.CombinedOutput(); err != nil {
			t.Fatalf("ssh-add: %v: %s", err, out)
		}
	}
	return sock
}

// A Host alias of ~/.ssh/config with HostName, User, Port, IdentityFile
// and ProxyJump (itself an alias with its own key) is what is dialled.
func TestDialUsesSSHConfigAliasThroughProxyJump(t *testing.T) {
	f := needFixture(t)
	t.Setenv("SSH_AUTH_SOCK", "")
	jumpPort := freePort(t, "127.0.0.1")
	targetPort := freePort(t, "127.0.0.2")
	target := startSSHD(t, sshdOptions{listen: "127.0.0.2", port: targetPort})
	jump := startSSHD(t, sshdOptions{port: jumpPort, logLevel: "DEBUG1", extra: "PermitOpen 127.0.0.2:" + strconv.Itoa(targetPort)})
	home := t.TempDir()
	newUserKey(t, f, filepath.Join(home, ".ssh", "keys", "node_ed25519"), "")
	newUserKey(t, f, filepath.Join(home, ".ssh", "bastion_ed25519"), "")
	r := writeUserConfig(t, home, `
Host lab-node
  HostName 127.0.0.2
  User `+testUser+`
  Port `+strconv.Itoa(targetPort)+`
  IdentityFile keys/node_ed25519
  ProxyJump lab-bastion
Host lab-bastion
  HostName 127.0.0.1
  User `+testUser+`
  Port `+strconv.Itoa(jumpPort)+`
  IdentityFile ~/.ssh/bastion_ed25519
`)
	cfg, err := r.Resolve(Config{Host: "lab-node", KnownHostsFile: filepath.Join(t.TempDir(), "known_hosts"), ConnectTimeout: 5 * time.Second, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := dialT(t, cfg)
	if got := whoami(t, c); got != testUser {
		t.Fatalf("logged in as %q", got)
	}
	if log := jump.Log(); !strings.Contains(log, "direct-tcpip") || !strings.Contains(log, "127.0.0.2 port "+strconv.Itoa(targetPort)) {
		t.Errorf("the bastion did not forward to the node:\n%s", log)
	}
	// Each host was logged in to with its own key: the node's through
	// the relative path, the bastion's through ~/.
	for s, key := range map[*sshd]string{target: "node_ed25519", jump: "bastion_ed25519"} {
		pub, _ := os.ReadFile(filepath.Join(home, ".ssh", map[string]string{"node_ed25519": "keys/node_ed25519", "bastion_ed25519": "bastion_ed25519"}[key]) + ".pub")
		fp := fingerprintOf(t, string(pub))
		if !strings.Contains(s.Log(), "Accepted publickey for "+testUser) || !strings.Contains(s.Log(), fp) {
			t.Errorf("%s:%d did not accept %s (%s):\n%s", s.addr, s.port, key, fp, s.Log())
		}
	}
}

// No login method configured: a key in ~/.ssh and one in the agent both
// work, as with OpenSSH; an encrypted default key is skipped.
func TestDialDefaultIdentitiesAndAgent(t *testing.T) {
	f := needFixture(t)
	s := startSSHD(t, sshdOptions{})
	base := Config{Host: s.addr, Port: s.port, User: testUser, ConnectTimeout: 5 * time.Second, MaxAttempts: 1}

	t.Run("a key in ~/.ssh", func(t *testing.T) {
		t.Setenv("SSH_AUTH_SOCK", "")
		home := t.TempDir()
		newUserKey(t, f, filepath.Join(home, ".ssh", "id_ed25519"), "")
		r := &Resolver{User: LoadUserConfig(home, filepath.Join(home, ".ssh", "config")), Home: home}
		cfg := base
		cfg.KnownHostsFile = filepath.Join(t.TempDir(), "known_hosts")
		cfg, err := r.Resolve(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := whoami(t, dialT(t, cfg)); got != testUser {
			t.Fatalf("logged in as %q", got)
		}
	})
	t.Run("the agent, an encrypted default key skipped", func(t *testing.T) {
		home := t.TempDir()
		newUserKey(t, f, filepath.Join(home, ".ssh", "id_rsa"), "a-passphrase")
		agentKey := filepath.Join(t.TempDir(), "agent_ed25519")
		newUserKey(t, f, agentKey, "")
		t.Setenv("SSH_AUTH_SOCK", startAgent(t, agentKey))
		r := &Resolver{User: LoadUserConfig(home, filepath.Join(home, ".ssh", "config")), Home: home}
		cfg := base
		cfg.KnownHostsFile = filepath.Join(t.TempDir(), "known_hosts")
		cfg, err := r.Resolve(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := whoami(t, dialT(t, cfg)); got != testUser {
			t.Fatalf("logged in as %q", got)
		}
	})
	t.Run("nothing usable: the error lists what was offered", func(t *testing.T) {
		t.Setenv("SSH_AUTH_SOCK", "")
		home := t.TempDir()
		other := filepath.Join(home, ".ssh", "id_ed25519")
		if err := os.MkdirAll(filepath.Dir(other), 0o700); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, out) // not authorised
		}
		r := &Resolver{User: LoadUserConfig(home, filepath.Join(home, ".ssh", "config")), Home: home}
		cfg := base
		cfg.KnownHostsFile = filepath.Join(t.TempDir(), "known_hosts")
		cfg, err := r.Resolve(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := contextT(t)
		defer cancel()
		_, err = Dial(ctx, cfg)
		if err == nil || !strings.Contains(err.Error(), "unable to authenticate") || !strings.Contains(err.Error(), "offered: ssh-agent (SSH_AUTH_SOCK not set), "+other) {
			t.Fatalf("%v", err)
		}
	})
}

// fingerprintOf is the SHA256 fingerprint sshd logs for a public key line.
func fingerprintOf(t *testing.T, authorizedLine string) string {
	t.Helper()
	pub, _, _, _, err := gossh.ParseAuthorizedKey([]byte(authorizedLine))
	if err != nil {
		t.Fatal(err)
	}
	return gossh.FingerprintSHA256(pub)
}

func contextT(t *testing.T) (context.Context, context.CancelFunc) {
	t.Helper()
	return context.WithTimeout(context.Background(), 30*time.Second)
}

// A key file the server refuses and an agent key it accepts: both are
// offered in one public key method (x/crypto/ssh tries each method name
// only once, so a second method would never be tried).
func TestDialKeyFileThenAgent(t *testing.T) {
	f := needFixture(t)
	s := startSSHD(t, sshdOptions{})
	dir := t.TempDir()
	refused := filepath.Join(dir, "refused")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", refused).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	accepted := filepath.Join(dir, "accepted")
	newUserKey(t, f, accepted, "")
	t.Setenv("SSH_AUTH_SOCK", startAgent(t, accepted))
	cfg := s.config(t)
	cfg.KeyFile, cfg.UseAgent = refused, true
	if got := whoami(t, dialT(t, cfg)); got != testUser {
		t.Fatalf("logged in as %q", got)
	}
}
