package lab

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The systemctl stand-in keeps the contract lab/README.md documents for
// the DC/OS stand-in: conditions, environment, ExecStartPre, oneshot and
// background units, is-active, stop, enable and .target wants.
func TestSystemctlContract(t *testing.T) {
	t.Parallel()
	l := startLab(t, 4)
	c := vcClient(t, l)
	ip := addr(l, 11)
	cloneVM(t, c, "units", ip, l.Gateway())
	waitSSH(t, l, ip, 10*time.Second)
	h, ok := l.Host("units")
	if !ok {
		t.Fatal("host units not found")
	}
	run := func(cmd string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := h.Exec(ctx, cmd)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	fails := func(cmd string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if out, err := h.Exec(ctx, cmd); err == nil {
			t.Errorf("%q succeeded: %s", cmd, out)
		}
	}
	run(`mkdir -p /etc/demo && echo 'FROM_FILE="file value"' > /etc/demo/env
cat > /etc/systemd/system/demo-once.service <<'U'
[Unit]
ConditionPathExists=!/etc/demo/skip
[Service]
Type=oneshot
Environment="GREETING=hello world" OTHER=x
EnvironmentFile=/etc/demo/env
EnvironmentFile=-/etc/demo/missing
ExecStartPre=/bin/mkdir -p /var/lib/demo
ExecStartPre=-/bin/false
ExecStart=/bin/bash -c 'echo "$GREETING|$FROM_FILE|$OTHER" > /var/lib/demo/once'
U
cat > /etc/systemd/system/demo-daemon.service <<'U'
[Service]
ExecStart=/bin/bash -c 'echo started > /var/lib/demo/daemon; exec sleep 300'
[Install]
WantedBy=multi-user.target
U
cat > /etc/systemd/system/demo-fail.service <<'U'
[Service]
Type=oneshot
ExecStart=/bin/bash -c 'exit 7'
U
cat > /etc/systemd/system/demo-sig.service <<'U'
[Service]
ExecStart=/bin/bash -c 'trap "echo usr1 > /var/lib/demo/sig; exit 0" USR1; while :; do sleep 0.1; done'
U
mkdir -p /etc/systemd/system/demo.target.wants
cat > /etc/systemd/system/demo.target.wants/demo-wanted.service <<'U'
[Service]
ExecStart=/bin/sleep 300
U`)
	run("systemctl start demo-once")
	if got := run("cat /var/lib/demo/once"); got != "hello world|file value|x" {
		t.Errorf("oneshot wrote %q", got)
	}
	run("systemctl is-active demo-once")
	fails("systemctl start demo-fail")
	fails("systemctl is-active demo-fail")

	run("touch /etc/demo/skip && rm /var/lib/demo/once && systemctl restart demo-once")
	fails("test -e /var/lib/demo/once")

	run("systemctl enable demo-daemon && systemctl start demo-daemon")
	run("systemctl is-enabled demo-daemon && test -L /etc/systemd/system/multi-user.target.wants/demo-daemon.service")
	run("for i in $(seq 1 50); do [ -e /var/lib/demo/daemon ] && exit 0; sleep 0.1; done; exit 1")
	run("systemctl is-active demo-daemon")
	pid := run("cat /run/standin-systemd/demo-daemon.service.pid")
	run("systemctl stop demo-daemon")
	fails("systemctl is-active demo-daemon")
	fails("kill -0 " + pid)

	// kill sends the signal to the unit's processes; what they do decides
	// its state (DC/OS 1.9's way to take an agent out is kill -s SIGUSR1).
	run("systemctl start demo-sig && systemctl is-active demo-sig")
	run("systemctl kill -s SIGUSR1 demo-sig")
	run("for i in $(seq 1 50); do [ -e /var/lib/demo/sig ] && exit 0; sleep 0.1; done; exit 1")
	run("for i in $(seq 1 50); do systemctl is-active -q demo-sig || exit 0; sleep 0.1; done; exit 1")
	run("systemctl kill --signal=USR1 demo-sig && systemctl stop demo-sig") // nothing runs: not an error
	fails("systemctl kill -s BOGUS demo-once")
	fails("systemctl kill nonexistent")

	fails("systemctl is-active demo-wanted")
	run("systemctl start demo.target && systemctl is-active demo-wanted && systemctl is-active demo.target")
	run("systemctl stop demo.target")
	fails("systemctl is-active demo-wanted")

	run("systemctl --no-block start demo-fail; true")
	fails("systemctl start nonexistent")
	if got := run("systemctl is-active firewalld"); got != "active" {
		t.Errorf("firewalld on a fresh host is %q, want active", got)
	}
	run("systemctl stop firewalld && systemctl disable firewalld")
	fails("systemctl is-active firewalld")
	fails("systemctl is-enabled firewalld")
	if out, err := sshRun(l, ip, "systemctl start demo-daemon"); err == nil {
		t.Errorf("systemctl start as centos (not root) succeeded: %s", out)
	}
	if out, err := sshRun(l, ip, "sudo reboot"); err == nil {
		t.Errorf("reboot on a lab host succeeded: %s", out)
	}
}
