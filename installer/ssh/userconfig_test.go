package ssh

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeUserConfig writes home/.ssh/config and returns a Resolver that
// reads only it (not the machine's /etc/ssh/ssh_config).
func writeUserConfig(t *testing.T, home, text string) *Resolver {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(home, ".ssh", "config")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	u := LoadUserConfig(home, path)
	if len(u.Problems) > 0 {
		t.Fatalf("problems: %v", u.Problems)
	}
	return &Resolver{User: u, Home: home, DefaultUser: "centos"}
}

func TestUserConfigHostEntry(t *testing.T) {
	home := t.TempDir()
	r := writeUserConfig(t, home, `
Host bastion
  HostName 198.18.1.5
  User admin
  Port 2222
  IdentityFile ~/.ssh/bastion_ed25519
  IdentityFile keys/%n-%r@%h:%p
  IdentitiesOnly yes

Host 198.18.1.*
  User ops
  ProxyJump bastion

Host *
  User everyone
  IdentityFile ~/.ssh/id_lab
`)
	h, err := r.User.Host("bastion")
	if err != nil {
		t.Fatal(err)
	}
	want := HostConfig{Alias: "bastion", HostName: "198.18.1.5", User: "admin", Port: 2222, IdentitiesOnly: true,
		IdentityFiles: []string{
			filepath.Join(home, ".ssh", "bastion_ed25519"),
			// relative: from the config file's directory, tokens expanded
			filepath.Join(home, ".ssh", "keys", "bastion-admin@198.18.1.5:2222"),
			filepath.Join(home, ".ssh", "id_lab"),
		},
		Source: filepath.Join(home, ".ssh", "config")}
	if !reflect.DeepEqual(h, want) {
		t.Fatalf("got  %+v\nwant %+v", h, want)
	}
	// The first value wins: the address pattern's User, not Host *'s.
	n, _ := r.User.Host("198.18.1.20")
	if n.User != "ops" || n.ProxyJump != "bastion" || n.HostName != "" || n.Port != 0 {
		t.Fatalf("node entry: %+v", n)
	}
}

func TestResolveNodeThroughProxyJump(t *testing.T) {
	home := t.TempDir()
	r := writeUserConfig(t, home, `
Host bastion
  HostName 198.18.1.5
  User admin
  Port 2222
  IdentityFile ~/.ssh/bastion_ed25519
Host 198.18.1.*
  User ops
  Port 2200
  IdentityFile ~/.ssh/nodes
  ProxyJump bastion
`)
	cfg, err := r.Resolve(Config{Host: "198.18.1.20", KnownHostsFile: "/kh", MaxAttempts: 7})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "198.18.1.20" || cfg.User != "ops" || cfg.Port != 2200 || !reflect.DeepEqual(cfg.IdentityFiles, []string{filepath.Join(home, ".ssh", "nodes")}) || !cfg.TryAgent {
		t.Fatalf("node: %+v", cfg)
	}
	j := cfg.Jump
	if j == nil || j.Host != "198.18.1.5" || j.User != "admin" || j.Port != 2222 || j.KnownHostsFile != "/kh" || j.MaxAttempts != 7 ||
		!reflect.DeepEqual(j.IdentityFiles, []string{filepath.Join(home, ".ssh", "bastion_ed25519")}) {
		t.Fatalf("jump: %+v", j)
	}
	if cfg.String() != "ops@198.18.1.20:2200 via admin@198.18.1.5:2222" {
		t.Fatalf("String %q", cfg.String())
	}

	// What the Config says wins: user, port, key (then no defaults), jump.
	explicit, err := r.Resolve(Config{Host: "198.18.1.20", User: "centos", Port: 22, KeyFile: "/k",
		Jump: &Config{Host: "bastion", KeyFile: "/jk"}})
	if err != nil {
		t.Fatal(err)
	}
	if explicit.User != "centos" || explicit.Port != 22 || explicit.IdentityFiles != nil || explicit.TryAgent {
		t.Fatalf("explicit: %+v", explicit)
	}
	// The explicit jump host's alias is looked up too.
	if j := explicit.Jump; j.Host != "198.18.1.5" || j.User != "admin" || j.Port != 2222 || j.KeyFile != "/jk" || j.Jump != nil {
		t.Fatalf("explicit jump: %+v", j)
	}
}

func TestResolveProxyJumpChainAndLimits(t *testing.T) {
	home := t.TempDir()
	r := writeUserConfig(t, home, `
Host target
  ProxyJump u1@hop1:2201,hop2
Host hop2
  HostName 10.9.9.2
Host loop
  ProxyJump loop
Host viacmd
  ProxyCommand ssh -W %h:%p bastion
Host direct
  ProxyJump none
  ProxyCommand none
`)
	cfg, err := r.Resolve(Config{Host: "target"})
	if err != nil {
		t.Fatal(err)
	}
	// ssh -J hop1,hop2 target: target via hop2, hop2 via hop1.
	if got := cfg.String(); got != "centos@target:22 via centos@10.9.9.2:22 via u1@hop1:2201" {
		t.Fatalf("chain %q", got)
	}
	if _, err := r.Resolve(Config{Host: "loop"}); err == nil || !strings.Contains(err.Error(), "loop") {
		t.Fatalf("a ProxyJump loop: %v", err)
	}
	if _, err := r.Resolve(Config{Host: "viacmd"}); err == nil || !strings.Contains(err.Error(), "ProxyCommand") || !strings.Contains(err.Error(), "use ProxyJump") {
		t.Fatalf("ProxyCommand: %v", err)
	}
	if d, err := r.Resolve(Config{Host: "direct"}); err != nil || d.Jump != nil {
		t.Fatalf("ProxyJump none: %+v %v", d, err)
	}
}

func TestResolveDefaultIdentities(t *testing.T) {
	home := t.TempDir()
	r := &Resolver{User: LoadUserConfig(home), Home: home, DefaultUser: "centos"}
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"id_ed25519", "id_rsa", "id_other"} {
		if err := os.WriteFile(filepath.Join(home, ".ssh", name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := r.Resolve(Config{Host: "10.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	// OpenSSH's order, only those that exist.
	want := []string{filepath.Join(home, ".ssh", "id_rsa"), filepath.Join(home, ".ssh", "id_ed25519")}
	if !reflect.DeepEqual(cfg.IdentityFiles, want) || !cfg.TryAgent || cfg.User != "centos" {
		t.Fatalf("%+v", cfg)
	}
}

func TestUserConfigProblemsAreReported(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, "config")
	if err := os.WriteFile(path, []byte("Match exec \"true\"\n  User x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	u := LoadUserConfig(home, path, filepath.Join(home, "missing"))
	if len(u.Problems) != 1 || !strings.Contains(u.Problems[0], path) || !strings.Contains(u.Problems[0], "not used") {
		t.Fatalf("problems %v", u.Problems)
	}
	if h, err := u.Host("x"); err != nil || h.User != "" {
		t.Fatalf("%+v %v", h, err)
	}
}

func TestNoLoginMethodSaysWhatWasTried(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "")
	home := t.TempDir()
	r := &Resolver{User: LoadUserConfig(home), Home: home, DefaultUser: "centos"}
	cfg, err := r.Resolve(Config{Host: "127.0.0.1", KnownHostsFile: filepath.Join(home, "kh")})
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, err = authMethods(cfg)
	if err == nil || !strings.Contains(err.Error(), "no login method") || !strings.Contains(err.Error(), "SSH_AUTH_SOCK not set") {
		t.Fatalf("%v", err)
	}
}
