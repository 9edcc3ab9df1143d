package templates

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// ListClusterVMs returns the VMs (not templates) in the VM folder of vc
// that carry cluster's name mark, whatever their cluster id (the caller
// tells this cluster's from another's of the same name), sorted by name.
// Marked VMs elsewhere belong to other clusters and are not listed. A
// folder that does not exist holds no VM.
func (s *Session) ListClusterVMs(ctx context.Context, vc config.VCenter, cluster string) ([]VM, error) {
	if cluster == "" {
		return nil, errors.New("list cluster VMs: cluster name is empty")
	}
	folder, _, err := s.VMFolder(ctx, vc)
	if err != nil || folder == nil {
		return nil, err
	}
	all, err := s.listVMs(ctx, folder.Reference())
	if err != nil {
		return nil, err
	}
	var out []VM
	for _, list := range all {
		for _, vm := range list {
			if vm.Cluster == cluster && !vm.Template && vm.Parent == folder.Reference() {
				out = append(out, vm.toVM())
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (vm vmInfo) toVM() VM {
	return VM{Name: vm.Name, Role: vm.Role, Ref: vm.Ref.Value, InstanceUUID: vm.InstanceUUID, IP: vm.IP,
		ClusterID: vm.ClusterID, BIOSUUID: vm.BIOSUUID, PoweredOn: vm.PowerState == types.VirtualMachinePowerStatePoweredOn}
}

// GuestAddress is an IPv4 address a VM reports.
type GuestAddress struct {
	IP, VM, Ref string
}

// GuestAddresses lists every IPv4 address any VM in vCenter reports
// (guest.ipAddress and guest.net), for "is this address in use".
func (s *Session) GuestAddresses(ctx context.Context) ([]GuestAddress, error) {
	all, err := s.listVMs(ctx, s.client.ServiceContent.RootFolder)
	if err != nil {
		return nil, err
	}
	var out []GuestAddress
	for _, list := range all {
		for _, vm := range list {
			for _, ip := range vm.IPs {
				out = append(out, GuestAddress{IP: ip, VM: vm.Name, Ref: vm.Ref.Value})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].IP < out[j].IP })
	return out, nil
}

// DestroyVMs powers off and destroys exactly the VMs given (by Ref); the
// caller decided they are this cluster's. It returns what it destroyed.
// Asking the user (TTY or --force) is the CLI's job.
func (s *Session) DestroyVMs(ctx context.Context, vms []VM, onEvent func(Event)) ([]VM, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		done  []VM
		errs  []error
		slots = make(chan struct{}, DefaultConcurrency)
	)
	for _, vm := range vms {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			start := time.Now()
			err := s.removeVMCtx(ctx, object.NewVirtualMachine(s.client, ref(vm.Ref)))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("destroy %s (%s): %w", vm.Name, vm.Ref, err))
				if onEvent != nil {
					onEvent(Event{VM: vm.Name, Step: StepFailed, Elapsed: time.Since(start), Err: err})
				}
				return
			}
			done = append(done, vm)
			if onEvent != nil {
				onEvent(Event{VM: vm.Name, Step: StepDestroyed, Elapsed: time.Since(start)})
			}
		}()
	}
	wg.Wait()
	sort.Slice(done, func(i, j int) bool { return done[i].Name < done[j].Name })
	return done, errors.Join(errs...)
}

// removeVM powers off and destroys vm with its own bounded context, for
// cleanup after a failure (the caller's context may be done).
func (s *Session) removeVM(vm *object.VirtualMachine) error {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	return s.removeVMCtx(ctx, vm)
}

func (s *Session) removeVMCtx(ctx context.Context, vm *object.VirtualMachine) error {
	if task, err := vm.PowerOff(ctx); err == nil {
		if _, err := s.waitTask(ctx, task); err != nil && !isAlreadyOff(err) {
			return fmt.Errorf("power off: %w", err)
		}
	} else if !isAlreadyOff(err) {
		return fmt.Errorf("power off: %w", err)
	}
	task, err := vm.Destroy(ctx)
	if err == nil {
		_, err = s.waitTask(ctx, task)
	}
	if err != nil {
		return fmt.Errorf("destroy: %w", err)
	}
	return nil
}

func isAlreadyOff(err error) bool {
	return fault.IsAlreadyPoweredOffError(err)
}

// isAlreadyOn is a power-on refused because the VM already runs.
func isAlreadyOn(err error) bool {
	on := false
	fault.In(err, func(f types.BaseMethodFault, _ string, _ []types.LocalizableMessage) bool {
		if ips, ok := f.(*types.InvalidPowerState); ok {
			on = ips.ExistingState == types.VirtualMachinePowerStatePoweredOn
			return true
		}
		return false
	})
	return on
}
