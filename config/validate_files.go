package config

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	gossh "golang.org/x/crypto/ssh"
)

// validateInventoryPaths: vCenter inventory names are names or paths of
// plain components; "..", "." and empty components would leave the place
// the admin means (a folder ../../x lands at the vCenter root).
func validateInventoryPaths(c *Cluster, r *report) {
	v := c.VCenter
	for _, f := range []struct{ path, value string }{
		{"vcenter.datacenter", v.Datacenter}, {"vcenter.cluster", v.Cluster}, {"vcenter.resourcePool", v.ResourcePool},
		{"vcenter.datastore", v.Datastore}, {"vcenter.datastoreCluster", v.DatastoreCluster}, {"vcenter.folder", v.Folder},
		{"vcenter.network", v.Network}, {"template.name", c.Template.Name},
	} {
		if f.value == "" {
			continue
		}
		if msg := badInventoryPath(f.value); msg != "" {
			r.err(f.path, msg)
		}
	}
	// An absolute folder path must be below the datacenter's VM folder.
	if f := v.Folder; strings.HasPrefix(f, "/") && badInventoryPath(f) == "" && v.Datacenter != "" && !strings.Contains(v.Datacenter, "/") {
		if !strings.Contains(f+"/", "/"+v.Datacenter+"/vm/") {
			r.err("vcenter.folder", fmt.Sprintf("%q is an absolute inventory path outside datacenter %s's VM folder; write it relative to it (e.g. dcos/prod) or as /%s/vm/...", f, v.Datacenter, v.Datacenter))
		}
	}
}

func badInventoryPath(p string) string {
	trimmed := strings.TrimPrefix(p, "/")
	for _, part := range strings.Split(trimmed, "/") {
		switch part {
		case "..", ".":
			return fmt.Sprintf("%q: %q is not allowed in an inventory path (it would leave the place meant); use plain names", p, part)
		case "":
			return fmt.Sprintf("%q has an empty path component (a doubled or trailing '/')", p)
		}
	}
	return ""
}

// maxKeyFileSize bounds reading a key or CA file named by the config.
const maxKeyFileSize = 1 << 20

// CheckFiles checks that the files the config names exist and are what
// they must be, so that validate (and every command before it touches
// anything) says so, not the install half-way: the SSH key parses as a
// private key (with its passphrase when encrypted), the ACS key is one
// without a passphrase, a CA bundle holds certificates, a local installer
// or OVA is a regular file. Load does not
// do this (a config is checked in tests and by the wizard without the
// files); the error is *Errors with the fields' lines.
func (c *Cluster) CheckFiles() error {
	r := reportFor(c)
	checkFiles(c, r)
	return r.errors()
}

func checkFiles(c *Cluster, r *report) {
	if s := c.SSH; s.KeyFile == "" && !s.Agent && !s.Password.IsSet() && s.PasswordFile == "" {
		if msg := checkOpenSSHDefaults(); msg != "" {
			r.err("ssh", msg)
		}
	}
	if kf := c.SSH.KeyFile; kf != "" {
		if msg := checkPrivateKey(kf, c.SSH.KeyPassphrase.Value()); msg != "" {
			r.err("ssh.keyFile", msg)
		}
	}
	if j := c.SSH.JumpHost; j != nil && j.KeyFile != "" {
		if msg := checkPrivateKey(j.KeyFile, c.SSH.KeyPassphrase.Value()); msg != "" {
			r.err("ssh.jumpHost.keyFile", msg)
		}
	}
	if kf := c.ACS.KeyFile; kf != "" && c.ACS.Enabled() {
		if pass := c.ACS.KeyPassphrase.Value(); pass != "" {
			if msg := checkPrivateKey(kf, pass); msg != "" {
				r.err("acs.keyFile", strings.ReplaceAll(msg, "ssh.keyPassphrase", "acs.keyPassphrase")+" (acs.keyPassphrase)")
			}
		} else if err := CheckACSKeyFile(kf); err != nil {
			r.err("acs.keyFile", err.Error())
		}
	}
	if ca := c.VCenter.CAFile; ca != "" {
		if msg := checkCABundle(ca); msg != "" {
			r.err("vcenter.caFile", msg)
		}
	}
	checkRegistryFiles(c, r)
	if inst := c.DCOS.Installer; inst != "" && !isURL(inst) && !strings.Contains(inst, "://") {
		if msg := checkRegularFile(inst, "dcos_generate_config.sh of DC/OS 1.9"); msg != "" {
			r.err("dcos.installer", msg)
		}
	}
	if ova := c.Template.OVA; ova != "" && !strings.Contains(ova, "://") {
		if msg := checkRegularFile(ova, "an OVA or OVF file"); msg != "" {
			r.err("template.ova", msg)
		}
	}
}

func readSmall(path string) ([]byte, string) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Sprintf("%s does not exist", path)
		}
		return nil, fmt.Sprintf("cannot read %s: %v", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Sprintf("%s is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Sprintf("cannot read %s: %v", path, err)
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Sprintf("%s is larger than %d KB: not a key or certificate file", path, maxKeyFileSize>>10)
	}
	return data, ""
}

func checkPrivateKey(path, passphrase string) string {
	data, msg := readSmall(path)
	if msg != "" {
		return msg
	}
	_, err := gossh.ParseRawPrivateKey(data)
	var missing *gossh.PassphraseMissingError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &missing) && passphrase == "":
		return fmt.Sprintf("%s is an encrypted private key: set ssh.keyPassphrase: \"${ENV_VAR}\" (or ssh.keyPassphraseFile), or use ssh.agent: true", path)
	case errors.As(err, &missing):
		if _, err := gossh.ParseRawPrivateKeyWithPassphrase(data, []byte(passphrase)); err != nil {
			return fmt.Sprintf("%s: the key passphrase does not open it (%s)", path, keyErr(err))
		}
		return ""
	}
	if strings.Contains(string(data), "PUBLIC KEY") || strings.HasPrefix(string(data), "ssh-") {
		return fmt.Sprintf("%s is a public key; ssh.keyFile needs the private key (the file without .pub)", path)
	}
	return fmt.Sprintf("%s is not a private key this tool can use (%s); want an OpenSSH, PKCS#1 or PKCS#8 private key", path, keyErr(err))
}

// keyErr names a key parse failure without quoting the key.
func keyErr(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

func checkCABundle(path string) string {
	data, msg := readSmall(path)
	if msg != "" {
		return msg
	}
	n := 0
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return fmt.Sprintf("%s holds a certificate that does not parse: %v", path, err)
		}
		n++
	}
	if n == 0 {
		return fmt.Sprintf("%s holds no PEM certificate (-----BEGIN CERTIFICATE-----)", path)
	}
	return ""
}

func checkRegularFile(path, what string) string {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Sprintf("%s does not exist (want %s, or an http(s) URL)", path, what)
	case err != nil:
		return fmt.Sprintf("cannot read %s: %v", path, err)
	case !st.Mode().IsRegular():
		return fmt.Sprintf("%s is not a regular file (want %s)", path, what)
	}
	return ""
}

// defaultIdentityNames are the keys OpenSSH's ssh tries in ~/.ssh when no
// IdentityFile is configured (installer/ssh tries the same).
var defaultIdentityNames = []string{"id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk", "id_xmss", "id_dsa"}

// checkOpenSSHDefaults says why no login would be possible when the
// config names no login method: no ssh-agent, no ~/.ssh/config (which may
// name keys per host), no default key; "" when one of them is there.
func checkOpenSSHDefaults() string {
	if os.Getenv("SSH_AUTH_SOCK") != "" {
		return ""
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "no login method: set ssh.keyFile, ssh.agent: true, or ssh.password / ssh.passwordFile (no home directory to find keys in: " + err.Error() + ")"
	}
	if st, err := os.Stat(filepath.Join(home, ".ssh", "config")); err == nil && st.Mode().IsRegular() {
		return ""
	}
	for _, name := range defaultIdentityNames {
		if st, err := os.Stat(filepath.Join(home, ".ssh", name)); err == nil && st.Mode().IsRegular() {
			return ""
		}
	}
	return fmt.Sprintf("no login method: none is set (ssh.keyFile, ssh.agent: true, ssh.password / ssh.passwordFile) and none is found the OpenSSH way: "+
		"SSH_AUTH_SOCK is not set (no ssh-agent), there is no %s and no key %s/{id_ed25519,id_rsa,id_ecdsa}",
		filepath.Join(home, ".ssh", "config"), filepath.Join(home, ".ssh"))
}
