package lab

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
)

// These functions act on a lab from another process (the CLI's `lab
// down`, `lab status`, `lab host`), through the files in its Dir.

// ErrNoLab means Dir holds no running or crashed lab.
var ErrNoLab = errors.New("no lab in this directory")

// RunningPID returns the pid of the process running the lab in dir, or 0.
func RunningPID(dir string) int {
	st, err := loadState(dir)
	if err != nil || st.Pid <= 0 || st.Pid == os.Getpid() || !ProcessAlive(st.Pid) {
		return 0
	}
	// A recycled pid would have another start time.
	if start, err := processStart(st.Pid); err != nil || start != st.PidStart {
		return 0
	}
	return st.Pid
}

// ProcessAlive reports whether pid runs. A zombie (exited, waiting for
// its parent to reap it) does not count: a detached lab's parent may be
// an init that reaps late.
func ProcessAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return false
	}
	return s[i+2] != 'Z' && s[i+2] != 'X'
}

// processStart is a process's start time in clock ticks since boot
// (field 22 of /proc/PID/stat), which tells a pid's owners apart.
func processStart(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command name may hold spaces
	if i < 0 {
		return "", fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return "", fmt.Errorf("parse /proc/%d/stat", pid)
	}
	return f[19], nil
}

// optionsFromState rebuilds the options a lab in dir was started with.
func optionsFromState(dir string) (Options, state, error) {
	st, err := loadState(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return Options{}, st, ErrNoLab
		}
		return Options{}, st, err
	}
	subnet, err := netip.ParsePrefix(st.Subnet)
	if err != nil {
		return Options{}, st, fmt.Errorf("lab state in %s: subnet: %w", dir, err)
	}
	return Options{Dir: dir, Bridge: st.Bridge, Subnet: subnet, NetnsPrefix: st.NetnsPrefix}, st, nil
}

// Stop ends the lab running in dir: SIGTERM to its process (which runs
// Down), a bounded wait, SIGKILL if needed, then Cleanup of anything left.
// ErrKilled (wrapped) says the process had to be killed; the lab is gone
// all the same.
func Stop(dir string, wait time.Duration) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	o, _, err := optionsFromState(dir)
	if err != nil {
		return err
	}
	if pid := RunningPID(dir); pid > 0 {
		_ = syscall.Kill(pid, syscall.SIGTERM)
		deadline := time.Now().Add(wait)
		for ProcessAlive(pid) && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if ProcessAlive(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			for i := 0; i < 50 && ProcessAlive(pid); i++ {
				time.Sleep(100 * time.Millisecond)
			}
			if err := Cleanup(o); err != nil {
				return err
			}
			return fmt.Errorf("%w: lab process %d did not stop within %s of SIGTERM", ErrKilled, pid, wait)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, stateFileName)); os.IsNotExist(err) {
		return nil // the lab's own Down cleaned up
	}
	return Cleanup(o)
}

// ErrKilled is wrapped by Stop's error when the lab process ignored
// SIGTERM and was killed (then cleaned up after).
var ErrKilled = errors.New("killed")

// HostStatus is one lab host as `lab status` shows it.
type HostStatus struct {
	Name    string `json:"name"`
	IP      string `json:"ip"`
	VM      string `json:"vm"`
	Running bool   `json:"running"` // keeper alive
	SSHD    bool   `json:"sshd"`    // port 22 answers with an SSH banner
}

// VMStatus is one VM of the lab's vCenter.
type VMStatus struct {
	Name       string `json:"name"`
	PowerState string `json:"powerState"`
	IP         string `json:"ip"`
	Hostname   string `json:"hostname"`
	Template   bool   `json:"template"`
}

// Status is what `lab status` prints.
type Status struct {
	Dir        string       `json:"dir"`
	VCenterURL string       `json:"vcenterUrl"`
	Thumbprint string       `json:"thumbprint"`
	Bridge     string       `json:"bridge"`
	Subnet     string       `json:"subnet"`
	PID        int          `json:"pid"`
	VMs        []VMStatus   `json:"vms"`
	Hosts      []HostStatus `json:"hosts"`
}

// ReadStatus describes the lab in dir: its VMs (asked from its vCenter)
// and hosts (from their records, with a live sshd check).
func ReadStatus(ctx context.Context, dir string) (Status, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return Status{}, err
	}
	_, st, err := optionsFromState(dir)
	if err != nil {
		return Status{}, err
	}
	s := Status{Dir: dir, VCenterURL: st.VCenterURL, Thumbprint: st.Thumbprint, Bridge: st.Bridge, Subnet: st.Subnet, PID: RunningPID(dir)}
	for _, h := range append(loadHosts(dir), loadHosts(filepath.Join(dir, acsDirName))...) {
		hs := HostStatus{Name: h.Hostname, IP: h.Addr, VM: h.VMName, Running: h.alive()}
		hs.SSHD = hs.Running && h.SSHDAlive()
		s.Hosts = append(s.Hosts, hs)
	}
	sort.Slice(s.Hosts, func(i, j int) bool { return s.Hosts[i].IP < s.Hosts[j].IP })
	if s.PID == 0 || st.VCenterURL == "" {
		return s, nil
	}
	c, err := clientFromFiles(ctx, dir, st)
	if err != nil {
		return s, err
	}
	defer func() { _ = c.Logout(context.Background()) }()
	vms, err := listVMs(ctx, c)
	if err != nil {
		return s, err
	}
	for _, v := range vms {
		s.VMs = append(s.VMs, VMStatus(v))
	}
	sort.Slice(s.VMs, func(i, j int) bool { return s.VMs[i].Name < s.VMs[j].Name })
	return s, nil
}

// clientFromFiles logs in to a lab's vCenter with its password file and
// pinned thumbprint.
func clientFromFiles(ctx context.Context, dir string, st state) (*govmomi.Client, error) {
	pw, err := os.ReadFile(filepath.Join(dir, passwordFileName))
	if err != nil {
		return nil, fmt.Errorf("read lab vCenter password file: %w", err)
	}
	u, err := url.Parse(st.VCenterURL)
	if err != nil {
		return nil, err
	}
	sc := soap.NewClient(u, false)
	sc.SetThumbprint(u.Host, st.Thumbprint)
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("connect to lab vCenter %s: %w", st.VCenterURL, err)
	}
	c := &govmomi.Client{Client: vc, SessionManager: session.NewManager(vc)}
	if err := c.Login(ctx, url.UserPassword(st.Username, strings.TrimSpace(string(pw)))); err != nil {
		return nil, fmt.Errorf("log in to lab vCenter %s: %w", st.VCenterURL, err)
	}
	return c, nil
}

// LoadHost finds a running host of the lab in dir by hostname (or VM name).
func LoadHost(dir, name string) (*Host, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if _, _, err := optionsFromState(dir); err != nil {
		return nil, err
	}
	for _, h := range append(loadHosts(dir), loadHosts(filepath.Join(dir, acsDirName))...) {
		if (h.Hostname == name || h.VMName == name) && h.alive() {
			return h, nil
		}
	}
	return nil, fmt.Errorf("lab host %s: not running in %s", name, dir)
}
