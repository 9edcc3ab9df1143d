package ssh

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/dcos-vsphere/dcos-vsphere/internal/testnet"
)

// The tests run real OpenSSH sshd on loopback as root, logging in as a
// system user created for the run: one per test slot, so that runs in
// other slots (testnet) do not remove or re-key it under this one.
const sshdBinary = "/usr/sbin/sshd"

var testUser = fmt.Sprintf("dvtssh%d", testnet.Slot())

// env is the shared fixture; skipReason is set when it cannot exist.
var (
	env        *fixture
	skipReason string
)

type fixture struct {
	base     string // 0755, holds home and per-test dirs
	home     string
	password string // the test user's login and sudo password
	keyFile  string // unencrypted ed25519 key of the test user
	authKeys string // authorized_keys shared by every sshd
	uid, gid int
}

func TestMain(m *testing.M) {
	code := func() int {
		if reason := setupFixture(); reason != "" {
			skipReason = reason
			return m.Run()
		}
		defer teardownFixture()
		return m.Run()
	}()
	os.Exit(code)
}

func setupFixture() string {
	if os.Geteuid() != 0 {
		return "needs root (creates a system user and runs sshd)"
	}
	for _, tool := range []string{sshdBinary, "/usr/bin/ssh-keygen", "/usr/bin/sudo", "/usr/sbin/useradd", "/usr/sbin/chpasswd", "/usr/bin/ssh-agent", "/usr/bin/ssh-add", "/usr/bin/setsid"} {
		if _, err := os.Stat(tool); err != nil {
			return tool + " is missing (scripts/deps.sh installs openssh-server, openssh-client, sudo)"
		}
	}
	base, err := os.MkdirTemp("", "dvtssh-")
	if err != nil {
		return "temp dir: " + err.Error()
	}
	os.Chmod(base, 0o755)
	f := &fixture{base: base, home: filepath.Join(base, "home"), password: "Pw-" + randomHex(8)}
	env = f
	// A user left behind by a killed run is removed first.
	_ = exec.Command("userdel", testUser).Run()
	if out, err := exec.Command("useradd", "--system", "--shell", "/bin/bash", "--home-dir", f.home, "--create-home", testUser).CombinedOutput(); err != nil {
		return fmt.Sprintf("useradd: %v: %s", err, out)
	}
	cmd := exec.Command("chpasswd")
	cmd.Stdin = strings.NewReader(testUser + ":" + f.password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Sprintf("chpasswd: %v: %s", err, out)
	}
	u, err := user.Lookup(testUser)
	if err != nil {
		return err.Error()
	}
	f.uid, _ = strconv.Atoi(u.Uid)
	f.gid, _ = strconv.Atoi(u.Gid)
	f.keyFile = filepath.Join(base, "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f.keyFile).CombinedOutput(); err != nil {
		return fmt.Sprintf("ssh-keygen: %v: %s", err, out)
	}
	f.authKeys = filepath.Join(base, "authorized_keys")
	pub, _ := os.ReadFile(f.keyFile + ".pub")
	if err := os.WriteFile(f.authKeys, pub, 0o644); err != nil {
		return err.Error()
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return err.Error()
	}
	return ""
}

func teardownFixture() {
	_ = exec.Command("userdel", "--force", testUser).Run()
	os.RemoveAll(env.base)
}

func needFixture(t testing.TB) *fixture {
	t.Helper()
	if env == nil {
		t.Skip("SSH tests skipped: " + skipReason)
	}
	return env
}

// authorize adds a public key file to the shared authorized_keys.
func (f *fixture) authorize(t testing.TB, pubFile string) {
	t.Helper()
	pub, err := os.ReadFile(pubFile)
	if err != nil {
		t.Fatal(err)
	}
	af, err := os.OpenFile(f.authKeys, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer af.Close()
	af.Write(pub)
}

// sudoers grants the test user sudo for the test, with or without password.
func (f *fixture) sudoers(t testing.TB, nopasswd bool) {
	t.Helper()
	rule := testUser + " ALL=(ALL) ALL"
	if nopasswd {
		rule = testUser + " ALL=(ALL) NOPASSWD: ALL"
	}
	content := "Defaults:" + testUser + " timestamp_timeout=0, lecture=never\n" + rule + "\n"
	path := "/etc/sudoers.d/dcos-vsphere-test-" + testUser
	if err := os.WriteFile(path, []byte(content), 0o440); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(path) })
}

// userDir makes a directory owned by the test user.
func (f *fixture) userDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp(f.base, "dir-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chown(dir, f.uid, f.gid)
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// sshd is one running OpenSSH server.
type sshd struct {
	addr        string
	port        int
	hostPub     gossh.PublicKey
	hostKeyFile string
	cmd         *exec.Cmd
	mu          sync.Mutex
	log         bytes.Buffer
	exited      chan struct{}
}

type sshdOptions struct {
	listen   string // default 127.0.0.1
	port     int    // default: a free port
	hostKey  string // default: a new ed25519 key
	extra    string // more sshd_config lines
	logLevel string
}

func (s *sshd) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.Write(p)
}

func (s *sshd) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

func freePort(t testing.TB, host string) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func newHostKey(t testing.TB) string {
	t.Helper()
	key := filepath.Join(t.TempDir(), "host_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	return key
}

// startSSHD starts sshd and waits (bounded) until it accepts connections.
func startSSHD(t testing.TB, o sshdOptions) *sshd {
	t.Helper()
	f := needFixture(t)
	if o.listen == "" {
		o.listen = "127.0.0.1"
	}
	if o.port == 0 {
		o.port = freePort(t, o.listen)
	}
	if o.hostKey == "" {
		o.hostKey = newHostKey(t)
	}
	if o.logLevel == "" {
		o.logLevel = "VERBOSE"
	}
	dir := t.TempDir()
	conf := fmt.Sprintf(`Port %d
ListenAddress %s
HostKey %s
PidFile %s
AuthorizedKeysFile %s
UsePAM no
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers %s
Subsystem sftp internal-sftp
AllowTcpForwarding yes
MaxStartups 100
LogLevel %s
%s
`, o.port, o.listen, o.hostKey, filepath.Join(dir, "sshd.pid"), f.authKeys, testUser, o.logLevel, o.extra)
	cfgFile := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfgFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	pubText, err := os.ReadFile(o.hostKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _, _, err := gossh.ParseAuthorizedKey(pubText)
	if err != nil {
		t.Fatal(err)
	}
	s := &sshd{addr: o.listen, port: o.port, hostPub: pub, hostKeyFile: o.hostKey, exited: make(chan struct{})}
	s.cmd = exec.Command(sshdBinary, "-D", "-e", "-f", cfgFile)
	s.cmd.Stdout, s.cmd.Stderr = s, s
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(s.stop)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(o.listen, strconv.Itoa(o.port)), time.Second)
		if err == nil {
			c.Close()
			return s
		}
		select {
		case <-s.exited:
			t.Fatalf("sshd exited: %s", s.Log())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd on %s:%d not listening after 10s: %s", o.listen, o.port, s.Log())
		}
	}
}

func (s *sshd) stop() {
	if s.cmd.Process != nil {
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// config returns a Config for the test user with key auth and a fresh
// known_hosts file.
func (s *sshd) config(t testing.TB) Config {
	f := needFixture(t)
	return Config{
		Host:              s.addr,
		Port:              s.port,
		User:              testUser,
		KeyFile:           f.keyFile,
		KnownHostsFile:    filepath.Join(t.TempDir(), "state", "known_hosts"),
		ConnectTimeout:    5 * time.Second,
		MaxAttempts:       1,
		KeepaliveInterval: 2 * time.Second,
	}
}

func dialT(t testing.TB, cfg Config) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Dial(ctx, cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func runT(t testing.TB, c *Client, cmd string, opts RunOptions) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.Run(ctx, cmd, opts)
	if err != nil {
		t.Fatalf("Run %q: %v", cmd, err)
	}
	return res
}
