package installer

import (
	"context"
	"fmt"
	"os"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/ovf"
	"github.com/dcos-vsphere/dcos-vsphere/templates"
)

// VSphereConnector returns the Cloud factory backed by package templates.
// The usual GOVC_* environment fills what the config leaves empty.
// Warnings (TLS verification off, ...) go to warn.
func VSphereConnector(c *config.Cluster, warn func(string)) func(ctx context.Context) (Cloud, error) {
	return func(ctx context.Context) (Cloud, error) {
		vc := c.VCenter
		templates.ApplyGovcEnv(&vc, os.Getenv)
		return connectVSphere(ctx, c, vc, warn)
	}
}

func connectVSphere(ctx context.Context, c *config.Cluster, vc config.VCenter, warn func(string)) (*vsphereCloud, error) {
	s, err := templates.Connect(ctx, templates.Options{VCenter: vc, Warn: warn})
	if err != nil {
		return nil, err
	}
	return &vsphereCloud{s: s, c: c, vc: vc}, nil
}

// vsphereCloud implements Cloud with one templates.Session.
type vsphereCloud struct {
	s   *templates.Session
	c   *config.Cluster
	vc  config.VCenter
	inv *templates.Inventory
}

func toTemplateSpecs(specs []VMSpec) []templates.VMSpec {
	out := make([]templates.VMSpec, len(specs))
	for i, s := range specs {
		out[i] = templates.VMSpec{Name: s.Name, IP: s.IP, Role: s.Role, CPUs: s.CPUs, MemoryMB: s.MemoryMB, DiskGB: s.DiskGB}
	}
	return out
}

func (v *vsphereCloud) Preflight(ctx context.Context, create []VMSpec) error {
	inv, err := v.s.Preflight(ctx, templates.PreflightRequest{Cluster: v.c.Name, VCenter: v.vc, Template: v.c.Template, VMs: toTemplateSpecs(create)})
	if err != nil {
		return err
	}
	v.inv = inv
	return nil
}

func (v *vsphereCloud) inventory(ctx context.Context) (*templates.Inventory, error) {
	if v.inv == nil {
		if err := v.Preflight(ctx, nil); err != nil {
			return nil, err
		}
	}
	return v.inv, nil
}

func (v *vsphereCloud) EnsureTemplate(ctx context.Context, progress func(done, total int64)) (bool, error) {
	inv, err := v.inventory(ctx)
	if err != nil {
		return false, err
	}
	if inv.Template != nil {
		return false, nil
	}
	err = v.s.EnsureTemplate(ctx, inv, v.c.Template, func(p ovf.Progress) { progress(p.Sent, p.Total) })
	return err == nil, err
}

func (v *vsphereCloud) ClusterVMs(ctx context.Context) ([]VMInfo, error) {
	vms, err := v.s.ListClusterVMs(ctx, v.vc, v.c.Name)
	if err != nil {
		return nil, err
	}
	out := make([]VMInfo, len(vms))
	for i, vm := range vms {
		out[i] = fromTemplateVM(vm)
	}
	return out, nil
}

func (v *vsphereCloud) GuestAddresses(ctx context.Context) ([]GuestAddress, error) {
	addrs, err := v.s.GuestAddresses(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]GuestAddress, len(addrs))
	for i, a := range addrs {
		out[i] = GuestAddress{IP: a.IP, VM: a.VM, Ref: a.Ref}
	}
	return out, nil
}

func fromTemplateVM(vm templates.VM) VMInfo {
	return VMInfo{Name: vm.Name, Role: vm.Role, IP: vm.IP, Ref: vm.Ref, InstanceUUID: vm.InstanceUUID, BIOSUUID: vm.BIOSUUID,
		ClusterID: vm.ClusterID, Host: vm.Host, Created: vm.Created, PoweredOn: vm.PoweredOn}
}

func (v *vsphereCloud) EnsureVMs(ctx context.Context, clusterID string, specs []VMSpec, step func(node, step string)) ([]VMInfo, error) {
	inv, err := v.inventory(ctx)
	if err != nil {
		return nil, err
	}
	vms, err := v.s.EnsureVMs(ctx, inv, templates.ClonePlan{
		Cluster:     v.c.Name,
		ClusterID:   clusterID,
		Network:     v.c.Network,
		VMs:         toTemplateSpecs(specs),
		LinkedClone: v.c.Template.LinkedClone,
		OnEvent: func(e templates.Event) {
			msg := string(e.Step)
			if e.Step == templates.StepReady {
				msg += " " + e.IP
			}
			if e.Err != nil {
				msg += ": " + e.Err.Error()
			}
			step(e.VM, msg)
		},
	})
	out := make([]VMInfo, len(vms))
	for i, vm := range vms {
		out[i] = fromTemplateVM(vm)
	}
	if err != nil {
		return out, fmt.Errorf("create VMs: %w", err)
	}
	return out, nil
}

func (v *vsphereCloud) Destroy(ctx context.Context, vms []VMInfo) error {
	list := make([]templates.VM, len(vms))
	for i, vm := range vms {
		list[i] = templates.VM{Name: vm.Name, Ref: vm.Ref}
	}
	_, err := v.s.DestroyVMs(ctx, v.c.Name, list, nil)
	return err
}

func (v *vsphereCloud) Close(ctx context.Context) error { return v.s.Close(ctx) }
