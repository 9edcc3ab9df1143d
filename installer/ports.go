package installer

import (
	"context"
	"errors"
	"os"
)

// The installer talks to vCenter and to nodes through these two small
// interfaces. The adapters in vsphere.go and sshnodes.go implement them
// with package templates and package installer/ssh; tests may use others.

// VMSpec is one VM the plan wants.
type VMSpec struct {
	Name     string
	IP       string
	Role     string // config role name: bootstrap, master, agent, public-agent
	CPUs     int
	MemoryMB int
	DiskGB   int
}

// VMInfo is a VM that exists in vCenter and is marked as ours.
type VMInfo struct {
	Name         string
	Role         string
	IP           string
	Ref          string // managed object reference, e.g. vm-42
	InstanceUUID string
	Host         string // ESXi host it runs on, "" when unknown
	PoweredOn    bool
	// Created is true when this run cloned it (as opposed to adopting a
	// VM an earlier run made): its SSH host key is new, so a stale
	// known_hosts entry for its IP may be replaced.
	Created bool
}

// Cloud is what the installer needs from vCenter.
type Cloud interface {
	// Preflight resolves every inventory path, checks the template (or the
	// OVA to import) and the datastore's free space for the VMs to create.
	Preflight(ctx context.Context, create []VMSpec) error
	// EnsureTemplate imports the OVA as the template when it is missing.
	EnsureTemplate(ctx context.Context, progress func(done, total int64)) (imported bool, err error)
	// ClusterVMs lists the VMs marked as this cluster's.
	ClusterVMs(ctx context.Context) ([]VMInfo, error)
	// EnsureVMs clones, customizes, powers on and waits for the IP of each
	// spec, adopting marked VMs that exist; on failure it removes what it
	// created in this call.
	EnsureVMs(ctx context.Context, specs []VMSpec, step func(node, step string)) ([]VMInfo, error)
	// Destroy powers off and destroys the cluster's marked VMs by name.
	Destroy(ctx context.Context, names []string) error
	Close(ctx context.Context) error
}

// Conn is one SSH connection to a node. Run executes script as root
// (through sudo) under bash -euo pipefail.
type Conn interface {
	Run(ctx context.Context, script string, onLine func(line string)) (stdout string, err error)
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

// Dialer opens Conns. fresh says the VM was just created by this run, so
// a different host key recorded for its IP may be replaced.
type Dialer interface {
	Dial(ctx context.Context, name, ip string, fresh bool) (Conn, error)
}
