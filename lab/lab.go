// Package lab is a whole vSphere + CentOS 7 + DC/OS 1.9 world on one Linux
// machine, for rehearsing and testing installs: a simulated vCenter
// (govmomi's simulator over HTTPS on loopback) whose powered-on VMs become
// real hosts — network namespaces on a private bridge with private mounts,
// real OpenSSH and a CentOS 7 personality of stand-in commands. See
// lab/README.md for every stand-in and its limits.
package lab

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/vmware/govmomi"

	"github.com/dcos-vsphere/dcos-vsphere/lab/acr"
)

// Lab is a running lab. Up starts it, Down removes every trace of it.
type Lab struct {
	opts    Options
	vc      *vcenter
	client  *govmomi.Client
	pubKey  []byte
	base    baseDisk
	pwFile  string
	serve   *installerServer
	acr     *acr.Registry
	acrInfo ACR
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	hosts   map[string]*Host // by VM id
	workers map[string]*vmWorker
	downMu  sync.Mutex
	down    bool
	acs     *ACS
}

// Up starts a lab: it first removes what a previous lab with the same
// prefix, bridge or Dir left behind (after a crash or kill -9), then
// creates the bridge, the vCenter, the SSH key, the installer artifact and
// its HTTP server, and starts watching VMs. It needs root on Linux.
func Up(ctx context.Context, o Options) (*Lab, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("lab up: needs root (network namespaces, bridge, mounts)")
	}
	for _, tool := range []string{"ip", "nsenter", "unshare", "cp", "/usr/sbin/sshd", "/usr/sbin/nginx"} {
		if _, err := lookTool(tool); err != nil {
			return nil, fmt.Errorf("lab up: %w (install the packages in scripts/deps.sh)", err)
		}
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("lab up: create dir: %w", err)
	}
	if pid := RunningPID(o.Dir); pid > 0 {
		return nil, fmt.Errorf("lab up: a lab is already running in %s (pid %d); run lab down first", o.Dir, pid)
	}
	if dir, pid := ownedByRunningLab(o); pid > 0 {
		return nil, fmt.Errorf("lab up: bridge %s or namespace prefix %s belongs to the lab running in %s (pid %d): give this lab other names "+
			"(--bridge, --subnet, --prefix) or stop that one (dcos-vsphere lab down --dir %s)", o.Bridge, o.NetnsPrefix, dir, pid, dir)
	}
	if err := Cleanup(o); err != nil {
		return nil, fmt.Errorf("lab up: clean leftovers of a previous lab: %w", err)
	}
	l := &Lab{opts: o, hosts: map[string]*Host{}, workers: map[string]*vmWorker{}}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	ok := false
	defer func() {
		if !ok {
			_ = l.Down()
		}
	}()
	if err := os.MkdirAll(o.hostsDir(), 0o700); err != nil {
		return nil, err
	}
	if l.base, err = buildBase(o.baseDir(), o.CopyDisks); err != nil {
		return nil, fmt.Errorf("lab up: build the hosts' base disk: %w", err)
	}
	if l.pubKey, err = ensureKey(filepath.Join(o.Dir, keyFileName)); err != nil {
		return nil, fmt.Errorf("lab up: SSH key: %w", err)
	}
	if err := os.WriteFile(filepath.Join(o.Dir, knownHostsFileName), nil, 0o600); err != nil {
		return nil, fmt.Errorf("lab up: reset known_hosts: %w", err)
	}
	start, err := processStart(os.Getpid())
	if err != nil {
		return nil, fmt.Errorf("lab up: %w", err)
	}
	st := state{Pid: os.Getpid(), PidStart: start, Bridge: o.Bridge, Subnet: o.Subnet.String(), NetnsPrefix: o.NetnsPrefix, LinkPrefix: o.linkPrefix()}
	if err := st.save(o.Dir); err != nil {
		return nil, err
	}
	if err := createBridge(ctx, o); err != nil {
		return nil, err
	}
	if l.vc, err = startVCenter(ctx, o.VCenterAddr, o.DatastoreCapacity); err != nil {
		return nil, err
	}
	st.VCSimHome, st.VCenterURL, st.Thumbprint, st.Username = l.vc.home, l.vc.url, l.vc.thumbprint(), vcUser
	if err := st.save(o.Dir); err != nil {
		return nil, err
	}
	if l.pwFile, err = writeSecretFile(o.Dir, passwordFileName, l.vc.password+"\n"); err != nil {
		return nil, fmt.Errorf("lab up: write vCenter password file: %w", err)
	}
	if l.client, err = l.vc.login(ctx); err != nil {
		return nil, err
	}
	if l.serve, err = serveInstaller(o); err != nil {
		return nil, err
	}
	if err := l.startACR(ctx); err != nil {
		return nil, err
	}
	if o.ACS != nil {
		if l.acs, err = startACS(ctx, o, l.acr.Host(), l.acr.CAPEM()); err != nil {
			return nil, fmt.Errorf("lab up: ACS world: %w", err)
		}
	}
	l.wg.Add(1)
	go l.keepWatching()
	ok = true
	return l, nil
}

// lookTool finds a helper command by name or absolute path.
func lookTool(name string) (string, error) {
	if filepath.IsAbs(name) {
		if _, err := os.Stat(name); err != nil {
			return "", fmt.Errorf("%s not found", name)
		}
		return name, nil
	}
	for _, d := range []string{"/usr/sbin", "/usr/bin", "/sbin", "/bin"} {
		if _, err := os.Stat(filepath.Join(d, name)); err == nil {
			return filepath.Join(d, name), nil
		}
	}
	return "", fmt.Errorf("%s not found", name)
}

// keepWatching runs the VM watcher for the lab's lifetime; if it fails
// (a lost session), it logs in again and restarts, up to
// maxWatchRestarts times in a row with a one-second pause.
func (l *Lab) keepWatching() {
	defer l.wg.Done()
	const maxWatchRestarts = 10
	for failures := 0; ; {
		started := time.Now()
		err := l.watchVMs(l.ctx)
		if l.ctx.Err() != nil {
			return
		}
		if time.Since(started) > time.Minute {
			failures = 0
		}
		if failures++; failures > maxWatchRestarts {
			l.logf("VM watcher failed %d times in a row, giving up (VMs no longer become hosts): %v", maxWatchRestarts, err)
			return
		}
		l.logf("VM watcher stopped: %v; restarting", err)
		select {
		case <-l.ctx.Done():
			return
		case <-time.After(time.Second):
		}
		if c, err := l.vc.login(l.ctx); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = l.client.Logout(ctx)
			cancel()
			l.client = c
		}
	}
}

func (l *Lab) logf(format string, args ...any) {
	fmt.Fprintf(l.opts.Log, "%s lab: %s\n", time.Now().UTC().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

// Down stops the lab and removes everything it made: hosts (their
// processes, mounts, namespaces, veths and disks), the bridge, the
// simulator and its temp directory, the HTTP server, the registry (its
// process and directory), the password and state files. The SSH key, cluster.yaml and the installer stay in Dir.
func (l *Lab) Down() error {
	l.downMu.Lock()
	defer l.downMu.Unlock()
	if l.down {
		return nil
	}
	l.down = true
	l.cancel()
	// The watcher cancels its server-side wait on the way out, so it must
	// finish before the session ends (or the simulator's Close would wait
	// for that request forever).
	l.wg.Wait()
	if l.client != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = l.client.Logout(ctx)
		cancel()
	}
	if l.serve != nil {
		l.serve.close()
	}
	if l.acr != nil {
		l.acr.Close()
	}
	if l.vc != nil {
		l.vc.close()
	}
	return Cleanup(l.opts)
}

// VCenter returns the lab vCenter's SDK URL, the SHA-256 thumbprint of its
// certificate, the user name and the file holding the password (0600).
func (l *Lab) VCenter() (url, thumbprint, user, passwordFile string) {
	return l.vc.url, l.vc.thumbprint(), vcUser, l.pwFile
}

// ACS is the lab's ACS world, or nil when Options.ACS was not set.
func (l *Lab) ACS() *ACS { return l.acs }

// Dir is the lab's directory.
func (l *Lab) Dir() string { return l.opts.Dir }

// Gateway is the bridge's address on the lab subnet.
func (l *Lab) Gateway() netip.Addr { return l.opts.gateway() }

// Subnet is the lab network.
func (l *Lab) Subnet() netip.Prefix { return l.opts.Subnet }

// KeyFile is the lab's private SSH key (ed25519, 0600); its public half
// is authorized for centos on every host.
func (l *Lab) KeyFile() string { return filepath.Join(l.opts.Dir, keyFileName) }

// KnownHostsFile is the known_hosts file the generated cluster.yaml names
// (emptied by Up: every lab has new host keys).
func (l *Lab) KnownHostsFile() string { return filepath.Join(l.opts.Dir, knownHostsFileName) }

// InstallerPath is Dir/dcos_generate_config.sh.
func (l *Lab) InstallerPath() string { return filepath.Join(l.opts.Dir, installerFileName) }

// InstallerURL is where hosts can download dcos_generate_config.sh.
func (l *Lab) InstallerURL() string { return l.serve.url }

// Host returns the running host with the given hostname.
func (l *Lab) Host(name string) (*Host, bool) {
	for _, h := range l.Hosts() {
		if h.Hostname == name {
			return h, true
		}
	}
	return nil, false
}

// Hosts returns the running hosts, ordered by address.
func (l *Lab) Hosts() []*Host {
	l.mu.Lock()
	hs := make([]*Host, 0, len(l.hosts))
	for _, h := range l.hosts {
		hs = append(hs, h)
	}
	l.mu.Unlock()
	sort.Slice(hs, func(i, j int) bool { return hs[i].IP().Less(hs[j].IP()) })
	return hs
}

func (l *Lab) hostByIP(ip netip.Addr) *Host {
	for _, h := range l.Hosts() {
		if h.IP() == ip {
			return h
		}
	}
	return nil
}

// WaitHost waits until a host with the given hostname is up and its sshd
// answers, bounded by ctx.
func (l *Lab) WaitHost(ctx context.Context, name string) (*Host, error) {
	for {
		if h, ok := l.Host(name); ok && h.SSHDAlive() {
			return h, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for lab host %s: %w", name, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
