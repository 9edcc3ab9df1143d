package vcsimtest

import (
	"context"
	"testing"

	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// CloneIPs forces the IP a clone reports after power-on, by VM name,
// whatever customization the client sent (none, DHCP or another IP). It
// rewrites CloneVM_Task requests inside the simulator, so WaitForIP and
// WaitForNetIP both see it. Safe for concurrent Set calls.
type CloneIPs struct {
	mu  sync.Mutex
	ips map[string]string
}

// InjectCloneIPs installs the hook on the simulator and returns it.
func (s *Sim) InjectCloneIPs() *CloneIPs {
	c := &CloneIPs{ips: map[string]string{}}
	prev := s.Model.Map().Handler
	s.Model.Map().Handler = func(ctx *simulator.Context, m *simulator.Method) (mo.Reference, types.BaseMethodFault) {
		if req, ok := m.Body.(*types.CloneVM_Task); ok {
			if ip, found := c.get(req.Name); found {
				cs := req.Spec.Customization
				if cs == nil {
					cs = &types.CustomizationSpec{Identity: &types.CustomizationLinuxPrep{
						HostName: &types.CustomizationFixedName{Name: req.Name}, Domain: "local"}}
					req.Spec.Customization = cs
				}
				if len(cs.NicSettingMap) == 0 {
					cs.NicSettingMap = []types.CustomizationAdapterMapping{{}}
				}
				cs.NicSettingMap[0].Adapter.Ip = &types.CustomizationFixedIp{IpAddress: ip}
			}
		}
		if prev != nil {
			return prev(ctx, m)
		}
		return nil, nil
	}
	return c
}

// Set makes the clone named vm report ip.
func (c *CloneIPs) Set(vm, ip string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ips[vm] = ip
}

func (c *CloneIPs) get(vm string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ip, ok := c.ips[vm]
	return ip, ok
}

// HoldCustomization makes clones with these names boot without applying
// the guest customization the client sent (vcsim applies it during
// power-on), so a test can play the guest with SetGuest: report a DHCP
// address first, fail the customization, and so on.
func (s *Sim) HoldCustomization(names ...string) {
	held := map[string]bool{}
	for _, n := range names {
		held[n] = true
	}
	prev := s.Model.Map().Handler
	s.Model.Map().Handler = func(ctx *simulator.Context, m *simulator.Method) (mo.Reference, types.BaseMethodFault) {
		if req, ok := m.Body.(*types.CloneVM_Task); ok && held[req.Name] {
			req.Spec.Customization = nil
		}
		if prev != nil {
			return prev(ctx, m)
		}
		return nil, nil
	}
}

// Guest is what VMware Tools in a guest reports; empty fields are left as
// they are.
type Guest struct {
	IP                  string
	CustomizationStatus types.GuestInfoCustomizationStatus
	CustomizationError  string
}

// SetGuest makes the VM named vm report g, through the simulator's
// property updates (so waiting clients see it as they would from vCenter).
func (s *Sim) SetGuest(tb testing.TB, vm string, g Guest) {
	tb.Helper()
	reg := s.Model.Map()
	var obj mo.Reference
	for _, e := range reg.All("VirtualMachine") {
		if e.Entity().Name == vm {
			obj = e
		}
	}
	if obj == nil {
		tb.Errorf("vcsim has no VM %s", vm) // not Fatal: callers run in goroutines
		return
	}
	var changes []types.PropertyChange
	if g.IP != "" {
		changes = append(changes, types.PropertyChange{Name: "guest.ipAddress", Val: g.IP})
	}
	if g.CustomizationStatus != "" {
		changes = append(changes, types.PropertyChange{Name: "guest.customizationInfo",
			Val: &types.GuestInfoCustomizationInfo{CustomizationStatus: string(g.CustomizationStatus), ErrorMsg: g.CustomizationError}})
	}
	ctx := &simulator.Context{Context: context.Background(), Map: reg}
	reg.AtomicUpdate(ctx, obj, changes)
}

// OnPowerOn calls f, in its own goroutine, each time a VM named vm is
// powered on.
func (s *Sim) OnPowerOn(tb testing.TB, vm string, f func()) {
	h := &powerOnHandler{ref: types.ManagedObjectReference{Type: "VcsimtestPowerOn", Value: vm + "-" + tb.Name()}, vm: vm, f: f}
	s.Model.Map().AddHandler(h)
	tb.Cleanup(func() { s.Model.Map().RemoveHandler(h) })
}

type powerOnHandler struct {
	ref types.ManagedObjectReference
	vm  string
	f   func()
}

func (h *powerOnHandler) Reference() types.ManagedObjectReference                       { return h.ref }
func (h *powerOnHandler) PutObject(*simulator.Context, mo.Reference)                    {}
func (h *powerOnHandler) RemoveObject(*simulator.Context, types.ManagedObjectReference) {}

// UpdateObject runs inside the simulator with the VM locked: it only
// starts f, which may then call back into the simulator.
func (h *powerOnHandler) UpdateObject(_ *simulator.Context, obj mo.Reference, changes []types.PropertyChange) {
	vm, ok := obj.(*mo.VirtualMachine)
	if !ok || vm.Name != h.vm {
		return
	}
	for _, c := range changes {
		if c.Name == "runtime.powerState" && c.Val == types.VirtualMachinePowerStatePoweredOn {
			go h.f()
		}
	}
}
