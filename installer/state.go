package installer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	// ClusterID is the id minted by the first install: every VM's mark
	// and every node's mark carry it.
	ClusterID string `json:"clusterId,omitempty"`
	// BootstrapURL and ConfigSHA256 describe the genconf/serve the cluster
	// was installed from.
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
	// Path is the state file; "" keeps the state in memory only.
	Path string
	// Notice says what OpenState did about an unreadable file ("" when
	// nothing): the caller shows it as a warning.
	Notice string

	mu    sync.Mutex
	state *State
}

// maxStateSize bounds the state file read: it is a few KB per node, and a
// huge file is not ours to read whole.
const maxStateSize = 8 << 20

// MemoryState is a store that is never written (tests, dry runs).
func MemoryState(cluster string) *StateStore {
	return &StateStore{state: &State{Version: stateVersion, Cluster: cluster, Nodes: map[string]*NodeState{}}}
}

// OpenState reads path, or starts an empty state when it does not exist.
// The state is a cache: a corrupt or oversized file is moved aside (to
// path.corrupt-<time>, kept for inspection) and the run starts from an
// empty state, with Notice saying so; vCenter and the nodes are re-probed
// anyway. A file of another cluster is an error.
func OpenState(path, cluster string) (*StateStore, error) {
	s := &StateStore{Path: path, state: &State{Version: stateVersion, Cluster: cluster, Nodes: map[string]*NodeState{}}}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state %s: %w", path, err)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxStateSize+1))
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("read state %s: %w", path, err)
	}
	var st State
	bad := ""
	if len(data) > maxStateSize {
		bad = fmt.Sprintf("larger than %d MB", maxStateSize>>20)
	} else if err := json.Unmarshal(data, &st); err != nil {
		bad = err.Error()
	}
	if bad != "" {
		aside := fmt.Sprintf("%s.corrupt-%s", path, time.Now().UTC().Format("20060102T150405.000Z"))
		if err := os.Rename(path, aside); err != nil {
			return nil, fmt.Errorf("state file %s is unreadable (%s) and could not be moved aside: %w", path, bad, err)
		}
		s.Notice = fmt.Sprintf("state file %s was unreadable (%s): moved to %s; it is only a cache, vCenter and the nodes are probed anyway", path, bad, aside)
		return s, nil
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

// Save writes the state atomically with mode 0600 (a memory store: no-op).
func (s *StateStore) Save() error {
	if s.Path == "" {
		return nil
	}
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
