package ssh

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func whoami(t *testing.T, c *Client) string {
	t.Helper()
	return strings.TrimSpace(runT(t, c, "id -un", RunOptions{CaptureStdout: true}).Stdout)
}

func TestDialKeyFile(t *testing.T) {
	s := startSSHD(t, sshdOptions{})
	c := dialT(t, s.config(t))
	if got := whoami(t, c); got != testUser {
		t.Fatalf("logged in as %q, want %q", got, testUser)
	}
}

func TestDialEncryptedKey(t *testing.T) {
	f := needFixture(t)
	s := startSSHD(t, sshdOptions{})
	key := filepath.Join(t.TempDir(), "id_enc")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "key-pass-123", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	f.authorize(t, key+".pub")

	cfg := s.config(t)
	cfg.KeyFile = key
	_, err := Dial(context.Background(), cfg)
	if !errors.Is(err, ErrKeyPassphraseMissing) || !strings.Contains(err.Error(), "ssh.keyFile: key is passphrase-protected; set ssh.keyPassphrase") {
		t.Fatalf("without passphrase: got %v", err)
	}

	cfg.KeyPassphrase = "wrong-pass"
	_, err = Dial(context.Background(), cfg)
	if err == nil || strings.Contains(err.Error(), "wrong-pass") {
		t.Fatalf("wrong passphrase: got %v (must fail without showing it)", err)
	}

	cfg.KeyPassphrase = "key-pass-123"
	c := dialT(t, cfg)
	if got := whoami(t, c); got != testUser {
		t.Fatalf("logged in as %q", got)
	}
}

func TestDialPassword(t *testing.T) {
	f := needFixture(t)
	s := startSSHD(t, sshdOptions{})
	cfg := s.config(t)
	cfg.KeyFile = ""
	cfg.Password = f.password
	c := dialT(t, cfg)
	if got := whoami(t, c); got != testUser {
		t.Fatalf("logged in as %q", got)
	}

	cfg.Password = "not-the-password"
	cfg.MaxAttempts = 5
	cfg.BackoffInitial = time.Millisecond
	_, err := Dial(context.Background(), cfg)
	var ce *ConnectError
	if !errors.As(err, &ce) || ce.ExitCode() != 3 {
		t.Fatalf("wrong password: want *ConnectError with exit code 3, got %T %v", err, err)
	}
	if ce.Attempts != 1 {
		t.Errorf("auth failure was retried: %d attempts", ce.Attempts)
	}
	msg := err.Error()
	if strings.Contains(msg, "not-the-password") || !strings.Contains(msg, "127.0.0.1:"+strconv.Itoa(s.port)) || !strings.Contains(msg, "unable to authenticate") {
		t.Errorf("error should name host:port and cause without the secret: %s", msg)
	}
}

func TestDialAgent(t *testing.T) {
	f := needFixture(t)
	s := startSSHD(t, sshdOptions{})
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
	add := exec.Command("ssh-add", f.keyFile)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v: %s", err, out)
	}
	t.Setenv("SSH_AUTH_SOCK", sock)
	cfg := s.config(t)
	cfg.KeyFile = ""
	cfg.UseAgent = true
	c := dialT(t, cfg)
	if got := whoami(t, c); got != testUser {
		t.Fatalf("logged in as %q", got)
	}
	if !strings.Contains(s.Log(), "Accepted publickey for "+testUser) {
		t.Errorf("sshd log does not show a public key login:\n%s", s.Log())
	}
}

func TestDialThroughJumpHost(t *testing.T) {
	jumpPort := freePort(t, "127.0.0.1")
	targetPort := freePort(t, "127.0.0.2")
	target := startSSHD(t, sshdOptions{listen: "127.0.0.2", port: targetPort})
	jump := startSSHD(t, sshdOptions{port: jumpPort, logLevel: "DEBUG1",
		extra: "PermitOpen 127.0.0.2:" + strconv.Itoa(targetPort)})
	cfg := target.config(t)
	jcfg := jump.config(t)
	jcfg.KnownHostsFile = cfg.KnownHostsFile
	cfg.Jump = &jcfg
	c := dialT(t, cfg)
	if got := whoami(t, c); got != testUser {
		t.Fatalf("logged in as %q", got)
	}
	want := "127.0.0.2 port " + strconv.Itoa(targetPort)
	if log := jump.Log(); !strings.Contains(log, "direct-tcpip") || !strings.Contains(log, want) {
		t.Errorf("jump sshd did not forward to %s:\n%s", want, log)
	}
	kh, _ := os.ReadFile(cfg.KnownHostsFile)
	if !strings.Contains(string(kh), "[127.0.0.2]:"+strconv.Itoa(targetPort)) || !strings.Contains(string(kh), "[127.0.0.1]:"+strconv.Itoa(jumpPort)) {
		t.Errorf("known_hosts should hold both hosts:\n%s", kh)
	}
}

func TestDialRetriesUntilSSHDStarts(t *testing.T) {
	needFixture(t)
	port := freePort(t, "127.0.0.1")
	probe := &sshd{addr: "127.0.0.1", port: port}
	cfg := probe.config(t)
	cfg.MaxAttempts = 100
	cfg.BackoffInitial = 20 * time.Millisecond
	cfg.BackoffMax = 200 * time.Millisecond
	failed := make(chan error, 100)
	cfg.OnRetry = func(_ int, _ time.Duration, err error) { failed <- err }

	type result struct {
		c   *Client
		err error
	}
	done := make(chan result, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	go func() { c, err := Dial(ctx, cfg); done <- result{c, err} }()

	select {
	case err := <-failed:
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("first attempt failed with %v, want connection refused", err)
		}
	case r := <-done:
		t.Fatalf("Dial returned before sshd started: %v", r.err)
	case <-time.After(20 * time.Second):
		t.Fatal("no failed attempt reported within 20s")
	}
	startSSHD(t, sshdOptions{port: port})
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("Dial after sshd started: %v", r.err)
		}
		r.c.Close()
	case <-time.After(30 * time.Second):
		t.Fatal("Dial did not succeed within 30s of sshd starting")
	}
}

func TestDialGivesUpAfterMaxAttempts(t *testing.T) {
	needFixture(t)
	probe := &sshd{addr: "127.0.0.1", port: freePort(t, "127.0.0.1")}
	cfg := probe.config(t)
	cfg.MaxAttempts = 3
	cfg.BackoffInitial = 10 * time.Millisecond
	retries := 0
	cfg.OnRetry = func(int, time.Duration, error) { retries++ }
	start := time.Now()
	_, err := Dial(context.Background(), cfg)
	var ce *ConnectError
	if !errors.As(err, &ce) || ce.Attempts != 3 || retries != 2 {
		t.Fatalf("want ConnectError after 3 attempts (2 retries), got %v (retries %d)", err, retries)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) || !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Errorf("error should say refused and gave up: %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("took %s", time.Since(start))
	}
	// The context bounds retries too.
	cfg.MaxAttempts = 1000
	cfg.BackoffInitial = 50 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = Dial(ctx, cfg)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("with a 300ms context: got %v", err)
	}
}

func TestKnownHostsTrustOnFirstUse(t *testing.T) {
	s := startSSHD(t, sshdOptions{})
	cfg := s.config(t)
	c := dialT(t, cfg)
	want := "SHA256:"
	if fp := c.HostKeyFingerprint(); !strings.HasPrefix(fp, want) || fp != fingerprint(s) {
		t.Errorf("HostKeyFingerprint = %q, want %q", fp, fingerprint(s))
	}
	st, err := os.Stat(cfg.KnownHostsFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("known_hosts: %v mode %v", err, st)
	}
	if dst, _ := os.Stat(filepath.Dir(cfg.KnownHostsFile)); dst.Mode().Perm() != 0o700 {
		t.Errorf("known_hosts dir mode %v, want 0700", dst.Mode().Perm())
	}
	data, _ := os.ReadFile(cfg.KnownHostsFile)
	line := "[127.0.0.1]:" + strconv.Itoa(s.port) + " ssh-ed25519 "
	if !strings.HasPrefix(string(data), line) || strings.Count(string(data), "\n") != 1 {
		t.Fatalf("known_hosts = %q, want one line starting %q", data, line)
	}
	// Known now: a second dial accepts it without adding anything.
	dialT(t, cfg)
	again, _ := os.ReadFile(cfg.KnownHostsFile)
	if string(again) != string(data) {
		t.Errorf("second dial changed known_hosts:\n%s", again)
	}
}

func TestKnownHostsConcurrentDials(t *testing.T) {
	s := startSSHD(t, sshdOptions{})
	cfg := s.config(t)
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, err := Dial(ctx, cfg)
			if err == nil {
				c.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(cfg.KnownHostsFile)
	if n := strings.Count(string(data), "\n"); n != 1 {
		t.Fatalf("12 concurrent first dials wrote %d lines, want 1:\n%s", n, data)
	}
}

func TestKnownHostsMismatchRefusedAndFreshHostReplaces(t *testing.T) {
	old := startSSHD(t, sshdOptions{})
	cfg := old.config(t)
	// Another host's entry stays untouched by the replacement.
	if err := os.MkdirAll(filepath.Dir(cfg.KnownHostsFile), 0o700); err != nil {
		t.Fatal(err)
	}
	other := "198.18.0.99 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"
	os.WriteFile(cfg.KnownHostsFile, []byte(other), 0o600)
	dialT(t, cfg).Close()
	oldFP := fingerprint(old)
	old.stop()

	fresh := startSSHD(t, sshdOptions{port: old.port}) // same address, new host key
	newFP := fingerprint(fresh)
	_, err := Dial(context.Background(), cfg)
	var mm *HostKeyMismatchError
	if !errors.As(err, &mm) {
		t.Fatalf("want HostKeyMismatchError, got %T %v", err, err)
	}
	host := "[127.0.0.1]:" + strconv.Itoa(old.port)
	msg := err.Error()
	for _, want := range []string{oldFP, newFP, cfg.KnownHostsFile + ":2", "ssh-keygen -R '" + host + "' -f " + cfg.KnownHostsFile} {
		if !strings.Contains(msg, want) {
			t.Errorf("mismatch error lacks %q:\n%s", want, msg)
		}
	}
	var ce *ConnectError
	if !errors.As(err, &ce) || ce.ExitCode() != 3 || ce.Attempts != 1 {
		t.Errorf("mismatch should be a ConnectError, not retried: %v", err)
	}

	var logged []string
	cfg.FreshHost = true
	cfg.Log = func(m string) { logged = append(logged, m) }
	c := dialT(t, cfg)
	if c.HostKeyFingerprint() != newFP {
		t.Errorf("fingerprint %s, want %s", c.HostKeyFingerprint(), newFP)
	}
	wantLog := "known_hosts: replaced host key for " + host + " (VM re-created by this run)"
	if len(logged) != 1 || logged[0] != wantLog {
		t.Errorf("log = %q, want %q", logged, wantLog)
	}
	data, _ := os.ReadFile(cfg.KnownHostsFile)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 || lines[0]+"\n" != other || !strings.HasPrefix(lines[1], host+" ") {
		t.Fatalf("after replacement known_hosts =\n%s", data)
	}
	// Without FreshHost the new key is now simply known.
	cfg.FreshHost = false
	dialT(t, cfg)
}

// fingerprint asks ssh-keygen, not our code, for the host key's fingerprint.
func fingerprint(s *sshd) string {
	out, err := exec.Command("ssh-keygen", "-l", "-E", "sha256", "-f", s.hostKeyFile+".pub").Output()
	if err != nil {
		return "ssh-keygen failed: " + err.Error()
	}
	fields := strings.Fields(string(out))
	if len(fields) < 2 {
		return "ssh-keygen said " + string(out)
	}
	return fields[1]
}

// The connect bound starts at FirstConnectTimeout and doubles up to
// ConnectTimeout; unset, every attempt gets ConnectTimeout. The waits
// between attempts double from BackoffInitial up to BackoffMax.
func TestConnectTimeoutAndBackoffSchedules(t *testing.T) {
	c := Config{ConnectTimeout: 10 * time.Second, FirstConnectTimeout: time.Second,
		BackoffInitial: 250 * time.Millisecond, BackoffMax: 2 * time.Second}
	var connects, waits []time.Duration
	for attempt := 1; attempt <= 6; attempt++ {
		connects = append(connects, c.connectTimeout(attempt))
		waits = append(waits, c.backoff(attempt))
	}
	s := time.Second
	if want := []time.Duration{s, 2 * s, 4 * s, 8 * s, 10 * s, 10 * s}; !slices.Equal(connects, want) {
		t.Errorf("connect timeouts %v, want %v", connects, want)
	}
	ms := time.Millisecond
	if want := []time.Duration{250 * ms, 500 * ms, s, 2 * s, 2 * s, 2 * s}; !slices.Equal(waits, want) {
		t.Errorf("waits %v, want %v", waits, want)
	}
	c.FirstConnectTimeout = 0
	if got := c.connectTimeout(1); got != 10*s {
		t.Errorf("without FirstConnectTimeout: %v, want 10s", got)
	}
}
