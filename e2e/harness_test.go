// Package e2e runs the built dcos-vsphere CLI against the lab: a simulated
// vCenter whose VMs become real hosts (network namespaces with sshd and a
// CentOS 7 personality) and the DC/OS 1.9 stand-in. Every test needs root.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
	"github.com/dcos-vsphere/dcos-vsphere/internal/testnet"
	"github.com/dcos-vsphere/dcos-vsphere/lab"
)

// The e2e lab's network; other packages' tests use other subnets.
var (
	e2eNet  = testnet.For("e2e", 20)
	cliPath string // built once in TestMain
	theLab  *lab.Lab
	labOnce sync.Once
	labErr  error
	labDir  string
)

func TestMain(m *testing.M) {
	code := func() int {
		if os.Geteuid() != 0 {
			// Tests skip themselves with the reason; nothing to build.
			return m.Run()
		}
		dir, err := os.MkdirTemp("", "dcos-vsphere-e2e-*")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		// install registers the clusters with the DC/OS CLI: never in the
		// machine's own ~/.dcos (tests that look at it set their own).
		os.Setenv("DCOS_DIR", filepath.Join(dir, "dcos-cli"))
		cliPath = filepath.Join(dir, "dcos-vsphere")
		build := exec.Command("go", "build", "-o", cliPath, "../cmd/dcos-vsphere")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build the CLI:", err)
			return 1
		}
		labDir = filepath.Join(dir, "lab")
		defer func() {
			if theLab != nil {
				if err := theLab.Down(); err != nil {
					fmt.Fprintln(os.Stderr, "lab down:", err)
				}
			}
		}()
		return m.Run()
	}()
	os.Exit(code)
}

// needLab skips without root and starts the shared lab once.
func needLab(t *testing.T) *lab.Lab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("end-to-end tests need root (the lab creates network namespaces, a bridge and mounts); CI runs them as root")
	}
	labOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		theLab, labErr = lab.Up(ctx, lab.Options{
			Dir:         labDir,
			Bridge:      e2eNet.Bridge,
			Subnet:      e2eNet.Subnet,
			NetnsPrefix: e2eNet.NetnsPrefix,
			// vcsim takes each clone's disks and swap from the datastore's free
			// space and never gives it back on destroy: the suite clones a few
			// hundred VMs (the chaos sweep alone over a hundred).
			DatastoreCapacity: 512 << 40,
			VCenterAddr:       "127.0.0.1:0",
			Log:               os.Stderr,
			// The ACS world beside it (1 master, 2 private + 1 public agent)
			// on the inner network; its load balancer at offset 39 of the
			// lab subnet, outside every test cluster's address block.
			ACS: &lab.ACSOptions{Subnet: e2eNet.Inner, PublicAddr: netip.MustParseAddr(addr(e2eNet.Subnet, 39, 0))},
		})
	})
	if labErr != nil {
		t.Fatalf("lab up: %v", labErr)
	}
	return theLab
}

// cluster is one test's cluster on the shared lab: its own name, VM
// folder, name prefixes and block of addresses, so tests never collide.
type cluster struct {
	Name                           string
	Dir                            string
	Path                           string
	Base                           int // first host offset of its address block
	Masters, Agents, PublicAgents  int
	AgentRange, PublicRange        string
	Installer                      string
	DCOSConfig                     map[string]any  // dcos.config
	IPDetect                       config.IPDetect // dcos.ipDetect (default method: route)
	Registry                       config.Registry
	ACS                            config.ACS
	SudoPassword                   string // ssh.sudoPassword: an "${ENV}" reference
	Folder                         string // vcenter.folder (default e2e-<name>)
	VCenterURL                     string // vcenter.url (default: the lab's)
	lab                            *lab.Lab
	masterIPs, agentIPs, publicIPs []string
}

// addr is the address at offset base+off in subnet.
func addr(subnet netip.Prefix, base, off int) string {
	a := subnet.Addr().As4()
	return netip.AddrFrom4([4]byte{a[0], a[1], a[2], byte(base + off)}).String()
}

// newCluster writes a cluster.yaml for a cluster of the given shape whose
// addresses start at offset base: bootstrap base, masters base+1.., agents
// and public agents after them, with room for add-agents, in l's subnet.
func newCluster(t testing.TB, l *lab.Lab, name string, base, masters, agents, public int) *cluster {
	t.Helper()
	subnet := l.Subnet()
	c := &cluster{Name: name, Dir: t.TempDir(), Base: base, Masters: masters, Agents: agents, PublicAgents: public, lab: l,
		Installer: l.InstallerPath(), IPDetect: config.IPDetect{Method: "route"}}
	for i := 0; i < masters; i++ {
		c.masterIPs = append(c.masterIPs, addr(subnet, base, 1+i))
	}
	agentStart := 1 + masters
	c.AgentRange = addr(subnet, base, agentStart) + "-" + addr(subnet, base, agentStart+agents+3)
	for i := 0; i < agents; i++ {
		c.agentIPs = append(c.agentIPs, addr(subnet, base, agentStart+i))
	}
	publicStart := agentStart + agents + 4
	c.PublicRange = addr(subnet, base, publicStart) + "-" + addr(subnet, base, publicStart+public+2)
	for i := 0; i < public; i++ {
		c.publicIPs = append(c.publicIPs, addr(subnet, base, publicStart+i))
	}
	c.Path = filepath.Join(c.Dir, "cluster.yaml")
	c.write(t)
	return c
}

// write writes the cluster's cluster.yaml with config.Marshal: the tests
// read and write configs by the same schema as users and the lab.
func (c *cluster) write(t testing.TB) {
	t.Helper()
	url, thumb, user, pwFile := c.lab.VCenter()
	if c.VCenterURL != "" {
		url = c.VCenterURL
	}
	gw := c.lab.Gateway().String()
	cc := config.Cluster{
		Name: c.Name,
		VCenter: config.VCenter{URL: url, Username: user, PasswordFile: pwFile, Thumbprint: thumb,
			Datacenter: "DC0", Cluster: "DC0_C0", Datastore: "LocalDS_0", Folder: c.folder(), Network: "VM Network"},
		Template: config.Template{Name: "centos7-template"},
		Network:  config.Network{Gateway: gw, Prefix: 24, DNS: []string{gw}},
		Nodes: config.Nodes{
			Bootstrap: config.Node{Name: c.Name + "-bootstrap", IP: addr(c.lab.Subnet(), c.Base, 0)},
			Masters:   config.NodeGroup{Count: c.Masters, IPRange: c.masterIPs[0] + "-" + c.masterIPs[len(c.masterIPs)-1], NamePrefix: c.Name + "-master-"},
		},
		SSH:      config.SSH{User: "centos", KeyFile: c.lab.KeyFile()},
		DCOS:     config.DCOS{Installer: c.Installer, IPDetect: c.IPDetect, Config: c.DCOSConfig},
		Registry: c.Registry,
		ACS:      c.ACS,
	}
	if c.Agents > 0 {
		cc.Nodes.Agents = config.NodeGroup{Count: c.Agents, IPRange: c.AgentRange, NamePrefix: c.Name + "-agent-"}
	}
	if c.PublicAgents > 0 {
		cc.Nodes.PublicAgents = config.NodeGroup{Count: c.PublicAgents, IPRange: c.PublicRange, NamePrefix: c.Name + "-public-"}
	}
	if c.SudoPassword != "" {
		cc.SSH.SudoPassword = config.Secret{Ref: c.SudoPassword}
	}
	doc, err := config.Marshal(cc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.Path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
}

// result is one finished CLI run.
type result struct {
	Stdout, Stderr string
	Exit           int
	Events         []installer.Event // with -o json
}

// run runs the CLI to completion with a bound.
func run(t testing.TB, timeout time.Duration, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliPath, args...)
	cmd.Env = append(os.Environ(), "CI=true")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{Stdout: out.String(), Stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.Exit = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	r.Events = parseEvents(r.Stdout)
	return r
}

func parseEvents(out string) []installer.Event {
	var evs []installer.Event
	for _, line := range strings.Split(out, "\n") {
		var e installer.Event
		if strings.HasPrefix(line, "{") && json.Unmarshal([]byte(line), &e) == nil {
			evs = append(evs, e)
		}
	}
	return evs
}

// runAndKill starts the CLI with JSON events and SIGKILLs it as soon as
// an event satisfies at. It fails the test when the run ends first.
func runAndKill(t *testing.T, timeout time.Duration, at func(installer.Event) bool, args ...string) installer.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliPath, append(args, "-o", "json")...)
	cmd.Env = append(os.Environ(), "CI=true")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e installer.Event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		if at(e) {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			_ = cmd.Wait()
			return e
		}
	}
	_ = cmd.Wait()
	t.Fatalf("the run ended before the kill point; stderr:\n%s", errb.String())
	return installer.Event{}
}

// hostSh runs a shell command inside the lab host named name.
func (c *cluster) hostSh(t testing.TB, name, script string) string {
	t.Helper()
	h, ok := c.lab.Host(name)
	if !ok {
		t.Fatalf("no lab host %s", name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := h.Exec(ctx, script)
	if err != nil {
		t.Fatalf("%s: %s: %v\n%s", name, script, err, out)
	}
	return string(out)
}

// names of the cluster's nodes by role.
func (c *cluster) masters() []string { return c.names("master", c.Masters) }
func (c *cluster) agents() []string  { return c.names("agent", c.Agents) }
func (c *cluster) publics() []string { return c.names("public", c.PublicAgents) }
func (c *cluster) names(kind string, n int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, fmt.Sprintf("%s-%s-%d", c.Name, kind, i))
	}
	return out
}

// status runs `status -o json` and indexes its nodes by name. Exit 4
// (not healthy) is an answer too.
func (c *cluster) status(t *testing.T) map[string]installer.NodeResult {
	t.Helper()
	r := run(t, 3*time.Minute, "status", "--config", c.Path, "-o", "json")
	if r.Exit != 0 && r.Exit != 4 {
		t.Fatalf("status exit %d\n%s\n%s", r.Exit, r.Stdout, r.Stderr)
	}
	var res installer.Result
	if err := json.Unmarshal([]byte(strings.TrimSpace(r.Stdout)), &res); err != nil {
		t.Fatalf("status JSON: %v\n%s", err, r.Stdout)
	}
	out := map[string]installer.NodeResult{}
	for _, s := range res.Nodes {
		out[s.Name] = s
	}
	return out
}

// resultOf is the run's result (the last event of a -o json run).
func resultOf(t testing.TB, r result) *installer.Result {
	t.Helper()
	for i := len(r.Events) - 1; i >= 0; i-- {
		if r.Events[i].Kind == installer.RunResult && r.Events[i].Result != nil {
			return r.Events[i].Result
		}
	}
	t.Fatalf("no result event in the output:\n%s", tail(r.Stdout, 20))
	return nil
}

// assertHealthy checks every listed node is a healthy DC/OS node per status.
func (c *cluster) assertHealthy(t *testing.T, nodes ...string) {
	t.Helper()
	st := c.status(t)
	for _, n := range nodes {
		s, ok := st[n]
		if !ok || s.VM != "on" && s.VM != "off" || s.DCOS != "installed" || s.Health != "healthy" {
			t.Errorf("%s: status %+v, want installed and healthy", n, s)
		}
	}
}

// vmCount counts the cluster's VMs that status reports as existing.
func (c *cluster) vmCount(t *testing.T) int {
	n := 0
	for _, s := range c.status(t) {
		if s.VM != "missing" {
			n++
		}
	}
	return n
}

func ok(t testing.TB, r result, what string) {
	t.Helper()
	if r.Exit != 0 {
		t.Fatalf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", what, r.Exit, tail(r.Stdout, 60), tail(r.Stderr, 30))
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (c *cluster) vcenterPasswordFile() string {
	_, _, _, pw := c.lab.VCenter()
	return pw
}

func (c *cluster) folder() string {
	if c.Folder != "" {
		return c.Folder
	}
	return "e2e-" + c.Name
}
