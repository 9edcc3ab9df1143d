package lab

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// vmState is what the watcher knows of one VM.
type vmState struct {
	name, ip, hostname string
	uuid               string // config.uuid: the guest's product_uuid
	on, template       bool
	gone               bool
}

// want is the host a VM state asks for (ok=false: no host).
func (s vmState) want(o Options) (hostSpec, bool) {
	if s.gone || !s.on || s.template {
		return hostSpec{}, false
	}
	ip, err := netip.ParseAddr(s.ip)
	if err != nil || !o.Subnet.Contains(ip) || ip == o.gateway() || ip == o.Subnet.Addr() {
		return hostSpec{}, false
	}
	name := s.hostname
	if name == "" {
		name = s.name
	}
	return hostSpec{vmName: s.name, hostname: name, ip: ip, uuid: s.uuid}, true
}

// watchVMs follows every VM's power state, guest IP and hostname and hands
// each change to the VM's worker. It hooks the simulator's registry in
// process (a RegisterObject handler, the mechanism vcsim's own property
// collectors use), so changes arrive right after the simulator applied
// them. A ContainerView + WaitForUpdatesEx watcher would be the API way,
// but vcsim v0.56.0 deadlocks (lock-order inversion between
// ContainerView.PutObject and PropertyFilter.UpdateObject) when VMs are
// cloned and powered on concurrently while such a view is watched.
func (l *Lab) watchVMs(ctx context.Context) error {
	w := &registryWatcher{lab: l, self: types.ManagedObjectReference{Type: "DcosVsphereLabWatcher", Value: "lab-watcher"}, states: map[string]*vmState{}}
	reg := l.vc.model.Map()
	reg.AddHandler(w)
	defer reg.RemoveHandler(w)
	<-ctx.Done()
	return ctx.Err()
}

// registryWatcher receives the simulator's object events. Its methods run
// synchronously inside the simulator, with the object locked: they only
// copy fields and kick a worker, never call back into the simulator.
type registryWatcher struct {
	lab    *Lab
	self   types.ManagedObjectReference
	mu     sync.Mutex
	states map[string]*vmState
}

func (w *registryWatcher) Reference() types.ManagedObjectReference { return w.self }

func (w *registryWatcher) PutObject(_ *simulator.Context, obj mo.Reference) { w.observe(obj) }

func (w *registryWatcher) UpdateObject(_ *simulator.Context, obj mo.Reference, _ []types.PropertyChange) {
	w.observe(obj)
}

func (w *registryWatcher) RemoveObject(_ *simulator.Context, ref types.ManagedObjectReference) {
	if ref.Type != "VirtualMachine" {
		return
	}
	w.mu.Lock()
	s := w.states[ref.Value]
	delete(w.states, ref.Value)
	w.mu.Unlock()
	if s != nil {
		s.gone = true
		w.lab.worker(ref.Value).set(*s)
	}
}

// observe copies the watched fields of a VM and hands them on.
func (w *registryWatcher) observe(obj mo.Reference) {
	var vm *mo.VirtualMachine
	switch o := obj.(type) {
	case *mo.VirtualMachine:
		vm = o
	case *simulator.VirtualMachine:
		vm = &o.VirtualMachine
	default:
		return
	}
	s := vmState{name: vm.Name, on: vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn}
	if vm.Guest != nil {
		s.ip, s.hostname = vm.Guest.IpAddress, vm.Guest.HostName
	}
	if vm.Config != nil {
		s.template, s.uuid = vm.Config.Template, vm.Config.Uuid
	}
	id := vm.Self.Value
	w.mu.Lock()
	w.states[id] = &s
	w.mu.Unlock()
	w.lab.worker(id).set(s)
}

// vmWorker applies the latest state of one VM; states arriving while it
// works collapse into the newest.
type vmWorker struct {
	mu    sync.Mutex
	state vmState
	kick  chan struct{}
}

func (w *vmWorker) set(s vmState) {
	w.mu.Lock()
	w.state = s
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (l *Lab) worker(id string) *vmWorker {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.workers[id]
	if w == nil {
		w = &vmWorker{kick: make(chan struct{}, 1)}
		l.workers[id] = w
		l.wg.Add(1)
		go l.runWorker(id, w)
	}
	return w
}

func (l *Lab) runWorker(id string, w *vmWorker) {
	defer l.wg.Done()
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-w.kick:
		}
		w.mu.Lock()
		s := w.state
		w.mu.Unlock()
		l.apply(id, s)
	}
}

// apply makes the host of VM id match state s.
func (l *Lab) apply(id string, s vmState) {
	spec, want := s.want(l.opts)
	spec.vm = id
	l.mu.Lock()
	cur := l.hosts[id]
	l.mu.Unlock()
	if cur != nil && want && cur.Addr == spec.ip.String() && cur.Hostname == spec.hostname && cur.alive() {
		return
	}
	if cur != nil {
		stopHost(cur)
		l.mu.Lock()
		delete(l.hosts, id)
		l.mu.Unlock()
		l.logf("host %s (%s) of VM %s is down", cur.Hostname, cur.Addr, cur.VMName)
	}
	if s.gone {
		_ = os.RemoveAll(filepath.Join(l.opts.hostsDir(), id)) // the VM's disk
		return
	}
	if !want {
		return
	}
	if other := l.hostByIP(spec.ip); other != nil {
		l.logf("VM %s asks for %s, already used by host %s; no host started", s.name, spec.ip, other.Hostname)
		return
	}
	h, err := startHost(l.ctx, l.opts, l.base, spec, l.pubKey)
	if err != nil {
		l.logf("VM %s: %v", s.name, err)
		return
	}
	l.mu.Lock()
	l.hosts[id] = h
	l.mu.Unlock()
	l.logf("host %s (%s) of VM %s is up", h.Hostname, h.Addr, h.VMName)
}
