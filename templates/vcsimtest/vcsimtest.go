// Package vcsimtest runs govmomi's vCenter simulator in-process over real
// HTTPS on 127.0.0.1 for tests of the templates package, the lab and the
// installer, with helpers to inject faults and inspect the inventory.
package vcsimtest

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"net/url"
	"path"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// Sim is one running simulator: DC0 with cluster DC0_C0 (3 hosts),
// standalone host DC0_H0, datastores LocalDS_0.., networks "VM Network"
// and DC0_DVPG0 (and the switch's uplink port group, marked as vCenter
// marks it), and the model's VMs (DC0_C0_RP0_VM0, ...).
type Sim struct {
	Model  *simulator.Model
	Server *simulator.Server
	// URL is the SDK URL without credentials (https://127.0.0.1:PORT/sdk).
	URL                string
	Username, Password string
	Thumbprint         string // server certificate SHA-256 thumbprint
	CAFile             string // PEM of the server certificate

	admin  *vim25.Client
	denied *Denied // set by DenyPrivileges
}

// Options shape the simulated inventory.
type Options struct {
	Datastores int // default 1 (LocalDS_0)
	Pools      int // child pools per cluster (DC0_C0_RP1 ...)
	// Folders puts datacenters inside folders (F0/DC0) when > 0.
	Folders int
	// HostThreads and HostMemoryGiB size every ESXi host (default
	// DefaultHostThreads, DefaultHostMemoryGiB).
	HostThreads, HostMemoryGiB int
}

// Start runs a fresh simulator for tb and stops it in tb.Cleanup.
func Start(tb testing.TB, opts Options) *Sim {
	tb.Helper()
	model := simulator.VPX()
	if opts.Datastores > 0 {
		model.Datastore = opts.Datastores
	}
	model.Pool = opts.Pools
	model.Folder = opts.Folders
	if err := model.Create(); err != nil {
		tb.Fatalf("create vcsim model: %v", err)
	}
	model.Service.TLS = new(tls.Config)
	// Real credentials, so a wrong password is refused as vCenter would.
	var pw [12]byte
	_, _ = rand.Read(pw[:])
	model.Service.Listen = &url.URL{Host: "127.0.0.1:0", User: url.UserPassword("administrator@vsphere.local", hex.EncodeToString(pw[:]))}
	srv := model.Service.NewServer()
	tb.Cleanup(func() { srv.Close(); model.Remove() })

	ca, err := srv.CertificateFile()
	if err != nil {
		tb.Fatalf("vcsim certificate: %v", err)
	}
	u := *srv.URL
	pass, _ := u.User.Password()
	s := &Sim{Model: model, Server: srv, Username: u.User.Username(), Password: pass,
		Thumbprint: srv.CertificateInfo().ThumbprintSHA256, CAFile: ca}
	u.User = nil
	s.URL = u.String()
	threads, mem := opts.HostThreads, opts.HostMemoryGiB
	if threads == 0 {
		threads = DefaultHostThreads
	}
	if mem == 0 {
		mem = DefaultHostMemoryGiB
	}
	s.sizeHosts(tb, threads, mem)
	markUplinks(model)
	return s
}

// markUplinks flags each distributed switch's uplink port group as
// vCenter does (config.uplink), which the simulator leaves unset.
func markUplinks(m *simulator.Model) {
	sctx := m.Service.Context
	for _, e := range m.Map().All("DistributedVirtualPortgroup") {
		pg := e.(*simulator.DistributedVirtualPortgroup)
		if strings.Contains(pg.Name, "-DVUplinks") {
			sctx.WithLock(pg, func() { pg.Config.Uplink = types.NewBool(true) })
		}
	}
}

// VCenter is a config pointing at the simulator's DC0/DC0_C0/LocalDS_0 and
// "VM Network", trusting it by pinned thumbprint.
func (s *Sim) VCenter() config.VCenter {
	return config.VCenter{
		URL: s.URL, Username: s.Username, Password: config.NewSecret(s.Password),
		Thumbprint: s.Thumbprint, Datacenter: "DC0", Cluster: "DC0_C0",
		Datastore: "LocalDS_0", Network: "VM Network", Folder: "dcos",
	}
}

// Admin is a separate logged-in client for test setup and assertions (it
// trusts the simulator's certificate).
func (s *Sim) Admin(tb testing.TB) *vim25.Client {
	tb.Helper()
	if s.admin != nil {
		return s.admin
	}
	u, _ := url.Parse(s.URL)
	u.User = url.UserPassword(s.Username, s.Password)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sc := soap.NewClient(u, false)
	if err := sc.SetRootCAs(s.CAFile); err != nil {
		tb.Fatalf("trust vcsim CA: %v", err)
	}
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		tb.Fatalf("admin client: %v", err)
	}
	if err := session.NewManager(vc).Login(ctx, u.User); err != nil {
		tb.Fatalf("admin login: %v", err)
	}
	s.admin = vc
	return vc
}

// MakeTemplate powers off the model VM vmName (found by name anywhere,
// e.g. DC0_H0_VM0), renames it to name and marks it as a template; it
// returns the template's reference.
func (s *Sim) MakeTemplate(tb testing.TB, vmName, name string) types.ManagedObjectReference {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	vm := s.vmByName(tb, vmName)
	if t, err := vm.PowerOff(ctx); err == nil {
		_ = t.Wait(ctx)
	}
	t, err := vm.Rename(ctx, name)
	if err == nil {
		err = t.Wait(ctx)
	}
	if err != nil {
		tb.Fatalf("rename %s to %s: %v", vmName, name, err)
	}
	if err := vm.MarkAsTemplate(ctx); err != nil {
		tb.Fatalf("mark %s as template: %v", name, err)
	}
	return vm.Reference()
}

// VMInfo is a VM as tests see it.
type VMInfo struct {
	Name, Ref, PowerState, IP, HostName, Annotation string
	ExtraConfig                                     map[string]string
}

// VMs lists every VM that is not a template, sorted by name.
func (s *Sim) VMs(tb testing.TB) []VMInfo {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := s.Admin(tb)
	v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		tb.Fatalf("list VMs: %v", err)
	}
	defer func() { _ = v.Destroy(ctx) }()
	var vms []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name", "config", "runtime.powerState", "guest"}, &vms); err != nil {
		tb.Fatalf("list VMs: %v", err)
	}
	var out []VMInfo
	for _, vm := range vms {
		if vm.Config != nil && vm.Config.Template {
			continue
		}
		info := VMInfo{Name: vm.Name, Ref: vm.Self.Value, PowerState: string(vm.Runtime.PowerState), ExtraConfig: map[string]string{}}
		if vm.Guest != nil {
			info.IP, info.HostName = vm.Guest.IpAddress, vm.Guest.HostName
		}
		if vm.Config != nil {
			info.Annotation = vm.Config.Annotation
			for _, o := range vm.Config.ExtraConfig {
				if ov := o.GetOptionValue(); ov != nil {
					if v, ok := ov.Value.(string); ok {
						info.ExtraConfig[ov.Key] = v
					}
				}
			}
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// VMNames is the names of VMs().
func (s *Sim) VMNames(tb testing.TB) []string {
	var out []string
	for _, vm := range s.VMs(tb) {
		out = append(out, vm.Name)
	}
	return out
}

// AddFault installs a SOAP fault rule (the method call itself fails).
// Enabled and Probability 1 are set for the caller.
func (s *Sim) AddFault(rule *simulator.FaultInjectionRule) {
	rule.Enabled = true
	if rule.Probability == 0 {
		rule.Probability = 1
	}
	s.Model.Service.AddFaultRule(rule)
}

// FailClones makes the next n CloneVM_Task calls on the template tmpl
// create a task that fails with f (a failed *task*, not a call fault). It
// returns how many clones it failed so far.
func (s *Sim) FailClones(tb testing.TB, tmpl types.ManagedObjectReference, n int32, f types.BaseMethodFault) *atomic.Int32 {
	tb.Helper()
	simVM, ok := s.Model.Map().Get(tmpl).(*simulator.VirtualMachine)
	if !ok {
		tb.Fatalf("FailClones: %s is not a simulator VM", tmpl)
	}
	w := &failingTemplate{VirtualMachine: simVM, fault: f}
	w.left.Store(n)
	s.Model.Map().Put(w)
	tb.Cleanup(func() { s.Model.Map().Put(simVM) })
	return &w.failed
}

type failingTemplate struct {
	*simulator.VirtualMachine
	fault  types.BaseMethodFault
	left   atomic.Int32
	failed atomic.Int32
}

// CloneVMTask is found by the simulator's dispatch by name.
func (vm *failingTemplate) CloneVMTask(ctx *simulator.Context, req *types.CloneVM_Task) soap.HasFault {
	if vm.left.Add(-1) >= 0 {
		vm.failed.Add(1)
		t := simulator.CreateTask(vm, "cloneVm", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
			return nil, vm.fault
		})
		return &methods.CloneVM_TaskBody{Res: &types.CloneVM_TaskResponse{Returnval: t.Run(ctx)}}
	}
	return vm.VirtualMachine.CloneVMTask(ctx, req)
}

// SetFreeSpace fakes a datastore's free space (vcsim does not enforce it).
// The datastore is found by name, also inside a datastore cluster.
func (s *Sim) SetFreeSpace(tb testing.TB, datastore string, bytes int64) {
	tb.Helper()
	for _, e := range s.Model.Map().All("Datastore") {
		if e.Entity().Name == datastore {
			s.update(e, types.PropertyChange{Name: "summary.freeSpace", Val: bytes})
			return
		}
	}
	tb.Fatalf("vcsim has no datastore %s", datastore)
}

// Finder is a finder over the admin client.
func (s *Sim) Finder(tb testing.TB) *find.Finder { return find.NewFinder(s.Admin(tb)) }

func (s *Sim) vmByName(tb testing.TB, name string) *object.VirtualMachine {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	all, err := s.Finder(tb).VirtualMachineList(ctx, "/...")
	if err != nil {
		tb.Fatalf("list VMs: %v", err)
	}
	for _, vm := range all {
		if path.Base(vm.InventoryPath) == name {
			return vm
		}
	}
	tb.Fatalf("no VM named %s", name)
	return nil
}

// VM returns the object for an inventory path like "DC0/vm/dcos/master-1".
func (s *Sim) VM(tb testing.TB, path string) *object.VirtualMachine {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	vm, err := s.Finder(tb).VirtualMachine(ctx, path)
	if err != nil {
		tb.Fatalf("find VM %s: %v", path, err)
	}
	return vm
}
