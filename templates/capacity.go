package templates

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// datastoreInfo is a datastore VMs may go to, with its space at preflight.
type datastoreInfo struct {
	Ref            types.ManagedObjectReference
	Name           string
	Free, Capacity int64
}

// resolveStorage resolves vcenter.datastore, or vcenter.datastoreCluster
// and its usable members (accessible, not in maintenance mode).
func (s *Session) resolveStorage(ctx context.Context, finder *find.Finder, inv *Inventory, vc config.VCenter) error {
	pc := property.DefaultCollector(s.client)
	if vc.DatastoreCluster == "" {
		ds, err := s.findDatastore(ctx, finder, inv.Datacenter, vc.Datastore)
		if err != nil {
			return err
		}
		inv.Datastore = ds
		var m mo.Datastore
		if err := pc.RetrieveOne(ctx, ds.Reference(), []string{"summary"}, &m); err != nil {
			return fmt.Errorf("read free space of datastore %s: %w", ds.Name(), err)
		}
		inv.datastores = []datastoreInfo{{Ref: ds.Reference(), Name: ds.Name(), Free: m.Summary.FreeSpace, Capacity: m.Summary.Capacity}}
		inv.FreeSpace = m.Summary.FreeSpace
		return nil
	}
	all, err := s.listNamed(ctx, inv.Datacenter.Reference(), "StoragePod")
	if err != nil {
		return err
	}
	ref, err := pick(all, path.Base(vc.DatastoreCluster), "vcenter.datastoreCluster", inv.Datacenter.Name())
	if err != nil {
		return err
	}
	var pod mo.StoragePod
	if err := pc.RetrieveOne(ctx, ref, []string{"name", "childEntity"}, &pod); err != nil {
		return fmt.Errorf("read datastore cluster %s: %w", vc.DatastoreCluster, err)
	}
	inv.StoragePod = object.NewStoragePod(s.client, ref)
	inv.StoragePod.InventoryPath = path.Join(inv.Datacenter.InventoryPath, "datastore", pod.Name)
	var members []mo.Datastore
	if len(pod.ChildEntity) > 0 {
		if err := pc.Retrieve(ctx, pod.ChildEntity, []string{"name", "summary"}, &members); err != nil {
			return fmt.Errorf("read the datastores of datastore cluster %s: %w", pod.Name, err)
		}
	}
	var skipped []string
	for _, m := range members {
		switch {
		case !m.Summary.Accessible:
			skipped = append(skipped, m.Name+" is not accessible")
		case m.Summary.MaintenanceMode != "" && m.Summary.MaintenanceMode != string(types.DatastoreSummaryMaintenanceModeStateNormal):
			skipped = append(skipped, m.Name+" is in maintenance mode")
		default:
			inv.datastores = append(inv.datastores, datastoreInfo{Ref: m.Self, Name: m.Name, Free: m.Summary.FreeSpace, Capacity: m.Summary.Capacity})
			inv.FreeSpace += m.Summary.FreeSpace
		}
	}
	if len(inv.datastores) == 0 {
		why := "it has no datastores"
		if len(skipped) > 0 {
			why = strings.Join(skipped, ", ")
		}
		return fmt.Errorf("vcenter.datastoreCluster: %s has no usable datastore (%s)", pod.Name, why)
	}
	sort.SliceStable(inv.datastores, func(i, j int) bool { return inv.datastores[i].Free > inv.datastores[j].Free })
	best := inv.datastores[0]
	inv.Datastore = object.NewDatastore(s.client, best.Ref)
	inv.Datastore.InventoryPath = path.Join(inv.StoragePod.InventoryPath, best.Name)
	return nil
}

// vmStorage is the datastore space one new VM takes.
type vmStorage struct {
	Name  string
	Now   int64 // taken once cloned and powered on
	Full  int64 // once its thin disks have grown to their size
	Thick int64 // thick disks (part of Now)
	Thin  int64 // what a full clone copies of thin disks (part of Now)
	Swap  int64 // the swap file made at power-on: its memory, as no memory is reserved
}

// storageNeed is what vm takes on a datastore: the template's disks (the
// first grown to diskGB) as they are provisioned, a copy of the
// template's used blocks for thin disks of a full clone, nothing yet for
// a linked clone's delta disks, and a swap file the size of its memory.
func (inv *Inventory) storageNeed(vm VMSpec, linked bool) vmStorage {
	linked = linked && inv.TemplateSnapshot != nil
	n := vmStorage{Name: vm.Name, Swap: int64(vm.MemoryMB) << 20}
	disks := inv.templateDevices.SelectByType((*types.VirtualDisk)(nil))
	if len(disks) == 0 { // to be imported: thin (ovf.Import's default)
		n.Full = n.Swap + int64(vm.DiskGB)<<30
		n.Now = n.Swap
		return n
	}
	var thinSize int64
	for i, d := range disks {
		disk := d.(*types.VirtualDisk)
		size := disk.CapacityInKB << 10
		if i == 0 && !linked {
			size = max(size, int64(vm.DiskGB)<<30)
		}
		n.Full += size
		switch {
		case linked:
		case isThin(disk):
			thinSize += size
		default:
			n.Thick += size
		}
	}
	n.Thin = min(inv.templateCommitted, thinSize)
	n.Now = n.Swap + n.Thick + n.Thin
	n.Full += n.Swap
	return n
}

func isThin(d *types.VirtualDisk) bool {
	switch b := d.Backing.(type) {
	case *types.VirtualDiskFlatVer2BackingInfo:
		return b.ThinProvisioned != nil && *b.ThinProvisioned
	case *types.VirtualDiskSeSparseBackingInfo, *types.VirtualDiskSparseVer2BackingInfo:
		return true
	}
	return false
}

// assignDatastores puts each VM on the datastore with the most room left
// (largest VMs first). It returns the choice by VM name and the VMs that
// fit nowhere.
func assignDatastores(dss []datastoreInfo, needs []vmStorage) (map[string]types.ManagedObjectReference, []vmStorage) {
	left := make([]int64, len(dss))
	for i, ds := range dss {
		left[i] = ds.Free
	}
	order := append([]vmStorage(nil), needs...)
	sort.SliceStable(order, func(i, j int) bool { return order[i].Now > order[j].Now })
	out := map[string]types.ManagedObjectReference{}
	var unfit []vmStorage
	for _, n := range order {
		best := -1
		for i := range dss {
			if left[i] >= n.Now && (best < 0 || left[i] > left[best]) {
				best = i
			}
		}
		if best < 0 {
			unfit = append(unfit, n)
			continue
		}
		left[best] -= n.Now
		out[n.Name] = dss[best].Ref
	}
	return out, unfit
}

func gib(b int64) string { return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30)) }

// checkCapacity fails when the datastore(s) cannot hold the new VMs once
// they are created and powered on, and fails or warns (through the
// session's Warn) when the hosts cannot run them; see checkCompute.
func (s *Session) checkCapacity(_ context.Context, inv *Inventory, create []VMSpec, linked bool) error {
	if len(create) == 0 {
		return nil
	}
	needs := make([]vmStorage, len(create))
	var total vmStorage
	var memMB int
	for i, vm := range create {
		needs[i] = inv.storageNeed(vm, linked)
		total.Now += needs[i].Now
		total.Full += needs[i].Full
		total.Thick += needs[i].Thick
		total.Thin += needs[i].Thin
		total.Swap += needs[i].Swap
		memMB += vm.MemoryMB
	}
	field, where := "vcenter.datastore", inv.datastores[0].Name
	if inv.StoragePod != nil {
		var parts []string
		for _, ds := range inv.datastores {
			parts = append(parts, ds.Name+" "+gib(ds.Free))
		}
		field, where = "vcenter.datastoreCluster", fmt.Sprintf("%s (%s)", inv.StoragePod.Name(), strings.Join(parts, ", "))
	}
	_, unfit := assignDatastores(inv.datastores, needs)
	if len(unfit) > 0 {
		msg := fmt.Sprintf("%s: %s has %s free; the %d new VMs need %s once created and powered on (thick disks %s, thin disk copies %s, swap files %s for %d MB of memory); nothing was created",
			field, where, gib(inv.FreeSpace), len(create), gib(total.Now), gib(total.Thick), gib(total.Thin), gib(total.Swap), memMB)
		if inv.StoragePod != nil && total.Now <= inv.FreeSpace {
			var names []string
			for _, n := range unfit {
				names = append(names, fmt.Sprintf("%s (%s)", n.Name, gib(n.Now)))
			}
			msg += fmt.Sprintf("; no single member has room left for %s", strings.Join(names, ", "))
		}
		return fmt.Errorf("%s", msg)
	}
	if total.Full > inv.FreeSpace {
		s.warnf("capacity: %s has %s free; the thin or linked disks of the %d new VMs can grow to %s in all (%s needed now): watch the datastore's free space",
			where, gib(inv.FreeSpace), len(create), gib(total.Full), gib(total.Now))
	}
	return s.checkCompute(inv, create)
}

// checkCompute compares the new VMs with the usable ESXi hosts. Certain
// failures are errors: no usable host, or a VM with more vCPUs than any
// host has logical CPUs (it could never power on). Likely trouble is a
// warning: a VM with more memory than any host, or more memory or vCPUs
// in all than the hosts have free.
func (s *Session) checkCompute(inv *Inventory, create []VMSpec) error {
	c := &inv.compute
	usable := c.usable()
	if len(usable) == 0 {
		var why []string
		for _, h := range c.Hosts {
			why = append(why, h.Name+" "+h.Unusable)
		}
		if len(why) == 0 {
			why = []string{"it has no hosts"}
		}
		return fmt.Errorf("placement: no ESXi host of %s can run the VMs: %s", c.Name, strings.Join(why, "; "))
	}
	var maxThreads, cores int
	var maxMem, freeMem, totalMem int64
	for _, h := range usable {
		maxThreads, maxMem = max(maxThreads, h.Threads), max(maxMem, h.MemoryBytes)
		cores += h.Cores
		totalMem += h.MemoryBytes >> 20
		freeMem += max(h.MemoryBytes>>20-h.UsedMemoryMB, 0)
	}
	var tooMany, tooLarge []string
	var cpus, memMB int
	for _, vm := range create {
		cpus += vm.CPUs
		memMB += vm.MemoryMB
		if vm.CPUs > maxThreads {
			tooMany = append(tooMany, fmt.Sprintf("%s (%d)", vm.Name, vm.CPUs))
		}
		if int64(vm.MemoryMB)<<20 > maxMem {
			tooLarge = append(tooLarge, fmt.Sprintf("%s (%d MB)", vm.Name, vm.MemoryMB))
		}
	}
	if len(tooMany) > 0 {
		return fmt.Errorf("placement: %s have more vCPUs than the largest usable ESXi host of %s has logical CPUs (%d): they could not power on; lower nodes.*.cpus; nothing was created",
			strings.Join(tooMany, ", "), c.Name, maxThreads)
	}
	if len(tooLarge) > 0 {
		s.warnf("capacity: %s have more memory than the largest usable ESXi host of %s (%d MB): they would swap", strings.Join(tooLarge, ", "), c.Name, maxMem>>20)
	}
	if int64(memMB) > freeMem {
		s.warnf("capacity: the %d new VMs need %d MB of memory; the %d usable ESXi hosts of %s have %d MB free of %d MB: they may not all power on, or will swap",
			len(create), memMB, len(usable), c.Name, freeMem, totalMem)
	}
	if cpus > cores {
		s.warnf("capacity: the %d new VMs have %d vCPUs; the %d usable ESXi hosts of %s have %d physical cores: DC/OS will offer more CPU than there is",
			len(create), cpus, len(usable), c.Name, cores)
	}
	return nil
}
