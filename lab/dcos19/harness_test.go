package dcos19

// A minimal stand-in for the lab's hosts, only for this package's tests:
// network namespaces on a bridge of their own, each command run in a private
// mount namespace with the node's own /opt, /etc/mesosphere,
// /etc/systemd/system, /var/lib/dcos, /var/lib/mesos, /run, /var/log, /tmp
// and /etc/group, and a fake PATH dir with docker, getenforce and a minimal
// systemctl (testdata/systemctl).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/internal/testnet"
)

// The test network (testnet.For("dcos", 30)): namespaces <prefix>NAME,
// veths <prefix>N and <prefix>Np, addresses <subnet>HOST.
var (
	dcosNet    = testnet.For("dcos", 30)
	nsPrefix   = dcosNet.NetnsPrefix
	bridgeName = dcosNet.Bridge
	subnet     = strings.TrimSuffix(testnet.Addr(dcosNet.Subnet, 0).String(), "0")
	vethPrefix = dcosNet.NetnsPrefix
)

const fakeDocker = `#!/bin/sh
# docker stand-in for the dcos19 tests: only what the installers call.
case "$1" in
  version) printf 'Client:\n Version:      1.13.1\n API version:  1.26\n\nServer:\n Version:      1.13.1\n API version:  1.26\n' ;;
  info) printf 'Server Version: 1.13.1\nStorage Driver: %s\n' "${DVT_DOCKER_DRIVER:-overlay}"
        [ "${DVT_DOCKER_DRIVER:-}" = devicemapper ] && printf ' Data file: /dev/loop0\n'
        exit 0 ;;
  *) echo "docker (test stand-in): $1 not supported" >&2; exit 1 ;;
esac
`

const fakeGetenforce = "#!/bin/sh\necho Permissive\n"

// ipDetectEth0 prints the node's eth0 IPv4 address, like the docs' example.
const ipDetectEth0 = `#!/usr/bin/env bash
set -o nounset -o errexit
ip -4 -o addr show dev eth0 | awk '{split($4, a, "/"); print a[1]; exit}'
`

// privateMounts are bound over the host's paths inside a node.
var privateMounts = [][2]string{
	{"opt", "/opt"},
	{"etc-mesosphere", "/etc/mesosphere"},
	{"systemd", "/etc/systemd/system"},
	{"var-lib-dcos", "/var/lib/dcos"},
	{"var-lib-mesos", "/var/lib/mesos"},
	{"var-log", "/var/log"},
	{"run", "/run"},
	{"tmp", "/tmp"}, // last: the sources above live under the host's /tmp
}

// hostMountpoints are created on the host when missing (and removed again)
// because a bind mount needs an existing target.
var hostMountpoints = []string{"/opt", "/etc/mesosphere", "/var/lib/dcos", "/var/lib/mesos"}

type testLab struct {
	t      *testing.T
	dir    string
	mu     sync.Mutex
	nextID int
}

type testNode struct {
	lab  *testLab
	name string
	ns   string
	ip   string
	root string
}

// requireLabTools skips the test unless it runs as root on Linux with the
// tools the harness and the stand-in need.
func requireLabTools(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces, a bridge and bind mounts")
	}
	for _, tool := range []string{"ip", "unshare", "setsid", "curl", "tar", "xz", "getopt", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s in PATH (scripts/deps.sh installs it): %v", tool, err)
		}
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err != nil {
		t.Skip("needs nginx at /usr/sbin/nginx (Debian nginx-light, scripts/deps.sh)")
	}
	requirePythonYAML(t)
}

// requirePythonYAML skips unless python3 with PyYAML is available.
func requirePythonYAML(t *testing.T) {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "import yaml").Run() == nil {
			return
		}
	}
	t.Skip("needs python3 with PyYAML (Debian python3 python3-yaml, scripts/deps.sh)")
}

func run(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// newTestLab creates the bridge and registers the cleanup of everything the
// lab creates (namespaces, their processes, the bridge, host mountpoints).
func newTestLab(t *testing.T) *testLab {
	t.Helper()
	requireLabTools(t)
	l := &testLab{t: t, dir: t.TempDir()}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	removeStale(ctx)
	var created []string
	for _, dir := range hostMountpoints {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatalf("create mountpoint %s: %v", dir, err)
			}
			created = append(created, dir)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		removeStale(ctx)
		for _, dir := range created {
			// Removing a directory that is a mountpoint in another mount
			// namespace would detach that mount, so leave it to its user.
			if !mountedAnywhere(dir) {
				_ = os.Remove(dir) // only if still empty
			}
		}
	})
	if _, err := run(ctx, "ip", "link", "add", bridgeName, "type", "bridge"); err != nil {
		t.Fatalf("create bridge: %v", err)
	}
	if _, err := run(ctx, "ip", "link", "set", bridgeName, "up"); err != nil {
		t.Fatalf("bring bridge up: %v", err)
	}
	return l
}

// mountedAnywhere reports whether any process on the machine has a mount
// on dir (read from every /proc/PID/mountinfo).
func mountedAnywhere(dir string) bool {
	infos, _ := filepath.Glob("/proc/[0-9]*/mountinfo")
	for _, info := range infos {
		data, err := os.ReadFile(info)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) > 4 && f[4] == dir {
				return true
			}
		}
	}
	return false
}

// removeStale kills the processes of our namespaces, then deletes the
// namespaces and the bridge; used before a run and as cleanup.
func removeStale(ctx context.Context) {
	out, _ := run(ctx, "ip", "netns", "list")
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || !strings.HasPrefix(fields[0], nsPrefix) {
			continue
		}
		ns := fields[0]
		for round := 0; round < 50; round++ {
			pids, _ := run(ctx, "ip", "netns", "pids", ns)
			if strings.TrimSpace(pids) == "" {
				break
			}
			for _, p := range strings.Fields(pids) {
				var pid int
				if _, err := fmt.Sscan(p, &pid); err == nil && pid > 1 {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
			time.Sleep(20 * time.Millisecond) // give the kernel time to reap before re-listing
		}
		_, _ = run(ctx, "ip", "netns", "del", ns)
	}
	_, _ = run(ctx, "ip", "link", "del", bridgeName)
}

// addNode creates namespace <nsPrefix>NAME with IP <subnet><host> on the
// bridge and the node's private directories. withPrereqs adds docker, the
// docker unit and the nogroup group (what --install-prereqs would do).
func (l *testLab) addNode(name string, host int, withPrereqs bool) *testNode {
	l.t.Helper()
	l.mu.Lock()
	l.nextID++
	id := l.nextID
	l.mu.Unlock()
	n := &testNode{lab: l, name: name, ns: nsPrefix + name, ip: fmt.Sprintf("%s%d", subnet, host), root: filepath.Join(l.dir, name)}
	for _, m := range privateMounts {
		if err := os.MkdirAll(filepath.Join(n.root, m[0]), 0o755); err != nil {
			l.t.Fatal(err)
		}
	}
	n.setupBin()
	n.writeGroup(false)
	n.writeNsswitch()
	if withPrereqs {
		n.installPrereqs()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	host0, peer := fmt.Sprintf("%s%d", vethPrefix, id), fmt.Sprintf("%s%dp", vethPrefix, id)
	steps := [][]string{
		{"ip", "netns", "add", n.ns},
		{"ip", "link", "add", host0, "type", "veth", "peer", "name", peer},
		{"ip", "link", "set", peer, "netns", n.ns},
		{"ip", "link", "set", host0, "master", bridgeName, "up"},
		{"ip", "-n", n.ns, "link", "set", peer, "name", "eth0"},
		{"ip", "-n", n.ns, "addr", "add", n.ip + "/24", "dev", "eth0"},
		{"ip", "-n", n.ns, "link", "set", "eth0", "up"},
		{"ip", "-n", n.ns, "link", "set", "lo", "up"},
	}
	for _, s := range steps {
		if _, err := run(ctx, s[0], s[1:]...); err != nil {
			l.t.Fatalf("create node %s: %v", name, err)
		}
	}
	return n
}

func (n *testNode) writeFile(rel, content string, mode os.FileMode) {
	n.lab.t.Helper()
	p := filepath.Join(n.root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		n.lab.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		n.lab.t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		n.lab.t.Fatal(err)
	}
}

// writeGroup writes the node's /etc/group: the host's without nogroup, plus
// nogroup when withNogroup is set (Debian has nogroup, CentOS does not).
func (n *testNode) writeGroup(withNogroup bool) {
	n.lab.t.Helper()
	data, err := os.ReadFile("/etc/group")
	if err != nil {
		n.lab.t.Fatal(err)
	}
	var keep []string
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		if !strings.HasPrefix(line, "nogroup:") {
			keep = append(keep, line)
		}
	}
	if withNogroup {
		keep = append(keep, "nogroup:x:65534:")
	}
	n.writeFile("group", strings.Join(keep, "\n")+"\n", 0o644)
}

// writeNsswitch writes the node's /etc/nsswitch.conf with group and passwd
// from files only: nss-systemd would otherwise synthesize nogroup.
func (n *testNode) writeNsswitch() {
	n.lab.t.Helper()
	data, err := os.ReadFile("/etc/nsswitch.conf")
	if err != nil {
		data = nil
	}
	var lines []string
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 0 && (f[0] == "group:" || f[0] == "passwd:") {
			continue
		}
		lines = append(lines, line)
	}
	lines = append(lines, "passwd: files", "group: files")
	n.writeFile("nsswitch.conf", strings.Join(lines, "\n")+"\n", 0o644)
}

// installPrereqs gives the node docker (a stand-in on PATH and a unit) and
// the nogroup group.
func (n *testNode) installPrereqs() {
	n.writeFile(n.binRel()+"/docker", fakeDocker, 0o755)
	n.writeFile("systemd/docker.service", "[Service]\nType=oneshot\nExecStart=/bin/true\n", 0o644)
	n.writeGroup(true)
}

// labSystemctl is the lab's own systemctl stand-in when DCOS19_LAB_SYSTEMCTL
// names it (a pre-integration check); empty means testdata/systemctl.
func labSystemctl() string { return os.Getenv("DCOS19_LAB_SYSTEMCTL") }

// labTools are linked into the node's private /usr/local/bin when the lab's
// systemctl is used: it runs units with PATH=/usr/local/sbin:/usr/local/bin.
var labTools = strings.Fields(`bash sh cat cp mv rm ln ls mkdir chmod touch stat dirname basename mktemp echo
printf test true false sleep env id date head tail cut sort uniq wc tr tee seq timeout sed grep awk find xargs
ip hostname ps kill setsid setpriv getent getopt curl tar xz unzip ipset ping systemd-notify python3 mount unshare tput`)

func (n *testNode) binRel() string {
	if labSystemctl() != "" {
		return "usrlocal/bin"
	}
	return "run/dvt-bin"
}

func (n *testNode) path() string {
	if labSystemctl() != "" {
		return "/usr/local/sbin:/usr/local/bin"
	}
	return "/run/dvt-bin:/usr/sbin:/usr/bin:/sbin:/bin"
}

// setupBin writes the node's fake commands (systemctl, getenforce).
func (n *testNode) setupBin() {
	n.lab.t.Helper()
	src := "testdata/systemctl"
	if p := labSystemctl(); p != "" {
		src = p
		if err := os.MkdirAll(filepath.Join(n.root, "usrlocal", "sbin"), 0o755); err != nil {
			n.lab.t.Fatal(err)
		}
		for _, tool := range labTools {
			for _, dir := range []string{"/usr/sbin", "/usr/bin", "/sbin", "/bin"} {
				real := filepath.Join(dir, tool)
				if _, err := os.Stat(real); err != nil {
					continue
				}
				_ = os.MkdirAll(filepath.Join(n.root, "usrlocal", "bin"), 0o755)
				if err := os.Symlink(real, filepath.Join(n.root, "usrlocal", "bin", tool)); err != nil {
					n.lab.t.Fatal(err)
				}
				break
			}
		}
	}
	systemctl, err := os.ReadFile(src)
	if err != nil {
		n.lab.t.Fatal(err)
	}
	n.writeFile(n.binRel()+"/systemctl", string(systemctl), 0o755)
	n.writeFile(n.binRel()+"/getenforce", fakeGetenforce, 0o755)
}

// exec runs a bash script on the node and returns its output and exit code.
func (n *testNode) exec(ctx context.Context, script string) (string, int) {
	n.lab.t.Helper()
	out, code, err := n.execE(ctx, script)
	if err != nil {
		n.lab.t.Fatal(err)
	}
	return out, code
}

// execE is exec for goroutines: it reports a failure to run as an error.
func (n *testNode) execE(ctx context.Context, script string) (string, int, error) {
	// /etc/group first: every source lives under the host's /tmp, which the
	// last bind hides.
	var full strings.Builder
	fmt.Fprintf(&full, "set -e\nmount --bind %q /etc/group\n", filepath.Join(n.root, "group"))
	fmt.Fprintf(&full, "mount --bind %q /etc/nsswitch.conf\n", filepath.Join(n.root, "nsswitch.conf"))
	if labSystemctl() != "" {
		fmt.Fprintf(&full, "mount --bind %q /usr/local\n", filepath.Join(n.root, "usrlocal"))
	}
	for _, m := range privateMounts {
		fmt.Fprintf(&full, "mount --bind %q %q\n", filepath.Join(n.root, m[0]), m[1])
	}
	fmt.Fprintf(&full, "set +e\nexport PATH=%s\ncd /tmp\n", n.path())
	full.WriteString(script)
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", n.ns, "unshare", "--mount", "--propagation", "private", "bash", "-c", full.String())
	cmd.Env = []string{"HOME=/root", "LANG=C.UTF-8", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	if err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return out.String(), -1, fmt.Errorf("run on %s: %w\n%s", n.name, err, out.String())
		}
		return out.String(), exitErr.ExitCode(), nil
	}
	return out.String(), 0, nil
}

// curl fetches a URL from inside the node's namespace (no private mounts
// needed) with a 2 s limit.
func (n *testNode) curl(ctx context.Context, url string) (string, error) {
	return run(ctx, "ip", "netns", "exec", n.ns, "curl", "-fsS", "--connect-timeout", "1", "--max-time", "2", url)
}

// unitLog returns the log the test systemctl wrote for a unit.
func (n *testNode) unitLog(unit string) string {
	data, _ := os.ReadFile(filepath.Join(n.root, "var-log", "units", unit+".log"))
	return string(data)
}

// eventually polls check until it returns nil or the deadline passes.
func eventually(t *testing.T, timeout time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for attempt := 0; ; attempt++ {
		if err = check(); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %s: %v", what, timeout, err)
		}
		time.Sleep(300 * time.Millisecond) // poll interval, not synchronisation
	}
}
