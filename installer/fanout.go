package installer

import (
	"context"
	"fmt"
	"sync"
)

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
	ne := &NodesError{errs}
	ne.sort()
	return ne
}
