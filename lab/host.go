package lab

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Host is a lab machine standing in for a powered-on VM: a network
// namespace on the lab bridge plus private mount, UTS and PID namespaces
// whose first process (the keeper) runs sshd. A Host value is a record
// (Dir/hosts/<vm>/host.json), so another process — `lab host` — can act on
// it too.
type Host struct {
	VM       string `json:"vm"`     // managed object id of the VM (vm-42)
	VMName   string `json:"vmName"` // inventory name
	Hostname string `json:"hostname"`
	Addr     string `json:"ip"`
	Netns    string `json:"netns"`
	Veth     string `json:"veth"`
	PID      int    `json:"pid"` // the keeper, PID 1 inside the host
	Dir      string `json:"dir"`
	// Inner marks a host the machine cannot route to (the ACS world):
	// its sshd is probed from inside the host.
	Inner bool `json:"inner,omitempty"`
	// ProductUUID is what the host's /sys/class/dmi/id/product_uuid says:
	// its VM's BIOS UUID (config.uuid), as on a vSphere VM.
	ProductUUID string `json:"productUUID,omitempty"`
}

// Name is the host's customized hostname.
func (h *Host) Name() string { return h.Hostname }

// IP is the host's customized address.
func (h *Host) IP() netip.Addr { a, _ := netip.ParseAddr(h.Addr); return a }

// nsenter runs a command inside every namespace of the host as root.
func (h *Host) command(ctx context.Context, args ...string) *exec.Cmd {
	full := append([]string{"-t", strconv.Itoa(h.PID), "-m", "-u", "-n", "-p", "--",
		"/usr/bin/env", "-i", "PATH=" + hostPath, "HOME=/root", "USER=root", "LOGNAME=root", "SHELL=/bin/bash"}, args...)
	cmd := exec.CommandContext(ctx, "nsenter", full...)
	cmd.Dir = "/"
	// nsenter forks into the PID namespace: kill the whole group on cancel.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// Exec runs cmd with bash inside the host (its namespaces, as root, with
// the host's PATH) and returns the combined output.
func (h *Host) Exec(ctx context.Context, cmd string) ([]byte, error) {
	if !h.alive() {
		return nil, fmt.Errorf("exec on lab host %s: host is not running", h.Hostname)
	}
	out, err := h.command(ctx, "/bin/bash", "-c", "cd /root && "+cmd).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("exec %q on lab host %s: %w", cmd, h.Hostname, err)
	}
	return out, nil
}

func (h *Host) alive() bool {
	if h.PID <= 0 {
		return false
	}
	// The keeper is alive and still in the host's network namespace.
	link, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", h.PID))
	if err != nil {
		return false
	}
	var st syscall.Stat_t
	if err := syscall.Stat("/run/netns/"+h.Netns, &st); err != nil {
		return false
	}
	return link == fmt.Sprintf("net:[%d]", st.Ino)
}

// KillSSHD kills every sshd of the host: the listener and open sessions.
func (h *Host) KillSSHD() error {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	if _, err := h.Exec(ctx, "pkill -KILL -x sshd; for i in $(seq 1 50); do pgrep -x sshd >/dev/null || exit 0; sleep 0.1; done; exit 1"); err != nil {
		return fmt.Errorf("kill sshd of lab host %s: %w", h.Hostname, err)
	}
	return nil
}

// StartSSHD starts the host's sshd again; it returns once sshd listens.
func (h *Host) StartSSHD() error {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	if _, err := h.Exec(ctx, "pgrep -x sshd >/dev/null || /usr/sbin/sshd -f /etc/ssh/sshd_config -E /var/log/sshd.log"); err != nil {
		return fmt.Errorf("start sshd of lab host %s: %w", h.Hostname, err)
	}
	// Return once sshd answers with its banner (bounded by cmdTimeout).
	for !h.SSHDAlive() {
		if ctx.Err() != nil {
			return fmt.Errorf("start sshd of lab host %s: no SSH banner within %s", h.Hostname, cmdTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

var uuidChars = regexp.MustCompile(`^[0-9a-fA-F-]{32,36}$`)

// SetProductUUID makes the host's /sys/class/dmi/id/product_uuid say
// uuid: a fault for identity tests (another machine at a VM's address).
func (h *Host) SetProductUUID(uuid string) error {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	if !uuidChars.MatchString(uuid) {
		return fmt.Errorf("set product_uuid of lab host %s: %q is not a UUID", h.Hostname, uuid)
	}
	if _, err := h.Exec(ctx, "printf '%s\\n' "+uuid+" > /sys/class/dmi/id/product_uuid"); err != nil {
		return fmt.Errorf("set product_uuid of lab host %s: %w", h.Hostname, err)
	}
	return nil
}

// LinkDown pulls the host's cable: the bridge side of its veth goes down.
func (h *Host) LinkDown() error { return h.setLink("down") }

// LinkUp plugs the cable back in.
func (h *Host) LinkUp() error { return h.setLink("up") }

func (h *Host) setLink(state string) error {
	if _, err := run(context.Background(), "ip", "link", "set", h.Veth, state); err != nil {
		return fmt.Errorf("set link of lab host %s %s: %w", h.Hostname, state, err)
	}
	return nil
}

// SSHDAlive reports whether the host answers on port 22 with an SSH
// banner: from the machine, or for an inner host (which the machine
// cannot reach) from inside the host itself.
func (h *Host) SSHDAlive() bool {
	if !h.Inner {
		return sshBanner(h.IP(), 2*time.Second)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := h.Exec(ctx, `exec 3<>/dev/tcp/127.0.0.1/22 && IFS= read -r -t 2 line <&3 && printf '%s' "${line:0:4}"`)
	return err == nil && string(out) == "SSH-"
}

func (h *Host) save() error {
	b, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(h.Dir, "host.json"), b, 0o600)
}

// loadHosts reads the host records of a lab directory.
func loadHosts(dir string) []*Host {
	files, _ := filepath.Glob(filepath.Join(dir, "hosts", "*", "host.json"))
	var hosts []*Host
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		h := new(Host)
		if json.Unmarshal(b, h) == nil && h.PID > 0 {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

// hostSpec is what a powered-on VM asks for.
type hostSpec struct {
	vm, vmName, hostname string
	uuid                 string // the VM's BIOS UUID: the host's product_uuid
	ip                   netip.Addr
}

// keeperReadyTimeout bounds a host's boot (copying /etc, starting sshd).
const keeperReadyTimeout = 30 * time.Second

// startHost brings up the host of a powered-on VM.
func startHost(ctx context.Context, o Options, base baseDisk, spec hostSpec, pubKey []byte) (*Host, error) {
	h := &Host{VM: spec.vm, VMName: spec.vmName, Hostname: spec.hostname, Addr: spec.ip.String(), ProductUUID: spec.uuid,
		Netns: o.netnsName(spec.ip), Veth: o.vethName(spec.ip), Dir: filepath.Join(o.hostsDir(), spec.vm)}
	disk := hostDisk{dir: h.Dir}
	if _, err := os.Stat(disk.readyMarker()); err != nil {
		_ = os.RemoveAll(h.Dir)
		if err := disk.build(base, spec.hostname, spec.ip, o.gateway(), pubKey); err != nil {
			return nil, err
		}
	} else if err := disk.setIdentity(spec.hostname, spec.ip, o.gateway()); err != nil {
		return nil, err
	}
	if err := createHostNetwork(ctx, o, spec.ip); err != nil {
		_ = deleteHostNetwork(context.Background(), h.Netns, h.Veth)
		return nil, err
	}
	pid, err := launchKeeper(ctx, o, base, h, disk)
	if err != nil {
		stopHost(h)
		return nil, fmt.Errorf("boot lab host %s (%s): %w", spec.hostname, spec.ip, err)
	}
	h.PID = pid
	if err := h.save(); err != nil {
		stopHost(h)
		return nil, fmt.Errorf("record lab host %s: %w", spec.hostname, err)
	}
	return h, nil
}

// launchKeeper starts the host's first process and waits for "ready PID".
func launchKeeper(ctx context.Context, o Options, base baseDisk, h *Host, disk hostDisk) (int, error) {
	logf, err := os.OpenFile(filepath.Join(h.Dir, "keeper.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer r.Close()
	script := filepath.Join(h.Dir, "keeper")
	if err := os.WriteFile(script, []byte(keeperScript()), 0o700); err != nil {
		return 0, err
	}
	// bash keeps the script open, so it still reads it once the keeper's
	// mounts hide the lab directory.
	args := append([]string{"--net=/run/netns/" + h.Netns, "--",
		"unshare", "--mount", "--uts", "--pid", "--fork", "--propagation", "private", "--",
		"/bin/bash", script, h.Hostname}, disk.mounts(o.Dir, base)...)
	if h.ProductUUID != "" {
		args = append(args, "dmi", h.ProductUUID)
	}
	cmd := exec.Command("nsenter", args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{w}
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LAB_BOOT=" + base.boot}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return 0, err
	}
	w.Close()
	go func() { _ = cmd.Wait() }() // reap unshare when the host goes
	type result struct {
		pid int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == "ready" {
			pid, perr := strconv.Atoi(f[1])
			ch <- result{pid, perr}
			return
		}
		if err == nil {
			err = fmt.Errorf("unexpected keeper output %q", line)
		}
		ch <- result{0, err}
	}()
	ctx, cancel := context.WithTimeout(ctx, keeperReadyTimeout)
	defer cancel()
	select {
	case res := <-ch:
		if res.err != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			return 0, fmt.Errorf("keeper failed: %w; log: %s", res.err, tail(filepath.Join(h.Dir, "keeper.log")))
		}
		return res.pid, nil
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		return 0, fmt.Errorf("keeper not ready: %w; log: %s", ctx.Err(), tail(filepath.Join(h.Dir, "keeper.log")))
	}
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	s := strings.TrimSpace(string(b))
	if len(s) > 800 {
		s = s[len(s)-800:]
	}
	return s
}

// stopHost takes a host away: its keeper is killed (which kills every
// process of its PID namespace and drops its mounts), stragglers in its
// network namespace are killed, then the veth and namespace go.
func stopHost(h *Host) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if h.alive() {
		_ = syscall.Kill(h.PID, syscall.SIGKILL)
	}
	killNetnsProcesses(ctx, h.Netns)
	_ = deleteHostNetwork(ctx, h.Netns, h.Veth)
}

// killNetnsProcesses SIGKILLs everything in ns until nothing is left
// (bounded by ctx).
func killNetnsProcesses(ctx context.Context, ns string) {
	if _, err := os.Stat("/run/netns/" + ns); err != nil {
		return
	}
	for {
		pids := netnsPids(ctx, ns)
		if len(pids) == 0 {
			return
		}
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}
