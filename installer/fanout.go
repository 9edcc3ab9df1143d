package installer

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
)

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

// forEachNode runs f for every node with at most limit at once. A failing
// node does not stop the others: they finish their step, and all failures
// come back together.
func forEachNode(ctx context.Context, nodes []VMSpec, limit int, f func(ctx context.Context, n VMSpec) error) error {
	if limit <= 0 {
		limit = 1
	}
	sem := make(chan struct{}, limit)
	var (
		mu   sync.Mutex
		errs []*NodeError
		wg   sync.WaitGroup
	)
	for _, n := range nodes {
		wg.Add(1)
		go func(n VMSpec) {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				mu.Lock()
				errs = append(errs, &NodeError{n.Name, n.IP, ctx.Err()})
				mu.Unlock()
				return
			}
			defer func() { <-sem }()
			if stopping(ctx) {
				mu.Lock()
				errs = append(errs, &NodeError{n.Name, n.IP, fmt.Errorf("not started: %w", ErrStopped)})
				mu.Unlock()
				return
			}
			if err := f(ctx, n); err != nil {
				mu.Lock()
				errs = append(errs, &NodeError{n.Name, n.IP, err})
				mu.Unlock()
			}
		}(n)
	}
	wg.Wait()
	if len(errs) == 0 {
		return nil
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Node < errs[j].Node })
	return &NodesError{errs}
}
