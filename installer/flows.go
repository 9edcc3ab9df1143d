package installer

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// The flows: what each command runs. Help texts, the progress view's list
// of phases and the tests read these values; nothing else lists phases.

// InstallFlow brings the cluster to what the config describes. It is safe
// to re-run: this cluster's VMs are adopted, installed nodes left alone,
// interrupted installs finished. Its dry run is `plan`.
func InstallFlow() Flow {
	return Flow{Name: "install", Phases: []Phase{
		connectVCenter{},
		probeNodes{},
		checkConfig{},
		checkRegistry{},
		preflightVSphere{},
		ensureTemplate{},
		createVMs{},
		connectNodes{},
		prepareNodes{},
		bootstrapNode{},
		installDCOS{id: PhaseInstallMasters, title: "Install masters", roles: []string{RoleMaster}},
		installDCOS{id: PhaseInstallAgents, title: "Install agents", roles: []string{RoleAgent, RolePublicAgent}, prepare: prepareRegistry},
		checkHealth{},
		syncACS{},
		registerClusters{},
	}}
}

// AddAgentsFlow creates and installs private and public more agents from
// the bootstrap node's genconf/serve; the served config and every existing
// node stay as they are. Agents of the cluster that exist but were never
// installed (a run cut short) are finished first and count as added.
func AddAgentsFlow(private, public int) Flow {
	return Flow{Name: "add-agents", Phases: []Phase{
		connectVCenter{},
		probeNodes{},
		checkConfig{},
		checkRegistry{},
		&planAgents{private: private, public: public},
		preflightVSphere{},
		ensureTemplate{},
		createVMs{},
		connectNodes{},
		prepareNodes{},
		bootstrapNode{},
		installDCOS{id: PhaseInstallAgents, title: "Install new agents", roles: []string{RoleAgent, RolePublicAgent}, prepare: prepareRegistry},
		checkHealth{only: newAgents},
	}}
}

// StatusFlow looks at vCenter and every node of the cluster; it changes
// nothing.
func StatusFlow() Flow {
	return Flow{Name: "status", Phases: []Phase{
		connectVCenter{},
		probeNodes{report: true},
		checkHealth{once: true},
		syncACS{survey: true},
	}}
}

// DestroyFlow powers off and deletes the cluster's VMs (only: names),
// after confirm agreed to the list.
func DestroyFlow(only []string, confirm func(names []string) error) Flow {
	return Flow{Name: "destroy", Phases: []Phase{
		connectVCenter{},
		&destroyVMs{only: only, confirm: confirm},
	}}
}

// Execute runs flow f with r, bounded by r.Options.Timeout, and returns the
// typed result (also emitted as the last event). The result is returned
// with the error when the run fails.
func (r *Run) Execute(ctx context.Context, f Flow) (*Result, error) {
	r.Options = r.Options.WithDefaults()
	ctx, cancel := context.WithTimeout(ctx, r.Options.Timeout)
	defer cancel()
	err := Execute(ctx, r, f)
	if err == nil && !r.Options.DryRun && f.Name != "status" && f.Name != "destroy" {
		r.tidy(ctx)
	}
	res := r.result(f.Name, err)
	r.Close()
	r.emit(Event{Kind: RunResult, Message: res.Status, Result: res})
	return res, err
}

// tidy removes the temp files of uploads on every connected node (an
// upload cut short by a retry leaves one). Best effort, bounded.
func (r *Run) tidy(ctx context.Context) {
	var nodes []VMSpec
	for _, n := range r.wanted() {
		if r.conn(n.Name) != nil {
			nodes = append(nodes, n)
		}
	}
	_ = forEachNode(ctx, nodes, r.Options.Concurrency, func(ctx context.Context, n VMSpec) error {
		_, _ = r.conn(n.Name).Run(ctx, tidyScript(), nil)
		return nil
	})
}

// newAgents are the agents an add-agents run works on.
func newAgents(r *Run) map[string]bool {
	out := map[string]bool{}
	for _, n := range r.byRole(RoleAgent, RolePublicAgent) {
		out[n.Name] = true
	}
	return out
}

// planAgents names the new agents after the highest existing index of
// their group and gives them the next free addresses of its ipRange
// (skipping addresses in use). The truth about what exists is vCenter
// and the network, not the state file.
type planAgents struct {
	private, public int
}

func (*planAgents) ID() PhaseID   { return PhasePlanAgents }
func (*planAgents) Title() string { return "Plan new agents" }
func (*planAgents) Describe() string {
	return "finish this cluster's agents that were never installed, then name and address the new ones (addresses in use skipped)"
}
func (*planAgents) ReadOnly() {}

func (p *planAgents) Run(ctx context.Context, r *Run) error {
	masters := r.byRole(RoleMaster)
	if len(r.notInstalled(masters)) == len(masters) {
		return &ConflictError{Msg: "no master of cluster " + r.Cluster.Name + " runs DC/OS: add-agents adds to a running cluster; run install first"}
	}
	// Keep the bootstrap node (serves the files), the masters (health) and
	// the stranded agents probe-nodes adopted; the configured agents are
	// not touched at all.
	stranded := map[string]int{}
	var want []VMSpec
	for _, n := range r.wanted() {
		switch n.Role {
		case RoleBootstrap, RoleMaster:
			want = append(want, n)
		default:
			if r.isExtra(n.Name) {
				want = append(want, n)
				stranded[n.Role]++
				r.emit(Event{Kind: Info, Node: n.Name, Message: "exists but was never installed: finishing it"})
			}
		}
	}
	taken, used := r.takenNamesAndIPs(ctx)
	for _, g := range []struct {
		role  string
		count int
	}{{RoleAgent, p.private}, {RolePublicAgent, p.public}} {
		need := g.count - stranded[g.role]
		if need <= 0 {
			continue
		}
		planned, skipped, err := r.nextFreeAgents(ctx, config.Role(g.role), need, taken, used)
		for _, ip := range skipped {
			r.emit(Event{Kind: Warning, Message: fmt.Sprintf("address %s of %s.ipRange is in use on the network (not by this cluster): skipped", ip, config.GroupPath(config.Role(g.role)))})
		}
		if err != nil {
			return err
		}
		for _, n := range planned {
			spec := VMSpec{Name: n.Name, IP: n.IP, Role: string(n.Role), CPUs: n.Size.CPUs, MemoryMB: n.Size.MemoryMB, DiskGB: n.Size.DiskGB}
			want = append(want, spec)
			taken[n.Name], used[n.IP] = true, true
			r.withNode(n.Name, func(st *node) { st.spec = spec })
			r.emit(Event{Kind: Info, Node: n.Name, Message: fmt.Sprintf("new %s at %s", n.Role, n.IP)})
		}
	}
	r.mu.Lock()
	r.want = want
	r.mu.Unlock()
	return nil
}

// nextFreeAgents is Cluster.NextAgents with the addresses it picks
// probed on the network, all of a round at once: the first round takes
// the next free addresses of the range as if nothing answered there, and
// each further round replaces the ones that did answer, until every
// address picked was probed and found free.
func (r *Run) nextFreeAgents(ctx context.Context, role config.Role, need int, taken, used map[string]bool) ([]config.PlannedNode, []string, error) {
	answers := map[string]bool{} // probed: busy
	for {
		planned, skipped, err := r.Cluster.NextAgents(role, need, taken, used, func(ip string) bool { return answers[ip] })
		if err != nil {
			return nil, skipped, err
		}
		var unknown []string
		for _, n := range planned {
			if _, ok := answers[n.IP]; !ok {
				unknown = append(unknown, n.IP)
			}
		}
		if len(unknown) == 0 {
			return planned, skipped, nil
		}
		for ip, res := range r.probeAddresses(ctx, unknown) {
			answers[ip] = res.busy
		}
		if err := ctx.Err(); err != nil {
			return nil, skipped, err
		}
	}
}

func (r *Run) isExtra(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range r.extra {
		if v.Name == name {
			return true
		}
	}
	return false
}

// takenNamesAndIPs are the names and addresses new nodes must not get:
// the config's, every VM of the folder with the cluster's name mark (this
// cluster's and another's), every address a VM in vCenter reports, and
// the gateway.
func (r *Run) takenNamesAndIPs(ctx context.Context) (names, ips map[string]bool) {
	names, ips = map[string]bool{}, map[string]bool{r.Cluster.Network.Gateway: true}
	for _, n := range WantedNodes(r.Cluster) {
		names[n.Name], ips[n.IP] = true, true
	}
	r.mu.Lock()
	for name, n := range r.nodes {
		names[name] = true
		if n.vm != nil {
			ips[n.vm.IP] = true
		}
	}
	for _, v := range r.foreign {
		names[v.Name], ips[v.IP] = true, true
	}
	r.mu.Unlock()
	if guests, err := r.cloud.GuestAddresses(ctx); err == nil {
		for _, g := range guests {
			ips[g.IP] = true
		}
	}
	return names, ips
}

// destroyVMs powers off and deletes this cluster's VMs (or only the named
// ones), after confirm agreed. VMs of another cluster with the same name
// are never touched.
type destroyVMs struct {
	only    []string
	confirm func(names []string) error
}

func (*destroyVMs) ID() PhaseID   { return PhaseDestroyVMs }
func (*destroyVMs) Title() string { return "Destroy VMs" }
func (*destroyVMs) Describe() string {
	return "power off and delete only the VMs marked for this cluster (id + folder)"
}

func (d *destroyVMs) targets(r *Run) ([]VMInfo, error) {
	r.mu.Lock()
	var ours []VMInfo
	for _, n := range r.nodes {
		if n.vm != nil {
			ours = append(ours, *n.vm)
		}
	}
	r.mu.Unlock()
	sort.Slice(ours, func(i, j int) bool { return ours[i].Name < ours[j].Name })
	if len(d.only) == 0 {
		return ours, nil
	}
	byName := map[string]VMInfo{}
	for _, v := range ours {
		byName[v.Name] = v
	}
	var picked []VMInfo
	var missing []string
	for _, name := range d.only {
		v, ok := byName[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		picked = append(picked, v)
	}
	if len(missing) > 0 {
		return nil, &ConflictError{Msg: fmt.Sprintf("--vm %s: no such VM of cluster %s (id %s) in folder %s; nothing was deleted",
			strings.Join(missing, ", "), r.Cluster.Name, r.clusterID, r.Cluster.VCenter.Folder)}
	}
	return picked, nil
}

func (d *destroyVMs) Plan(r *Run) []Action {
	vms, _ := d.targets(r)
	var out []Action
	for _, v := range vms {
		out = append(out, Action{Phase: PhaseDestroyVMs, Node: v.Name, What: "power off and delete " + v.Ref})
	}
	return out
}

func (d *destroyVMs) Run(ctx context.Context, r *Run) error {
	vms, err := d.targets(r)
	if err != nil {
		return err
	}
	if len(vms) == 0 {
		r.emit(Event{Kind: Info, Message: fmt.Sprintf("no VM of cluster %s exists in folder %s", r.Cluster.Name, r.Cluster.VCenter.Folder)})
		return nil
	}
	names := make([]string, len(vms))
	for i, v := range vms {
		names[i] = v.Name
	}
	if d.confirm != nil {
		if err := d.confirm(names); err != nil {
			return err
		}
	}
	if err := r.cloud.Destroy(ctx, vms); err != nil {
		return err
	}
	for _, v := range vms {
		r.did(v.Name, "delete")
		r.withNode(v.Name, func(n *node) { n.vm = nil })
		r.forgetHostKeys(v.Name, v.IP)
	}
	all := len(d.only) == 0
	r.State.Update(func(st *State) {
		for _, v := range vms {
			delete(st.Nodes, v.Name)
		}
		if all {
			st.BootstrapURL, st.ConfigSHA256, st.ClusterID = "", "", ""
		}
	})
	return nil
}
