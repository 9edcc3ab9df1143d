package lab

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The smaller stand-ins, over SSH as the installer would call them.
func TestSmallerStandins(t *testing.T) {
	t.Parallel()
	l := startLab(t, 10)
	c := vcClient(t, l)
	ip := addr(l, 31)
	cloneVM(t, c, "misc", ip, l.Gateway())
	waitSSH(t, l, ip, 10*time.Second)
	check := func(cmd, want string) {
		t.Helper()
		start := time.Now()
		defer func() { t.Logf("%s: %s", time.Since(start).Round(time.Millisecond), cmd) }()
		if got := mustSSH(t, l, ip, cmd); !strings.Contains(got, want) {
			t.Errorf("%s:\n%s\nwant it to contain %q", cmd, got, want)
		}
	}
	check("readlink -f /bin/sh; sh -c 'echo ${BASH_VERSION:+bash}'", "bash")
	check("sudo bash -lc 'echo $PATH'", "/usr/local/sbin:/usr/local/bin")
	check("echo $PATH", "/usr/local/sbin:/usr/local/bin")
	check("rpm -q --qf '%{NAME} %{VERSION}\\n' centos-release systemd", "systemd 219")
	check("rpm -qa | wc -l", "")
	check("yum list installed bash", "bash.x86_64")
	check("sudo yum install -y no-such-package; echo rc=$?", "No package no-such-package available.")
	check("sudo yum install -y no-such-package; echo rc=$?", "rc=1")
	check("sudo yum install -y curl >/dev/null; sudo yum install -y curl", "already installed")
	check("sudo yum remove -y curl >/dev/null; command -v curl || echo gone", "gone")
	check("sudo modprobe overlay; lsmod | grep -c '^overlay '", "1")
	check("sudo sysctl -w vm.swappiness=7 && sysctl vm.swappiness", "vm.swappiness = 7")
	check("sudo sysctl -w net.ipv4.ip_forward=1 && cat /proc/sys/net/ipv4/ip_forward", "1")
	check("sudo hostnamectl set-hostname renamed && hostname", "renamed")
	check("timedatectl | grep 'NTP synchronized'", "yes")
	check(`printf '[Service]\nExecStart=/bin/bash -c "echo from-unit; sleep 60"\n' | sudo tee /etc/systemd/system/talk.service >/dev/null && sudo systemctl start talk && for i in $(seq 1 50); do sudo journalctl -u talk | grep -q from-unit && break; sleep 0.1; done; sudo journalctl -u talk`, "from-unit")
	acr := l.ACR()
	check("sudo yum install -y docker >/dev/null && sudo systemctl start docker && echo '"+l.ACRRegistry().AdminPassword(0)+"' | sudo docker login -u labacr "+acr.Host+" && sudo cat /root/.docker/config.json", `"`+acr.Host+`"`)
	check("sudo docker login --password-stdin -u bob x 2>&1; echo rc=$?", "unknown flag: --password-stdin")
	check("docker ps 2>&1; echo rc=$?", "permission denied")
	mustSSH(t, l, ip, "sudo usermod -aG docker centos")
	check("docker ps", "CONTAINER ID") // a new login is in group docker
	check("sudo shutdown -h now 2>&1; echo rc=$?", "rc=1")
	check("ps -e -o comm= | sort -u | tr '\\n' ' '", "sshd")
	if out := mustSSH(t, l, ip, "ps -e -o pid= | wc -l"); out == "" {
		t.Error("ps shows nothing")
	}
	// The host's PID namespace hides the machine's processes.
	if out := mustSSH(t, l, ip, "ps -e -o comm="); strings.Contains(out, "lab.test") {
		t.Errorf("the test binary is visible from inside a host:\n%s", out)
	}
	// SFTP works (the installer uploads files with it).
	local := filepath.Join(t.TempDir(), "up.txt")
	if err := os.WriteFile(local, []byte("uploaded"), 0o644); err != nil {
		t.Fatal(err)
	}
	sftp := exec.Command("sftp", "-b", "-", "-i", l.KeyFile(), "-o", "UserKnownHostsFile="+l.KnownHostsFile(),
		"-o", "BatchMode=yes", "centos@"+ip.String())
	sftp.Stdin = strings.NewReader("put " + local + " /tmp/up.txt\n")
	if out, err := sftp.CombinedOutput(); err != nil {
		t.Fatalf("sftp put: %v\n%s", err, out)
	}
	check("cat /tmp/up.txt", "uploaded")
}
