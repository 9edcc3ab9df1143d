package installer

import (
	"context"
	"fmt"

	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

// restartPendingPath marks an agent whose registry files were rewritten
// by rotate but whose Mesos agent has not been restarted since (Mesos
// reads --docker_config once, at start). It is removed once the agent
// is back and registered, so a rotate cut short anywhere is finished by
// the next one.
const restartPendingPath = "/etc/dcos-vsphere/registry-restart-pending"

// RotateFlow puts cluster.yaml's (new) registry credentials on every
// agent whose files differ and restarts their Mesos agents one at a
// time, each back and registered before the next; then the ACS agents'
// archive (acs-sync). Safe to re-run: current agents are left alone.
func RotateFlow() Flow {
	return Flow{Name: "registry-rotate", Phases: []Phase{
		connectVCenter{},
		probeNodes{report: true},
		checkRegistry{rotating: true},
		rotateRegistry{},
		syncACS{},
	}}
}

// rotateRegistry rewrites the agents' registry files and restarts their
// Mesos agents, one agent at a time.
type rotateRegistry struct{}

func (rotateRegistry) ID() PhaseID   { return PhaseRotateRegistry }
func (rotateRegistry) Title() string { return "Rotate agent credentials" }
func (rotateRegistry) Describe() string {
	return "on each agent whose files differ: write " + registry.CredentialsPath + " and " + registry.ArchivePath +
		", restart dcos-mesos-slave(-public), wait until it is registered again; one agent at a time"
}

// agents are every agent of the cluster: the config's and those added
// beyond it.
func (r *Run) agents() []VMSpec {
	return append(r.byRole(RoleAgent, RolePublicAgent), r.extraAgents()...)
}

// extraAgents are the cluster's agents beyond the config (added by
// add-agents).
func (r *Run) extraAgents() []VMSpec {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []VMSpec
	for _, v := range r.extra {
		if isAgent(v.Role) {
			out = append(out, VMSpec{Name: v.Name, IP: v.IP, Role: v.Role})
		}
	}
	return out
}

// forgetHostKeys removes node's addresses from known_hosts (when the
// dialer keeps them), warning about any it could not remove.
func (r *Run) forgetHostKeys(node string, ips ...string) {
	f, ok := r.Dialer.(Forgetter)
	if !ok {
		return
	}
	for _, ip := range ips {
		if ip == "" {
			continue
		}
		if err := f.Forget(ip); err != nil {
			r.emit(Event{Kind: Warning, Node: node, Message: "remove its known_hosts entry: " + err.Error()})
		}
	}
}

// rotateTargets are the agents that need the rotation: files differ, or
// a restart is pending from a rotate cut short.
func (r *Run) rotateTargets() []VMSpec {
	var out []VMSpec
	for _, n := range r.agents() {
		f := r.facts(n.Name)
		if f == nil || f.DCOS != DCOSInstalled {
			continue
		}
		ps, unknown := r.registryProblems(n.Name, n.Role)
		if len(ps) > 0 || unknown || f.RestartPending {
			out = append(out, n)
		}
	}
	return out
}

func (rotateRegistry) ShouldRun(r *Run) (bool, string) {
	if !r.hasRegistry() {
		return false, "no registry section"
	}
	if len(r.rotateTargets()) == 0 && len(r.unreachableAgents()) == 0 {
		return false, "every agent has the current credentials"
	}
	return true, ""
}

// unreachableAgents are agents with a VM that could not be probed.
func (r *Run) unreachableAgents() []*NodeError {
	var out []*NodeError
	for _, n := range r.agents() {
		var perr error
		r.withNode(n.Name, func(nd *node) { perr = nd.probeErr })
		if vm := r.vm(n.Name); vm != nil && r.facts(n.Name) == nil {
			if perr == nil {
				perr = fmt.Errorf("VM is powered off")
			}
			out = append(out, &NodeError{Node: n.Name, IP: r.addrOf(n), Err: perr})
		}
	}
	return out
}

func (rotateRegistry) Plan(r *Run) []Action {
	var out []Action
	for _, n := range r.rotateTargets() {
		out = append(out, Action{Phase: PhaseRotateRegistry, Node: n.Name, What: rotateWhat(n)})
	}
	return out
}

func rotateWhat(n VMSpec) string {
	return writeRegistryWhat + ", restart " + registry.AgentUnit(n.Role == RolePublicAgent) + " and wait until it is registered"
}

func (rotateRegistry) Run(ctx context.Context, r *Run) error {
	masters := len(r.byRole(RoleMaster))
	errs := &NodesError{}
	for _, n := range r.rotateTargets() {
		if stopping(ctx) {
			return ErrStopped
		}
		if err := r.rotateAgent(ctx, n, masters); err != nil {
			// Stop here: the next agent is only restarted once this one is
			// back (one agent down at a time, never more).
			errs.Errs = append(errs.Errs, &NodeError{Node: n.Name, IP: r.addrOf(n), Err: err})
			r.emit(Event{Kind: NodeFailed, Node: n.Name, Message: err.Error()})
			return errs
		}
	}
	if u := r.unreachableAgents(); len(u) > 0 {
		errs.Errs = append(errs.Errs, u...)
		errs.sort()
		return fmt.Errorf("the reachable agents have the new credentials; these could not be reached (run rotate again once they answer): %w", errs)
	}
	return nil
}

// rotateAgent writes the files on n (pending marker first), restarts its
// Mesos agent, waits until it is registered again and clears the marker.
func (r *Run) rotateAgent(ctx context.Context, n VMSpec, masters int) error {
	ctx, cancel := context.WithTimeout(ctx, r.Options.NodeTimeout)
	defer cancel()
	c := r.conn(n.Name)
	if err := c.WriteFile(ctx, []byte("registry rotate: restart the Mesos agent\n"), restartPendingPath, 0o644); err != nil {
		return fmt.Errorf("mark the pending restart: %w", err)
	}
	if _, err := r.writeRegistryFiles(ctx, n); err != nil {
		return err
	}
	unit := registry.AgentUnit(n.Role == RolePublicAgent)
	r.step(n.Name, "restart "+unit)
	if _, err := c.Run(ctx, restartAgentScript(unit), r.logLine(n.Name)); err != nil {
		return fmt.Errorf("restart %s: %w", unit, err)
	}
	r.setHealth(n.Name, "")
	if err := r.waitHealthy(ctx, n, masters); err != nil {
		return fmt.Errorf("after restarting %s: %w", unit, err)
	}
	if _, err := r.conn(n.Name).Run(ctx, clearPendingScript(), nil); err != nil {
		return fmt.Errorf("clear the pending restart: %w", err)
	}
	r.did(n.Name, rotateWhat(n))
	r.changed()
	return nil
}

func restartAgentScript(unit string) Script {
	return Script{Name: "restart-agent", Body: "systemctl restart " + unit}
}

func clearPendingScript() Script {
	return Script{Name: "clear-pending", Body: "rm -f " + restartPendingPath}
}
