package installer

import (
	"context"
	"path/filepath"
	"sync"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/acs"
	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/dcoscli"
	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

// Options are the knobs of one run, passed explicitly (no globals).
type Options struct {
	// Concurrency bounds per-node work (SSH steps, clones in flight).
	Concurrency int
	// Timeout bounds the whole run; zero means DefaultTimeout.
	Timeout time.Duration
	// NodeTimeout bounds one long node step (an install, a health wait).
	NodeTimeout time.Duration
	// DryRun runs only the read-only phases and reports what the others
	// would do (plan, --dry-run).
	DryRun bool
	Debug  bool
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
//
// The exported fields are set by the caller before the flow starts and
// are not changed by phases. The unexported ones are the run's working
// state: cloud and clusterID are set once by the connect-vcenter phase
// (every later phase may assume them); everything after mu is guarded by mu.
type Run struct {
	// Cluster is the validated config. Never nil.
	Cluster *config.Cluster
	Options Options
	// Events receives every event. nil discards them.
	Events Sink
	// State caches what earlier runs learned. nil means a store in memory
	// only (nothing is saved).
	State *StateStore
	// ConnectCloud opens the vCenter session (a phase calls it, so that a
	// connection failure is reported like any other phase failure).
	ConnectCloud func(ctx context.Context) (Cloud, error)
	Dialer       Dialer
	// Files are the DC/OS genconf inputs rendered from Cluster; needed by
	// the flows that install or plan (not by status or destroy).
	Files GenconfFiles
	// LogPath is the debug log of the run, reported in the Result.
	LogPath string
	// CheckRegistry logs in to the shared registry from here and says what
	// it saw (nil: registry-check only reads the nodes' files).
	CheckRegistry func(ctx context.Context) (string, error)
	// ConnectACS reaches the ACS cluster beside this one (nil: none; the
	// ACS phases skip themselves).
	ConnectACS func(ctx context.Context) (ACS, error)
	// RegisterCLI says where register-clusters writes the DC/OS CLI's
	// entries (nil: the phase is skipped).
	RegisterCLI *dcoscli.Options

	cloud     Cloud
	clusterID string

	// The ACS connection, made once by whichever phase needs it first.
	acsOnce sync.Once
	acsConn ACS
	acsErr  error
	acsInfo acs.MasterInfo

	// The registry files every agent must have, built once (Cluster does
	// not change during a run; building them gzips the archive).
	regOnce  sync.Once
	regFiles []registry.NodeFile
	regErr   error

	mu      sync.Mutex
	flow    Flow
	want    []VMSpec // every node the run must end with, in role order
	nodes   map[string]*node
	foreign []VMInfo // in the folder with our name mark but another cluster's id
	extra   []VMInfo // ours, not in want (added by add-agents beyond the config)
	actions []Action // done, or in a dry run planned
	// acsResult and cliResult are the ACS side's outcomes (nil: not run).
	acsResult *ACSResult
	cliResult *CLIResult
	changes   int   // VMs cloned + nodes installed by this run
	phase     Phase // running now
	// lastEvent and lastWhat feed the stall warning.
	lastEvent time.Time
	lastWhat  string
	// probedFree: addresses a probe of this run found free, and when.
	probedFree map[string]time.Time
}

// node is everything the run knows about one wanted node.
type node struct {
	spec  VMSpec
	vm    *VMInfo // nil: no VM of this cluster has the name
	conn  Conn
	facts *NodeFacts // nil: not probed (no VM yet, or unreachable)
	// probeErr is why the node could not be probed (status reports it).
	probeErr error
	// health is the last health check's answer: "healthy" or what failed.
	health string
}

// init prepares the run for flow f; called by Execute.
func (r *Run) init(f Flow) {
	r.Options = r.Options.WithDefaults()
	if r.State == nil {
		r.State = MemoryState(r.Cluster.Name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flow = f
	if r.want == nil {
		r.want = WantedNodes(r.Cluster)
	}
	if r.nodes == nil {
		r.nodes = map[string]*node{}
	}
	for _, w := range r.want {
		if r.nodes[w.Name] == nil {
			r.nodes[w.Name] = &node{spec: w}
		}
	}
	r.lastEvent = time.Now()
}

// WantedNodes turns the config's nodes into VM specs, in role order.
func WantedNodes(c *config.Cluster) []VMSpec {
	var out []VMSpec
	for _, n := range c.AllNodes() {
		out = append(out, VMSpec{Name: n.Name, IP: n.IP, Role: string(n.Role), CPUs: n.Size.CPUs, MemoryMB: n.Size.MemoryMB, DiskGB: n.Size.DiskGB})
	}
	return out
}

func (r *Run) emit(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	r.mu.Lock()
	if e.PhaseID == "" && r.phase != nil && e.Kind != RunResult {
		e.PhaseID, e.Phase = r.phase.ID(), r.phase.Title()
	}
	r.lastEvent = e.Time
	switch {
	case e.Node != "" && e.Step != "":
		r.lastWhat = e.Node + ": " + e.Step
	case e.Message != "" && e.Kind != Warning:
		r.lastWhat = e.Message
	}
	r.mu.Unlock()
	if r.Events != nil {
		r.Events.Emit(e)
	}
}

func (r *Run) step(node, step string) { r.emit(Event{Kind: NodeStep, Node: node, Step: step}) }

func (r *Run) setPhase(p Phase) {
	r.mu.Lock()
	r.phase = p
	r.lastWhat = ""
	r.mu.Unlock()
}

func (r *Run) quietFor() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return time.Since(r.lastEvent)
}

func (r *Run) lastActivity() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lastWhat == "" {
		return "waiting"
	}
	return "last: " + r.lastWhat
}

// did records an action of the running phase, done.
func (r *Run) did(node, what string) {
	r.mu.Lock()
	id := PhaseID("")
	if r.phase != nil {
		id = r.phase.ID()
	}
	r.actions = append(r.actions, Action{Phase: id, Node: node, What: what})
	r.mu.Unlock()
}

// planned records (and reports) an action a dry run would do.
func (r *Run) planned(a Action) {
	r.mu.Lock()
	r.actions = append(r.actions, a)
	r.mu.Unlock()
	r.emit(Event{Kind: Info, PhaseID: a.Phase, Phase: r.titleOf(a.Phase), Node: a.Node, Message: "would " + a.What})
}

func (r *Run) titleOf(id PhaseID) string {
	for _, p := range r.flow.Phases {
		if p.ID() == id {
			return p.Title()
		}
	}
	return string(id)
}

// Actions lists what the run did (or, in a dry run, would do), in order.
func (r *Run) Actions() []Action {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Action(nil), r.actions...)
}

func (r *Run) changed() {
	r.mu.Lock()
	r.changes++
	r.mu.Unlock()
}

// wanted returns the nodes the run must end with.
func (r *Run) wanted() []VMSpec {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]VMSpec(nil), r.want...)
}

// byRole returns the wanted nodes with one of roles.
func (r *Run) byRole(roles ...string) []VMSpec {
	var out []VMSpec
	for _, n := range r.wanted() {
		for _, role := range roles {
			if n.Role == role {
				out = append(out, n)
			}
		}
	}
	return out
}

// nodeState returns the node's record (created on first use).
func (r *Run) nodeState(name string) *node {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.nodes[name]
	if n == nil {
		n = &node{spec: VMSpec{Name: name}}
		r.nodes[name] = n
	}
	return n
}

// withNode runs f with the node's record locked.
func (r *Run) withNode(name string, f func(n *node)) {
	n := r.nodeState(name)
	r.mu.Lock()
	defer r.mu.Unlock()
	f(n)
}

func (r *Run) vm(name string) *VMInfo {
	var vm *VMInfo
	r.withNode(name, func(n *node) { vm = n.vm })
	return vm
}

func (r *Run) conn(name string) Conn {
	var c Conn
	r.withNode(name, func(n *node) { c = n.conn })
	return c
}

func (r *Run) facts(name string) *NodeFacts {
	var f *NodeFacts
	r.withNode(name, func(n *node) { f = n.facts })
	return f
}

func (r *Run) setConn(name string, c Conn) {
	var old Conn
	r.withNode(name, func(n *node) { old, n.conn = n.conn, c })
	if old != nil && old != c {
		_ = old.Close()
	}
}

func (r *Run) setFacts(name string, f *NodeFacts) {
	r.withNode(name, func(n *node) { n.facts, n.probeErr = f, nil })
}

// addrOf is where the node is reached: the IP its VM reports, else the
// configured one.
func (r *Run) addrOf(n VMSpec) string {
	if vm := r.vm(n.Name); vm != nil && vm.IP != "" {
		return vm.IP
	}
	return n.IP
}

// Close releases the SSH connections and the vCenter session, bounded:
// a frozen vCenter must not hold the process.
func (r *Run) Close() {
	r.mu.Lock()
	var conns []Conn
	for _, n := range r.nodes {
		if n.conn != nil {
			conns = append(conns, n.conn)
			n.conn = nil
		}
	}
	cloud := r.cloud
	r.cloud = nil
	r.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
	r.closeACS()
	if cloud != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = cloud.Close(ctx)
	}
}

// SaveState persists the state.
func (r *Run) SaveState() error { return r.State.Save() }

// StatePath is where the cluster's state file lives.
func StatePath(stateDir string) string { return filepath.Join(stateDir, "state.json") }

// ClusterID is the cluster's id, known after connect-vcenter.
func (r *Run) ClusterID() string { return r.clusterID }

func roleOrder(role string) int {
	switch role {
	case RoleBootstrap:
		return 0
	case RoleMaster:
		return 1
	case RoleAgent:
		return 2
	}
	return 3
}

func shortID(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
