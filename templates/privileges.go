package templates

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// Privileges the tool uses, by vCenter privilege id. MinimumRole lists
// them all: the README shows how to create that role with govc.
const (
	PrivFolderCreate     = "Folder.Create"
	PrivCreateFromExist  = "VirtualMachine.Inventory.CreateFromExisting"
	PrivInventoryCreate  = "VirtualMachine.Inventory.Create"
	PrivInventoryDelete  = "VirtualMachine.Inventory.Delete"
	PrivDeployTemplate   = "VirtualMachine.Provisioning.DeployTemplate"
	PrivCustomize        = "VirtualMachine.Provisioning.Customize"
	PrivMarkAsTemplate   = "VirtualMachine.Provisioning.MarkAsTemplate"
	PrivCPUCount         = "VirtualMachine.Config.CPUCount"
	PrivMemory           = "VirtualMachine.Config.Memory"
	PrivAdvancedConfig   = "VirtualMachine.Config.AdvancedConfig"
	PrivAnnotation       = "VirtualMachine.Config.Annotation"
	PrivSettings         = "VirtualMachine.Config.Settings"
	PrivDiskExtend       = "VirtualMachine.Config.DiskExtend"
	PrivEditDevice       = "VirtualMachine.Config.EditDevice"
	PrivPowerOn          = "VirtualMachine.Interact.PowerOn"
	PrivPowerOff         = "VirtualMachine.Interact.PowerOff"
	PrivAssignVMToPool   = "Resource.AssignVMToPool"
	PrivAllocateSpace    = "Datastore.AllocateSpace"
	PrivNetworkAssign    = "Network.Assign"
	PrivVAppImport       = "VApp.Import"
	PrivEditCluster      = "Host.Inventory.EditCluster"
	minimumRoleSuggested = "dcos-vsphere"
)

// MinimumRole is every privilege an install, add-agents and destroy may
// need, sorted: the smallest vCenter role for the tool's user (besides
// the System.Anonymous/View/Read every role has).
var MinimumRole = []string{
	PrivAllocateSpace, PrivFolderCreate, PrivEditCluster, PrivNetworkAssign, PrivAssignVMToPool, PrivVAppImport,
	PrivAdvancedConfig, PrivAnnotation, PrivCPUCount, PrivDiskExtend, PrivEditDevice, PrivMemory, PrivSettings,
	PrivPowerOff, PrivPowerOn, PrivInventoryCreate, PrivCreateFromExist, PrivInventoryDelete,
	PrivCustomize, PrivDeployTemplate, PrivMarkAsTemplate,
}

// privilegePurpose says, for error messages, what each privilege is for.
var privilegePurpose = map[string]string{
	PrivFolderCreate:    "create the VM folder",
	PrivCreateFromExist: "clone VMs into the folder",
	PrivInventoryCreate: "import the OVA as a VM",
	PrivInventoryDelete: "remove failed clones and destroy",
	PrivDeployTemplate:  "clone the template",
	PrivCustomize:       "customize the guest (hostname, static IP)",
	PrivMarkAsTemplate:  "mark the imported VM as a template",
	PrivCPUCount:        "set the vCPUs",
	PrivMemory:          "set the memory",
	PrivAdvancedConfig:  "write the ownership marks (extraConfig)",
	PrivAnnotation:      "write the ownership note (annotation)",
	PrivSettings:        "set the instance UUID",
	PrivDiskExtend:      "grow the disk to diskGB",
	PrivEditDevice:      "attach the NIC to vcenter.network",
	PrivPowerOn:         "power VMs on",
	PrivPowerOff:        "power VMs off for cleanup and destroy",
	PrivAssignVMToPool:  "place VMs in the resource pool",
	PrivAllocateSpace:   "create disks on the datastore",
	PrivNetworkAssign:   "connect VMs to the network",
	PrivVAppImport:      "import the OVA",
	PrivEditCluster:     "keep masters apart (DRS anti-affinity rule)",
}

// need is the privileges one inventory object must grant.
type need struct {
	Ref   types.ManagedObjectReference
	Path  string // inventory path shown to the user
	Privs []string
}

// MissingPrivilege is one privilege the user does not hold on one object.
type MissingPrivilege struct {
	Path      string // inventory path, e.g. /DC0/datastore/LocalDS_0
	Privilege string // privilege id, e.g. Datastore.AllocateSpace
	Purpose   string // what the tool needs it for
	// Role is the role the user holds on Path ("" when not visible, e.g.
	// granted through a group), and RoleOn where it is assigned.
	Role, RoleOn string
}

// PrivilegeError lists every privilege the vCenter user lacks for a run,
// found before anything was created. Its exit code is 3, as for other
// vCenter access failures: the fix is a role in vCenter, not the config.
type PrivilegeError struct {
	User    string
	Missing []MissingPrivilege // sorted by path, then privilege
}

// ExitCode is 3: an authorization failure, like a refused login.
func (e *PrivilegeError) ExitCode() int { return 3 }

func (e *PrivilegeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "vCenter user %s lacks %d privilege(s) this run needs; nothing was created:", e.User, len(e.Missing))
	byRole := map[string][]string{}
	var roles []string
	for _, m := range e.Missing {
		role := "role unknown (granted through a group, or not visible to this user)"
		key := minimumRoleSuggested
		if m.Role != "" {
			role = fmt.Sprintf("role %q assigned on %s", m.Role, m.RoleOn)
			key = m.Role
		}
		fmt.Fprintf(&b, "\n  %s: %s (to %s); %s", m.Path, m.Privilege, m.Purpose, role)
		if !slices.Contains(byRole[key], m.Privilege) {
			if byRole[key] == nil {
				roles = append(roles, key)
			}
			byRole[key] = append(byRole[key], m.Privilege)
		}
	}
	sort.Strings(roles)
	b.WriteString("\nAdd them to the role, e.g.:")
	for _, r := range roles {
		privs := byRole[r]
		sort.Strings(privs)
		fmt.Fprintf(&b, "\n  govc role.update -a %s %s", r, strings.Join(privs, " "))
	}
	b.WriteString("\n(README, \"Minimum vCenter role\", lists the whole role and how to assign it.)")
	return b.String()
}

// checkPrivileges asks vCenter which of needs this session's user lacks
// (AuthorizationManager.HasPrivilegeOnEntities, one call) and returns a
// *PrivilegeError naming all of them, or nil.
func (s *Session) checkPrivileges(ctx context.Context, needs []need) error {
	needs = mergeNeeds(needs)
	if len(needs) == 0 {
		return nil
	}
	us, err := session.NewManager(s.client).UserSession(ctx)
	if err != nil || us == nil {
		return fmt.Errorf("check privileges: read the current session: %v", cmp.Or(err, fmt.Errorf("no session")))
	}
	var refs []types.ManagedObjectReference
	var ids []string
	for _, n := range needs {
		refs = append(refs, n.Ref)
		for _, p := range n.Privs {
			if !slices.Contains(ids, p) {
				ids = append(ids, p)
			}
		}
	}
	req := types.HasPrivilegeOnEntities{This: *s.client.ServiceContent.AuthorizationManager, Entity: refs, SessionId: us.Key, PrivId: ids}
	res, err := methods.HasPrivilegeOnEntities(ctx, s.client, &req)
	if err != nil {
		return fmt.Errorf("check the privileges of %s on %d objects: %w", us.UserName, len(refs), err)
	}
	granted := map[types.ManagedObjectReference]map[string]bool{}
	for _, ep := range res.Returnval {
		g := map[string]bool{}
		for _, a := range ep.PrivAvailability {
			g[a.PrivId] = a.IsGranted
		}
		granted[ep.Entity] = g
	}
	perr := &PrivilegeError{User: us.UserName}
	roles := s.roleLookup(ctx, us.UserName)
	for _, n := range needs {
		for _, p := range n.Privs {
			if granted[n.Ref][p] {
				continue
			}
			if n.Path == "" {
				n.Path = s.inventoryPath(ctx, n.Ref)
			}
			m := MissingPrivilege{Path: n.Path, Privilege: p, Purpose: privilegePurpose[p]}
			m.Role, m.RoleOn = roles(n.Ref)
			perr.Missing = append(perr.Missing, m)
		}
	}
	if len(perr.Missing) == 0 {
		return nil
	}
	sort.SliceStable(perr.Missing, func(i, j int) bool {
		a, b := perr.Missing[i], perr.Missing[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Privilege < b.Privilege
	})
	return perr
}

// mergeNeeds joins needs on the same object and drops empty ones.
func mergeNeeds(needs []need) []need {
	var out []need
	at := map[types.ManagedObjectReference]int{}
	for _, n := range needs {
		if n.Ref.Value == "" || len(n.Privs) == 0 {
			continue
		}
		i, ok := at[n.Ref]
		if !ok {
			at[n.Ref] = len(out)
			out = append(out, need{Ref: n.Ref, Path: n.Path})
			i = len(out) - 1
		}
		for _, p := range n.Privs {
			if !slices.Contains(out[i].Privs, p) {
				out[i].Privs = append(out[i].Privs, p)
			}
		}
	}
	return out
}

// roleLookup returns a function naming the role user holds on an object
// (the closest permission for that user, itself or inherited) and where
// it is assigned. Lookups that fail answer "" (the message then says the
// role is unknown): this is help text, not a check.
func (s *Session) roleLookup(ctx context.Context, user string) func(types.ManagedObjectReference) (string, string) {
	am := object.NewAuthorizationManager(s.client)
	roleNames := map[int32]string{}
	if list, err := am.RoleList(ctx); err == nil {
		for _, r := range list {
			roleNames[r.RoleId] = r.Name
		}
	}
	paths := map[types.ManagedObjectReference]string{}
	return func(ref types.ManagedObjectReference) (string, string) {
		perms, err := am.RetrieveEntityPermissions(ctx, ref, true)
		if err != nil {
			return "", ""
		}
		// Closest first: vCenter lists the entity's own, then its parents'.
		for _, p := range perms {
			if p.Group || !samePrincipal(p.Principal, user) || p.Entity == nil {
				continue
			}
			where, ok := paths[*p.Entity]
			if !ok {
				where = s.inventoryPath(ctx, *p.Entity)
				paths[*p.Entity] = where
			}
			return cmp.Or(roleNames[p.RoleId], fmt.Sprintf("id %d", p.RoleId)), where
		}
		return "", ""
	}
}

func (s *Session) inventoryPath(ctx context.Context, ref types.ManagedObjectReference) string {
	if ref == s.client.ServiceContent.RootFolder {
		return "/ (vCenter root)"
	}
	if p, err := find.InventoryPath(ctx, s.client, ref); err == nil {
		return p
	}
	return ref.Value
}

// samePrincipal compares vCenter principals in either form
// (DOMAIN\user or user@domain), ignoring case.
func samePrincipal(a, b string) bool {
	norm := func(p string) string {
		p = strings.ToLower(p)
		if d, u, ok := strings.Cut(p, `\`); ok {
			return u + "@" + d
		}
		return p
	}
	return norm(a) == norm(b)
}

// runNeeds is what creating the VMs of create needs, object by object:
// the VM folder (or its deepest existing parent when it is to be made),
// the template (or, for an import, the pool and folder), the pool, each
// target datastore, the network and, when a DRS anti-affinity rule will
// be written, the compute cluster. Clone spec fields decide the
// VirtualMachine.Config privileges: only those the spec changes.
func (s *Session) runNeeds(inv *Inventory, req PreflightRequest, create []VMSpec, folder *object.Folder, folderMissing bool) []need {
	if len(create) == 0 {
		return nil
	}
	vm := []string{PrivCreateFromExist, PrivAdvancedConfig, PrivAnnotation, PrivSettings, PrivPowerOn, PrivPowerOff, PrivInventoryDelete}
	linked := req.Template.LinkedClone && inv.TemplateSnapshot != nil
	newMasters := 0
	for _, v := range create {
		if v.CPUs > 0 && !slices.Contains(vm, PrivCPUCount) {
			vm = append(vm, PrivCPUCount)
		}
		if v.MemoryMB > 0 && !slices.Contains(vm, PrivMemory) {
			vm = append(vm, PrivMemory)
		}
		grow := int64(v.DiskGB)<<30 > inv.templateDiskBytes()
		if inv.NeedsImport {
			grow = v.DiskGB > 0 // the imported disk's size is not known yet
		}
		if grow && !linked && !slices.Contains(vm, PrivDiskExtend) {
			vm = append(vm, PrivDiskExtend)
		}
		if v.Role == string(config.RoleMaster) {
			newMasters++
		}
	}
	if inv.Network != nil && !inv.NeedsImport && !nicOn(inv.templateDevices, inv.Network.Reference()) {
		vm = append(vm, PrivEditDevice)
	}
	if folderMissing {
		vm = append(vm, PrivFolderCreate)
	}
	needs := []need{{Ref: folder.Reference(), Path: folder.InventoryPath, Privs: vm}}
	if inv.NeedsImport {
		needs = append(needs,
			need{Ref: folder.Reference(), Path: folder.InventoryPath, Privs: []string{PrivInventoryCreate, PrivMarkAsTemplate, PrivVAppImport, PrivDeployTemplate, PrivCustomize}},
			need{Ref: inv.Pool.Reference(), Path: inv.Pool.InventoryPath, Privs: []string{PrivVAppImport}})
	} else {
		needs = append(needs, need{Ref: inv.Template.Reference(), Privs: []string{PrivDeployTemplate, PrivCustomize}})
	}
	needs = append(needs, need{Ref: inv.Pool.Reference(), Path: inv.Pool.InventoryPath, Privs: []string{PrivAssignVMToPool}})
	for _, ds := range inv.datastores {
		needs = append(needs, need{Ref: ds.Ref, Privs: []string{PrivAllocateSpace}})
	}
	if inv.Network != nil {
		needs = append(needs, need{Ref: inv.Network.Reference(), Path: inv.Network.GetInventoryPath(), Privs: []string{PrivNetworkAssign}})
	}
	if newMasters > 0 && inv.compute.ruleWanted(newMasters+inv.ourMasters(req.Cluster)) {
		needs = append(needs, need{Ref: inv.compute.Ref, Path: inv.compute.Path, Privs: []string{PrivEditCluster}})
	}
	return needs
}

// nicOn reports whether the first NIC of devices is on network ref.
func nicOn(devices object.VirtualDeviceList, ref types.ManagedObjectReference) bool {
	nics := devices.SelectByType((*types.VirtualEthernetCard)(nil))
	if len(nics) == 0 {
		return false
	}
	switch b := nics[0].(types.BaseVirtualEthernetCard).GetVirtualEthernetCard().Backing.(type) {
	case *types.VirtualEthernetCardNetworkBackingInfo:
		return b.Network != nil && *b.Network == ref
	case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
		return b.Port.PortgroupKey == ref.Value
	}
	return false
}
