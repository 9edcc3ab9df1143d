package installer

import (
	"context"
	"path/filepath"
	"sync"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// Options are the knobs of one run, passed explicitly (no globals).
type Options struct {
	// Concurrency bounds per-node work (SSH steps, clones in flight).
	Concurrency int
	// Timeout bounds the whole run; zero means DefaultTimeout.
	Timeout time.Duration
	// NodeTimeout bounds one long node step (an install, a health wait).
	NodeTimeout time.Duration
	DryRun      bool
	Debug       bool
}

// Defaults for Options, documented in the README.
const (
	DefaultConcurrency = 30
	DefaultTimeout     = 60 * time.Minute
	DefaultNodeTimeout = 15 * time.Minute
)

// WithDefaults fills zero fields with the defaults.
func (o Options) WithDefaults() Options {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.NodeTimeout <= 0 {
		o.NodeTimeout = DefaultNodeTimeout
	}
	return o
}

// Run carries everything the phases of one invocation share.
type Run struct {
	Cluster *config.Cluster
	Options Options
	Events  Sink
	State   *StateStore

	// ConnectCloud opens the vCenter session (a phase calls it, so that a
	// connection failure is reported like any other phase failure).
	ConnectCloud func(ctx context.Context) (Cloud, error)
	Dialer       Dialer

	// Want is every node the run must end with, in role order.
	Want []VMSpec

	cloud Cloud
	plan  Plan

	mu        sync.Mutex
	changes   int // VMs cloned + nodes installed by this run
	vms       map[string]VMInfo
	conns     map[string]Conn
	installed map[string]bool
}

func (r *Run) emit(e Event) {
	if r.Events != nil {
		r.Events.Emit(e)
	}
}

func (r *Run) step(node, step string) { r.emit(Event{Kind: NodeStep, Node: node, Step: step}) }

func (r *Run) conn(name string) Conn {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.conns[name]
}

func (r *Run) isInstalled(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.installed[name]
}

func (r *Run) changed() {
	r.mu.Lock()
	r.changes++
	r.mu.Unlock()
}

func (r *Run) setInstalled(name string) {
	r.mu.Lock()
	if r.installed == nil {
		r.installed = map[string]bool{}
	}
	r.installed[name] = true
	r.mu.Unlock()
}

// Close releases the SSH connections and the vCenter session.
func (r *Run) Close() {
	r.mu.Lock()
	conns := r.conns
	r.conns = nil
	r.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
	if r.cloud != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = r.cloud.Close(ctx)
		r.cloud = nil
	}
}

// SaveState persists the state when there is a store.
func (r *Run) SaveState() error {
	if r.State == nil {
		return nil
	}
	return r.State.Save()
}

// StatePath is where the cluster's state file lives.
func StatePath(stateDir string) string { return filepath.Join(stateDir, "state.json") }

// byRole returns the wanted nodes with one of roles.
func (r *Run) byRole(roles ...string) []VMSpec {
	var out []VMSpec
	for _, n := range r.Want {
		for _, role := range roles {
			if n.Role == role {
				out = append(out, n)
			}
		}
	}
	return out
}
