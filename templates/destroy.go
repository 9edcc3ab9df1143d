package templates

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// ListClusterVMs returns the VMs (not templates) in the VM folder of vc
// that carry cluster's name mark, whatever their cluster id (the caller
// tells this cluster's from another's of the same name), sorted by name,
// each with the name of its ESXi host. Marked VMs elsewhere belong to
// other clusters and are not listed. A folder that does not exist holds
// no VM.
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
	var hosts []types.ManagedObjectReference
	for _, list := range all {
		for _, vm := range list {
			if vm.Cluster == cluster && !vm.Template && vm.Parent == folder.Reference() {
				out = append(out, vm.toVM())
				if vm.Host.Value != "" && !slices.Contains(hosts, vm.Host) {
					hosts = append(hosts, vm.Host)
				}
			}
		}
	}
	// Host holds the reference until here: name it (one call for all).
	names := map[string]string{}
	if len(hosts) > 0 {
		var hs []mo.HostSystem
		if err := property.DefaultCollector(s.client).Retrieve(ctx, hosts, []string{"name"}, &hs); err == nil {
			for _, h := range hs {
				names[h.Self.Value] = h.Name
			}
		}
	}
	for i := range out {
		out[i].Host = names[out[i].Host]
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (vm vmInfo) toVM() VM {
	return VM{Name: vm.Name, Role: vm.Role, Ref: vm.Ref.Value, InstanceUUID: vm.InstanceUUID, IP: vm.IP, Host: vm.Host.Value,
		ClusterID: vm.ClusterID, BIOSUUID: vm.BIOSUUID, PoweredOn: vm.PowerState == types.VirtualMachinePowerStatePoweredOn}
}

// GuestAddress is an IPv4 address a VM reports.
type GuestAddress struct {
	IP, VM, Ref string
}

// GuestAddresses lists every IPv4 address any VM in vCenter reports
// (guest.ipAddress and guest.net), for "is this address in use".
func (s *Session) GuestAddresses(ctx context.Context) ([]GuestAddress, error) {
	all, err := s.listVMs(ctx, s.client.ServiceContent.RootFolder, propGuestNet)
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

// DestroyVMs powers off and destroys exactly the VMs given (by Ref) and
// takes them out of cluster's anti-affinity rule (removing the rule when
// fewer than two masters remain). The caller decided they are this
// cluster's. The privileges it needs are checked first: a missing one
// destroys nothing. It returns what it destroyed. Asking the user (TTY or
// --force) is the CLI's job.
func (s *Session) DestroyVMs(ctx context.Context, cluster string, vms []VM, onEvent func(Event)) ([]VM, error) {
	rules, err := s.ourRules(ctx, cluster)
	if err != nil {
		return nil, err
	}
	if err := s.checkPrivileges(ctx, destroyNeeds(vms, rules)); err != nil {
		return nil, err
	}
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
	var gone []types.ManagedObjectReference
	for _, vm := range done {
		gone = append(gone, ref(vm.Ref))
	}
	if err := s.dropFromRules(ctx, rules, gone); err != nil {
		errs = append(errs, err)
	}
	return done, errors.Join(errs...)
}

// destroyNeeds is what destroying vms needs: power off and delete on each
// VM, and editing the clusters that hold the cluster's rule.
func destroyNeeds(vms []VM, rules []clusterRule) []need {
	var out []need
	for _, vm := range vms {
		out = append(out, need{Ref: ref(vm.Ref), Privs: []string{PrivPowerOff, PrivInventoryDelete}})
	}
	for _, r := range rules {
		out = append(out, need{Ref: r.Cluster, Privs: []string{PrivEditCluster}})
	}
	return out
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
