package tui

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// fakeACS stands in for the ACS master behind the ACSChecker port, with
// the real one's host key rules on the real known_hosts file: a recorded
// key is checked, an unknown one is reported until the user trusts it,
// and then recorded only after the login succeeded. One admin user, one
// accepted private key file (by path), sudo that can be made to fail.
type fakeACS struct {
	mu       sync.Mutex
	hostKey  ssh.PublicKey
	user     string
	keyFile  string // the key the master accepts; "" accepts any key file
	noAgent  bool   // ssh-agent is not running
	sudoFail bool
	// passphrase, when set, is what opens keyFile: a login needs it.
	passphrase string
	block      chan struct{} // when set, reaching the master waits for it (or the context)

	logins, probes int
	trusted        []string // the trust values passed
}

func newFakeACS() *fakeACS {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		panic(err)
	}
	return &fakeACS{hostKey: k, user: config.DefaultACSUser}
}

func (f *fakeACS) fingerprint() string {
	return f.hostKey.Type() + " " + ssh.FingerprintSHA256(f.hostKey)
}

func (f *fakeACS) CheckACS(ctx context.Context, a config.ACS, connect time.Duration, trust string) (ACSMaster, error) {
	f.mu.Lock()
	f.probes++
	f.trusted = append(f.trusted, trust)
	block := f.block
	f.mu.Unlock()
	if block != nil {
		cctx, cancel := context.WithTimeout(ctx, connect)
		defer cancel()
		select {
		case <-block:
		case <-cctx.Done():
			return ACSMaster{}, fmt.Errorf("connect: %w", cctx.Err())
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	addr := net.JoinHostPort(a.MasterFQDN, strconv.Itoa(a.SSHPort))
	host := knownhosts.Normalize(addr)
	known, err := recordedKeys(a.KnownHostsFile, host)
	if err != nil {
		return ACSMaster{}, err
	}
	authorized := string(ssh.MarshalAuthorizedKey(f.hostKey))
	switch {
	case len(known) > 0 && !containsKey(known, f.hostKey):
		return ACSMaster{}, fmt.Errorf("%w: known_hosts: host key for %s has changed: the host presents %s but %s has %s",
			ErrACSHostKeyChanged, host, f.fingerprint(), a.KnownHostsFile, known[0].Type()+" "+ssh.FingerprintSHA256(known[0]))
	case len(known) == 0 && trust == "":
		return ACSMaster{}, &ACSHostKeyError{Host: host, File: a.KnownHostsFile, Fingerprint: f.fingerprint(), Key: authorized}
	case len(known) == 0 && trust != authorized:
		return ACSMaster{}, fmt.Errorf("%w: the master presents %s, not the key trusted", ErrACSHostKeyChanged, f.fingerprint())
	}
	target := a.User + "@" + addr
	switch {
	case a.Agent && f.noAgent:
		return ACSMaster{}, fmt.Errorf("%w", ErrACSNoAgent)
	case a.User != f.user || !a.Agent && f.keyFile != "" && a.KeyFile != f.keyFile:
		return ACSMaster{}, fmt.Errorf("%w: ssh %s: unable to authenticate", ErrACSLoginRefused, target)
	case f.passphrase != "" && a.KeyPassphrase.Value() != f.passphrase:
		return ACSMaster{}, fmt.Errorf("%w: %s: the key is encrypted and no (or a wrong) passphrase was given", ErrACSLoginRefused, a.KeyFile)
	}
	f.logins++
	if f.sudoFail {
		return ACSMaster{}, fmt.Errorf("%w: sudo: a password is required for %s", ErrACSSudo, target)
	}
	if len(known) == 0 {
		if err := os.MkdirAll(filepath.Dir(a.KnownHostsFile), 0o700); err != nil {
			return ACSMaster{}, err
		}
		kh, err := os.OpenFile(a.KnownHostsFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return ACSMaster{}, err
		}
		fmt.Fprintln(kh, knownhosts.Line([]string{addr}, f.hostKey))
		kh.Close()
	}
	return ACSMaster{Target: target, HostKey: f.fingerprint(), Hostname: "dcos-master-0", Version: "1.9.0",
		ClusterName: "acs-lab", ClusterID: "0b8e4d7c-2f36-4e1a-9d0c-5a4b3c2d1e0f", OS: "Ubuntu 16.04.2 LTS"}, nil
}

func (f *fakeACS) counts() (probes, logins int, trusted []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.probes, f.logins, append([]string(nil), f.trusted...)
}

// recordedKeys are the keys file holds for host ([fqdn]:port).
func recordedKeys(file, host string) ([]ssh.PublicKey, error) {
	kh, err := os.Open(file)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer kh.Close()
	var out []ssh.PublicKey
	sc := bufio.NewScanner(kh)
	for sc.Scan() {
		_, hosts, key, _, _, err := ssh.ParseKnownHosts(sc.Bytes())
		if err == nil && len(hosts) == 1 && hosts[0] == host {
			out = append(out, key)
		}
	}
	return out, sc.Err()
}

func containsKey(keys []ssh.PublicKey, k ssh.PublicKey) bool {
	for _, x := range keys {
		if string(x.Marshal()) == string(k.Marshal()) {
			return true
		}
	}
	return false
}

// knownHostsHas reports whether file records key for host.
func knownHostsHas(file, host string, key ssh.PublicKey) bool {
	keys, _ := recordedKeys(file, host)
	return containsKey(keys, key)
}

// acsKeyFile writes the ACS admin's key (a copy of the fixture's plain
// key) into fx's directory and returns its path.
func acsKeyFile(fx fixture) string {
	p := filepath.Join(fx.dir, "acs_rsa")
	data, err := os.ReadFile(fx.key)
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		panic(err)
	}
	return p
}

// toACS answers every page before the ACS pages (registry on or off).
func toACS(d *driver, fx fixture, registry bool) {
	d.t.Helper()
	vcenterAnswers(d, "lab", testVCPassword)
	d.confirm(promptTrustCert, true)
	d.choose(promptCluster, "DC0_C0")
	networkAndNodes(d, "1", 1, 0)
	sshAndDCOS(d, fx)
	d.confirm(promptUseRegistry, registry)
	if registry {
		d.answer(promptRegistryServer, "myreg.azurecr.io")
		d.answer(promptRegistryUser, "myreg")
		d.answer(promptRegistryPass, testRegPassword)
	}
}

const testACSMaster = "myacs-mgmt.westeurope.cloudapp.azure.com"

// acsHost is the master as known_hosts names it.
func acsHost(port int) string {
	return knownhosts.Normalize(net.JoinHostPort(testACSMaster, strconv.Itoa(port)))
}

func hasLine(text, sub string) bool {
	return strings.Contains(strings.Join(strings.Fields(text), " "), sub)
}
