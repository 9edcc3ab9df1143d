package installer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/internal/textdist"
	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

// The phases only remove-agents runs.
const (
	PhasePlanRemoval PhaseID = "plan-removal"
	PhaseDrainAgents PhaseID = "drain-agents"
	PhaseRemoveVMs   PhaseID = "remove-vms"
)

// RemoveAgentsFlow takes the named private and public agents out of the
// cluster the way DC/OS 1.9 documents it for an agent that goes away for
// good: stop its Mesos agent with SIGUSR1 first (`systemctl kill -s
// SIGUSR1 dcos-mesos-slave[-public] && systemctl stop ...`), so it
// unregisters, and wait, bounded, until the leading Mesos master no
// longer lists it; then power off and delete its VM (only a VM of this
// cluster: id + folder), forget its SSH host key, and check the health of
// the nodes that remain. A master or the bootstrap node is refused before
// anything is done, and so is a name that is no agent of the cluster.
// Re-running it after an interruption finishes the job: an agent already
// stopped is not listed any more, a VM already deleted is not looked for.
func RemoveAgentsFlow(names []string) Flow {
	rm := &removal{names: names}
	return Flow{Name: "remove-agents", Phases: []Phase{
		connectVCenter{},
		&planRemoval{rm},
		probeNodes{},
		&drainAgents{rm},
		&removeVMs{rm},
		checkHealth{only: rm.remaining},
	}}
}

// removal is what the phases of one remove-agents run share: the names
// asked for, and (after plan-removal) the agents they are.
type removal struct {
	names   []string
	targets []removeTarget
}

// removeTarget is one agent to remove. Its VM is looked up live
// (Run.existingVM): the phases change it.
type removeTarget struct {
	Name string
	Role string // agent or public-agent
	IP   string
	// InConfig: cluster.yaml lists it (install would make it again).
	InConfig bool
	// Done: an earlier run removed it and forgot its host key; no VM of
	// it exists. Nothing is left to do.
	Done bool
}

// stepRemoved is the state file's record that remove-agents finished a
// node (kept with its role and address, without VM or host key).
const stepRemoved = "removed"

// masterSlavesURL lists the agents the leading Mesos master knows
// (Mesos 1.2 /master/slaves), read on a master through its SSH connection.
const masterSlavesURL = "http://127.0.0.1:5050/master/slaves"

// drainTimeout bounds the wait for Mesos to drop the stopped agents (also
// bounded by --node-timeout). An agent that unregisters is gone from the
// master at once; this is for a master that is slow or away.
const drainTimeout = 2 * time.Minute

// existingVM is the node's VM of this cluster, nil when none; unlike vm it
// creates no record for an unknown name.
func (r *Run) existingVM(name string) *VMInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := r.nodes[name]; n != nil {
		return n.vm
	}
	return nil
}

// withVM lists the targets whose VM exists.
func (rm *removal) withVM(r *Run) []removeTarget {
	var out []removeTarget
	for _, t := range rm.targets {
		if r.existingVM(t.Name) != nil {
			out = append(out, t)
		}
	}
	return out
}

func (rm *removal) isTarget(name string) bool {
	for _, t := range rm.targets {
		if t.Name == name {
			return true
		}
	}
	return false
}

// remaining are the agents the health check waits for after the removal:
// the cluster's other agents that exist and run DC/OS.
func (rm *removal) remaining(r *Run) map[string]bool {
	out := map[string]bool{}
	for _, n := range r.byRole(RoleAgent, RolePublicAgent) {
		if rm.isTarget(n.Name) || r.existingVM(n.Name) == nil {
			continue
		}
		if f := r.facts(n.Name); f != nil && f.DCOS == DCOSInstalled {
			out[n.Name] = true
		}
	}
	return out
}

// planRemoval decides which agents the names are, from vCenter (this
// cluster's VMs and their role marks), the config and the state file, and
// refuses, before anything is touched, a master, the bootstrap node, a VM
// of another cluster and a name that is no agent of this cluster.
type planRemoval struct{ rm *removal }

func (*planRemoval) ID() PhaseID   { return PhasePlanRemoval }
func (*planRemoval) Title() string { return "Plan the removal" }
func (*planRemoval) Describe() string {
	return "which VMs the names are (this cluster's agents only); a master, the bootstrap node or an unknown name is refused before anything is done"
}
func (*planRemoval) ReadOnly() {}

func (p *planRemoval) Run(_ context.Context, r *Run) error {
	inConfig := map[string]VMSpec{}
	for _, n := range WantedNodes(r.Cluster) {
		inConfig[n.Name] = n
	}
	recorded := map[string]NodeState{}
	r.State.View(func(st *State) {
		for name, ns := range st.Nodes {
			recorded[name] = *ns
		}
	})
	r.mu.Lock()
	foreign := map[string]VMInfo{}
	for _, v := range r.foreign {
		foreign[v.Name] = v
	}
	r.mu.Unlock()

	var problems []string
	seen := map[string]bool{}
	p.rm.targets = nil
	for _, name := range p.rm.names {
		name = strings.TrimSpace(name)
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		t := removeTarget{Name: name}
		cfg, isCfg := inConfig[name]
		rec, isRec := recorded[name]
		vm := r.existingVM(name)
		switch {
		case vm != nil:
			t.Role, t.IP = vm.Role, vm.IP
			if t.Role == "" && isCfg {
				t.Role = cfg.Role
			}
			if t.IP == "" && isCfg {
				t.IP = cfg.IP
			}
		case isCfg:
			t.Role, t.IP = cfg.Role, cfg.IP
		case isRec && rec.Role != "":
			t.Role, t.IP = rec.Role, rec.IP
		}
		if t.IP == "" && isRec {
			t.IP = rec.IP // a powered-off VM reports no address
		}
		t.InConfig = isCfg
		t.Done = vm == nil && isRec && rec.VMRef == "" && !rec.Steps[stepRemoved].IsZero()
		switch {
		case t.Role == RoleMaster:
			problems = append(problems, fmt.Sprintf("--agent %s: it is a master of cluster %s; remove-agents removes private and public agents only "+
				"(DC/OS 1.9 cannot take a master out of a running cluster: master_list is fixed at install)", name, r.Cluster.Name))
		case t.Role == RoleBootstrap:
			problems = append(problems, fmt.Sprintf("--agent %s: it is the bootstrap node of cluster %s (it serves genconf/serve for add-agents); "+
				"remove-agents removes private and public agents only (destroy --vm %s deletes that VM)", name, r.Cluster.Name, name))
		case t.Role == RoleAgent || t.Role == RolePublicAgent:
			p.rm.targets = append(p.rm.targets, t)
		case vm != nil:
			problems = append(problems, fmt.Sprintf("--agent %s: VM %s (%s) of cluster %s carries no role mark and is not in the config; "+
				"remove-agents removes only VMs it knows as agents (destroy --vm %s deletes it)", name, name, vm.Ref, r.Cluster.Name, name))
		default:
			if f, ok := foreign[name]; ok {
				problems = append(problems, fmt.Sprintf("--agent %s: VM %s (%s) in folder %s belongs to another cluster named %s (id %s, this one is %s); it is not touched",
					name, name, f.Ref, r.Cluster.VCenter.Folder, r.Cluster.Name, f.ClusterID, r.clusterID))
				continue
			}
			problems = append(problems, p.unknown(r, name))
		}
	}
	if len(problems) > 0 {
		return &ConflictError{Msg: strings.Join(problems, "\n") + "\nnothing was changed"}
	}
	if len(p.rm.targets) == 0 {
		return &ConflictError{Msg: "remove-agents: no agent named; nothing was changed"}
	}
	// The nodes the run works on: the config's and this cluster's other
	// agents, and the targets with something left to do until they are
	// gone (so that probe-nodes reaches them and a plan lists them).
	done := map[string]bool{}
	for _, t := range p.rm.targets {
		done[t.Name] = t.Done
	}
	var want []VMSpec
	for _, n := range WantedNodes(r.Cluster) {
		if !done[n.Name] {
			want = append(want, n)
		}
	}
	want = append(want, r.extraAgents()...)
	r.mu.Lock()
	r.want = want
	r.mu.Unlock()
	for _, t := range p.rm.targets {
		r.withNode(t.Name, func(n *node) {
			if n.spec.Role == "" {
				n.spec = VMSpec{Name: t.Name, IP: t.IP, Role: t.Role}
			}
		})
		vm := r.existingVM(t.Name)
		switch {
		case vm != nil:
			state := "powered off"
			if vm.PoweredOn {
				state = "running"
			}
			r.emit(Event{Kind: Info, Node: t.Name, Message: fmt.Sprintf("%s at %s, VM %s (%s): to drain and delete", t.Role, t.IP, vm.Ref, state)})
		case t.Done:
			r.emit(Event{Kind: Info, Node: t.Name, Message: "already removed by an earlier run: nothing to do"})
		default:
			r.emit(Event{Kind: Info, Node: t.Name, Message: fmt.Sprintf("%s at %s: its VM is already deleted", t.Role, t.IP)})
		}
		if f, ok := foreign[t.Name]; ok {
			r.emit(Event{Kind: Warning, Node: t.Name, Message: fmt.Sprintf("VM %s (%s) in the folder has the name but belongs to another cluster (id %s): it is not touched", t.Name, f.Ref, f.ClusterID)})
		}
		if t.InConfig {
			r.emit(Event{Kind: Info, Node: t.Name, Message: fmt.Sprintf("%s is in the config (%s): remove-agents takes it out of the file once it is gone",
				t.Name, config.GroupPath(config.Role(t.Role)))})
		}
	}
	return nil
}

// unknown says that name is no agent of the cluster, with the agents it
// has (and the closest one).
func (p *planRemoval) unknown(r *Run, name string) string {
	var agents []string
	r.mu.Lock()
	for n, st := range r.nodes {
		if st.vm != nil && (st.vm.Role == RoleAgent || st.vm.Role == RolePublicAgent) {
			agents = append(agents, n)
		}
	}
	r.mu.Unlock()
	sort.Strings(agents)
	msg := fmt.Sprintf("--agent %s: no agent of cluster %s (id %s) in folder %s has that name", name, r.Cluster.Name, r.clusterID, r.Cluster.VCenter.Folder)
	best, bestD := "", 4
	for _, a := range agents {
		if d := textdist.Levenshtein(name, a); d < bestD {
			best, bestD = a, d
		}
	}
	if best != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", best)
	}
	switch {
	case len(agents) == 0:
		msg += "; it has no agent VMs"
	case len(agents) <= 12:
		msg += "; its agents: " + strings.Join(agents, ", ")
	default:
		msg += fmt.Sprintf("; its agents: %s, ... (%d in all; status lists them)", strings.Join(agents[:12], ", "), len(agents))
	}
	return msg
}

// agentUnit is the DC/OS unit of the node's Mesos agent: what
// dcos_install.sh recorded as its role, else its VM's role.
func agentUnit(r *Run, t removeTarget) string {
	role := ""
	if f := r.facts(t.Name); f != nil {
		role = f.DCOSRole
	}
	return registry.AgentUnit(role == "slave_public" || role == "" && t.Role == RolePublicAgent)
}

// drainAgents stops each target's Mesos agent the way DC/OS 1.9 documents
// (SIGUSR1, then stop: the agent unregisters from the master) and waits,
// bounded, until the leading Mesos master lists none of them. Nothing is
// deleted before that: a master that still lists an agent fails the run.
type drainAgents struct{ rm *removal }

func (*drainAgents) ID() PhaseID   { return PhaseDrainAgents }
func (*drainAgents) Title() string { return "Drain agents" }
func (*drainAgents) Describe() string {
	return "systemctl kill -s SIGUSR1 + stop dcos-mesos-slave[-public] (the agent unregisters), wait until the leading Mesos master no longer lists it"
}

func (d *drainAgents) ShouldRun(r *Run) (bool, string) {
	if len(d.rm.withVM(r)) == 0 {
		return false, "no VM of the agents exists (already deleted)"
	}
	return true, ""
}

// stops says whether the target's agent is to be stopped: its VM runs and
// DC/OS's setup got that far.
func (r *Run) stops(t removeTarget) bool {
	vm := r.existingVM(t.Name)
	f := r.facts(t.Name)
	return vm != nil && vm.PoweredOn && f != nil && f.DCOS != DCOSNotInstalled
}

func (d *drainAgents) Plan(r *Run) []Action {
	var out []Action
	for _, t := range d.rm.withVM(r) {
		what := fmt.Sprintf("check that the leading Mesos master does not list %s", t.IP)
		switch vm := r.existingVM(t.Name); {
		case r.stops(t):
			what = fmt.Sprintf("stop %s (SIGUSR1 first: it unregisters from Mesos) and wait until the leading Mesos master no longer lists %s", agentUnit(r, t), t.IP)
		case !vm.PoweredOn:
			what += " (the VM is powered off)"
		default:
			what += " (DC/OS is not installed on it)"
		}
		out = append(out, Action{Phase: PhaseDrainAgents, Node: t.Name, What: what})
	}
	return out
}

// drainScript stops a Mesos agent as DC/OS 1.9 documents for an agent
// that leaves (SIGUSR1 makes it unregister, stop keeps systemd from
// restarting it). An agent already stopped is left as it is.
func drainScript(unit string) Script {
	return Script{Name: "drain-agent", Body: fmt.Sprintf(`unit=%s
if systemctl is-active --quiet "$unit"; then
  systemctl kill -s SIGUSR1 "$unit"
  systemctl stop "$unit"
  echo "stopped $unit (SIGUSR1: unregistered from Mesos)"
else
  systemctl stop "$unit" >/dev/null 2>&1 || true
  echo "$unit was already stopped"
fi
`, shellQuote(unit))}
}

func (d *drainAgents) Run(ctx context.Context, r *Run) error {
	targets := d.rm.withVM(r)
	// The probe's word beats the VM's mark: a node that runs a DC/OS
	// master is never drained or deleted.
	for _, t := range targets {
		if f := r.facts(t.Name); f != nil && f.DCOSRole == "master" {
			return &ConflictError{Msg: fmt.Sprintf("--agent %s: its VM is marked as %s, but the node runs a DC/OS master (/etc/mesosphere/roles/master); nothing was changed", t.Name, t.Role)}
		}
	}
	var stop []VMSpec
	units := map[string]string{}
	for _, t := range targets {
		if r.stops(t) {
			stop = append(stop, VMSpec{Name: t.Name, IP: t.IP, Role: t.Role})
			units[t.Name] = agentUnit(r, t)
		}
	}
	err := forEachNode(ctx, stop, r.Options.Concurrency, func(ctx context.Context, n VMSpec) error {
		unit := units[n.Name]
		r.step(n.Name, "stop "+unit)
		out, err := r.runRetrying(ctx, n, drainScript(unit))
		if err != nil {
			return fmt.Errorf("stop %s: %w", unit, err)
		}
		r.did(n.Name, "stop "+unit)
		r.emit(Event{Kind: Info, Node: n.Name, Message: strings.TrimSpace(lastLine(out))})
		return nil
	})
	if err != nil {
		return err
	}
	return r.waitUnlisted(ctx, targets)
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// waitUnlisted polls the leading Mesos master until it lists none of the
// targets whose agent was stopped, bounded by drainTimeout (and
// --node-timeout). An agent whose VM is off cannot come back: if Mesos
// still lists it (it marks it unreachable on its own), that is a warning.
func (r *Run) waitUnlisted(ctx context.Context, targets []removeTarget) error {
	timeout := min(drainTimeout, r.Options.NodeTimeout)
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	pending := map[string]removeTarget{} // by IP
	for _, t := range targets {
		if t.IP == "" {
			r.did(t.Name, "address unknown")
			r.emit(Event{Kind: Warning, Node: t.Name, Message: "its VM is powered off and reports no address, and neither the config nor the state file has one: Mesos cannot be asked about it"})
			continue
		}
		pending[t.IP] = t
		r.step(t.Name, "waiting for Mesos to drop it")
	}
	if len(pending) == 0 {
		return nil
	}
	pause, reported := healthPollFirst, time.Now()
	var last error
	for {
		listed, leader, err := r.mesosAgents(wctx)
		if err == nil {
			for ip, t := range pending {
				vm := r.existingVM(t.Name)
				switch {
				case !listed[ip]:
					r.did(t.Name, "dropped by Mesos")
					r.State.MarkStep(t.Name, "drained")
					r.emit(Event{Kind: NodeDone, Node: t.Name, Message: "the leading Mesos master (" + leader + ") no longer lists it"})
					delete(pending, ip)
				case vm != nil && !vm.PoweredOn:
					r.did(t.Name, "still listed by Mesos")
					r.emit(Event{Kind: Warning, Node: t.Name, Message: fmt.Sprintf("the leading Mesos master (%s) still lists %s, whose VM is powered off: "+
						"it did not unregister; Mesos marks it unreachable on its own", leader, ip)})
					delete(pending, ip)
				}
			}
			if len(pending) == 0 {
				return nil
			}
			last = fmt.Errorf("the leading Mesos master (%s) still lists %s", leader, targetNames(pending))
		} else {
			last = err
		}
		if time.Since(reported) >= healthReportEvery {
			for _, t := range pending {
				r.emit(Event{Kind: NodeStep, Node: t.Name, Step: "waiting for Mesos to drop it", Message: last.Error()})
			}
			reported = time.Now()
		}
		if stopping(ctx) {
			return fmt.Errorf("%v; nothing was deleted: %w", last, ErrStopped)
		}
		select {
		case <-wctx.Done():
			if ctx.Err() == nil {
				return fmt.Errorf("the Mesos master did not drop %s within %s: %w; nothing was deleted (run remove-agents again once the masters answer)", targetNames(pending), timeout, last)
			}
			return fmt.Errorf("waiting for Mesos to drop %s (%v): %w", targetNames(pending), last, ctx.Err())
		case <-stopChan(ctx):
		case <-time.After(pause):
		}
		pause = min(2*pause, healthPollMax)
	}
}

func targetNames(m map[string]removeTarget) string {
	var names []string
	for _, t := range m {
		names = append(names, t.Name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// mesosStateScript fetches a Mesos master endpoint on the node itself.
func mesosStateScript(url string) Script {
	return Script{Name: "mesos-state", Body: "curl -fsS --max-time 5 " + shellQuote(url)}
}

// mesosAgents asks the masters which one leads (metrics master/elected)
// and reads that one's /master/slaves: the addresses of the agents it
// lists (from each agent's pid, slave(1)@IP:5051, and its hostname).
// (Any master lists them; the leader counts them active.)
func (r *Run) mesosAgents(ctx context.Context) (map[string]bool, string, error) {
	var problems []string
	for _, m := range r.byRole(RoleMaster) {
		get := func(url string) ([]byte, error) {
			c := r.conn(m.Name)
			if c == nil {
				if _, err := r.redial(ctx, m); err != nil {
					return nil, fmt.Errorf("no SSH connection (%v)", err)
				}
				c = r.conn(m.Name)
			}
			cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			out, err := c.Run(cctx, mesosStateScript(url), nil)
			if errors.Is(err, ErrConnectionLost) {
				r.setConn(m.Name, nil)
			}
			if err != nil {
				return nil, fmt.Errorf("GET %s: %w", url, firstLineErr(err))
			}
			return []byte(out), nil
		}
		body, err := get(masterMetricsURL)
		if err != nil {
			problems = append(problems, m.Name+": "+err.Error())
			continue
		}
		var metrics map[string]float64
		if err := json.Unmarshal(body, &metrics); err != nil {
			problems = append(problems, m.Name+": metrics snapshot is not JSON")
			continue
		}
		if metrics["master/elected"] != 1 {
			continue
		}
		if body, err = get(masterSlavesURL); err != nil {
			return nil, m.Name, fmt.Errorf("the leading Mesos master %s: %w", m.Name, err)
		}
		listed, err := parseSlaves(body)
		if err != nil {
			return nil, m.Name, fmt.Errorf("the leading Mesos master %s: %w", m.Name, err)
		}
		return listed, m.Name, nil
	}
	msg := "no Mesos master leads (master/elected is 1 on none of them)"
	if len(problems) > 0 {
		msg += ": " + strings.Join(problems, "; ")
	}
	return nil, "", errors.New(msg)
}

func firstLineErr(err error) error {
	if s := err.Error(); strings.Contains(s, "\n") {
		return errors.New(firstLine(s))
	}
	return err
}

// parseSlaves reads Mesos's /master/slaves into the set of agent
// addresses it lists.
func parseSlaves(body []byte) (map[string]bool, error) {
	var v struct {
		Slaves []struct {
			PID      string `json:"pid"`
			Hostname string `json:"hostname"`
		} `json:"slaves"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("/master/slaves is not JSON: %w", err)
	}
	listed := map[string]bool{}
	for _, s := range v.Slaves {
		if _, hostPort, ok := strings.Cut(s.PID, "@"); ok {
			host, _, _ := strings.Cut(hostPort, ":")
			listed[host] = true
		}
		if s.Hostname != "" {
			listed[s.Hostname] = true
		}
	}
	return listed, nil
}

// removeVMs powers off and deletes the targets' VMs (the cluster's own,
// found by id + folder), forgets their SSH host keys and records them as
// removed in the state file.
type removeVMs struct{ rm *removal }

func (*removeVMs) ID() PhaseID   { return PhaseRemoveVMs }
func (*removeVMs) Title() string { return "Remove VMs" }
func (*removeVMs) Describe() string {
	return "power off and delete the drained agents' VMs (this cluster's only), forget their SSH host keys"
}

func (p *removeVMs) todo(r *Run) []removeTarget {
	var out []removeTarget
	for _, t := range p.rm.targets {
		if !t.Done || r.existingVM(t.Name) != nil {
			out = append(out, t)
		}
	}
	return out
}

func (p *removeVMs) ShouldRun(r *Run) (bool, string) {
	if len(p.todo(r)) == 0 {
		return false, "every agent named was removed by an earlier run"
	}
	return true, ""
}

func (p *removeVMs) Plan(r *Run) []Action {
	var out []Action
	for _, t := range p.todo(r) {
		what := fmt.Sprintf("forget the SSH host key of %s (the VM is already deleted)", t.IP)
		if vm := r.existingVM(t.Name); vm != nil {
			what = "power off and delete " + vm.Ref + ", forget its SSH host key"
		}
		out = append(out, Action{Phase: PhaseRemoveVMs, Node: t.Name, What: what})
	}
	return out
}

func (p *removeVMs) Run(ctx context.Context, r *Run) error {
	todo := p.todo(r)
	var vms []VMInfo
	for _, t := range todo {
		if vm := r.existingVM(t.Name); vm != nil {
			vms = append(vms, *vm)
			r.setConn(t.Name, nil) // the VM goes: its connection with it
		}
	}
	if len(vms) > 0 {
		for _, v := range vms {
			r.step(v.Name, "power off and delete "+v.Ref)
		}
		if err := r.cloud.Destroy(ctx, vms); err != nil {
			return fmt.Errorf("delete the VMs of %s: %w", vmNames(vms), err)
		}
	}
	for _, t := range todo {
		addrs := []string{t.IP}
		if vm := r.existingVM(t.Name); vm != nil {
			r.did(t.Name, "delete "+vm.Ref)
			r.changed()
			r.emit(Event{Kind: NodeDone, Node: t.Name, Message: "VM " + vm.Ref + " powered off and deleted"})
			if vm.IP != "" && vm.IP != t.IP {
				addrs = append(addrs, vm.IP)
			}
		} else {
			r.did(t.Name, "forget host key")
		}
		r.forgetHostKeys(t.Name, addrs...)
		r.withNode(t.Name, func(n *node) { n.vm, n.facts, n.health = nil, nil, "" })
		t := t
		r.State.Update(func(st *State) {
			st.Nodes[t.Name] = &NodeState{Role: t.Role, IP: t.IP, Steps: map[string]time.Time{stepRemoved: time.Now().UTC()}}
		})
	}
	// From here on the run is about the nodes that remain.
	r.mu.Lock()
	var want []VMSpec
	for _, w := range r.want {
		if !p.rm.isTarget(w.Name) {
			want = append(want, w)
		}
	}
	r.want = want
	r.mu.Unlock()
	return nil
}

func vmNames(vms []VMInfo) string {
	names := make([]string, len(vms))
	for i, v := range vms {
		names[i] = v.Name
	}
	return strings.Join(names, ", ")
}

// Removed lists the agents a remove-agents result took out (VM deleted or
// host key forgotten), in order.
func (res *Result) Removed() []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range res.Actions {
		if a.Phase == PhaseRemoveVMs && a.Node != "" && !seen[a.Node] {
			seen[a.Node] = true
			out = append(out, a.Node)
		}
	}
	return out
}

// writeRemovedHead is the first line of a remove-agents summary.
func (res *Result) writeRemovedHead(w io.Writer) {
	if gone := res.Removed(); len(gone) > 0 {
		fmt.Fprintf(w, "Removed %d agent(s) from DC/OS 1.9 cluster %q: %s.\n", len(gone), res.Cluster, strings.Join(gone, ", "))
		return
	}
	fmt.Fprintf(w, "Nothing to do: the agents named are no longer part of DC/OS 1.9 cluster %q.\n", res.Cluster)
}
