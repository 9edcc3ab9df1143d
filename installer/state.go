package installer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/internal/fsutil"
)

// stateVersion is bumped when the file's meaning changes.
const stateVersion = 1

// State is what earlier runs learned: a cache, never the truth. Every run
// re-probes vCenter and the nodes; losing this file must never lead to a
// duplicate VM or a reinstall. It holds no secrets.
type State struct {
	Version int    `json:"version"`
	Cluster string `json:"cluster"`
	// BootstrapURL and ConfigID describe the genconf/serve the cluster was
	// installed from; add-agents reuses them and never regenerates.
	BootstrapURL string                `json:"bootstrapURL,omitempty"`
	ConfigSHA256 string                `json:"configSHA256,omitempty"` // of the genconf/config.yaml served
	Nodes        map[string]*NodeState `json:"nodes"`
	UpdatedAt    time.Time             `json:"updatedAt"`
}

// NodeState is what is known about one node.
type NodeState struct {
	Role         string               `json:"role"`
	IP           string               `json:"ip"`
	VMRef        string               `json:"vmRef,omitempty"`
	InstanceUUID string               `json:"instanceUUID,omitempty"`
	HostKey      string               `json:"hostKeySHA256,omitempty"`
	Steps        map[string]time.Time `json:"steps,omitempty"` // step → when it finished
}

// StateStore loads and saves State atomically (temp file + rename, 0600).
type StateStore struct {
	Path string

	mu    sync.Mutex
	state *State
}

// OpenState reads path, or starts an empty state when it does not exist.
// A corrupt file is an error: it is never silently replaced.
func OpenState(path, cluster string) (*StateStore, error) {
	s := &StateStore{Path: path, state: &State{Version: stateVersion, Cluster: cluster, Nodes: map[string]*NodeState{}}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state %s: %w", path, err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("state file %s is corrupt (%v); move it aside to start over, vCenter and the nodes are re-probed anyway", path, err)
	}
	if st.Cluster != "" && st.Cluster != cluster {
		return nil, fmt.Errorf("state file %s belongs to cluster %q, not %q", path, st.Cluster, cluster)
	}
	if st.Nodes == nil {
		st.Nodes = map[string]*NodeState{}
	}
	st.Cluster = cluster
	s.state = &st
	return s, nil
}

// Update runs f with the state locked.
func (s *StateStore) Update(f func(*State)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.state)
}

// View runs f with the state locked, for reading.
func (s *StateStore) View(f func(*State)) { s.Update(f) }

// Node returns the node's entry, creating it.
func (st *State) Node(name string) *NodeState {
	n := st.Nodes[name]
	if n == nil {
		n = &NodeState{}
		st.Nodes[name] = n
	}
	return n
}

// MarkStep records that node finished step.
func (s *StateStore) MarkStep(node, step string) {
	s.Update(func(st *State) {
		n := st.Node(node)
		if n.Steps == nil {
			n.Steps = map[string]time.Time{}
		}
		n.Steps[step] = time.Now().UTC()
	})
}

// Save writes the state atomically with mode 0600.
func (s *StateStore) Save() error {
	s.mu.Lock()
	s.state.Version = stateVersion
	s.state.UpdatedAt = time.Now().UTC()
	data, err := json.MarshalIndent(s.state, "", "  ")
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return fsutil.WriteAtomic(s.Path, append(data, '\n'), 0o600)
}

// NodeNames returns the recorded node names, sorted.
func (st *State) NodeNames() []string {
	names := make([]string, 0, len(st.Nodes))
	for n := range st.Nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
