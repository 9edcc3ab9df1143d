// Package installertest is the installer's httptest: an in-memory vCenter
// (Cloud) and in-memory nodes (Dialer, Conn) behind the installer's ports,
// with fault injection, so that every phase's decisions can be tested in
// milliseconds without root or the lab. Nodes answer scripts by name the
// way CentOS 7 with DC/OS 1.9's installer would (see Host).
package installertest

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

// Env is one fake world: a vCenter and the hosts its VMs become.
type Env struct {
	T       testing.TB
	Cluster *config.Cluster
	Cloud   *Cloud
	Dialer  *Dialer
	// Events records every event of runs made with Run.
	Events *Recorder
	// StatePath is the runs' state file.
	StatePath string
	// ACS is the ACS cluster beside this one (nil until WithACS).
	ACS *ACS
	// DCOSClusterID is what the masters hold in /var/lib/dcos/cluster-id
	// once DC/OS runs on them.
	DCOSClusterID string

	mu    sync.Mutex
	hosts map[string]*Host // by IP
	next  int
}

// New returns an empty world for cluster c (a validated config; see
// Config for a ready one). The template exists; no VM does.
func New(t testing.TB, c *config.Cluster) *Env {
	e := &Env{T: t, Cluster: c, Events: &Recorder{}, hosts: map[string]*Host{}, DCOSClusterID: "9d4c5e0a-1f2b-4c3d-8e7f-0a1b2c3d4e5f",
		StatePath: filepath.Join(t.TempDir(), "state.json")}
	e.Cloud = &Cloud{env: e, vms: map[string]*VM{}, Folder: c.VCenter.Folder}
	e.Dialer = &Dialer{env: e}
	return e
}

// Config is a small valid cluster: bootstrap, masters, agents, public.
func Config(t testing.TB, name string, masters, agents, public int) *config.Cluster {
	t.Helper()
	return configWith(t, name, masters, agents, public, "")
}

// RegistryPassword is the registry password of ConfigWithACS.
const RegistryPassword = "acr-Secret-1"

// ConfigWithRegistry is Config with a registry section (password from
// $TEST_REGISTRY_PASSWORD, RegistryPassword unless the test set another).
func ConfigWithRegistry(t testing.TB, name string, masters, agents, public int) *config.Cluster {
	t.Helper()
	if os.Getenv("TEST_REGISTRY_PASSWORD") == "" {
		t.Setenv("TEST_REGISTRY_PASSWORD", RegistryPassword)
	}
	return configWith(t, name, masters, agents, public, registrySection)
}

const registrySection = `registry:
  server: acr.test
  username: acr
  password: "${TEST_REGISTRY_PASSWORD}"
`

// ConfigWithACS is Config with a registry section and an ACS cluster
// beside it (see Env.WithACS).
func ConfigWithACS(t testing.TB, name string, masters, agents, public int) *config.Cluster {
	t.Helper()
	t.Setenv("TEST_REGISTRY_PASSWORD", RegistryPassword)
	return configWith(t, name, masters, agents, public, registrySection+`acs:
  masterFQDN: acs-mgmt.test
  agent: true
`)
}

func configWith(t testing.TB, name string, masters, agents, public int, extra string) *config.Cluster {
	t.Helper()
	y := fmt.Sprintf(`name: %s
vcenter:
  url: https://vcenter.test/sdk
  username: admin
  password: "${TEST_VC_PASSWORD}"
  insecure: true
  datacenter: DC0
  cluster: C0
  datastore: DS0
  folder: %s
  network: VM Network
template:
  name: centos7
network:
  gateway: 198.18.0.1
  prefix: 24
  dns: [198.18.0.1]
nodes:
  bootstrap: {name: %s-bootstrap, ip: 198.18.0.10}
  masters: {count: %d, ipRange: 198.18.0.11-198.18.0.19, namePrefix: %s-master-}
`, name, name, name, masters, name)
	if agents > 0 {
		y += fmt.Sprintf("  agents: {count: %d, ipRange: 198.18.0.21-198.18.0.39, namePrefix: %s-agent-}\n", agents, name)
	}
	if public > 0 {
		y += fmt.Sprintf("  publicAgents: {count: %d, ipRange: 198.18.0.41-198.18.0.49, namePrefix: %s-public-}\n", public, name)
	}
	y += "ssh:\n  user: centos\n  password: \"${TEST_SSH_PASSWORD}\"\ndcos:\n  installer: https://downloads.test/dcos_generate_config.sh\n" + extra
	t.Setenv("TEST_VC_PASSWORD", "vc-secret")
	t.Setenv("TEST_SSH_PASSWORD", "ssh-secret")
	c, _, err := config.Parse([]byte(y), "")
	if err != nil {
		t.Fatalf("test config: %v", err)
	}
	return c
}

// Files are genconf inputs for the cluster (a stand-in rendering: what
// matters to the installer is that the same config gives the same bytes).
func Files(c *config.Cluster, variant string) installer.GenconfFiles {
	var masters []string
	for _, m := range c.NodesOf(config.RoleMaster) {
		masters = append(masters, m.IP)
	}
	return installer.GenconfFiles{
		ConfigYAML: []byte(fmt.Sprintf("cluster_name: %s\nmaster_list: %s\nvariant: %s\n", c.Name, strings.Join(masters, ","), variant)),
		IPDetect:   []byte("#!/bin/sh\necho ip\n"),
	}
}

// Run returns a run of the cluster wired to the fakes, with the state file
// at StatePath and events recorded.
func (e *Env) Run(files installer.GenconfFiles) *installer.Run {
	st, err := installer.OpenState(e.StatePath, e.Cluster.Name)
	if err != nil {
		e.T.Fatal(err)
	}
	return &installer.Run{
		Cluster:      e.Cluster,
		Events:       e.Events,
		State:        st,
		ConnectCloud: func(context.Context) (installer.Cloud, error) { return e.Cloud, e.Cloud.ConnectErr },
		Dialer:       e.Dialer,
		Files:        files,
		ConnectACS:   e.connectACS(),
	}
}

// Host returns the host at ip (nil when none).
func (e *Env) Host(ip string) *Host {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.hosts[ip]
}

// HostOf returns the host of the VM named name.
func (e *Env) HostOf(name string) *Host {
	vm := e.Cloud.VM(name)
	if vm == nil {
		e.T.Fatalf("no VM %s", name)
	}
	h := e.Host(vm.IP)
	if h == nil {
		e.T.Fatalf("VM %s has no host at %s", name, vm.IP)
	}
	return h
}

// AddHost puts a machine at ip that is no VM of the cluster (another
// cluster's node, a stray server): it answers on the network.
func (e *Env) AddHost(ip string) *Host {
	h := newHost(e, ip, "", "foreign-"+ip)
	e.mu.Lock()
	e.hosts[ip] = h
	e.mu.Unlock()
	return h
}

func (e *Env) bootHost(vm *VM) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if h := e.hosts[vm.IP]; h != nil {
		if h.vmRef == vm.Ref || h.vmRef == "" && h.foreign {
			h.down = false
			return // the same machine again, or an impostor that keeps the address
		}
	}
	e.hosts[vm.IP] = newHost(e, vm.IP, vm.Ref, vm.BIOSUUID)
}

func (e *Env) dropHost(vm *VM) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if h := e.hosts[vm.IP]; h != nil && h.vmRef == vm.Ref {
		delete(e.hosts, vm.IP)
	}
}

// servedPackage is the dcos-config package the bootstrap node at url serves.
func (e *Env) served(url string) (pkg string, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, h := range e.hosts {
		h.mu.Lock()
		serving := h.Serving && strings.Contains(url, "//"+h.IP+":")
		pkg := h.ServedPackage
		h.mu.Unlock()
		if serving {
			return pkg, true
		}
	}
	return "", false
}

// mastersInstalled counts the hosts that run DC/OS as masters.
func (e *Env) mastersInstalled() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, h := range e.hosts {
		h.mu.Lock()
		if h.DCOS == installer.DCOSInstalled && h.Role == "master" && !h.down {
			n++
		}
		h.mu.Unlock()
	}
	return n
}

// Recorder records events (safe for concurrent use).
type Recorder struct {
	mu     sync.Mutex
	events []installer.Event
}

// Emit records e.
func (r *Recorder) Emit(e installer.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// All returns the events so far.
func (r *Recorder) All() []installer.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]installer.Event(nil), r.events...)
}

// Reset forgets the events so far.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.events = nil
	r.mu.Unlock()
}

// Phases lists "kind:phaseId" of the phase events, in order.
func (r *Recorder) Phases() []string {
	var out []string
	for _, e := range r.All() {
		switch e.Kind {
		case installer.PhaseStarted, installer.PhaseFinished, installer.PhaseSkipped, installer.PhaseFailed:
			out = append(out, string(e.Kind)+":"+string(e.PhaseID))
		}
	}
	return out
}

// Started reports whether phase id started.
func (r *Recorder) Started(id installer.PhaseID) bool {
	for _, e := range r.All() {
		if e.Kind == installer.PhaseStarted && e.PhaseID == id {
			return true
		}
	}
	return false
}

// packageOf is the dcos-config package a config renders to.
func packageOf(configYAML, ipDetect []byte) string {
	h := sha1.New()
	h.Write(configYAML)
	h.Write(ipDetect)
	return "dcos-config--setup_" + hex.EncodeToString(h.Sum(nil))[:20]
}

// errFault is what an injected failure returns.
var errFault = errors.New("injected fault")

// Fault returns an error saying what was injected.
func Fault(what string) error { return fmt.Errorf("%w: %s", errFault, what) }

func jsonLine(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// ConfigError is a fake config problem (exit code 2), as a wrong
// inventory name from vCenter's preflight is.
type ConfigError struct{ Msg string }

func (e *ConfigError) Error() string { return e.Msg }

// ExitCode is 2.
func (e *ConfigError) ExitCode() int { return 2 }
