package lab

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sync"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/types"
)

// vmState is what the watcher knows of one VM.
type vmState struct {
	name, ip, hostname string
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
	return hostSpec{vmName: s.name, hostname: name, ip: ip}, true
}

// watchVMs follows every VM's power state, guest IP and hostname with a
// property collector (updates arrive after the simulator applied power-on
// and customization, so nothing races) and hands each change to the VM's
// worker.
func (l *Lab) watchVMs(ctx context.Context) error {
	c := l.client
	m := view.NewManager(c.Client)
	v, err := m.CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		return fmt.Errorf("watch lab VMs: %w", err)
	}
	pc, err := property.DefaultCollector(c.Client).Create(ctx)
	if err != nil {
		return fmt.Errorf("watch lab VMs: %w", err)
	}
	filter := new(property.WaitFilter)
	filter.Add(v.Reference(), "ContainerView", nil, &types.TraversalSpec{Type: "ContainerView", Path: "view", Skip: types.NewBool(false)})
	filter.Spec.ObjectSet[0].Skip = types.NewBool(true)
	filter.Spec.PropSet = []types.PropertySpec{{Type: "VirtualMachine",
		PathSet: []string{"name", "runtime.powerState", "guest.ipAddress", "guest.hostName", "config.template"}}}
	states := map[string]*vmState{}
	return property.WaitForUpdatesEx(ctx, pc, filter, func(updates []types.ObjectUpdate) bool {
		for _, u := range updates {
			id := u.Obj.Value
			s := states[id]
			if s == nil {
				s = &vmState{}
				states[id] = s
			}
			if u.Kind == types.ObjectUpdateKindLeave {
				s.gone = true
				delete(states, id)
			}
			for _, ch := range u.ChangeSet {
				switch ch.Name {
				case "name":
					s.name, _ = ch.Val.(string)
				case "runtime.powerState":
					ps, _ := ch.Val.(types.VirtualMachinePowerState)
					s.on = ps == types.VirtualMachinePowerStatePoweredOn
				case "guest.ipAddress":
					s.ip, _ = ch.Val.(string)
				case "guest.hostName":
					s.hostname, _ = ch.Val.(string)
				case "config.template":
					s.template, _ = ch.Val.(bool)
				}
			}
			l.worker(id).set(*s)
		}
		return false
	})
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
	h, err := startHost(l.ctx, l.opts, spec, l.pubKey)
	if err != nil {
		l.logf("VM %s: %v", s.name, err)
		return
	}
	l.mu.Lock()
	l.hosts[id] = h
	l.mu.Unlock()
	l.logf("host %s (%s) of VM %s is up", h.Hostname, h.Addr, h.VMName)
}
