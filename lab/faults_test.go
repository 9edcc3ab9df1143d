package lab

import (
	"net"
	"net/netip"
	"testing"
	"time"
)

// KillSSHD/StartSSHD and LinkDown/LinkUp are the lab's fault switches (and
// the lab's cluster.yaml is checked on the same lab).
func TestHostFaults(t *testing.T) {
	t.Parallel()
	l := startLab(t, 5)
	checkClusterConfig(t, l, 5)
	c := vcClient(t, l)
	ip := addr(l, 21)
	cloneVM(t, c, "faulty", ip, l.Gateway())
	waitSSH(t, l, ip, 10*time.Second)
	h, ok := l.Host("faulty")
	if !ok {
		t.Fatal("host faulty not found")
	}
	if err := h.KillSSHD(); err != nil {
		t.Fatal(err)
	}
	if h.SSHDAlive() {
		t.Error("sshd still answers after KillSSHD")
	}
	if out, err := sshRun(l, ip, "true"); err == nil {
		t.Errorf("ssh works after KillSSHD: %s", out)
	}
	if err := h.StartSSHD(); err != nil {
		t.Fatal(err)
	}
	mustSSH(t, l, ip, "true")

	if err := h.LinkDown(); err != nil {
		t.Fatal(err)
	}
	if dialable(ip, time.Second) {
		t.Error("host reachable with its link down")
	}
	if err := h.LinkUp(); err != nil {
		t.Fatal(err)
	}
	waitSSH(t, l, ip, 10*time.Second)
}

func dialable(ip netip.Addr, d time.Duration) bool {
	c, err := net.DialTimeout("tcp", netip.AddrPortFrom(ip, 22).String(), d)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
