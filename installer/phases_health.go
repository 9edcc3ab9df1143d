package installer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// postflight waits, bounded, until the cluster is healthy by the checks
// of reference §7: Exhibitor all serving with one leader, every Mesos
// master recovered, Admin Router answering dcos-version.json, every agent
// registered.
type postflight struct {
	// only limits the check to these nodes plus the masters (add-agents).
	only map[string]bool
}

func (postflight) Title() string { return "Check cluster health" }

// Health checks of a node start quick (a node that is already healthy, or
// becomes so within a second, is seen at once) and slow down to
// healthPollMax; progress is reported every healthReportEvery.
const (
	healthPollFirst   = 250 * time.Millisecond
	healthPollMax     = 2 * time.Second
	healthReportEvery = 10 * time.Second
)

func (p postflight) Run(ctx context.Context, r *Run) error {
	ctx, cancel := context.WithTimeout(ctx, r.Options.NodeTimeout)
	defer cancel()
	var nodes []VMSpec
	for _, n := range r.Want {
		if n.Role == RoleBootstrap {
			continue
		}
		if p.only != nil && n.Role != RoleMaster && !p.only[n.Name] {
			continue
		}
		nodes = append(nodes, n)
	}
	masters := len(r.byRole(RoleMaster))
	return forEachNode(ctx, nodes, r.Options.Concurrency, func(ctx context.Context, n VMSpec) error {
		r.step(n.Name, "waiting for health")
		var last error
		pause, reported := healthPollFirst, time.Now()
		for {
			last = r.nodeHealth(ctx, n, masters)
			if last == nil {
				r.emit(Event{Kind: NodeDone, Node: n.Name, Message: "healthy"})
				return nil
			}
			if time.Since(reported) >= healthReportEvery {
				r.emit(Event{Kind: NodeStep, Node: n.Name, Step: "waiting for health", Message: last.Error()})
				reported = time.Now()
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("not healthy after %s: %w", r.Options.NodeTimeout, last)
			case <-time.After(pause):
			}
			pause = min(2*pause, healthPollMax)
		}
	})
}

// nodeHealth runs the role's checks once, on the node, over SSH.
func (r *Run) nodeHealth(ctx context.Context, n VMSpec, masters int) error {
	c := r.conn(n.Name)
	if c == nil {
		return errors.New("no SSH connection")
	}
	get := func(url string) ([]byte, error) {
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		out, err := c.Run(cctx, "curl -fsS --max-time 5 "+shellQuote(url), nil)
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", url, err)
		}
		return []byte(out), nil
	}
	switch n.Role {
	case RoleMaster:
		body, err := get(exhibitorStatusURL)
		if err == nil {
			err = checkExhibitor(body, masters)
		}
		if err != nil {
			return err
		}
		if body, err = get(masterMetricsURL); err == nil {
			err = checkMetric(body, "registrar/log/recovered")
		}
		if err != nil {
			return err
		}
		if body, err = get(dcosVersionURL); err != nil {
			return err
		}
		v, err := dcosVersion(body)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(v, "1.9") {
			return fmt.Errorf("DC/OS version %s, want 1.9.x", v)
		}
		return nil
	default:
		body, err := get(agentMetricsURL)
		if err == nil {
			err = checkMetric(body, "slave/registered")
		}
		return err
	}
}

// summary reports where the cluster is and how to reach it.
type summary struct{}

func (summary) Title() string { return "Summary" }

func (summary) Run(_ context.Context, r *Run) error {
	masters := r.byRole(RoleMaster)
	var b strings.Builder
	r.mu.Lock()
	changes := r.changes
	r.mu.Unlock()
	if changes == 0 {
		fmt.Fprintf(&b, "Nothing to do: DC/OS 1.9 cluster %q already matches the config; nothing was changed.\n", r.Cluster.Name)
	} else {
		fmt.Fprintf(&b, "DC/OS 1.9 cluster %q is up.\n", r.Cluster.Name)
	}
	if len(masters) > 0 {
		fmt.Fprintf(&b, "  UI:         http://%s/\n", masters[0].IP)
	}
	fmt.Fprintf(&b, "  bootstrap:  %s (genconf/serve; keep it for add-agents)\n", r.bootstrapURL())
	for _, n := range r.Want {
		fmt.Fprintf(&b, "  %-14s %-13s %s\n", n.Name, n.Role, n.IP)
	}
	if r.State != nil {
		fmt.Fprintf(&b, "  state:      %s\n", r.State.Path)
	}
	r.emit(Event{Kind: Info, Phase: "Summary", Message: strings.TrimRight(b.String(), "\n")})
	return nil
}
