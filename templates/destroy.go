package templates

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// ListClusterVMs returns every VM (not template) in vCenter marked as
// belonging to cluster, sorted by name.
func (s *Session) ListClusterVMs(ctx context.Context, cluster string) ([]VM, error) {
	if cluster == "" {
		return nil, errors.New("list cluster VMs: cluster name is empty")
	}
	all, err := s.listVMs(ctx, s.client.ServiceContent.RootFolder)
	if err != nil {
		return nil, err
	}
	var out []VM
	var hosts []types.ManagedObjectReference
	for _, list := range all {
		for _, vm := range list {
			if vm.Cluster == cluster && !vm.Template {
				out = append(out, VM{Name: vm.Name, Role: vm.Role, Ref: vm.Ref.Value, InstanceUUID: vm.InstanceUUID, IP: vm.IP,
					Host: vm.Host.Value, PoweredOn: vm.PowerState == types.VirtualMachinePowerStatePoweredOn})
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

// Destroy powers off and destroys the VMs marked for cluster; with names,
// only those (a name that is not a marked VM of the cluster is an error and
// nothing is destroyed). It returns what it destroyed. Asking the user
// (TTY or --force) is the CLI's job.
func (s *Session) Destroy(ctx context.Context, cluster string, names []string, onEvent func(Event)) ([]VM, error) {
	vms, err := s.ListClusterVMs(ctx, cluster)
	if err != nil {
		return nil, err
	}
	if len(names) > 0 {
		byName := map[string][]VM{}
		for _, vm := range vms {
			byName[vm.Name] = append(byName[vm.Name], vm)
		}
		var picked []VM
		var missing []string
		for _, n := range names {
			if len(byName[n]) == 0 {
				missing = append(missing, n)
			}
			picked = append(picked, byName[n]...)
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("destroy: %v are not VMs of cluster %s; nothing destroyed", missing, cluster)
		}
		vms = picked
	}
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

// RemoveAgents destroys the named agents of cluster (marked VMs with role
// agent or public-agent only): the vCenter half of remove-agents, to run
// after DC/OS has drained them. A master, the bootstrap node or a name
// that is not a VM of the cluster is refused and nothing is destroyed.
func (s *Session) RemoveAgents(ctx context.Context, cluster string, names []string, onEvent func(Event)) ([]VM, error) {
	if len(names) == 0 {
		return nil, errors.New("remove agents: no agent named")
	}
	vms, err := s.ListClusterVMs(ctx, cluster)
	if err != nil {
		return nil, err
	}
	role := map[string]string{}
	for _, vm := range vms {
		role[vm.Name] = vm.Role
	}
	var refused []string
	for _, n := range names {
		if r, ok := role[n]; ok && !isAgent(r) {
			refused = append(refused, fmt.Sprintf("%s is the cluster's %s", n, cmpString(r, "unmarked-role VM")))
		}
	}
	if len(refused) > 0 {
		return nil, fmt.Errorf("remove agents: %s: only agents and public agents can be removed; nothing destroyed", strings.Join(refused, ", "))
	}
	return s.Destroy(ctx, cluster, names, onEvent)
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
