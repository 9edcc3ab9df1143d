package lab

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"
)

// Two hosts have separate private filesystems, with overlayfs layers over
// the lab's base (where overlayfs works) and with copies of it.
func TestHostsHaveSeparateFilesystems(t *testing.T) {
	t.Run("layers", func(t *testing.T) { t.Parallel(); testSeparateFilesystems(t, 2, false) })
	t.Run("copies", func(t *testing.T) { t.Parallel(); testSeparateFilesystems(t, 11, true) })
}

func testSeparateFilesystems(t *testing.T, labIndex int, copyDisks bool) {
	o := testOptions(t, labIndex)
	o.CopyDisks = copyDisks
	l := startLabWith(t, o)
	if copyDisks && l.base.overlay {
		t.Fatal("CopyDisks set, yet the hosts use overlayfs")
	}
	c := vcClient(t, l)
	a, b := addr(l, 11), addr(l, 12)
	cloneVM(t, c, "fs-a", a, l.Gateway())
	cloneVM(t, c, "fs-b", b, l.Gateway())
	waitSSH(t, l, a, 10*time.Second)
	waitSSH(t, l, b, 10*time.Second)

	t.Logf("hosts' /etc and /usr/local on overlayfs over the lab's base: %v", l.base.overlay)
	for _, p := range []string{"/opt", "/etc/mesosphere", "/var/lib/dcos", "/var/lib/mesos", "/etc/systemd/system", "/tmp", "/var/log", "/usr/local/lib"} {
		mustSSH(t, l, a, "sudo mkdir -p "+p+" && echo fs-a | sudo tee "+p+"/marker >/dev/null")
		if out, err := sshRun(l, b, "test -e "+p+"/marker"); err == nil {
			t.Errorf("%s/marker written on fs-a is visible on fs-b: %s", p, out)
		}
		if got := mustSSH(t, l, a, "cat "+p+"/marker"); got != "fs-a" {
			t.Errorf("fs-a %s/marker = %q", p, got)
		}
	}
	// ... nor in the base every host starts from.
	for _, p := range []string{"etc/mesosphere/marker", "etc/systemd/system/marker", "usrlocal/lib/marker"} {
		if _, err := os.Stat(l.base.path(p)); !os.IsNotExist(err) {
			t.Errorf("a host's write shows in the lab's base: %s (%v)", p, err)
		}
	}
	if ma, mb := mustSSH(t, l, a, "cat /etc/machine-id"), mustSSH(t, l, b, "cat /etc/machine-id"); ma == mb || len(ma) != 32 {
		t.Errorf("machine-ids %q and %q: want two different 32-hex ids", ma, mb)
	}
	mustSSH(t, l, a, "touch ~/home-marker")
	if _, err := sshRun(l, b, "test -e ~/home-marker"); err == nil {
		t.Error("home directories are shared between hosts")
	}
	for _, ip := range []netip.Addr{a, b} {
		assertContained(t, l, ip)
	}
	// Each host has its own SSH host key.
	ka := mustSSH(t, l, a, "cat /etc/ssh/ssh_host_ed25519_key.pub")
	kb := mustSSH(t, l, b, "cat /etc/ssh/ssh_host_ed25519_key.pub")
	if ka == kb {
		t.Error("hosts share an SSH host key")
	}
	// Nothing of the hosts' private mounts shows on the machine.
	mounts, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(mounts), l.opts.hostsDir()) {
		t.Errorf("host mounts leak into the machine's mount table")
	}
}

// A fresh host looks like CentOS 7.3 minimal; yum, systemctl and docker
// keep state; docker run nginx serves a directory that another host
// fetches with real curl; the installer is served on the gateway.
func TestCentOSPersonality(t *testing.T) {
	t.Parallel()
	l := startLab(t, 3)
	c := vcClient(t, l)
	boot, peer := addr(l, 10), addr(l, 11)
	cloneVM(t, c, "bootstrap", boot, l.Gateway())
	cloneVM(t, c, "master-1", peer, l.Gateway())
	waitSSH(t, l, boot, 10*time.Second)
	waitSSH(t, l, peer, 10*time.Second)

	rel := mustSSH(t, l, boot, "cat /etc/os-release; cat /etc/redhat-release")
	for _, want := range []string{`ID="centos"`, `VERSION_ID="7"`, `PRETTY_NAME="CentOS Linux 7 (Core)"`, "CentOS Linux release 7.3.1611"} {
		if !strings.Contains(rel, want) {
			t.Errorf("release files lack %s:\n%s", want, rel)
		}
	}
	for _, tool := range []string{"curl", "docker", "tar", "xz", "unzip", "ipset", "ping"} {
		if out, err := sshRun(l, boot, "command -v "+tool); err == nil {
			t.Errorf("fresh host finds %s at %s", tool, out)
		}
		if out, err := sshRun(l, boot, "sudo bash -c 'command -v "+tool+"'"); err == nil {
			t.Errorf("fresh host finds %s under sudo at %s", tool, out)
		}
	}
	if out, err := sshRun(l, boot, "getent group nogroup"); err == nil {
		t.Errorf("fresh host has group nogroup: %s", out)
	}
	for _, tool := range []string{"bash", "sed", "grep", "awk", "ip", "hostname", "sudo", "getent", "sha256sum", "systemd-notify", "sort"} {
		mustSSH(t, l, boot, "command -v "+tool)
	}
	if got := mustSSH(t, l, boot, "getenforce"); got != "Enforcing" {
		t.Errorf("getenforce = %q, want Enforcing", got)
	}
	if got := mustSSH(t, l, boot, "systemctl --version | head -n1"); got != "systemd 219" {
		t.Errorf("systemctl --version = %q", got)
	}
	if out, err := sshRun(l, boot, "yum install -y curl"); err == nil {
		t.Errorf("yum install as centos (not root) succeeded: %s", out)
	}
	if out, err := sshRun(l, boot, "docker version"); err == nil {
		t.Errorf("docker version before install succeeded: %s", out)
	}

	mustSSH(t, l, boot, "sudo setenforce 0")
	if got := mustSSH(t, l, boot, "getenforce"); got != "Permissive" {
		t.Errorf("getenforce after setenforce 0 = %q", got)
	}
	mustSSH(t, l, boot, "sudo yum install -y curl tar xz unzip ipset docker-engine-1.13.1")
	if out := mustSSH(t, l, boot, "rpm -q docker-engine curl"); !strings.Contains(out, "docker-engine-1.13.1") || !strings.Contains(out, "curl-7.29.0") {
		t.Errorf("rpm -q after install: %s", out)
	}
	mustSSH(t, l, boot, "command -v curl && command -v tar && command -v docker")
	if out, err := sshRun(l, boot, "sudo docker version"); err == nil || !strings.Contains(out, "Cannot connect to the Docker daemon") {
		t.Errorf("docker version before systemctl start docker: err=%v\n%s", err, out)
	}
	if out, err := sshRun(l, boot, "systemctl is-active docker"); err == nil {
		t.Errorf("docker active before start: %s", out)
	}
	mustSSH(t, l, boot, "sudo systemctl start docker")
	mustSSH(t, l, boot, "systemctl is-active docker")
	ver := mustSSH(t, l, boot, "sudo docker version")
	if strings.Count(ver, "Version:      1.13.1") != 2 || !strings.Contains(ver, "Server:") {
		t.Errorf("docker version:\n%s", ver)
	}
	if out := mustSSH(t, l, boot, "sudo docker info"); !strings.Contains(out, "Storage Driver: devicemapper") || !strings.Contains(out, "Data file: /dev/loop0") {
		t.Errorf("docker info without override:\n%s", out)
	}
	mustSSH(t, l, boot, `sudo mkdir -p /etc/systemd/system/docker.service.d && printf '[Service]\nExecStart=\nExecStart=/usr/bin/dockerd --storage-driver=overlay\n' | sudo tee /etc/systemd/system/docker.service.d/override.conf >/dev/null && sudo systemctl daemon-reload && sudo systemctl restart docker`)
	if out := mustSSH(t, l, boot, "sudo docker info"); !strings.Contains(out, "Storage Driver: overlay") {
		t.Errorf("docker info with overlay override:\n%s", out)
	}
	mustSSH(t, l, boot, "sudo groupadd nogroup && getent group nogroup")
	mustSSH(t, l, boot, "sudo docker pull nginx")

	// docker run nginx serves genconf/serve-like content on port 8080.
	mustSSH(t, l, boot, "mkdir -p ~/genconf/serve && echo served-by-lab > ~/genconf/serve/hello.txt")
	id := mustSSH(t, l, boot, "sudo docker run -d -p 8080:80 -v $HOME/genconf/serve:/usr/share/nginx/html:ro nginx")
	if len(id) != 64 {
		t.Errorf("docker run printed %q, want a 64-hex container id", id)
	}
	if out := mustSSH(t, l, boot, "sudo docker ps"); !strings.Contains(out, id[:12]) || !strings.Contains(out, "0.0.0.0:8080->80/tcp") {
		t.Errorf("docker ps:\n%s", out)
	}
	if out, err := sshRun(l, peer, "curl -fsS http://"+boot.String()+":8080/hello.txt"); err == nil {
		t.Errorf("peer without yum-installed curl fetched: %s", out)
	}
	mustSSH(t, l, peer, "sudo yum -y install curl")
	if got := mustSSH(t, l, peer, "curl -fsS http://"+boot.String()+":8080/hello.txt"); got != "served-by-lab" {
		t.Errorf("curl from peer = %q, want served-by-lab", got)
	}
	mustSSH(t, l, boot, "sudo docker rm -f "+id[:12])
	if out, err := sshRun(l, peer, "curl -fsS -m 3 http://"+boot.String()+":8080/hello.txt"); err == nil {
		t.Errorf("nginx still serves after docker rm -f: %s", out)
	}

	// The lab serves dcos_generate_config.sh on the gateway.
	want, err := os.ReadFile(l.InstallerPath())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(want)
	if got := mustSSH(t, l, peer, "curl -fsS "+l.InstallerURL()+" | sha256sum | cut -d' ' -f1"); got != hex.EncodeToString(sum[:]) {
		t.Errorf("installer fetched from %s has sha256 %s, want %s", l.InstallerURL(), got, hex.EncodeToString(sum[:]))
	}
	if out, err := sshRun(l, peer, "curl -fsS "+strings.TrimSuffix(l.InstallerURL(), installerFileName)+keyFileName); err == nil {
		t.Errorf("the lab's private key is served: %s", out)
	}
}
