package lab

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A powered-on clone becomes a host reachable over SSH within 10 s with
// the customized hostname and address and no route out of the lab; power
// off takes it away, power on brings it back with its disk, destroy
// removes it for good.
func TestVMPowerCycleDrivesHost(t *testing.T) {
	t.Parallel()
	l := startLab(t, 1)
	c := vcClient(t, l)
	ip := addr(l, 21)
	vm := cloneVM(t, c, "node-a", ip, l.Gateway())
	took := waitSSH(t, l, ip, 10*time.Second)
	t.Logf("ssh centos@%s worked %s after power-on", ip, took)

	if got := mustSSH(t, l, ip, "hostname"); got != "node-a" {
		t.Errorf("hostname = %q, want node-a", got)
	}
	if got := mustSSH(t, l, ip, "ip -4 -o addr show dev eth0"); !strings.Contains(got, " "+ip.String()+"/24 ") {
		t.Errorf("ip -4 addr on eth0 = %q, want %s/24", got, ip)
	}
	assertContained(t, l, ip)
	mustSSH(t, l, ip, "sudo touch /opt/survives-reboot")

	h, ok := l.Host("node-a")
	if !ok {
		t.Fatal("Host(node-a) not found")
	}
	ns := h.Netns
	powerOff(t, vm)
	waitGone(t, l, ip, 10*time.Second)
	if _, ok := l.Host("node-a"); ok {
		t.Error("Host(node-a) still listed after power off")
	}

	powerOn(t, vm)
	waitSSH(t, l, ip, 10*time.Second)
	mustSSH(t, l, ip, "test -e /opt/survives-reboot")

	powerOff(t, vm)
	waitGone(t, l, ip, 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	task, err := vm.Destroy(ctx)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatalf("destroy: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := os.Stat(filepath.Join(l.opts.hostsDir(), h.VM))
		if os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("disk of destroyed VM still at %s", h.Dir)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := os.Stat("/run/netns/" + ns); !os.IsNotExist(err) {
		t.Errorf("netns %s still exists after destroy", ns)
	}
}

// assertContained checks that the host at ip can route only to the lab
// subnet: no default route, and a route lookup for an outside address
// fails (a lookup only; nothing is sent).
func assertContained(t *testing.T, l *Lab, ip netip.Addr) {
	t.Helper()
	routes := mustSSH(t, l, ip, "ip -4 route show; ip -6 route show 2>/dev/null")
	for _, line := range strings.Split(routes, "\n") {
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "default") || !strings.HasPrefix(line, l.Subnet().String()) {
			t.Errorf("host %s has a route beyond the lab subnet: %q", ip, line)
		}
	}
	if out, err := sshRun(l, ip, "ip route get 1.1.1.1"); err == nil {
		t.Errorf("host %s: ip route get 1.1.1.1 succeeded: %s", ip, out)
	}
}
