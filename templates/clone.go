package templates

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// Defaults of ClonePlan.
const (
	DefaultConcurrency = 10
	DefaultIPTimeout   = 10 * time.Minute
	cleanupTimeout     = 2 * time.Minute
)

// ClonePlan is the clone phase's input besides the inventory.
type ClonePlan struct {
	Cluster     string         // marks every VM (dcos-vsphere.cluster)
	ClusterID   string         // and its id (dcos-vsphere.cluster-id)
	Network     config.Network // static addressing for the customization
	VMs         []VMSpec
	LinkedClone bool // when the template has a snapshot
	// Concurrency bounds VMs in flight; default DefaultConcurrency.
	Concurrency int
	// IPTimeout bounds the wait for each VM's customized IP after power-on.
	IPTimeout time.Duration
	Retry     Retry
	// KeepCompleted keeps the VMs that finished when another VM fails;
	// by default a failed run removes every VM it created.
	KeepCompleted bool
	OnEvent       func(Event) // may be nil; must not block
	Warn          func(string)
}

// EnsureVMs makes every planned VM exist, marked, powered on and reporting
// its customized IP: it adopts the VMs an earlier run of this cluster made
// and clones the rest from inv.Template, at most plan.Concurrency at a time
// over the one session. VMs with a planned name that are not marked for
// this cluster stop the run and are never touched. When any VM fails, no
// new VM starts, the failed VM is destroyed if this run made it, and (unless
// KeepCompleted) so is every other VM this run made; the error names each
// VM, the step and the vSphere fault. A cancelled ctx leaves what exists
// (marked) for the next run to adopt. The result is in plan order.
func (s *Session) EnsureVMs(ctx context.Context, inv *Inventory, plan ClonePlan) ([]VM, error) {
	if inv.Template == nil {
		return nil, fmt.Errorf("template %s is not in %s (import it first with EnsureTemplate)", inv.TemplateName, inv.Datacenter.Name())
	}
	if plan.Cluster == "" || plan.ClusterID == "" {
		return nil, errors.New("clone: cluster name or id is empty")
	}
	if err := s.ensureVMFolder(ctx, inv); err != nil {
		return nil, err
	}
	if plan.Concurrency <= 0 {
		plan.Concurrency = DefaultConcurrency
	}
	if plan.IPTimeout <= 0 {
		plan.IPTimeout = DefaultIPTimeout
	}
	if err := checkUnique(plan.VMs); err != nil {
		return nil, err
	}
	if inv.templateDevices == nil {
		if err := s.readTemplateSnapshot(ctx, inv); err != nil {
			return nil, err
		}
	}
	// newCloneBase edits NIC backings in place: give it its own copy.
	devices, err := copyDevices(inv.templateDevices)
	if err != nil {
		return nil, err
	}
	base, err := newCloneBase(ctx, inv, devices, plan.LinkedClone, plan.Warn)
	if err != nil {
		return nil, err
	}
	r := &cloneRun{s: s, inv: inv, plan: plan, base: base}
	// Refuse before creating anything when a planned name is taken by a VM
	// that is not ours.
	var conflicts []error
	for _, spec := range plan.VMs {
		if _, _, err := r.owned(spec, inv.existing[spec.Name]); err != nil {
			conflicts = append(conflicts, err)
		}
	}
	if len(conflicts) > 0 {
		return nil, errors.Join(conflicts...)
	}
	var warnings []string
	r.place, warnings = inv.place(plan)
	for _, w := range warnings {
		r.warn(w)
	}
	if r.place.rule {
		r.rule = &ruleKeeper{s: s, inv: inv, cluster: plan.Cluster, members: slices.Clone(r.place.masters)}
		// Masters of an earlier run are kept apart before anything else. If
		// that fails and no master is to be made (add-agents), the run goes
		// on with a warning; new masters would fail to join, so stop.
		if err := r.rule.join(ctx, types.ManagedObjectReference{}); err != nil {
			if len(r.place.masters) < countRole(plan.VMs, config.RoleMaster) {
				return nil, err
			}
			r.warn(fmt.Sprintf("placement: the existing masters are not kept apart by a DRS rule: %v", err))
			r.rule = nil
		}
	}

	results := make([]VM, len(plan.VMs))
	errs := make([]error, len(plan.VMs))
	var (
		wg     sync.WaitGroup
		failed sync.Once
		stop   = make(chan struct{})
		slots  = make(chan struct{}, plan.Concurrency)
	)
	var notStarted []string
	for i, spec := range plan.VMs {
		results[i] = VM{Name: spec.Name, Role: spec.Role}
		select {
		case slots <- struct{}{}:
		case <-stop:
		case <-ctx.Done():
		}
		if isClosed(stop) || ctx.Err() != nil {
			notStarted = append(notStarted, spec.Name)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			results[i], errs[i] = r.ensureOne(ctx, spec)
			if errs[i] != nil {
				failed.Do(func() { close(stop) })
			}
		}()
	}
	wg.Wait()

	if len(notStarted) > 0 {
		why := cmp.Or(ctx.Err(), errors.New("another VM failed"))
		errs = append(errs, fmt.Errorf("%d VMs not started (%s): %w", len(notStarted), strings.Join(notStarted, ", "), why))
	}
	err = errors.Join(errs...)
	if err != nil && !plan.KeepCompleted && ctx.Err() == nil {
		r.rollback(results)
	}
	return results, err
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func countRole(vms []VMSpec, role config.Role) int {
	n := 0
	for _, vm := range vms {
		if vm.Role == string(role) {
			n++
		}
	}
	return n
}

func checkUnique(vms []VMSpec) error {
	seen := map[string]bool{}
	for _, vm := range vms {
		if vm.Name == "" {
			return errors.New("clone: a planned VM has no name")
		}
		if seen[vm.Name] {
			return fmt.Errorf("clone: VM name %s is planned twice", vm.Name)
		}
		seen[vm.Name] = true
	}
	return nil
}

// cloneRun is one EnsureVMs call.
type cloneRun struct {
	s     *Session
	inv   *Inventory
	plan  ClonePlan
	base  cloneBase
	place placement
	rule  *ruleKeeper // nil: no anti-affinity rule
}

// warn reports through plan.Warn, or else the session's Options.Warn.
func (r *cloneRun) warn(msg string) {
	if r.plan.Warn != nil {
		r.plan.Warn(msg)
		return
	}
	r.s.warnf("%s", msg)
}

func (r *cloneRun) emit(vm string, start time.Time, step Step, mod func(*Event)) {
	if r.plan.OnEvent == nil {
		return
	}
	e := Event{VM: vm, Step: step, Elapsed: time.Since(start)}
	if mod != nil {
		mod(&e)
	}
	r.plan.OnEvent(e)
}

// ensureOne adopts or clones one VM and brings it to ready.
func (r *cloneRun) ensureOne(ctx context.Context, spec VMSpec) (VM, error) {
	start := time.Now()
	res, err := r.adoptOrClone(ctx, spec, start)
	if err == nil {
		res.PoweredOn = true // ready means powered on and reporting its IP
		r.emit(spec.Name, start, StepReady, func(e *Event) { e.IP = res.IP })
		return res, nil
	}
	r.emit(spec.Name, start, StepFailed, func(e *Event) { e.Err = err })
	if res.Created && ctx.Err() == nil {
		r.emit(spec.Name, start, StepCleaningUp, nil)
		if cerr := r.s.removeVM(object.NewVirtualMachine(r.s.client, ref(res.Ref))); cerr != nil {
			err = fmt.Errorf("%w; cleaning up %s also failed: %v", err, spec.Name, cerr)
		} else {
			res.Ref, res.Created = "", false
		}
	}
	return res, err
}

func ref(value string) types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "VirtualMachine", Value: value}
}

func (r *cloneRun) adoptOrClone(ctx context.Context, spec VMSpec, start time.Time) (VM, error) {
	if info, found, err := r.owned(spec, r.inv.existing[spec.Name]); err != nil || found {
		if err != nil {
			return VM{Name: spec.Name, Role: spec.Role}, err
		}
		return r.adopt(ctx, spec, info, start)
	}

	res := VM{Name: spec.Name, Role: spec.Role}
	cs, uuid, err := r.base.cloneSpec(spec, r.plan.Cluster, r.plan.ClusterID, r.plan.Network)
	if err != nil {
		return res, err
	}
	if h, ok := r.place.host[spec.Name]; ok {
		cs.Location.Host = &h
	}
	if ds, ok := r.place.datastore[spec.Name]; ok {
		cs.Location.Datastore = &ds
	}
	r.emit(spec.Name, start, StepCloning, nil)
	what := fmt.Sprintf("clone %s from template %s in %s", spec.Name, r.inv.TemplateName, r.inv.Where())
	var vmRef types.ManagedObjectReference
	err = r.retry(ctx, spec.Name, start, func() error {
		task, err := r.inv.Template.Clone(ctx, r.inv.Folder, spec.Name, cs)
		if err != nil {
			return err
		}
		info, err := r.s.waitTask(ctx, task)
		if err != nil {
			return err
		}
		if info == nil {
			return cmp.Or(ctx.Err(), fmt.Errorf("clone task %s: no result", task.Reference().Value))
		}
		ref, ok := info.Result.(types.ManagedObjectReference)
		if !ok {
			return cmp.Or(ctx.Err(), fmt.Errorf("clone task %s ended %s without a VM", task.Reference().Value, info.State))
		}
		vmRef = ref
		return nil
	})
	if isDuplicateName(err) {
		// Made meanwhile, e.g. by a clone task of an interrupted run that
		// finished after our listing: adopt it if it is ours.
		return r.adoptAfterDuplicate(ctx, spec, start, err)
	}
	if err != nil {
		if leftover := r.findCreatedBy(ctx, spec.Name, uuid); leftover != "" {
			res.Ref, res.Created = leftover, true
		}
		return res, describe(what, err)
	}
	res.Ref, res.InstanceUUID, res.ClusterID, res.Created = vmRef.Value, uuid, r.plan.ClusterID, true
	if r.rule != nil && spec.Role == string(config.RoleMaster) {
		if err := r.rule.join(ctx, vmRef); err != nil {
			return res, fmt.Errorf("keep master %s apart from the other masters: %w", spec.Name, err)
		}
	}
	r.emit(spec.Name, start, StepCustomizing, nil)
	vm := object.NewVirtualMachine(r.s.client, vmRef)
	return r.powerOnAndWait(ctx, spec, vm, res, start)
}

// owned picks the VM to adopt among same-name VMs of the datacenter: only
// one in the target folder, marked with this cluster's name and id (or no
// id: marked before ids existed). Any other same-name VM in the folder is
// an error; same-name VMs elsewhere are other clusters' and are ignored.
func (r *cloneRun) owned(spec VMSpec, same []vmInfo) (vmInfo, bool, error) {
	var mine []vmInfo
	for _, vm := range same {
		if vm.Parent != r.inv.Folder.Reference() {
			continue
		}
		switch {
		case vm.Cluster == r.plan.Cluster && !vm.Template && (vm.ClusterID == r.plan.ClusterID || vm.ClusterID == ""):
			mine = append(mine, vm)
		default:
			who := "is not marked by dcos-vsphere"
			switch {
			case vm.Cluster == r.plan.Cluster:
				who = fmt.Sprintf("belongs to another cluster named %q (id %s, this one is %s)", vm.Cluster, vm.ClusterID, r.plan.ClusterID)
			case vm.Cluster != "":
				who = fmt.Sprintf("belongs to cluster %q", vm.Cluster)
			}
			return vmInfo{}, false, fmt.Errorf("VM %s (%s) in %s %s: %w; rename the node or remove that VM yourself",
				spec.Name, vm.Ref.Value, r.inv.FolderPath, who, ErrNotOwned)
		}
	}
	switch len(mine) {
	case 0:
		return vmInfo{}, false, nil
	case 1:
		if mine[0].Role != "" && spec.Role != "" && mine[0].Role != spec.Role {
			return vmInfo{}, false, fmt.Errorf("VM %s (%s) is marked as role %s of cluster %s, but the config makes it a %s",
				spec.Name, mine[0].Ref.Value, mine[0].Role, r.plan.Cluster, spec.Role)
		}
		return mine[0], true, nil
	default:
		return vmInfo{}, false, fmt.Errorf("%d VMs named %s are marked for cluster %s; remove the extra ones", len(mine), spec.Name, r.plan.Cluster)
	}
}

func (r *cloneRun) adopt(ctx context.Context, spec VMSpec, info vmInfo, start time.Time) (VM, error) {
	r.emit(spec.Name, start, StepAdopting, nil)
	res := VM{Name: spec.Name, Role: spec.Role, Ref: info.Ref.Value, InstanceUUID: info.InstanceUUID, BIOSUUID: info.BIOSUUID, ClusterID: r.plan.ClusterID}
	vm := object.NewVirtualMachine(r.s.client, info.Ref)
	if info.PowerState == types.VirtualMachinePowerStatePoweredOn && info.IP != "" {
		res.IP = info.IP
		res.Host = r.s.hostName(ctx, r.inv, info.Host)
		return res, checkIP(spec, res.IP)
	}
	return r.powerOnAndWait(ctx, spec, vm, res, start)
}

func (r *cloneRun) adoptAfterDuplicate(ctx context.Context, spec VMSpec, start time.Time, dup error) (VM, error) {
	found, err := r.s.listVMs(ctx, r.inv.Folder.Reference())
	if err != nil {
		return VM{Name: spec.Name, Role: spec.Role}, err
	}
	info, ok, err := r.owned(spec, found[spec.Name])
	if err != nil {
		return VM{Name: spec.Name, Role: spec.Role}, err
	}
	if !ok {
		return VM{Name: spec.Name, Role: spec.Role}, describe("clone "+spec.Name, dup)
	}
	return r.adopt(ctx, spec, info, start)
}

// findCreatedBy looks for a VM a failed clone task left behind: it carries
// the instance UUID this run generated, so it is certainly ours. When the
// run's context is done (a stop, --timeout, a hung vCenter) it does not
// look: what exists is marked, and the next run adopts it.
func (r *cloneRun) findCreatedBy(runCtx context.Context, name, uuid string) string {
	if runCtx.Err() != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(runCtx), cleanupTimeout)
	defer cancel()
	found, err := r.s.listVMs(ctx, r.inv.Folder.Reference())
	if err != nil {
		return ""
	}
	for _, vm := range found[name] {
		if vm.InstanceUUID == uuid {
			return vm.Ref.Value
		}
	}
	return ""
}

func (r *cloneRun) powerOnAndWait(ctx context.Context, spec VMSpec, vm *object.VirtualMachine, res VM, start time.Time) (VM, error) {
	r.emit(spec.Name, start, StepPoweringOn, nil)
	err := r.retry(ctx, spec.Name, start, func() error {
		task, err := vm.PowerOn(ctx)
		if err != nil {
			return err
		}
		_, err = r.s.waitTask(ctx, task)
		return err
	})
	if err != nil && !isAlreadyOn(err) {
		return res, describe("power on "+spec.Name, err)
	}
	r.emit(spec.Name, start, StepWaitingIP, nil)
	ip, err := r.s.waitIP(ctx, vm, spec.IP, r.plan.IPTimeout)
	if err != nil {
		return res, fmt.Errorf("wait for the customized IP of %s: %w", spec.Name, err)
	}
	res.IP = ip
	instance, bios, h := r.s.uuidsAndHost(ctx, vm)
	res.InstanceUUID = cmp.Or(res.InstanceUUID, instance)
	res.BIOSUUID = cmp.Or(res.BIOSUUID, bios)
	res.Host = r.s.hostName(ctx, r.inv, h)
	return res, checkIP(spec, ip)
}

func checkIP(spec VMSpec, ip string) error {
	if spec.IP != "" && ip != spec.IP {
		return fmt.Errorf("VM %s reports IP %s, but the config gives it %s (guest customization did not apply?)", spec.Name, ip, spec.IP)
	}
	return nil
}

func (r *cloneRun) retry(ctx context.Context, vm string, start time.Time, fn func() error) error {
	return r.plan.Retry.do(ctx, func(attempt int, err error) {
		r.emit(vm, start, StepRetrying, func(e *Event) { e.Attempt, e.Err = attempt, err })
	}, fn)
}

// describe prefixes the vSphere fault name so the error reads
// "clone master-2 from template centos7 in DC0/DC0_C0: NoDiskSpace: ...".
func describe(what string, err error) error {
	if name := faultName(err); name != "" {
		return fmt.Errorf("%s: %s: %w", what, name, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// rollback removes every VM this run created (after another VM failed).
func (r *cloneRun) rollback(results []VM) {
	var wg sync.WaitGroup
	slots := make(chan struct{}, r.plan.Concurrency)
	for i := range results {
		if !results[i].Created || results[i].Ref == "" {
			continue
		}
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			r.emit(results[i].Name, time.Now(), StepCleaningUp, nil)
			if err := r.s.removeVM(object.NewVirtualMachine(r.s.client, ref(results[i].Ref))); err == nil {
				results[i].Ref, results[i].Created = "", false
				r.emit(results[i].Name, time.Now(), StepDestroyed, nil)
			}
		}()
	}
	wg.Wait()
}
