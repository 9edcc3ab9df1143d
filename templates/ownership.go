package templates

import (
	"context"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// Ownership keys. They are written into the VM's extraConfig inside the
// clone spec (so a VM is marked from the instant it exists, even if the run
// dies right after) and into its annotation for people reading the vSphere
// client.
const (
	KeyCluster = "dcos-vsphere.cluster"
	KeyRole    = "dcos-vsphere.role"
)

// marks returns the extraConfig and annotation that mark a VM as ours.
func marks(cluster, role string) ([]types.BaseOptionValue, string) {
	ec := []types.BaseOptionValue{
		&types.OptionValue{Key: KeyCluster, Value: cluster},
		&types.OptionValue{Key: KeyRole, Value: role},
	}
	note := fmt.Sprintf("Created by dcos-vsphere; do not edit the lines below.\n%s=%s\n%s=%s\n", KeyCluster, cluster, KeyRole, role)
	return ec, note
}

// vmInfo is what the clone phase needs to know about an existing VM.
type vmInfo struct {
	Ref          types.ManagedObjectReference
	Name         string
	Parent       types.ManagedObjectReference
	Template     bool
	Cluster      string // "" when not marked
	Role         string
	PowerState   types.VirtualMachinePowerState
	InstanceUUID string
	IP           string
	Host         types.ManagedObjectReference // ESXi host it is registered on
}

var vmProps = []string{"name", "parent", "config.template", "config.annotation", "config.extraConfig",
	"config.instanceUuid", "runtime.powerState", "runtime.host", "guest.ipAddress"}

// listVMs returns every VM and template below root, by name.
func (s *Session) listVMs(ctx context.Context, root types.ManagedObjectReference) (map[string][]vmInfo, error) {
	v, err := view.NewManager(s.client).CreateContainerView(ctx, root, []string{"VirtualMachine"}, true)
	if err != nil {
		return nil, fmt.Errorf("list VMs: %w", err)
	}
	defer func() { _ = v.Destroy(context.WithoutCancel(ctx)) }()
	var vms []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, vmProps, &vms); err != nil {
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
	}
	if c := vm.Config; c != nil {
		info.Template = c.Template
		info.InstanceUUID = c.InstanceUuid
		for _, o := range c.ExtraConfig {
			if ov := o.GetOptionValue(); ov != nil {
				switch ov.Key {
				case KeyCluster:
					info.Cluster, _ = ov.Value.(string)
				case KeyRole:
					info.Role, _ = ov.Value.(string)
				}
			}
		}
		if info.Cluster == "" {
			info.Cluster, info.Role = parseAnnotation(c.Annotation)
		}
	}
	return info
}

// parseAnnotation reads the marks from an annotation written by marks.
func parseAnnotation(note string) (cluster, role string) {
	for _, line := range strings.Split(note, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		switch k {
		case KeyCluster:
			cluster = v
		case KeyRole:
			role = v
		}
	}
	return cluster, role
}
