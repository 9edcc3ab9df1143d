package templates

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// Ownership keys. They are written into the VM's extraConfig inside the
// clone spec (so a VM is marked from the instant it exists, even if the run
// dies right after) and into its annotation for people reading the vSphere
// client.
//
// KeyClusterID carries the id the cluster's first install minted: two
// clusters given the same name (in two folders, say) never mistake each
// other's VMs for their own.
const (
	KeyCluster   = "dcos-vsphere.cluster"
	KeyClusterID = "dcos-vsphere.cluster-id"
	KeyRole      = "dcos-vsphere.role"
)

// marks returns the extraConfig and annotation that mark a VM as ours.
func marks(cluster, clusterID, role string) ([]types.BaseOptionValue, string) {
	ec := []types.BaseOptionValue{
		&types.OptionValue{Key: KeyCluster, Value: cluster},
		&types.OptionValue{Key: KeyClusterID, Value: clusterID},
		&types.OptionValue{Key: KeyRole, Value: role},
	}
	note := fmt.Sprintf("Created by dcos-vsphere; do not edit the lines below.\n%s=%s\n%s=%s\n%s=%s\n",
		KeyCluster, cluster, KeyClusterID, clusterID, KeyRole, role)
	return ec, note
}

// vmInfo is what the clone phase needs to know about an existing VM.
type vmInfo struct {
	Ref          types.ManagedObjectReference
	Name         string
	Parent       types.ManagedObjectReference
	Template     bool
	Cluster      string // "" when not marked
	ClusterID    string // "" when marked by a version without cluster ids
	Role         string
	BIOSUUID     string // config.uuid (the guest's product_uuid)
	PowerState   types.VirtualMachinePowerState
	InstanceUUID string
	IP           string
	// IPs are every IPv4 address the guest reports: guest.ipAddress, and
	// guest.net only when listVMs was asked for it (GuestAddresses).
	IPs  []string
	Host types.ManagedObjectReference // ESXi host it is registered on
}

var vmProps = []string{"name", "parent", "config.template", "config.annotation", "config.extraConfig",
	"config.instanceUuid", "config.uuid", "runtime.powerState", "runtime.host", "guest.ipAddress"}

// propGuestNet is every guest NIC with its addresses: only GuestAddresses
// needs it, so the other listings do not fetch it.
const propGuestNet = "guest.net"

// listVMs returns every VM and template below root, by name, with
// extraProps fetched beyond vmProps.
func (s *Session) listVMs(ctx context.Context, root types.ManagedObjectReference, extraProps ...string) (map[string][]vmInfo, error) {
	v, err := view.NewManager(s.client).CreateContainerView(ctx, root, []string{"VirtualMachine"}, true)
	if err != nil {
		return nil, fmt.Errorf("list VMs: %w", err)
	}
	defer func() { _ = v.Destroy(context.WithoutCancel(ctx)) }()
	var vms []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, append(slices.Clip(vmProps), extraProps...), &vms); err != nil {
		return nil, fmt.Errorf("list VMs: %w", err)
	}
	out := make(map[string][]vmInfo, len(vms))
	for i := range vms {
		info := toVMInfo(&vms[i])
		out[info.Name] = append(out[info.Name], info)
	}
	return out, nil
}

func toVMInfo(vm *mo.VirtualMachine) vmInfo {
	info := vmInfo{Ref: vm.Self, Name: vm.Name, PowerState: vm.Runtime.PowerState}
	if vm.Runtime.Host != nil {
		info.Host = *vm.Runtime.Host
	}
	if vm.Parent != nil {
		info.Parent = *vm.Parent
	}
	if vm.Guest != nil {
		info.IP = vm.Guest.IpAddress
		seen := map[string]bool{}
		for _, ip := range append([]string{vm.Guest.IpAddress}, guestNetIPs(vm.Guest.Net)...) {
			if a, err := netip.ParseAddr(ip); err == nil && a.Is4() && !a.IsLoopback() && !a.IsLinkLocalUnicast() && !seen[ip] {
				seen[ip] = true
				info.IPs = append(info.IPs, ip)
			}
		}
	}
	if c := vm.Config; c != nil {
		info.Template = c.Template
		info.InstanceUUID = c.InstanceUuid
		info.BIOSUUID = c.Uuid
		for _, o := range c.ExtraConfig {
			if ov := o.GetOptionValue(); ov != nil {
				switch ov.Key {
				case KeyCluster:
					info.Cluster, _ = ov.Value.(string)
				case KeyClusterID:
					info.ClusterID, _ = ov.Value.(string)
				case KeyRole:
					info.Role, _ = ov.Value.(string)
				}
			}
		}
		if info.Cluster == "" {
			info.Cluster, info.ClusterID, info.Role = parseAnnotation(c.Annotation)
		}
	}
	return info
}

// parseAnnotation reads the marks from an annotation written by marks.
func parseAnnotation(note string) (cluster, clusterID, role string) {
	for _, line := range strings.Split(note, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		switch k {
		case KeyCluster:
			cluster = v
		case KeyClusterID:
			clusterID = v
		case KeyRole:
			role = v
		}
	}
	return cluster, clusterID, role
}

func guestNetIPs(nics []types.GuestNicInfo) []string {
	var out []string
	for _, n := range nics {
		out = append(out, n.IpAddress...)
	}
	return out
}
