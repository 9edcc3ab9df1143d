package tui

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

const (
	testVCPassword  = "vc-S3cret-pw"
	testRegPassword = "acr-S3cret-pw"
	testPassphrase  = "pp-S3cret-pw"
	testURL         = "https://vc.lab.example/sdk"
	testUser        = "administrator@vsphere.local"
)

var testThumbprint = strings.TrimSuffix(strings.Repeat("4C:", 32), ":")

// fixture is the files a wizard run points at.
type fixture struct {
	dir, key, encKey, pub, installer, notKey, ca, ova string
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	dir := t.TempDir()
	f := fixture{
		dir:       dir,
		key:       filepath.Join(dir, "id_ed25519"),
		encKey:    filepath.Join(dir, "id_encrypted"),
		pub:       filepath.Join(dir, "id_ed25519.pub"),
		installer: filepath.Join(dir, "dcos_generate_config.sh"),
		notKey:    filepath.Join(dir, "notes.txt"),
		ca:        filepath.Join(dir, "vcenter-ca.pem"),
		ova:       filepath.Join(dir, "centos7.ova"),
	}
	k := testKeys()
	for path, data := range map[string][]byte{
		f.key: k.plain, f.encKey: k.encrypted, f.pub: k.public,
		f.installer: []byte("#!/bin/sh\n"), f.notKey: []byte("not a key\n"), f.ca: k.caPEM, f.ova: []byte("ova"),
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// testKeys is one SSH key pair for every test (encrypting a key with a
// passphrase takes a noticeable bcrypt round).
var testKeys = sync.OnceValue(func() (k struct{ plain, encrypted, public, caPEM []byte }) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	plain, err := ssh.MarshalPrivateKey(priv, "test")
	if err != nil {
		panic(err)
	}
	enc, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "test", []byte(testPassphrase))
	if err != nil {
		panic(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		panic(err)
	}
	k.plain, k.encrypted, k.public = pem.EncodeToMemory(plain), pem.EncodeToMemory(enc), ssh.MarshalAuthorizedKey(sshPub)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lab CA"}, NotAfter: time.Now().AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		panic(err)
	}
	k.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return k
})

// fakeVCenter stands in for vCenter behind the VCenter port: one user
// and password, a self-signed certificate with testThumbprint, and an
// inventory. It counts logins, as vCenter's lockout policy would.
type fakeVCenter struct {
	mu        sync.Mutex
	password  string
	inventory map[string][]string
	// certBlock, when set, makes Certificate wait for it (or the context).
	certBlock chan struct{}
	certErr   error

	logins, refused, certCalls int
	sessionOpen                bool
	calls                      []string
}

func newFakeVCenter() *fakeVCenter {
	return &fakeVCenter{
		password: testVCPassword,
		inventory: map[string][]string{
			FieldDatacenter: {"DC0"},
			FieldCluster:    {"DC0_C0", "DC0_C1"},
			FieldDatastore:  {"LocalDS_0"},
			FieldNetwork:    {"VM Network", "DC0_DVPG0"},
			FieldFolder:     {"other-cluster"},
			FieldTemplate:   {"centos7-template", "centos7-old"},
		},
	}
}

func (f *fakeVCenter) Certificate(ctx context.Context, vc config.VCenter) (ServerCert, error) {
	f.mu.Lock()
	f.certCalls++
	f.calls = append(f.calls, "certificate")
	block, certErr := f.certBlock, f.certErr
	f.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return ServerCert{}, ctx.Err()
		}
	}
	if certErr != nil {
		return ServerCert{}, certErr
	}
	c := ServerCert{SHA256: testThumbprint, Subject: "CN=vc.lab.example", Issuer: "CN=vc.lab.example", NotAfter: time.Date(2031, 1, 2, 0, 0, 0, 0, time.UTC)}
	switch {
	case vc.Insecure, vc.Thumbprint == testThumbprint, vc.CAFile != "" && filepath.Base(vc.CAFile) == "vcenter-ca.pem":
		c.Trusted = true
	case vc.Thumbprint != "":
		c.Problem = "its thumbprint is not the pinned " + vc.Thumbprint
	default:
		c.Problem = "it is not signed by a trusted CA"
	}
	return c, nil
}

func (f *fakeVCenter) Login(_ context.Context, vc config.VCenter) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "login")
	if !vc.Insecure && vc.Thumbprint != testThumbprint && filepath.Base(vc.CAFile) != "vcenter-ca.pem" {
		return errors.New("x509: certificate signed by unknown authority")
	}
	f.logins++
	if vc.Username != testUser || vc.Password.Value() != f.password {
		f.refused++
		f.sessionOpen = false
		return fmt.Errorf("log in as %s: %w", vc.Username, ErrLoginRefused)
	}
	f.sessionOpen = true
	return nil
}

func (f *fakeVCenter) Names(_ context.Context, field string, vc config.VCenter) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "names "+field+"@"+vc.Datacenter)
	if !f.sessionOpen {
		return nil, errors.New("not logged in")
	}
	return f.inventory[field], nil
}

func (f *fakeVCenter) counts() (logins, refused int, calls []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins, f.refused, append([]string(nil), f.calls...)
}

// loadSaved loads the saved config as a later `install --config` would,
// with the environment variables it names set to the typed secrets.
func loadSaved(t *testing.T, res WizardResult) *config.Cluster {
	t.Helper()
	if res.Cluster == nil {
		t.Fatal("no cluster in the result")
	}
	for _, s := range secretFields(res.Cluster) {
		if env := s.secret.EnvVar(); env != "" {
			t.Setenv(env, s.secret.Value())
		}
	}
	st, err := os.Stat(res.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", res.ConfigPath, st.Mode().Perm())
	}
	c, _, err := config.Load(res.ConfigPath)
	if err != nil {
		raw, _ := os.ReadFile(res.ConfigPath)
		t.Fatalf("config.Load rejects the file the wizard saved: %v\n%s", err, raw)
	}
	raw, _ := os.ReadFile(res.ConfigPath)
	for _, secret := range []string{testVCPassword, testRegPassword, testPassphrase} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the saved config holds a secret:\n%s", raw)
		}
	}
	return c
}

// vcenterAnswers answers the cluster and vCenter pages.
func vcenterAnswers(d *driver, name, password string) {
	d.t.Helper()
	d.answer(promptClusterName, name)
	d.answer(promptVCenterURL, testURL)
	d.answer(promptVCenterUser, testUser)
	d.answer(promptVCenterPassword, password)
}

// networkAndNodes answers the network and node pages for 198.18.0.0/24.
func networkAndNodes(d *driver, masters string, agents, public int) {
	d.t.Helper()
	d.answer(promptGateway, "198.18.0.1")
	d.answer(promptPrefix, "24")
	d.answer(promptDNS, "198.18.0.1, 198.18.0.2")
	nodeAnswers(d, masters, agents, public)
}

// nodeAnswers answers the node and address pages for 198.18.0.0/24.
func nodeAnswers(d *driver, masters string, agents, public int) {
	d.t.Helper()
	d.answer(promptBootstrapIP, "198.18.0.10")
	d.choose(promptMasters, masters)
	d.answer(promptAgents, fmt.Sprint(agents))
	d.answer(promptPublic, fmt.Sprint(public))
	d.answer(promptMasterIP, "198.18.0.11")
	if agents > 0 {
		d.answer(promptAgentIP, "198.18.0.21")
	}
	if public > 0 {
		d.answer(promptPublicIP, "198.18.0.41")
	}
}

// sshAndDCOS answers the SSH and DC/OS pages.
func sshAndDCOS(d *driver, fx fixture) {
	d.t.Helper()
	d.answer(promptSSHKey, fx.key)
	d.answer(promptInstaller, fx.installer)
}

// save answers the review and save pages.
func save(d *driver, action, path string) {
	d.t.Helper()
	d.choose(promptAction, action)
	d.answer(promptSavePath, path)
}
