package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// run executes the CLI with args and returns stdout, stderr and the
// exit code main would use.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	root, g := newRootCmd(&signals{soft: make(chan struct{})})
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.Execute()
	code := report(err, g, &out, &errOut, false)
	return out.String(), errOut.String(), code
}

func TestValidateGood(t *testing.T) {
	t.Setenv("VCENTER_PASSWORD", "vc-Secret-cmd")
	t.Setenv("SSH_KEY_PASSPHRASE", "")
	out, errOut, code := run(t, "validate", "--config", "../../testdata/config/good/ssh-jump-host.yaml")
	if code != 2 || !strings.Contains(errOut, "ssh.keyPassphrase: environment variable SSH_KEY_PASSPHRASE is empty") || out != "" {
		t.Errorf("empty env var: exit %d out %q err %q", code, out, errOut)
	}
	t.Setenv("SSH_KEY_PASSPHRASE", "pp-Secret-cmd")
	out, errOut, code = run(t, "validate", "--config", "../../testdata/config/good/ssh-jump-host.yaml")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	if want := "ok: cluster behind-bastion, 1 bootstrap, 3 masters, 2 agents, 0 public agents\n"; out != want {
		t.Errorf("stdout = %q, want %q", out, want)
	}
	if !strings.Contains(errOut, "warning: ../../testdata/config/good/ssh-jump-host.yaml:7:13: vcenter.insecure:") {
		t.Errorf("stderr lacks the insecure warning: %q", errOut)
	}
}

func TestValidateBad(t *testing.T) {
	t.Setenv("VCENTER_PASSWORD", "vc-Secret-cmd")
	out, errOut, code := run(t, "validate", "--config", "../../testdata/config/bad/dup-ip-range-overlap.yaml")
	if code != 2 {
		t.Fatalf("exit %d, want 2 (stderr %s)", code, errOut)
	}
	if out != "" {
		t.Errorf("stdout on failure: %q", out)
	}
	for _, w := range []string{
		"dup-ip-range-overlap.yaml:23:14: nodes.agents.ipRange: 198.18.0.10 (agent-2) is also used by nodes.bootstrap",
		"dup-ip-range-overlap.yaml:23:14: nodes.agents.ipRange: 198.18.0.11 (agent-3) is also used by nodes.masters.hosts[0]",
	} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
}

func TestValidateMissingFileAndArgs(t *testing.T) {
	_, errOut, code := run(t, "validate", "--config", filepath.Join(t.TempDir(), "nope.yaml"))
	if code != 2 || !strings.Contains(errOut, "no such file") {
		t.Errorf("missing file: exit %d, %q", code, errOut)
	}
	if _, _, code := run(t, "validate", "extra-arg"); code != 2 {
		t.Errorf("extra arg: exit %d, want 2", code)
	}
	if _, _, code := run(t, "validate", "--no-such-flag"); code != 2 {
		t.Errorf("bad flag: exit %d, want 2", code)
	}
}

func TestInitWritesExampleOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cluster.yaml")
	out, errOut, code := run(t, "init", "--out", path)
	if code != 0 {
		t.Fatalf("init: exit %d %s", code, errOut)
	}
	if !strings.Contains(out, "wrote "+path) {
		t.Errorf("stdout = %q", out)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %o, want 600", st.Mode().Perm())
	}
	// The example validates once its variables are set and the files it
	// names exist (validate checks them).
	t.Setenv("VCENTER_PASSWORD", "a")
	t.Setenv("REGISTRY_PASSWORD", "b")
	writeExampleFiles(t, filepath.Dir(path))
	// The example names no SSH key: OpenSSH's default key is used.
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("SSH_AUTH_SOCK", "")
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".ssh", "id_ed25519"), []byte("key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = run(t, "validate", "--config", path)
	if code != 0 || !strings.HasPrefix(out, "ok: cluster dcos-lab, 1 bootstrap, 3 masters, 3 agents, 1 public agents") {
		t.Errorf("validate example: exit %d out %q err %q", code, out, errOut)
	}
	// Refuse to overwrite, keep the user's file.
	if err := os.WriteFile(path, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = run(t, "init", "--out", path)
	if code != 2 || !strings.Contains(errOut, "already exists") {
		t.Errorf("overwrite without --force: exit %d %q", code, errOut)
	}
	if b, _ := os.ReadFile(path); string(b) != "mine\n" {
		t.Errorf("file changed without --force: %q", b)
	}
	// --force overwrites and tightens the mode.
	if _, errOut, code = run(t, "init", "--out", path, "--force"); code != 0 {
		t.Fatalf("--force: exit %d %s", code, errOut)
	}
	st, _ = os.Stat(path)
	if b, _ := os.ReadFile(path); !strings.HasPrefix(string(b), "# cluster.yaml") || st.Mode().Perm() != 0o600 {
		t.Errorf("--force: mode %o, content starts %q", st.Mode().Perm(), string(b[:min(20, len(b))]))
	}
}

// writeExampleFiles puts next to init's example the files it names: an SSH
// key (the fixture's, also as the ACS admin's key), a CA bundle (a
// self-signed certificate made here) and a placeholder installer.
func writeExampleFiles(t *testing.T, dir string) {
	t.Helper()
	key, err := os.ReadFile("../../testdata/config/good/id_rsa")
	if err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotAfter: time.Now().Add(time.Hour), IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"id_rsa":                  key,
		"acs_rsa":                 key,
		"vcenter-ca.pem":          pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		"dcos_generate_config.sh": []byte("#!/bin/sh\nexit 1\n"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// A dcos.config typo is reported with the other problems, not hidden
// behind them until they are fixed.
func TestValidateReportsDCOSTypoWithOtherErrors(t *testing.T) {
	t.Setenv("VCENTER_PASSWORD", "vc-Secret-cmd")
	data, err := os.ReadFile("../../testdata/config/good/minimal-1-master.yaml")
	if err != nil {
		t.Fatal(err)
	}
	y := strings.Replace(string(data), "name: lab", "name: bad_name", 1)
	y = strings.Replace(y, "  installer: dcos_generate_config.sh", "  installer: dcos_generate_config.sh\n  config:\n    telemetry_enabeld: false", 1)
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, "validate", "--config", path)
	if code != 2 || !strings.Contains(errOut, "name: ") || !strings.Contains(errOut, "dcos.config.telemetry_enabeld: not a DC/OS 1.9 parameter (did you mean telemetry_enabled?)") {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
}
