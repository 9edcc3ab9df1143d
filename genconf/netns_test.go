package genconf

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// The namespace tests use netns names starting with dvt-ipd- and
// addresses in 198.19.250.0/24 and 198.19.251.0/24 only. They look routes
// up; no packet is sent.

var netnsSeq atomic.Int32

// requireNetns skips unless the test can create network namespaces.
func requireNetns(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces (CI runs as root)")
	}
	for _, tool := range []string{"ip", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (scripts/deps.sh installs iproute2 and bash)", tool)
		}
	}
}

// sh runs one setup command, failing the test on error.
func sh(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// newNetns creates an empty namespace with lo up, deleted on cleanup.
func newNetns(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("dvt-ipd-%d-%d", os.Getpid(), netnsSeq.Add(1))
	sh(t, "ip", "netns", "add", name)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if out, err := exec.CommandContext(ctx, "ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("delete netns %s: %v: %s", name, err, out)
		}
	})
	sh(t, "ip", "-n", name, "link", "set", "lo", "up")
	return name
}

// addVeth adds a veth pair inside ns (both ends there, so nothing shows
// in the root namespace) and gives ifname the address cidr.
func addVeth(t *testing.T, ns, ifname, cidr string) {
	t.Helper()
	peer := ifname + "p"
	sh(t, "ip", "-n", ns, "link", "add", ifname, "type", "veth", "peer", "name", peer)
	sh(t, "ip", "-n", ns, "addr", "add", cidr, "dev", ifname)
	sh(t, "ip", "-n", ns, "link", "set", peer, "up")
	sh(t, "ip", "-n", ns, "link", "set", ifname, "up")
}

// runIn runs the script with bash inside ns.
func runIn(t *testing.T, ns, script string) scriptResult {
	t.Helper()
	return runBash(t, []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, "ip", "netns", "exec", ns, "bash", script)
}

func routeScriptTo(t *testing.T, master string) string {
	return scriptFor(t, config.IPDetect{Method: MethodRoute}, master)
}

func TestIPDetectRouteInNetns(t *testing.T) {
	requireNetns(t)

	t.Run("via a gateway", func(t *testing.T) {
		ns := newNetns(t)
		addVeth(t, ns, "eth0", "198.19.250.2/24")
		sh(t, "ip", "-n", ns, "route", "add", "198.19.251.0/24", "via", "198.19.250.1", "dev", "eth0")
		assertIP(t, runIn(t, ns, routeScriptTo(t, "198.19.251.10")), "198.19.250.2")
	})

	t.Run("directly connected", func(t *testing.T) {
		ns := newNetns(t)
		addVeth(t, ns, "eth0", "198.19.250.2/24")
		assertIP(t, runIn(t, ns, routeScriptTo(t, "198.19.250.10")), "198.19.250.2")
	})

	t.Run("two interfaces pick the one toward the master", func(t *testing.T) {
		ns := newNetns(t)
		addVeth(t, ns, "eth0", "198.19.250.2/24")
		addVeth(t, ns, "eth1", "198.19.251.2/24")
		assertIP(t, runIn(t, ns, routeScriptTo(t, "198.19.251.10")), "198.19.251.2")
		assertIP(t, runIn(t, ns, routeScriptTo(t, "198.19.250.10")), "198.19.250.2")
		// A host route via a gateway on eth1 beats eth0's connected subnet.
		sh(t, "ip", "-n", ns, "route", "add", "198.19.250.200/32", "via", "198.19.251.1", "dev", "eth1")
		assertIP(t, runIn(t, ns, routeScriptTo(t, "198.19.250.200")), "198.19.251.2")
	})

	t.Run("on the first master itself", func(t *testing.T) {
		ns := newNetns(t)
		addVeth(t, ns, "eth0", "198.19.250.2/24")
		assertIP(t, runIn(t, ns, routeScriptTo(t, "198.19.250.2")), "198.19.250.2")
	})

	t.Run("no address and no route", func(t *testing.T) {
		ns := newNetns(t)
		assertFails(t, runIn(t, ns, routeScriptTo(t, "198.19.251.10")))
	})

	t.Run("address but no route to the master", func(t *testing.T) {
		ns := newNetns(t)
		addVeth(t, ns, "eth0", "198.19.250.2/24")
		assertFails(t, runIn(t, ns, routeScriptTo(t, "198.19.251.10")))
	})
}

func TestIPDetectInterfaceInNetns(t *testing.T) {
	requireNetns(t)
	ns := newNetns(t)
	addVeth(t, ns, "eth0", "198.19.250.2/24")
	addVeth(t, ns, "eth1", "198.19.251.2/24")
	sh(t, "ip", "-n", ns, "addr", "add", "198.19.251.3/24", "dev", "eth1")
	addVeth(t, ns, "eth2", "198.19.250.9/32")
	sh(t, "ip", "-n", ns, "addr", "flush", "dev", "eth2")

	script := func(name string) string {
		return scriptFor(t, config.IPDetect{Method: MethodInterface, Interface: name}, "")
	}
	t.Run("named interface present", func(t *testing.T) {
		assertIP(t, runIn(t, ns, script("eth1")), "198.19.251.2")
		assertIP(t, runIn(t, ns, script("eth0")), "198.19.250.2")
	})
	t.Run("named interface absent", func(t *testing.T) {
		assertFails(t, runIn(t, ns, script("eth9")))
	})
	t.Run("interface without IPv4", func(t *testing.T) {
		assertFails(t, runIn(t, ns, script("eth2")))
	})
}
