package installer

import (
	"fmt"
	"sort"
	"strings"
)

// ConflictError says the config cannot be carried out as it is because
// of what exists: a planned name or address belongs to something else, a
// node is not the machine the config means, the DC/OS config changed
// under a running cluster. Nothing was changed; the fix is in cluster.yaml
// (or in what holds the name). It is a config problem: exit code 2.
type ConflictError struct{ Msg string }

func (e *ConflictError) Error() string { return e.Msg }

// ExitCode is 2: the config must change.
func (e *ConflictError) ExitCode() int { return 2 }

// NodeError says which node failed and why.
type NodeError struct {
	Node string
	IP   string
	Err  error
}

func (e *NodeError) Error() string { return fmt.Sprintf("%s (%s): %v", e.Node, e.IP, e.Err) }
func (e *NodeError) Unwrap() error { return e.Err }

// NodesError collects the failures of one fan-out, sorted by node name.
type NodesError struct{ Errs []*NodeError }

func (e *NodesError) Error() string {
	parts := make([]string, len(e.Errs))
	for i, ne := range e.Errs {
		parts[i] = ne.Error()
	}
	return fmt.Sprintf("%d node(s) failed:\n  %s", len(e.Errs), strings.Join(parts, "\n  "))
}

// Unwrap exposes every node's error to errors.Is/As.
func (e *NodesError) Unwrap() []error {
	out := make([]error, len(e.Errs))
	for i, ne := range e.Errs {
		out[i] = ne
	}
	return out
}

func (e *NodesError) sort() {
	sort.Slice(e.Errs, func(i, j int) bool { return e.Errs[i].Node < e.Errs[j].Node })
}

// IdentityError says a node is not the machine the config means: another
// VM answers at its address, or it runs another cluster's DC/OS. It is
// never adopted, installed over or reported healthy.
type IdentityError struct {
	Node string
	IP   string
	// Want and Have describe the two identities.
	Want, Have string
	Hint       string
}

func (e *IdentityError) Error() string {
	return fmt.Sprintf("%s at %s is not the machine this cluster means: want %s, the host has %s; %s", e.Node, e.IP, e.Want, e.Have, e.Hint)
}

// ExitCode is 2: the config (an address) or the environment conflicts.
func (e *IdentityError) ExitCode() int { return 2 }
