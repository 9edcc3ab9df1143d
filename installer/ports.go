package installer

import (
	"context"
	"errors"
	"os"
)

// The installer talks to vCenter and to nodes only through the small
// interfaces of this file. The adapters in vsphere.go and sshnodes.go
// implement them with package templates and package installer/ssh; package
// installer/installertest implements them in memory for tests.

// VMSpec is one VM the plan wants.
type VMSpec struct {
	Name     string
	IP       string
	Role     string // config role name: bootstrap, master, agent, public-agent
	CPUs     int
	MemoryMB int
	DiskGB   int
}

// VMInfo is a VM that exists in vCenter, in the configured folder, and
// carries this cluster's name mark. Whether it is this cluster's (and not
// another cluster's of the same name) is decided by ClusterID.
type VMInfo struct {
	Name string
	Role string
	IP   string
	// Ref is the managed object reference, e.g. vm-42.
	Ref          string
	InstanceUUID string
	// BIOSUUID is the VM's config.uuid: what the guest shows as
	// /sys/class/dmi/id/product_uuid.
	BIOSUUID string
	// ClusterID is the id in the VM's mark; "" on VMs marked by a version
	// of the tool that had no cluster ids.
	ClusterID string
	// Host is the ESXi host the VM runs on ("" when unknown).
	Host      string
	PoweredOn bool
	// Created is true when this run cloned it (as opposed to adopting a
	// VM an earlier run made): its SSH host key is new, so a stale
	// known_hosts entry for its IP may be replaced.
	Created bool
}

// GuestAddress is an IPv4 address some VM in vCenter reports.
type GuestAddress struct {
	IP  string
	VM  string // its name
	Ref string
}

// Cloud is what the installer needs from vCenter. One Cloud is one
// session; its methods are safe for concurrent use.
type Cloud interface {
	// Preflight resolves every inventory path (all wrong names at once),
	// checks the template (or the OVA to import), the privileges and the
	// capacity needed to create the VMs of create. It creates nothing.
	Preflight(ctx context.Context, create []VMSpec) error
	// EnsureTemplate imports the OVA as the template when it is missing.
	EnsureTemplate(ctx context.Context, progress func(done, total int64)) (imported bool, err error)
	// ClusterVMs lists the VMs in the configured folder that carry this
	// cluster's name mark, whatever their cluster id.
	ClusterVMs(ctx context.Context) ([]VMInfo, error)
	// GuestAddresses lists the IPv4 addresses every VM in vCenter reports
	// (not only this cluster's).
	GuestAddresses(ctx context.Context) ([]GuestAddress, error)
	// EnsureVMs clones, marks (with clusterID), customizes, powers on and
	// waits for the IP of each spec, adopting the VMs of this cluster that
	// exist; on failure it removes what it created in this call.
	EnsureVMs(ctx context.Context, clusterID string, specs []VMSpec, step func(node, step string)) ([]VMInfo, error)
	// Destroy powers off and destroys exactly these VMs (by Ref).
	Destroy(ctx context.Context, vms []VMInfo) error
	Close(ctx context.Context) error
}

// Script is a named bash script. The name says what it is for (fakes
// route on it, logs show it); the body runs as root (through sudo) under
// bash -euo pipefail.
type Script struct {
	Name string
	Body string
}

// Conn is one SSH connection to a node.
type Conn interface {
	// Run executes s and returns its stdout; onLine (may be nil) gets
	// every output line as it comes. A connection that dies under the
	// command gives an error that Is ErrConnectionLost.
	Run(ctx context.Context, s Script, onLine func(line string)) (stdout string, err error)
	// Upload copies a local file to remotePath (as root), verifying the
	// remote checksum; skipped is true when the remote file was identical.
	Upload(ctx context.Context, localPath, remotePath string, mode os.FileMode, progress func(done, total int64)) (skipped bool, err error)
	// WriteFile puts data at remotePath (as root) atomically.
	WriteFile(ctx context.Context, data []byte, remotePath string, mode os.FileMode) error
	// HostKey is the SHA256 fingerprint of the node's host key.
	HostKey() string
	Close() error
}

// ErrConnectionLost marks a command that ended because its SSH connection
// died (sshd killed, node rebooted, network cut), not by its own exit.
var ErrConnectionLost = errors.New("SSH connection lost")

// Dialer opens Conns and probes addresses. Safe for concurrent use.
type Dialer interface {
	// Dial connects to the node name at ip. fresh says the VM was just
	// created by this run, so a different host key recorded for its IP
	// may be replaced.
	Dial(ctx context.Context, name, ip string, fresh bool) (Conn, error)
	// Answers reports whether something answers at ip on the node network
	// (a TCP connect to the SSH port that is accepted or refused), probing
	// from where the installer reaches the nodes (through the jump host
	// when there is one). Bounded by ctx.
	Answers(ctx context.Context, ip string) (bool, error)
}

// Forgetter is an optional ability of a Dialer: forget the host key
// recorded for ip, because the VM that had it was destroyed.
type Forgetter interface {
	Forget(ip string) error
}
