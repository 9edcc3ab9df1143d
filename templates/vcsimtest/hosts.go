package vcsimtest

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// Hardware of every simulated ESXi host unless Options say otherwise:
// vcsim's own hosts have 2 threads and 4 GiB, smaller than one DC/OS
// master, so tests would only ever see "does not fit".
const (
	DefaultHostThreads   = 32
	DefaultHostMemoryGiB = 256
)

// SetHostHardware gives the host named host (e.g. DC0_C0_H1) threads
// logical CPUs (cores = threads/2) and memGiB of memory.
func (s *Sim) SetHostHardware(tb testing.TB, host string, threads, memGiB int) {
	tb.Helper()
	h := s.simHost(tb, host)
	hw := *h.Summary.Hardware
	hw.NumCpuThreads = int16(threads)
	hw.NumCpuCores = int16(max(threads/2, 1))
	hw.MemorySize = int64(memGiB) << 30
	s.update(h, types.PropertyChange{Name: "summary.hardware", Val: &hw})
}

// SetMaintenance puts the host into (or out of) maintenance mode.
func (s *Sim) SetMaintenance(tb testing.TB, host string, on bool) {
	tb.Helper()
	s.update(s.simHost(tb, host), types.PropertyChange{Name: "runtime.inMaintenanceMode", Val: on})
}

// SetDRS turns DRS of the compute cluster on or off, through the API.
func (s *Sim) SetDRS(tb testing.TB, cluster string, on bool) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := s.Finder(tb).ClusterComputeResource(ctx, "/DC0/host/"+cluster)
	if err != nil {
		tb.Fatalf("find cluster %s: %v", cluster, err)
	}
	task, err := cl.Reconfigure(ctx, &types.ClusterConfigSpecEx{DrsConfig: &types.ClusterDrsConfigInfo{Enabled: types.NewBool(on)}}, true)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		tb.Fatalf("set DRS of %s to %v: %v", cluster, on, err)
	}
}

// Rule is a cluster rule as tests see it.
type Rule struct {
	Name         string
	AntiAffinity bool
	Enabled      bool
	VMs          []string // VM names, sorted
}

// Rules lists the rules of the compute cluster, by name.
func (s *Sim) Rules(tb testing.TB, cluster string) map[string]Rule {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := s.Finder(tb).ClusterComputeResource(ctx, "/DC0/host/"+cluster)
	if err != nil {
		tb.Fatalf("find cluster %s: %v", cluster, err)
	}
	var m mo.ClusterComputeResource
	if err := cl.Properties(ctx, cl.Reference(), []string{"configurationEx"}, &m); err != nil {
		tb.Fatalf("read rules of %s: %v", cluster, err)
	}
	out := map[string]Rule{}
	for _, r := range m.ConfigurationEx.(*types.ClusterConfigInfoEx).Rule {
		info := r.GetClusterRuleInfo()
		rule := Rule{Name: info.Name, Enabled: info.Enabled != nil && *info.Enabled}
		if aa, ok := r.(*types.ClusterAntiAffinityRuleSpec); ok {
			rule.AntiAffinity = true
			for _, vm := range aa.Vm {
				rule.VMs = append(rule.VMs, s.name(tb, vm))
			}
			sort.Strings(rule.VMs)
		}
		out[rule.Name] = rule
	}
	return out
}

// HostOf is the name of the ESXi host the VM named vm is registered on.
func (s *Sim) HostOf(tb testing.TB, vm string) string {
	tb.Helper()
	v := s.simVM(tb, vm)
	if v.Runtime.Host == nil {
		return ""
	}
	return s.name(tb, *v.Runtime.Host)
}

// DiskCapacities is the capacity in bytes of each disk of the VM named vm.
func (s *Sim) DiskCapacities(tb testing.TB, vm string) []int64 {
	tb.Helper()
	var out []int64
	for _, d := range s.simVM(tb, vm).Config.Hardware.Device {
		if disk, ok := d.(*types.VirtualDisk); ok {
			out = append(out, disk.CapacityInKB<<10)
		}
	}
	return out
}

// MakePod creates the datastore cluster (StoragePod) name in DC0 and moves
// the datastores into it; it returns the pod's inventory path.
func (s *Sim) MakePod(tb testing.TB, name string, datastores ...string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f := s.Finder(tb)
	dsFolder, err := f.Folder(ctx, "/DC0/datastore")
	if err != nil {
		tb.Fatalf("find datastore folder: %v", err)
	}
	pod, err := dsFolder.CreateStoragePod(ctx, name)
	if err != nil {
		tb.Fatalf("create datastore cluster %s: %v", name, err)
	}
	var refs []types.ManagedObjectReference
	for _, n := range datastores {
		ds, err := f.Datastore(ctx, "/DC0/datastore/"+n)
		if err != nil {
			tb.Fatalf("find datastore %s: %v", n, err)
		}
		refs = append(refs, ds.Reference())
	}
	task, err := pod.MoveInto(ctx, refs)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		tb.Fatalf("move %v into %s: %v", datastores, name, err)
	}
	return "/DC0/datastore/" + name
}

func (s *Sim) simHost(tb testing.TB, name string) *simulator.HostSystem {
	tb.Helper()
	for _, e := range s.Model.Map().All("HostSystem") {
		if e.Entity().Name == name {
			return e.(*simulator.HostSystem)
		}
	}
	tb.Fatalf("vcsim has no host %s", name)
	return nil
}

func (s *Sim) simVM(tb testing.TB, name string) *simulator.VirtualMachine {
	tb.Helper()
	var found *simulator.VirtualMachine
	for _, e := range s.Model.Map().All("VirtualMachine") {
		if e.Entity().Name == name {
			if found != nil {
				tb.Fatalf("vcsim has two VMs named %s", name)
			}
			found = e.(*simulator.VirtualMachine)
		}
	}
	if found == nil {
		tb.Fatalf("vcsim has no VM %s", name)
	}
	return found
}

func (s *Sim) name(tb testing.TB, ref types.ManagedObjectReference) string {
	tb.Helper()
	e, ok := s.Model.Map().Get(ref).(mo.Entity)
	if !ok {
		return ref.Value + " (gone)"
	}
	return e.Entity().Name
}

// update applies changes to a simulator object under its lock, with
// property-collector notifications as vCenter would send them.
func (s *Sim) update(obj mo.Reference, changes ...types.PropertyChange) {
	sctx := s.Model.Service.Context
	sctx.WithLock(obj, func() { sctx.Update(obj, changes) })
}

// sizeHosts gives every host the Options' (or default) hardware.
func (s *Sim) sizeHosts(tb testing.TB, threads, memGiB int) {
	for _, e := range s.Model.Map().All("HostSystem") {
		s.SetHostHardware(tb, e.Entity().Name, threads, memGiB)
	}
}

// SetDiskThin makes every disk of the VM or template named vm thin or
// thick (eager-zeroed off), as if it had been made so.
func (s *Sim) SetDiskThin(tb testing.TB, vm string, thin bool) {
	tb.Helper()
	v := s.simVM(tb, vm)
	s.Model.Service.Context.WithLock(v, func() {
		for _, d := range v.Config.Hardware.Device {
			if disk, ok := d.(*types.VirtualDisk); ok {
				if b, ok := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo); ok {
					b.ThinProvisioned = types.NewBool(thin)
				}
			}
		}
	})
}

// DatastoreOf is the name of the (first) datastore of the VM named vm.
func (s *Sim) DatastoreOf(tb testing.TB, vm string) string {
	tb.Helper()
	v := s.simVM(tb, vm)
	if len(v.Datastore) == 0 {
		return ""
	}
	return s.name(tb, v.Datastore[0])
}

// AddRule adds an enabled VM anti-affinity rule named name with the VMs
// (by name) to the compute cluster, through the API.
func (s *Sim) AddRule(tb testing.TB, cluster, name string, vms ...string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := s.Finder(tb).ClusterComputeResource(ctx, "/DC0/host/"+cluster)
	if err != nil {
		tb.Fatalf("find cluster %s: %v", cluster, err)
	}
	var refs []types.ManagedObjectReference
	for _, n := range vms {
		refs = append(refs, s.simVM(tb, n).Self)
	}
	spec := &types.ClusterConfigSpecEx{RulesSpec: []types.ClusterRuleSpec{{
		ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: types.ArrayUpdateOperationAdd},
		Info: &types.ClusterAntiAffinityRuleSpec{
			ClusterRuleInfo: types.ClusterRuleInfo{Name: name, Enabled: types.NewBool(true)},
			Vm:              refs,
		},
	}}}
	task, err := cl.Reconfigure(ctx, spec, true)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		tb.Fatalf("add rule %s to %s: %v", name, cluster, err)
	}
}
