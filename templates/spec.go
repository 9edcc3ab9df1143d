package templates

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"reflect"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// customization is the Linux guest customization giving vm its hostname,
// domain, static IP, netmask, gateway and DNS.
func customization(vm VMSpec, n config.Network) (*types.CustomizationSpec, error) {
	mask, err := netmask(n)
	if err != nil {
		return nil, err
	}
	if net.ParseIP(vm.IP).To4() == nil {
		return nil, fmt.Errorf("VM %s: IP %q is not an IPv4 address", vm.Name, vm.IP)
	}
	host, domain := vm.Hostname, n.SearchDomain
	if host == "" {
		host = vm.Name
	}
	if h, d, ok := strings.Cut(host, "."); ok {
		host, domain = h, d
	}
	if domain == "" {
		domain = "localdomain"
	}
	adapter := types.CustomizationIPSettings{
		Ip:            &types.CustomizationFixedIp{IpAddress: vm.IP},
		SubnetMask:    mask,
		DnsServerList: n.DNS,
	}
	if n.Gateway != "" {
		adapter.Gateway = []string{n.Gateway}
	}
	var suffixes []string
	if n.SearchDomain != "" {
		suffixes = []string{n.SearchDomain}
	}
	return &types.CustomizationSpec{
		Identity: &types.CustomizationLinuxPrep{
			HostName:   &types.CustomizationFixedName{Name: host},
			Domain:     domain,
			TimeZone:   "UTC",
			HwClockUTC: types.NewBool(true),
		},
		GlobalIPSettings: types.CustomizationGlobalIPSettings{DnsSuffixList: suffixes, DnsServerList: n.DNS},
		NicSettingMap:    []types.CustomizationAdapterMapping{{Adapter: adapter}},
	}, nil
}

// netmask is network.netmask, or network.prefix as a dotted mask.
func netmask(n config.Network) (string, error) {
	if n.Netmask != "" {
		if ip := net.ParseIP(n.Netmask).To4(); ip == nil {
			return "", fmt.Errorf("network.netmask: %q is not a dotted IPv4 mask", n.Netmask)
		}
		return n.Netmask, nil
	}
	if n.Prefix <= 0 || n.Prefix > 32 {
		return "", fmt.Errorf("network: give netmask or prefix (1-32), got prefix %d", n.Prefix)
	}
	return net.IP(net.CIDRMask(n.Prefix, 32)).String(), nil
}

// cloneBase is the part of every clone spec that is the same for all VMs:
// placement, NIC backing and linked-clone settings.
type cloneBase struct {
	location types.VirtualMachineRelocateSpec
	snapshot *types.ManagedObjectReference
	disk     *types.VirtualDisk // the template's first disk, for growing
}

// cloneSpec builds the clone spec of one VM; it carries the ownership marks
// and a fresh instance UUID so the VM is marked and findable from birth.
func (b cloneBase) cloneSpec(vm VMSpec, cluster, clusterID string, n config.Network) (types.VirtualMachineCloneSpec, string, error) {
	cs, err := customization(vm, n)
	if err != nil {
		return types.VirtualMachineCloneSpec{}, "", err
	}
	uuid, err := newUUID()
	if err != nil {
		return types.VirtualMachineCloneSpec{}, "", err
	}
	ec, note := marks(cluster, clusterID, vm.Role)
	cfg := &types.VirtualMachineConfigSpec{
		NumCPUs:      int32(vm.CPUs),
		MemoryMB:     int64(vm.MemoryMB),
		Annotation:   note,
		ExtraConfig:  ec,
		InstanceUuid: uuid,
	}
	if want := int64(vm.DiskGB) << 20; b.disk != nil && want > b.disk.CapacityInKB {
		disk := *b.disk
		disk.CapacityInKB = want
		disk.CapacityInBytes = want << 10
		cfg.DeviceChange = []types.BaseVirtualDeviceConfigSpec{&types.VirtualDeviceConfigSpec{
			Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: &disk}}
	}
	return types.VirtualMachineCloneSpec{
		Location:      b.location,
		Config:        cfg,
		Customization: cs,
		PowerOn:       false,
		Snapshot:      b.snapshot,
	}, uuid, nil
}

// newCloneBase reads the template's devices once to point its NIC at the
// configured network and to know its disk.
func newCloneBase(ctx context.Context, inv *Inventory, devices object.VirtualDeviceList, linked bool, warn func(string)) (cloneBase, error) {
	poolRef, dsRef := inv.Pool.Reference(), inv.Datastore.Reference()
	b := cloneBase{location: types.VirtualMachineRelocateSpec{Pool: &poolRef, Datastore: &dsRef}}
	if disks := devices.SelectByType((*types.VirtualDisk)(nil)); len(disks) > 0 {
		b.disk = disks[0].(*types.VirtualDisk)
	}
	if linked {
		if inv.TemplateSnapshot == nil {
			if warn != nil {
				warn(fmt.Sprintf("template.linkedClone: template %s has no snapshot; making full clones", inv.TemplateName))
			}
		} else {
			b.snapshot = inv.TemplateSnapshot
			b.location.DiskMoveType = string(types.VirtualMachineRelocateDiskMoveOptionsCreateNewChildDiskBacking)
			b.disk = nil // a child disk cannot be grown at clone time
		}
	}
	if inv.Network == nil {
		return b, nil
	}
	nics := devices.SelectByType((*types.VirtualEthernetCard)(nil))
	if len(nics) != 1 {
		return b, fmt.Errorf("template %s has %d network adapters; want exactly 1", inv.TemplateName, len(nics))
	}
	backing, err := inv.Network.EthernetCardBackingInfo(ctx)
	if err != nil {
		return b, fmt.Errorf("vcenter.network: backing of %s: %w", inv.Network.Reference().Value, err)
	}
	card := nics[0].(types.BaseVirtualEthernetCard).GetVirtualEthernetCard()
	if sameBacking(card.Backing, backing) {
		return b, nil // already on that network: no device edit needed
	}
	// devices is this call's own copy of the template's list: edit in place.
	card.Backing = backing
	b.location.DeviceChange = []types.BaseVirtualDeviceConfigSpec{&types.VirtualDeviceConfigSpec{
		Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: nics[0]}}
	return b, nil
}

// newUUID is a random RFC 4122 version 4 UUID.
func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate instance UUID: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:]), nil
}

// sameBacking reports whether a NIC backing already points at the network
// of want (standard port group by network, distributed by port group key).
func sameBacking(have, want types.BaseVirtualDeviceBackingInfo) bool {
	switch w := want.(type) {
	case *types.VirtualEthernetCardNetworkBackingInfo:
		h, ok := have.(*types.VirtualEthernetCardNetworkBackingInfo)
		return ok && h.DeviceName == w.DeviceName && (h.Network == nil || w.Network == nil || *h.Network == *w.Network)
	case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
		h, ok := have.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo)
		return ok && h.Port.PortgroupKey == w.Port.PortgroupKey && h.Port.SwitchUuid == w.Port.SwitchUuid
	}
	return false
}

// copyDevices deep-copies a device list so edits stay local to one run.
func copyDevices(list object.VirtualDeviceList) (object.VirtualDeviceList, error) {
	out := make(object.VirtualDeviceList, 0, len(list))
	for _, d := range list {
		c, ok := reflect.ValueOf(d).Elem().Interface().(types.AnyType)
		if !ok {
			return nil, fmt.Errorf("copy template device %T", d)
		}
		p := reflect.New(reflect.TypeOf(c))
		p.Elem().Set(reflect.ValueOf(c))
		// Fields are copied; pointed-to backings are shared, so callers
		// replace a backing rather than edit it.
		out = append(out, p.Interface().(types.BaseVirtualDevice))
	}
	return out, nil
}
