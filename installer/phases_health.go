package installer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// checkHealth waits, bounded by --node-timeout, until the cluster is
// healthy by the checks of reference §7: Exhibitor all serving with one
// leader, every Mesos master recovered, Admin Router answering
// dcos-version.json, every agent registered. With once (status) it checks
// each node one time and records the answer instead of waiting.
type checkHealth struct {
	// only limits the check to these nodes plus the masters (add-agents).
	only func(r *Run) map[string]bool
	once bool
}

func (checkHealth) ID() PhaseID   { return PhaseHealth }
func (checkHealth) Title() string { return "Check cluster health" }
func (checkHealth) Describe() string {
	return "Exhibitor serving + one leader, Mesos masters recovered, Admin Router up, agents registered"
}

// Health checks of a node start quick (a node that is already healthy, or
// becomes so within a second, is seen at once) and slow down to
// healthPollMax; progress is reported every healthReportEvery.
const (
	healthPollFirst   = 250 * time.Millisecond
	healthPollMax     = 2 * time.Second
	healthReportEvery = 10 * time.Second
)

func (p checkHealth) nodes(r *Run) []VMSpec {
	var only map[string]bool
	if p.only != nil {
		only = p.only(r)
	}
	var out []VMSpec
	candidates := r.dcosNodes()
	if p.once {
		// status: the cluster's agents beyond the config too
		candidates = append(candidates, r.extraAgents()...)
	}
	for _, n := range candidates {
		if only != nil && n.Role != RoleMaster && !only[n.Name] {
			continue
		}
		if p.once {
			// status: only nodes that can answer
			if f := r.facts(n.Name); f == nil || f.DCOS != DCOSInstalled || r.conn(n.Name) == nil {
				continue
			}
		}
		out = append(out, n)
	}
	return out
}

func (p checkHealth) ShouldRun(r *Run) (bool, string) {
	if len(p.nodes(r)) == 0 {
		return false, "no node runs DC/OS"
	}
	return true, ""
}

func (p checkHealth) Run(ctx context.Context, r *Run) error {
	if p.once {
		return p.checkOnce(ctx, r)
	}
	ctx, cancel := context.WithTimeout(ctx, r.Options.NodeTimeout)
	defer cancel()
	masters := len(r.byRole(RoleMaster))
	return forEachNode(ctx, p.nodes(r), r.Options.Concurrency, func(ctx context.Context, n VMSpec) error {
		return r.waitHealthy(ctx, n, masters)
	})
}

// waitHealthy polls n's health until it is healthy or ctx ends (the
// caller bounds it), dialing again when the link went.
func (r *Run) waitHealthy(ctx context.Context, n VMSpec, masters int) error {
	r.step(n.Name, "waiting for health")
	var last error
	pause, reported := healthPollFirst, time.Now()
	for {
		last = r.nodeHealth(ctx, n, masters)
		if last == nil {
			r.setHealth(n.Name, "healthy")
			r.emit(Event{Kind: NodeDone, Node: n.Name, Message: "healthy"})
			return nil
		}
		if errors.Is(last, ErrConnectionLost) || r.conn(n.Name) == nil {
			// The link went (a cut, a reboot): dial again, bounded, and go on waiting.
			if _, err := r.redial(ctx, n); err != nil && ctx.Err() == nil {
				last = fmt.Errorf("%w (reconnecting: %v)", last, err)
			}
		}
		if time.Since(reported) >= healthReportEvery {
			r.emit(Event{Kind: NodeStep, Node: n.Name, Step: "waiting for health", Message: last.Error()})
			reported = time.Now()
		}
		if stopping(ctx) {
			return fmt.Errorf("not healthy yet (%v): %w", last, ErrStopped)
		}
		select {
		case <-ctx.Done():
			if ctx.Err() == context.DeadlineExceeded {
				return fmt.Errorf("not healthy after %s: %w", r.Options.NodeTimeout, last)
			}
			return fmt.Errorf("not healthy yet (%v): %w", last, ctx.Err())
		case <-stopChan(ctx):
		case <-time.After(pause):
		}
		pause = min(2*pause, healthPollMax)
	}
}

// checkOnce records every node's health (status).
func (p checkHealth) checkOnce(ctx context.Context, r *Run) error {
	masters := len(r.byRole(RoleMaster))
	return forEachNode(ctx, p.nodes(r), r.Options.Concurrency, func(ctx context.Context, n VMSpec) error {
		cctx, cancel := context.WithTimeout(ctx, probeTimeout)
		defer cancel()
		if err := r.nodeHealth(cctx, n, masters); err != nil {
			r.setHealth(n.Name, firstLine(err.Error()))
		} else {
			r.setHealth(n.Name, "healthy")
		}
		return nil
	})
}

// nodeHealth runs the role's checks once, on the node, over SSH.
func (r *Run) nodeHealth(ctx context.Context, n VMSpec, masters int) error {
	c := r.conn(n.Name)
	if c == nil {
		return fmt.Errorf("no SSH connection: %w", ErrConnectionLost)
	}
	get := func(url string) ([]byte, error) {
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		out, err := c.Run(cctx, curlScript(url), nil)
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

func (r *Run) setHealth(name, health string) {
	r.withNode(name, func(n *node) { n.health = health })
}
