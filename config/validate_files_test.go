package config

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"
)

// baseYAML is a valid config whose keyFile and installer are relative to
// the file; {{FOLDER}} and {{EXTRA}} are replaced by the tests.
const baseYAML = `name: f
vcenter:
  url: https://vc.test/sdk
  username: u
  password: "${VCENTER_PASSWORD}"
  insecure: true
  datacenter: DC0
  datastore: DS0
  folder: {{FOLDER}}
  network: VM Network
template:
  name: centos7
network:
  gateway: 198.18.0.1
  prefix: 24
nodes:
  bootstrap: {ip: 198.18.0.10}
  masters: {hosts: [{ip: 198.18.0.11}]}
ssh:
  keyFile: key
{{EXTRA}}dcos:
  installer: dcos_generate_config.sh
`

func parseIn(t *testing.T, dir, folder, extra string) (*Cluster, error) {
	t.Helper()
	t.Setenv("VCENTER_PASSWORD", "vc-pw")
	y := strings.NewReplacer("{{FOLDER}}", folder, "{{EXTRA}}", extra).Replace(baseYAML)
	path := filepath.Join(dir, "cluster.yaml")
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _, err := Load(path)
	return c, err
}

func TestInventoryPathsCannotLeaveTheirPlace(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		folder, msg string
	}{
		{"../../x", `"..": "../../x": ".." is not allowed`},
		{"dcos/./prod", `"dcos/./prod": "." is not allowed`},
		{"dcos//prod", "empty path component"},
		{"/DC9/vm/dcos", "outside datacenter DC0's VM folder"},
	} {
		_, err := parseIn(t, dir, tc.folder, "")
		want := strings.TrimPrefix(tc.msg, `"..": `)
		if err == nil || !strings.Contains(err.Error(), "cluster.yaml:9:11: vcenter.folder: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("folder %q: err = %v", tc.folder, err)
		}
	}
	for _, ok := range []string{"dcos/prod", "/DC0/vm/dcos/prod", "dcos"} {
		if _, err := parseIn(t, dir, ok, ""); err != nil {
			t.Errorf("folder %q refused: %v", ok, err)
		}
	}
}

func TestBareDollarSecretIsRefusedWithTheFix(t *testing.T) {
	dir := t.TempDir()
	_, err := parseIn(t, dir, "f", "registry:\n  server: reg.test\n  username: u\n  password: $REGISTRY_PASSWORD\n")
	if err == nil || !strings.Contains(err.Error(), "registry.password") || !strings.Contains(err.Error(), `write "${REGISTRY_PASSWORD}"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestYAMLTabGetsTheHint(t *testing.T) {
	_, _, err := Parse([]byte("name: x\nvcenter:\n\turl: y\n"), "c.yaml")
	if err == nil || !strings.Contains(err.Error(), "c.yaml:3") || !strings.Contains(err.Error(), "YAML forbids tabs for indentation") {
		t.Fatalf("err = %v", err)
	}
}

func writeKey(t *testing.T, path string, passphrase string) {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	var b *pem.Block
	var err error
	if passphrase == "" {
		b, err = gossh.MarshalPrivateKey(priv, "")
	} else {
		b, err = gossh.MarshalPrivateKeyWithPassphrase(priv, "", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(b), 0o600); err != nil {
		t.Fatal(err)
	}
}

// CheckFiles says what is wrong with the files the config names, every
// problem at once, at the fields' lines.
func TestCheckFiles(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string)
		extra string
		want  []string // substrings, each must appear; none: no error
	}{
		{"all good", func(t *testing.T, dir string) {
			writeKey(t, filepath.Join(dir, "key"), "")
			os.WriteFile(filepath.Join(dir, "dcos_generate_config.sh"), []byte("#!/bin/sh\n"), 0o755)
		}, "", nil},
		{"missing key and installer", func(*testing.T, string) {}, "",
			[]string{":20:12: ssh.keyFile: ", "key does not exist", ":22:14: dcos.installer: ", "dcos_generate_config.sh does not exist"}},
		{"public key given", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "key"), []byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl x\n"), 0o644)
			os.WriteFile(filepath.Join(dir, "dcos_generate_config.sh"), nil, 0o755)
		}, "", []string{"ssh.keyFile: ", "is a public key"}},
		{"not a key", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "key"), []byte("hello\n"), 0o600)
			os.WriteFile(filepath.Join(dir, "dcos_generate_config.sh"), nil, 0o755)
		}, "", []string{"ssh.keyFile: ", "is not a private key"}},
		{"encrypted, no passphrase", func(t *testing.T, dir string) {
			writeKey(t, filepath.Join(dir, "key"), "pp-Secret")
			os.WriteFile(filepath.Join(dir, "dcos_generate_config.sh"), nil, 0o755)
		}, "", []string{"is an encrypted private key: set ssh.keyPassphrase"}},
		{"encrypted, wrong passphrase", func(t *testing.T, dir string) {
			writeKey(t, filepath.Join(dir, "key"), "pp-Secret")
			os.WriteFile(filepath.Join(dir, "dcos_generate_config.sh"), nil, 0o755)
			t.Setenv("KEY_PP", "not-it")
		}, "", []string{"the key passphrase does not open it"}},
		{"installer is a directory", func(t *testing.T, dir string) {
			writeKey(t, filepath.Join(dir, "key"), "")
			os.Mkdir(filepath.Join(dir, "dcos_generate_config.sh"), 0o755)
		}, "", []string{"dcos_generate_config.sh is not a regular file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			extra := tc.extra
			if strings.Contains(tc.name, "wrong passphrase") {
				extra = "  keyPassphrase: \"${KEY_PP}\"\n"
			}
			c, err := parseIn(t, dir, "f", extra)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			err = c.CheckFiles()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("CheckFiles: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("CheckFiles accepted it")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), "pp-Secret") || strings.Contains(err.Error(), "not-it") {
				t.Error("a passphrase is in the error")
			}
		})
	}
}

func TestCheckFilesCABundle(t *testing.T) {
	dir := t.TempDir()
	writeKey(t, filepath.Join(dir, "key"), "")
	os.WriteFile(filepath.Join(dir, "dcos_generate_config.sh"), nil, 0o755)
	os.WriteFile(filepath.Join(dir, "ca.pem"), []byte("not pem\n"), 0o644)
	y := strings.Replace(baseYAML, "  insecure: true\n", "  caFile: ca.pem\n", 1)
	t.Setenv("VCENTER_PASSWORD", "vc-pw")
	y = strings.NewReplacer("{{FOLDER}}", "f", "{{EXTRA}}", "").Replace(y)
	path := filepath.Join(dir, "cluster.yaml")
	os.WriteFile(path, []byte(y), 0o600)
	c, _, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckFiles(); err == nil || !strings.Contains(err.Error(), "vcenter.caFile: ") || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Fatalf("err = %v", err)
	}
}

// Without a login method in the file, OpenSSH's conventions apply; the
// check fails only when none of them can work.
func TestNoLoginMethodFallsBackToOpenSSHDefaults(t *testing.T) {
	clearGovc(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("SSH_AUTH_SOCK", "")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dcos_generate_config.sh"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	y := strings.Replace(baseYAML, "  keyFile: key\n", "  user: centos\n", 1)
	y = strings.NewReplacer("{{FOLDER}}", "dcos", "{{EXTRA}}", "").Replace(y)
	t.Setenv("VCENTER_PASSWORD", "vc-pw")
	c, _, err := Parse([]byte(y), filepath.Join(dir, "cluster.yaml"))
	if err != nil {
		t.Fatalf("no login method in the file is valid: %v", err)
	}
	err = c.CheckFiles()
	if err == nil || !strings.Contains(err.Error(), "ssh: no login method") || !strings.Contains(err.Error(), "SSH_AUTH_SOCK is not set") ||
		!strings.Contains(err.Error(), filepath.Join(home, ".ssh")) {
		t.Fatalf("nothing to log in with: %v", err)
	}
	for _, setup := range []func(){
		func() { t.Setenv("SSH_AUTH_SOCK", "/run/agent.sock") },
		func() { writeFile(t, filepath.Join(home, ".ssh", "id_ed25519")) },
		func() { writeFile(t, filepath.Join(home, ".ssh", "config")) },
	} {
		t.Setenv("SSH_AUTH_SOCK", "")
		os.RemoveAll(filepath.Join(home, ".ssh"))
		setup()
		if err := c.CheckFiles(); err != nil {
			t.Errorf("with an OpenSSH default in place: %v", err)
		}
	}
}

func writeFile(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// acs.keyFile must be a private key without a passphrase (the ACS login
// takes none): CheckFiles says so with CheckACSKeyFile's message.
func TestCheckFilesACSKey(t *testing.T) {
	dir := t.TempDir()
	writeKey(t, filepath.Join(dir, "key"), "")
	os.WriteFile(filepath.Join(dir, "dcos_generate_config.sh"), nil, 0o755)
	writeKey(t, filepath.Join(dir, "acs_plain"), "")
	writeKey(t, filepath.Join(dir, "acs_enc"), "pp-Secret")
	os.WriteFile(filepath.Join(dir, "acs_rsa.pub"), []byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm5 x\n"), 0o644)
	for file, want := range map[string]string{
		"acs_plain":   "",
		"acs_enc":     "is an encrypted private key: set acs.keyPassphrase",
		"acs_rsa.pub": "is a public key; acs.keyFile needs the private key",
		"acs_none":    "acs_none does not exist",
	} {
		c, err := parseIn(t, dir, "f", "acs:\n  masterFQDN: m.example\n  keyFile: "+file+"\n")
		if err != nil {
			t.Fatalf("%s: load: %v", file, err)
		}
		err = c.CheckFiles()
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", file, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), "acs.keyFile: ") || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: err = %v, want %q", file, err, want)
		case want != "" && !strings.Contains(err.Error(), CheckACSKeyFile(filepath.Join(dir, file)).Error()):
			t.Errorf("%s: CheckFiles says %v, CheckACSKeyFile %v", file, err, CheckACSKeyFile(filepath.Join(dir, file)))
		}
	}
}

// An encrypted acs.keyFile works with acs.keyPassphrase (or its file); a
// wrong passphrase is named.
func TestCheckFilesACSKeyPassphrase(t *testing.T) {
	dir := t.TempDir()
	writeKey(t, filepath.Join(dir, "key"), "")
	os.WriteFile(filepath.Join(dir, "dcos_generate_config.sh"), nil, 0o755)
	writeKey(t, filepath.Join(dir, "acs_enc"), "pp-Secret")
	for pass, want := range map[string]string{"pp-Secret": "", "not-it": "acs.keyPassphrase"} {
		t.Setenv("ACS_PP", pass)
		c, err := parseIn(t, dir, "f", "acs:\n  masterFQDN: m.example\n  keyFile: acs_enc\n  keyPassphrase: \"${ACS_PP}\"\n")
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		err = c.CheckFiles()
		switch {
		case want == "" && err != nil:
			t.Errorf("the right passphrase: %v", err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), pass)):
			t.Errorf("a wrong passphrase: %v", err)
		}
	}
	if _, err := parseIn(t, dir, "f", "acs:\n  masterFQDN: m.example\n  agent: true\n  keyPassphrase: \"${ACS_PP}\"\n"); err == nil || !strings.Contains(err.Error(), "a key passphrase needs acs.keyFile") {
		t.Errorf("a passphrase without a key: %v", err)
	}
}
