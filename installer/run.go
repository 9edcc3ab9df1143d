package installer

import (
	"path/filepath"
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

func (o Options) withDefaults() Options {
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
