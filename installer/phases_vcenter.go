package installer

import (
	"context"
	"crypto/rand"
	"fmt"
	"sort"
	"strings"
	"time"
)

// connectVCenter opens the one vCenter session the run shares, lists the
// VMs in the configured folder that carry the cluster's name mark, and
// settles the cluster id: the state file's, else the one the VMs carry,
// else a new one. VMs with the name but another id belong to another
// cluster of the same name: they are never adopted, destroyed or probed.
type connectVCenter struct{}

func (connectVCenter) ID() PhaseID   { return PhaseConnectVCenter }
func (connectVCenter) Title() string { return "Connect to vCenter" }
func (connectVCenter) Describe() string {
	return "verified TLS, one session; list this cluster's VMs (cluster id + folder)"
}
func (connectVCenter) ReadOnly() {}

func (connectVCenter) Run(ctx context.Context, r *Run) error {
	c, err := r.ConnectCloud(ctx)
	if err != nil {
		return err
	}
	r.cloud = c
	vms, err := c.ClusterVMs(ctx)
	if err != nil {
		return fmt.Errorf("list the VMs of cluster %s: %w", r.Cluster.Name, err)
	}
	id, err := r.settleClusterID(vms)
	if err != nil {
		return err
	}
	r.clusterID = id
	wanted := map[string]bool{}
	for _, w := range r.wanted() {
		wanted[w.Name] = true
	}
	var ours, foreign, extra []VMInfo
	for _, v := range vms {
		if v.ClusterID != "" && v.ClusterID != id {
			foreign = append(foreign, v)
			continue
		}
		ours = append(ours, v)
		if !wanted[v.Name] {
			extra = append(extra, v)
		}
	}
	r.mu.Lock()
	r.foreign, r.extra = foreign, extra
	for _, v := range ours {
		v := v
		n := r.nodes[v.Name]
		if n == nil {
			n = &node{spec: VMSpec{Name: v.Name, IP: v.IP, Role: v.Role}}
			r.nodes[v.Name] = n
		}
		n.vm = &v
	}
	r.mu.Unlock()
	for _, f := range foreign {
		r.emit(Event{Kind: Warning, Node: f.Name, Message: fmt.Sprintf("VM %s (%s) in the folder is marked for another cluster named %s (id %s, this one is %s): it is not touched",
			f.Name, f.Ref, r.Cluster.Name, f.ClusterID, id)})
	}
	r.emit(Event{Kind: Info, Message: fmt.Sprintf("%d VM(s) of cluster %s (id %s) exist, %d to create", len(ours), r.Cluster.Name, shortID(id), len(r.toCreate()))})
	return nil
}

// settleClusterID picks the cluster id (see connectVCenter).
func (r *Run) settleClusterID(vms []VMInfo) (string, error) {
	var stateID string
	r.State.View(func(st *State) { stateID = st.ClusterID })
	if stateID != "" {
		return stateID, nil
	}
	ids := map[string][]string{}
	for _, v := range vms {
		if v.ClusterID != "" {
			ids[v.ClusterID] = append(ids[v.ClusterID], v.Name)
		}
	}
	switch len(ids) {
	case 0:
		return newClusterID()
	case 1:
		for id := range ids {
			return id, nil // the state file was lost: the VMs know
		}
	}
	var parts []string
	for id, names := range ids {
		sort.Strings(names)
		parts = append(parts, fmt.Sprintf("id %s: %s", id, strings.Join(names, ", ")))
	}
	sort.Strings(parts)
	return "", &ConflictError{Msg: fmt.Sprintf("the folder %s holds VMs of %d clusters named %s (%s) and no state file says which one this is; "+
		"give each cluster its own vcenter.folder, or restore .dcos-vsphere/%s/state.json", r.Cluster.VCenter.Folder, len(ids), r.Cluster.Name, strings.Join(parts, "; "), r.Cluster.Name)}
}

// newClusterID mints a random (version 4) UUID.
func newClusterID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// toCreate lists the wanted nodes (and stranded extras to finish) that
// have no VM yet.
func (r *Run) toCreate() []VMSpec {
	var out []VMSpec
	for _, w := range r.wanted() {
		if r.vm(w.Name) == nil {
			out = append(out, w)
		}
	}
	return out
}

// preflightVSphere checks, before anything is created: every inventory
// path, the template, privileges and capacity (in vCenter), that no VM of
// another cluster has a planned name, and that no planned address is in
// use (reported by any VM in vCenter, or answering on the node network).
type preflightVSphere struct{}

func (preflightVSphere) ID() PhaseID   { return PhasePreflightVSphere }
func (preflightVSphere) Title() string { return "Preflight vSphere" }
func (preflightVSphere) Describe() string {
	return "inventory paths, template, privileges, capacity, names and addresses in use (when VMs are missing)"
}
func (preflightVSphere) ReadOnly() {}

func (preflightVSphere) ShouldRun(r *Run) (bool, string) {
	if len(r.toCreate()) == 0 {
		return false, "every VM exists"
	}
	return true, ""
}

func (preflightVSphere) Run(ctx context.Context, r *Run) error {
	create := r.toCreate()
	var problems []string
	r.mu.Lock()
	foreign := append([]VMInfo(nil), r.foreign...)
	r.mu.Unlock()
	planned := map[string]bool{}
	for _, s := range create {
		planned[s.Name] = true
	}
	for _, f := range foreign {
		if planned[f.Name] {
			problems = append(problems, fmt.Sprintf("VM name %s: VM %s in folder %s belongs to another cluster named %s (cluster id %s, this one is %s); rename the node or use another vcenter.folder",
				f.Name, f.Ref, r.Cluster.VCenter.Folder, r.Cluster.Name, f.ClusterID, r.clusterID))
		}
	}
	if err := r.cloud.Preflight(ctx, create); err != nil {
		if len(problems) == 0 {
			return err
		}
		problems = append(problems, err.Error())
	}
	problems = append(problems, r.addressesInUse(ctx, create)...)
	if len(problems) > 0 {
		return &ConflictError{Msg: strings.Join(problems, "\n")}
	}
	return nil
}

// addressProbeTimeout bounds one "does anything answer at this address".
const addressProbeTimeout = 1500 * time.Millisecond

// addressesInUse reports every planned address that a VM in vCenter
// reports or that answers on the node network.
func (r *Run) addressesInUse(ctx context.Context, create []VMSpec) []string {
	var problems []string
	guests, err := r.cloud.GuestAddresses(ctx)
	if err != nil {
		return []string{fmt.Sprintf("list the addresses VMs report: %v", err)}
	}
	reportedBy := map[string][]string{}
	for _, g := range guests {
		reportedBy[g.IP] = append(reportedBy[g.IP], fmt.Sprintf("%s (%s)", g.VM, g.Ref))
	}
	type probe struct {
		spec VMSpec
		busy bool
		err  error
	}
	results := make([]probe, len(create))
	_ = forEachNode(ctx, create, r.Options.Concurrency, func(ctx context.Context, s VMSpec) error {
		i := indexOf(create, s.Name)
		results[i].spec = s
		if len(reportedBy[s.IP]) > 0 {
			return nil
		}
		pctx, cancel := context.WithTimeout(ctx, addressProbeTimeout)
		defer cancel()
		results[i].busy, results[i].err = r.Dialer.Answers(pctx, s.IP)
		return nil
	})
	for _, p := range results {
		s := p.spec
		switch {
		case len(reportedBy[s.IP]) > 0:
			problems = append(problems, fmt.Sprintf("address %s of %s is in use: vCenter reports it for VM %s; give the node another address", s.IP, s.Name, strings.Join(reportedBy[s.IP], ", ")))
		case p.busy:
			problems = append(problems, fmt.Sprintf("address %s of %s is in use: a host answers there on the node network, and it is no VM of this cluster; give the node another address", s.IP, s.Name))
		}
	}
	return problems
}

func indexOf(nodes []VMSpec, name string) int {
	for i, n := range nodes {
		if n.Name == name {
			return i
		}
	}
	return -1
}

// ensureTemplate imports the CentOS OVA when the template is missing.
type ensureTemplate struct{}

func (ensureTemplate) ID() PhaseID      { return PhaseTemplate }
func (ensureTemplate) Title() string    { return "Ensure template" }
func (ensureTemplate) Describe() string { return "import the OVA when the template is missing" }

func (ensureTemplate) ShouldRun(r *Run) (bool, string) {
	if len(r.toCreate()) == 0 {
		return false, "no VM to clone"
	}
	return true, ""
}

func (ensureTemplate) Plan(r *Run) []Action {
	if r.Cluster.Template.OVA == "" {
		return nil
	}
	return []Action{{Phase: PhaseTemplate, What: "import " + r.Cluster.Template.OVA + " as template " + r.Cluster.Template.Name + " if it is missing"}}
}

func (ensureTemplate) Run(ctx context.Context, r *Run) error {
	imported, err := r.cloud.EnsureTemplate(ctx, func(done, total int64) {
		r.emit(Event{Kind: Progress, Step: "import " + r.Cluster.Template.Name, Done: done, Total: total})
	})
	if err != nil {
		return err
	}
	if imported {
		r.did("", "imported template "+r.Cluster.Template.Name)
		r.emit(Event{Kind: Info, Message: "imported template " + r.Cluster.Template.Name})
	}
	return nil
}

// createVMs clones what is missing and adopts (powers on, waits for the
// IP of) what exists, so a run killed half-way finishes without duplicates.
type createVMs struct{}

func (createVMs) ID() PhaseID   { return PhaseCreateVMs }
func (createVMs) Title() string { return "Create VMs" }
func (createVMs) Describe() string {
	return "clone + guest customization + power on + wait for IP; this cluster's VMs are adopted"
}

func (createVMs) ShouldRun(r *Run) (bool, string) {
	if len(r.vmsToEnsure()) == 0 {
		return false, "every VM exists and runs"
	}
	return true, ""
}

// vmsToEnsure lists the nodes whose VM is missing or powered off.
func (r *Run) vmsToEnsure() []VMSpec {
	var out []VMSpec
	for _, w := range r.wanted() {
		if vm := r.vm(w.Name); vm == nil || !vm.PoweredOn {
			out = append(out, w)
		}
	}
	return out
}

func (createVMs) Plan(r *Run) []Action {
	var out []Action
	for _, s := range r.vmsToEnsure() {
		if r.vm(s.Name) == nil {
			out = append(out, Action{Phase: PhaseCreateVMs, Node: s.Name, What: fmt.Sprintf("clone (%s, %s, %d CPU, %d MB, %d GB)", s.Role, s.IP, s.CPUs, s.MemoryMB, s.DiskGB)})
		} else {
			out = append(out, Action{Phase: PhaseCreateVMs, Node: s.Name, What: "power on (what else it needs is read once it runs)"})
		}
	}
	return out
}

func (createVMs) Run(ctx context.Context, r *Run) error {
	start := time.Now()
	// The id goes into the state before the first clone: the VMs carry it
	// from the instant they exist, the state file says it too.
	r.State.Update(func(st *State) { st.ClusterID = r.clusterID })
	if err := r.SaveState(); err != nil {
		return err
	}
	specs := r.vmsToEnsure()
	before := map[string]bool{}
	for _, s := range specs {
		before[s.Name] = r.vm(s.Name) != nil
	}
	vms, err := r.cloud.EnsureVMs(ctx, r.clusterID, specs, r.step)
	for _, v := range vms {
		v := v
		if v.Ref == "" {
			continue
		}
		r.withNode(v.Name, func(n *node) { n.vm = &v })
		r.State.Update(func(st *State) {
			n := st.Node(v.Name)
			n.Role, n.IP, n.VMRef, n.InstanceUUID = v.Role, v.IP, v.Ref, v.InstanceUUID
		})
		switch {
		case v.Created:
			r.did(v.Name, "clone")
			r.changed()
		case !before[v.Name]:
			r.did(v.Name, "adopt")
		default:
			r.did(v.Name, "power on")
		}
	}
	if err != nil {
		return err
	}
	created := 0
	for _, v := range vms {
		if v.Created {
			created++
		}
	}
	r.emit(Event{Kind: Info, Message: fmt.Sprintf("%d VM(s) ready (%d cloned) in %s", len(vms), created, time.Since(start).Round(time.Millisecond))})
	return nil
}
