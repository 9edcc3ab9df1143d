package templates

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// Guest properties watched after power-on. guest.customizationInfo exists
// from vSphere API 7.0.1; an older vCenter refuses it as InvalidProperty
// and the wait falls back to the IP alone.
const (
	propGuestIP       = "guest.ipAddress"
	propCustomization = "guest.customizationInfo"
)

// ErrCustomizationFailed is wrapped by the error waitIP returns when the
// guest reports that its customization failed.
var ErrCustomizationFailed = errors.New("guest customization failed")

// guestView is what the wait has seen of a VM's guest so far.
type guestView struct {
	ip           string // last IPv4 address reported
	custStatus   string // GuestInfoCustomizationStatus, "" when unknown
	custErrorMsg string
}

// apply folds property changes into v.
func (v *guestView) apply(changes []types.PropertyChange) {
	for _, c := range changes {
		switch c.Name {
		case propGuestIP:
			v.ip = ""
			if s, ok := c.Val.(string); ok {
				if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
					v.ip = s
				}
			}
		case propCustomization:
			var ci *types.GuestInfoCustomizationInfo
			switch x := c.Val.(type) {
			case types.GuestInfoCustomizationInfo:
				ci = &x
			case *types.GuestInfoCustomizationInfo:
				ci = x
			}
			if ci != nil {
				v.custStatus, v.custErrorMsg = ci.CustomizationStatus, ci.ErrorMsg
			}
		}
	}
}

// settled says whether the wait can stop: customization failed, the wanted
// address is up (any IPv4 when want is ""), or customization finished and
// the guest kept another address (reported as a wrong IP by the caller).
func (v *guestView) settled(want string) bool {
	switch {
	case v.custStatus == string(types.GuestInfoCustomizationStatusTOOLSDEPLOYPKG_FAILED):
		return true
	case v.ip == "":
		return false
	case want == "" || v.ip == want:
		return true
	default:
		// A clone may report the template's old or a DHCP address until
		// the guest has applied the static one: wait for the verdict.
		return v.custStatus == string(types.GuestInfoCustomizationStatusTOOLSDEPLOYPKG_SUCCEEDED)
	}
}

// waitIP waits, at most timeout, until the guest reports the planned IPv4
// address want (any IPv4 when want is ""), its customization fails
// (ErrCustomizationFailed, at once, not at the timeout), or customization
// succeeded with another address. It returns the address last seen; the
// caller compares it with the plan. There is deliberately no loopback
// filter: the lab and tests use 127.x addresses. A wait broken by a session
// renewal starts again.
func (s *Session) waitIP(ctx context.Context, vm *object.VirtualMachine, want string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	props := []string{propGuestIP, propCustomization}
	var err error
	for range 4 {
		gen := s.generation()
		var v guestView
		err = property.Wait(ctx, property.DefaultCollector(s.client), vm.Reference(), props, func(changes []types.PropertyChange) bool {
			v.apply(changes)
			return v.settled(want)
		})
		if err == nil {
			if v.custStatus == string(types.GuestInfoCustomizationStatusTOOLSDEPLOYPKG_FAILED) {
				msg := v.custErrorMsg
				if msg == "" {
					msg = "no reason given"
				}
				return v.ip, fmt.Errorf("%w: %s (see the VM's events in vCenter and /var/log/vmware-imc/toolsDeployPkg.log in the guest)", ErrCustomizationFailed, msg)
			}
			return v.ip, nil
		}
		if ctx.Err() != nil {
			if v.ip != "" {
				// Up, but never with the planned address: the caller says so.
				return v.ip, nil
			}
			return "", fmt.Errorf("no IP after %s: %w", timeout, ctx.Err())
		}
		if len(props) == 2 && isInvalidProperty(err) {
			props = props[:1] // vCenter older than 7.0.1
			continue
		}
		if !s.sessionChanged(gen, err) {
			return "", err
		}
	}
	return "", err
}

// isInvalidProperty reports a server that does not know a property.
func isInvalidProperty(err error) bool { return fault.Is(err, &types.InvalidProperty{}) }

// uuidsAndHost reads the VM's instance UUID, BIOS UUID and the ESXi host
// it is on ("" and a zero reference when unreadable).
func (s *Session) uuidsAndHost(ctx context.Context, vm *object.VirtualMachine) (instance, bios string, host types.ManagedObjectReference) {
	var m mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"config.instanceUuid", "config.uuid", "runtime.host"}, &m); err != nil {
		return "", "", types.ManagedObjectReference{}
	}
	if m.Config != nil {
		instance, bios = m.Config.InstanceUuid, m.Config.Uuid
	}
	if m.Runtime.Host != nil {
		host = *m.Runtime.Host
	}
	return instance, bios, host
}

// hostName is the name of an ESXi host: from the preflight's host list,
// else read from vCenter ("" when unknown).
func (s *Session) hostName(ctx context.Context, inv *Inventory, ref types.ManagedObjectReference) string {
	if ref.Value == "" {
		return ""
	}
	if inv != nil {
		if n := inv.compute.hostName(ref); n != "" {
			return n
		}
	}
	var h mo.HostSystem
	if err := property.DefaultCollector(s.client).RetrieveOne(ctx, ref, []string{"name"}, &h); err != nil {
		return ""
	}
	return h.Name
}
