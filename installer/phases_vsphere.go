package installer

import (
	"context"
	"fmt"
	"time"
)

// connectVCenter opens the one vCenter session the run shares.
type connectVCenter struct{}

func (connectVCenter) Title() string { return "Connect to vCenter" }

// ReadOnly: connecting and listing VMs changes nothing.
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
	r.mu.Lock()
	r.vms = map[string]VMInfo{}
	for _, v := range vms {
		r.vms[v.Name] = v
	}
	r.mu.Unlock()
	r.plan = MakePlan(r.Want, vms, nil)
	r.emit(Event{Kind: Info, Phase: "Connect to vCenter", Message: fmt.Sprintf("%d VM(s) of cluster %s exist, %d to create", len(vms), r.Cluster.Name, len(r.plan.ToCreate()))})
	return nil
}

// preflightVSphere checks inventory paths, template and free space before
// anything is created.
type preflightVSphere struct{}

func (preflightVSphere) Title() string { return "Preflight vSphere" }

func (preflightVSphere) ShouldRun(r *Run) (bool, string) {
	if len(r.plan.ToCreate()) == 0 {
		return false, "every VM exists"
	}
	return true, ""
}

func (preflightVSphere) DryRun(r *Run) []string {
	return []string{fmt.Sprintf("check inventory, template and free space for %d VM(s)", len(r.plan.ToCreate()))}
}

func (preflightVSphere) Run(ctx context.Context, r *Run) error {
	return r.cloud.Preflight(ctx, r.plan.ToCreate())
}

// ensureTemplate imports the CentOS OVA when the template is missing.
type ensureTemplate struct{}

func (ensureTemplate) Title() string { return "Ensure template" }

func (ensureTemplate) ShouldRun(r *Run) (bool, string) {
	if len(r.plan.ToCreate()) == 0 {
		return false, "no VM to clone"
	}
	return true, ""
}

func (ensureTemplate) Run(ctx context.Context, r *Run) error {
	imported, err := r.cloud.EnsureTemplate(ctx, func(done, total int64) {
		r.emit(Event{Kind: Progress, Step: "import " + r.Cluster.Template.Name, Done: done, Total: total})
	})
	if err != nil {
		return err
	}
	if imported {
		r.emit(Event{Kind: Info, Message: "imported template " + r.Cluster.Template.Name})
	}
	return nil
}

// createVMs clones what is missing and adopts (powers on, waits for the
// IP of) what exists, so a run killed half-way finishes without duplicates.
type createVMs struct{}

func (createVMs) Title() string { return "Create VMs" }

func (createVMs) DryRun(r *Run) []string {
	var out []string
	for _, s := range r.plan.ToCreate() {
		out = append(out, fmt.Sprintf("clone %s (%s, %s, %d CPU, %d MB)", s.Name, s.Role, s.IP, s.CPUs, s.MemoryMB))
	}
	return out
}

func (createVMs) Run(ctx context.Context, r *Run) error {
	start := time.Now()
	vms, err := r.cloud.EnsureVMs(ctx, r.Want, r.step)
	for _, v := range vms {
		v := v
		r.mu.Lock()
		r.vms[v.Name] = v
		r.mu.Unlock()
		r.State.Update(func(st *State) {
			n := st.Node(v.Name)
			n.Role, n.IP, n.VMRef, n.InstanceUUID = v.Role, v.IP, v.Ref, v.InstanceUUID
		})
	}
	if err != nil {
		return err
	}
	created := 0
	for _, v := range vms {
		if v.Created {
			created++
			r.changed()
		}
	}
	r.emit(Event{Kind: Info, Message: fmt.Sprintf("%d VM(s) ready (%d cloned) in %s", len(vms), created, time.Since(start).Round(time.Millisecond))})
	return nil
}
