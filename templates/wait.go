package templates

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"time"
)

// waitIP waits, at most timeout, for the VM's guest IPv4 address. There is
// deliberately no loopback filter: the lab and tests use 127.x addresses.
// A wait broken by a session renewal starts again.
func (s *Session) waitIP(ctx context.Context, vm *object.VirtualMachine, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var err error
	for range 4 {
		gen := s.generation()
		var ip string
		if ip, err = vm.WaitForIP(ctx, true); err == nil {
			return ip, nil
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("no IP after %s: %w", timeout, ctx.Err())
		}
		if !s.sessionChanged(gen, err) {
			return "", err
		}
	}
	return "", err
}

func (s *Session) instanceUUID(ctx context.Context, vm *object.VirtualMachine) string {
	var m mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"config.instanceUuid"}, &m); err != nil || m.Config == nil {
		return ""
	}
	return m.Config.InstanceUuid
}
