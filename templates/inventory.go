package templates

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// Inventory is the resolved placement for the cluster's VMs.
type Inventory struct {
	Datacenter *object.Datacenter
	Pool       *object.ResourcePool
	// Datastore is vcenter.datastore, or with vcenter.datastoreCluster the
	// member with the most free space (where an OVA is imported).
	Datastore *object.Datastore
	// StoragePod is vcenter.datastoreCluster (nil without one).
	StoragePod *object.StoragePod
	Network    object.NetworkReference // nil: keep the template's network
	// Folder is nil while the VM folder does not exist yet: Preflight
	// creates nothing; EnsureVMs (or the OVA import) creates it.
	Folder       *object.Folder
	FolderPath   string                 // inventory path of Folder
	Template     *object.VirtualMachine // nil until imported when NeedsImport
	TemplateName string
	// TemplateSnapshot is the template's current snapshot (linked clones).
	TemplateSnapshot *types.ManagedObjectReference
	NeedsImport      bool  // the template is missing and an OVA/OVF is given
	FreeSpace        int64 // bytes free at preflight on the target datastore(s)

	// folderParent is the deepest existing folder of the VM folder's path
	// and folderMissing the parts below it still to create.
	folderParent  *object.Folder
	folderMissing []string
	// existing is every VM of the datacenter at preflight, by name.
	existing map[string][]vmInfo
	// templateDevices is the template's hardware (NIC and disk), read once.
	templateDevices object.VirtualDeviceList
	// templateCommitted is the template's used datastore space (a thin
	// full clone copies about that much).
	templateCommitted int64
	// datastores is Datastore, or the usable members of StoragePod.
	datastores []datastoreInfo
	// compute is the cluster (or host) owning Pool, with its ESXi hosts.
	compute      compute
	spreadAgents bool
}

// templateDiskBytes is the size of the template's first disk (0 unknown).
func (inv *Inventory) templateDiskBytes() int64 {
	if disks := inv.templateDevices.SelectByType((*types.VirtualDisk)(nil)); len(disks) > 0 {
		return disks[0].(*types.VirtualDisk).CapacityInKB << 10
	}
	return 0
}

// Where names the placement for error messages (DC0/DC0_C0).
func (inv *Inventory) Where() string {
	rel := strings.TrimPrefix(inv.Pool.InventoryPath, inv.Datacenter.InventoryPath+"/host/")
	return inv.Datacenter.Name() + "/" + strings.Replace(rel, "/Resources", "", 1)
}

// PreflightRequest is what Preflight checks.
type PreflightRequest struct {
	// Cluster is the cluster's mark: its existing masters count when
	// deciding whether an anti-affinity rule will be needed.
	Cluster  string
	VCenter  config.VCenter
	Template config.Template
	// VMs are the planned VMs; those that already exist (by name) need
	// no privileges or space.
	VMs []VMSpec
}

// Preflight resolves every inventory name of the request and checks,
// before anything is created, that the user holds every privilege the
// run needs (a *PrivilegeError lists all that are missing), that the
// datastore (or datastore cluster) has room for the VMs to create and
// that the hosts can run them (warnings go to Options.Warn). It changes
// nothing: a missing VM folder is created by EnsureVMs. A wrong name is a
// *NotFoundError naming the field and listing what exists.
func (s *Session) Preflight(ctx context.Context, req PreflightRequest) (*Inventory, error) {
	vc, tmpl := req.VCenter, req.Template
	inv := &Inventory{TemplateName: tmpl.Name, spreadAgents: vc.SpreadAgents}
	dc, err := s.findDatacenter(ctx, vc.Datacenter)
	if err != nil {
		return nil, err
	}
	inv.Datacenter = dc
	finder := find.NewFinder(s.client, false)
	finder.SetDatacenter(dc)

	if inv.Pool, err = s.findPool(ctx, finder, dc, vc); err != nil {
		return nil, err
	}
	if err := s.resolveStorage(ctx, finder, inv, vc); err != nil {
		return nil, err
	}
	if vc.Network != "" {
		if inv.Network, err = s.findNetwork(ctx, finder, dc, vc.Network); err != nil {
			return nil, err
		}
	}
	if err := s.readCompute(ctx, inv); err != nil {
		return nil, err
	}
	if inv.existing, err = s.listVMs(ctx, dc.Reference()); err != nil {
		return nil, err
	}
	if err := s.findTemplate(ctx, inv, tmpl); err != nil {
		return nil, err
	}
	folder, missing, err := s.resolveFolder(ctx, finder, dc, vc.Folder)
	if err != nil {
		return nil, err
	}
	var create []VMSpec
	for _, vm := range req.VMs {
		if len(inv.existing[vm.Name]) == 0 {
			create = append(create, vm)
		}
	}
	if err := s.checkPrivileges(ctx, s.runNeeds(inv, req, create, folder, len(missing) > 0)); err != nil {
		return nil, err
	}
	if err := s.checkCapacity(ctx, inv, create, tmpl.LinkedClone); err != nil {
		return nil, err
	}
	inv.folderParent, inv.folderMissing = folder, missing
	inv.FolderPath = path.Join(append([]string{folder.InventoryPath}, missing...)...)
	if len(missing) == 0 {
		inv.Folder = folder
	}
	return inv, nil
}

// ensureVMFolder creates the inventory's VM folder when it does not exist.
func (s *Session) ensureVMFolder(ctx context.Context, inv *Inventory) error {
	if inv.Folder != nil {
		return nil
	}
	finder := find.NewFinder(s.client, false)
	finder.SetDatacenter(inv.Datacenter)
	f, p, err := s.createFolder(ctx, finder, inv.folderParent, inv.folderMissing)
	if err != nil {
		return err
	}
	inv.Folder, inv.FolderPath = f, p
	return nil
}

// VMFolder is the VM folder's inventory path for vc (whether it exists
// or not yet) and the folder, nil when it does not exist.
func (s *Session) VMFolder(ctx context.Context, vc config.VCenter) (*object.Folder, string, error) {
	dc, err := s.findDatacenter(ctx, vc.Datacenter)
	if err != nil {
		return nil, "", err
	}
	finder := find.NewFinder(s.client, false)
	finder.SetDatacenter(dc)
	folder, missing, err := s.resolveFolder(ctx, finder, dc, vc.Folder)
	if err != nil {
		return nil, "", err
	}
	full := path.Join(append([]string{folder.InventoryPath}, missing...)...)
	if len(missing) > 0 {
		return nil, full, nil
	}
	return folder, full, nil
}

func (s *Session) findDatacenter(ctx context.Context, want string) (*object.Datacenter, error) {
	all, err := s.listNamed(ctx, s.client.ServiceContent.RootFolder, "Datacenter")
	if err != nil {
		return nil, err
	}
	var ref types.ManagedObjectReference
	switch {
	case want == "" && len(all) == 1:
		ref = all[0].Ref
	case want == "":
		return nil, &NotFoundError{Field: "vcenter.datacenter", Name: "", In: "vCenter", Have: names(all)}
	case isPath(want):
		dc, err := find.NewFinder(s.client, false).Datacenter(ctx, want)
		if err != nil {
			return nil, &NotFoundError{Field: "vcenter.datacenter", Name: want, In: "vCenter", Have: names(all)}
		}
		return dc, nil
	default:
		if ref, err = pick(all, want, "vcenter.datacenter", "vCenter"); err != nil {
			return nil, err
		}
	}
	p, err := find.InventoryPath(ctx, s.client, ref)
	if err != nil {
		return nil, fmt.Errorf("inventory path of datacenter %s: %w", want, err)
	}
	dc := object.NewDatacenter(s.client, ref)
	dc.InventoryPath = p
	return dc, nil
}

// findPool resolves vcenter.resourcePool (a pool path or name) or else
// vcenter.cluster (its root pool); with neither, the only cluster.
func (s *Session) findPool(ctx context.Context, finder *find.Finder, dc *object.Datacenter, vc config.VCenter) (*object.ResourcePool, error) {
	if vc.ResourcePool != "" {
		if isPath(vc.ResourcePool) {
			if p, err := finder.ResourcePool(ctx, vc.ResourcePool); err == nil {
				return p, nil
			}
		}
		all, err := s.listNamed(ctx, dc.Reference(), "ResourcePool")
		if err != nil {
			return nil, err
		}
		ref, err := pick(all, path.Base(vc.ResourcePool), "vcenter.resourcePool", dc.Name())
		if err != nil {
			return nil, err
		}
		return s.poolAt(ctx, ref)
	}
	all, err := s.listNamed(ctx, dc.Reference(), "ClusterComputeResource")
	if err != nil {
		return nil, err
	}
	want := vc.Cluster
	if want == "" {
		if len(all) != 1 {
			return nil, &NotFoundError{Field: "vcenter.cluster", Name: "", In: dc.Name(), Have: names(all)}
		}
		want = all[0].Name
	}
	ref, err := pick(all, path.Base(want), "vcenter.cluster", dc.Name())
	if err != nil {
		return nil, err
	}
	var cl mo.ClusterComputeResource
	if err := object.NewCommon(s.client, ref).Properties(ctx, ref, []string{"resourcePool"}, &cl); err != nil {
		return nil, fmt.Errorf("read root pool of cluster %s: %w", want, err)
	}
	if cl.ResourcePool == nil {
		return nil, fmt.Errorf("vcenter.cluster: %s has no resource pool", want)
	}
	return s.poolAt(ctx, *cl.ResourcePool)
}

func (s *Session) poolAt(ctx context.Context, ref types.ManagedObjectReference) (*object.ResourcePool, error) {
	p := object.NewResourcePool(s.client, ref)
	ip, err := find.InventoryPath(ctx, s.client, ref)
	if err != nil {
		return nil, fmt.Errorf("inventory path of resource pool %s: %w", ref.Value, err)
	}
	p.InventoryPath = ip
	return p, nil
}

func (s *Session) findDatastore(ctx context.Context, finder *find.Finder, dc *object.Datacenter, want string) (*object.Datastore, error) {
	all, err := s.listNamed(ctx, dc.Reference(), "Datastore")
	if err != nil {
		return nil, err
	}
	if want == "" && len(all) == 1 {
		want = all[0].Name
	}
	if want == "" {
		return nil, &NotFoundError{Field: "vcenter.datastore", In: dc.Name(), Have: names(all)}
	}
	if isPath(want) {
		if ds, err := finder.Datastore(ctx, want); err == nil {
			return ds, nil
		}
	}
	ref, err := pick(all, path.Base(want), "vcenter.datastore", dc.Name())
	if err != nil {
		return nil, err
	}
	ds := object.NewDatastore(s.client, ref)
	ds.InventoryPath = path.Join(dc.InventoryPath, "datastore", path.Base(want))
	return ds, nil
}

func (s *Session) findNetwork(ctx context.Context, finder *find.Finder, dc *object.Datacenter, want string) (object.NetworkReference, error) {
	if isPath(want) {
		if n, err := finder.Network(ctx, want); err == nil {
			return n, nil
		}
	}
	all, err := s.listNamed(ctx, dc.Reference(), "Network")
	if err != nil {
		return nil, err
	}
	ref, err := pick(all, path.Base(want), "vcenter.network", dc.Name())
	if err != nil {
		return nil, err
	}
	ip, err := find.InventoryPath(ctx, s.client, ref)
	if err != nil {
		return nil, fmt.Errorf("inventory path of network %s: %w", want, err)
	}
	return finder.Network(ctx, ip)
}

// findTemplate finds the template by name among the datacenter's VMs; a
// missing template is fine only when an OVA/OVF will be imported.
func (s *Session) findTemplate(ctx context.Context, inv *Inventory, tmpl config.Template) error {
	if tmpl.Name == "" {
		return errors.New("template.name is empty")
	}
	var templates []named
	for _, list := range inv.existing {
		for _, vm := range list {
			if vm.Template {
				templates = append(templates, named{Ref: vm.Ref, Name: vm.Name})
			}
		}
	}
	ref, err := pick(templates, path.Base(tmpl.Name), "template.name", inv.Datacenter.Name())
	var nf *NotFoundError
	switch {
	case errors.As(err, &nf) && tmpl.OVA != "":
		if len(inv.existing[tmpl.Name]) > 0 {
			return fmt.Errorf("template.name: %q exists in %s but is a VM, not a template; mark it as a template or choose another name", tmpl.Name, inv.Datacenter.Name())
		}
		inv.NeedsImport = true
		return nil
	case err != nil:
		return err
	}
	inv.Template = object.NewVirtualMachine(s.client, ref)
	return s.readTemplateSnapshot(ctx, inv)
}

// readTemplateSnapshot reads the template's current snapshot (for linked
// clones) and its devices (NIC to re-point, disk size).
func (s *Session) readTemplateSnapshot(ctx context.Context, inv *Inventory) error {
	var vm mo.VirtualMachine
	if err := inv.Template.Properties(ctx, inv.Template.Reference(), []string{"snapshot", "config.hardware.device", "summary.storage"}, &vm); err != nil {
		return fmt.Errorf("read snapshots and devices of template %s: %w", inv.TemplateName, err)
	}
	if vm.Snapshot != nil && vm.Snapshot.CurrentSnapshot != nil {
		inv.TemplateSnapshot = vm.Snapshot.CurrentSnapshot
	}
	if vm.Config != nil {
		inv.templateDevices = vm.Config.Hardware.Device
	}
	if vm.Summary.Storage != nil {
		inv.templateCommitted = vm.Summary.Storage.Committed
	}
	return nil
}

// resolveFolder finds the deepest existing folder of want below the
// datacenter's vm folder and the path parts still to create.
func (s *Session) resolveFolder(ctx context.Context, finder *find.Finder, dc *object.Datacenter, want string) (*object.Folder, []string, error) {
	folders, err := dc.Folders(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("read folders of %s: %w", dc.Name(), err)
	}
	cur := folders.VmFolder
	rel := strings.Trim(strings.TrimPrefix(want, cur.InventoryPath), "/")
	if rel == "" {
		return cur, nil, nil
	}
	parts := strings.Split(rel, "/")
	for i, part := range parts {
		next := path.Join(cur.InventoryPath, part)
		f, err := finder.Folder(ctx, next)
		var nf *find.NotFoundError
		switch {
		case err == nil:
			f.InventoryPath = next
			cur = f
		case errors.As(err, &nf):
			return cur, parts[i:], nil
		default:
			return nil, nil, fmt.Errorf("find folder %s: %w", next, err)
		}
	}
	return cur, nil, nil
}

// createFolder creates the missing path parts below parent.
func (s *Session) createFolder(ctx context.Context, finder *find.Finder, parent *object.Folder, missing []string) (*object.Folder, string, error) {
	cur := parent
	for _, part := range missing {
		next := path.Join(cur.InventoryPath, part)
		created, err := cur.CreateFolder(ctx, part)
		if err != nil && !isDuplicateName(err) {
			return nil, "", fmt.Errorf("create folder %s: %w", next, err)
		}
		if err != nil { // created concurrently by someone else
			if created, err = finder.Folder(ctx, next); err != nil {
				return nil, "", fmt.Errorf("find folder %s: %w", next, err)
			}
		}
		created.InventoryPath = next
		cur = created
	}
	return cur, cur.InventoryPath, nil
}
