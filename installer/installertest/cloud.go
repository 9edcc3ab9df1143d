package installertest

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

// VM is a VM of the fake vCenter.
type VM struct {
	Name, Role, IP, Ref   string
	InstanceUUID          string
	BIOSUUID              string
	Cluster, ClusterID    string // the mark; "" when unmarked
	Folder                string
	PoweredOn, IsTemplate bool
}

// Cloud is an in-memory vCenter holding VMs in folders. Its zero faults
// let everything succeed; set the fields to inject failures.
type Cloud struct {
	env *Env
	// Folder is the configured VM folder the installer works in.
	Folder string

	// ConnectErr fails ConnectCloud.
	ConnectErr error
	// PreflightErr fails Preflight (a wrong datastore name, say).
	PreflightErr error
	// FailClone fails the clone of these VM names (the call removes what
	// it created, as the real one does).
	FailClone map[string]error
	// TemplateMissing makes EnsureTemplate import it.
	TemplateMissing bool

	mu     sync.Mutex
	vms    map[string]*VM // by ref
	seq    int
	calls  []string
	closed bool
}

// Calls lists the methods called, in order ("EnsureVMs master-1,...").
func (c *Cloud) Calls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.calls...)
}

func (c *Cloud) call(s string) {
	c.mu.Lock()
	c.calls = append(c.calls, s)
	c.mu.Unlock()
}

// Put adds a VM as it is (another cluster's, an unmarked one, ...) and
// boots its host when it is on.
func (c *Cloud) Put(vm VM) *VM {
	c.mu.Lock()
	c.seq++
	if vm.Ref == "" {
		vm.Ref = fmt.Sprintf("vm-%d", c.seq)
	}
	if vm.BIOSUUID == "" {
		vm.BIOSUUID = fmt.Sprintf("4210%04x-0000-4000-8000-%012x", c.seq, c.seq)
	}
	if vm.InstanceUUID == "" {
		vm.InstanceUUID = fmt.Sprintf("5010%04x-0000-4000-8000-%012x", c.seq, c.seq)
	}
	v := vm
	c.vms[v.Ref] = &v
	c.mu.Unlock()
	if v.PoweredOn && v.IP != "" {
		c.env.bootHost(&v)
	}
	return &v
}

// VM returns the VM named name in the configured folder (nil if none).
func (c *Cloud) VM(name string) *VM {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range c.vms {
		if v.Name == name && v.Folder == c.Folder {
			cp := *v
			return &cp
		}
	}
	return nil
}

// VMs lists every VM (sorted by name, then folder).
func (c *Cloud) VMs() []VM {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []VM
	for _, v := range c.vms {
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Folder < out[j].Folder
	})
	return out
}

// PowerOff powers a VM off: its host stops answering but keeps its disk
// and host key, as a powered-off VM does.
func (c *Cloud) PowerOff(name string) {
	c.mu.Lock()
	var vm *VM
	for _, v := range c.vms {
		if v.Name == name && v.Folder == c.Folder {
			v.PoweredOn = false
			vm = v
		}
	}
	c.mu.Unlock()
	if vm != nil {
		if h := c.env.Host(vm.IP); h != nil {
			h.SetDown(true)
		}
	}
}

func (c *Cloud) Preflight(_ context.Context, create []installer.VMSpec) error {
	names := ""
	for _, s := range create {
		names += " " + s.Name
	}
	c.call("Preflight" + names)
	return c.PreflightErr
}

func (c *Cloud) EnsureTemplate(context.Context, func(done, total int64)) (bool, error) {
	c.call("EnsureTemplate")
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.TemplateMissing {
		c.TemplateMissing = false
		return true, nil
	}
	return false, nil
}

func (c *Cloud) ClusterVMs(context.Context) ([]installer.VMInfo, error) {
	c.call("ClusterVMs")
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []installer.VMInfo
	for _, v := range c.vms {
		if v.Cluster == c.env.Cluster.Name && v.Folder == c.Folder && !v.IsTemplate {
			out = append(out, info(v, false))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (c *Cloud) GuestAddresses(context.Context) ([]installer.GuestAddress, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []installer.GuestAddress
	for _, v := range c.vms {
		if v.PoweredOn && v.IP != "" {
			out = append(out, installer.GuestAddress{IP: v.IP, VM: v.Name, Ref: v.Ref})
		}
	}
	return out, nil
}

func info(v *VM, created bool) installer.VMInfo {
	return installer.VMInfo{Name: v.Name, Role: v.Role, IP: v.IP, Ref: v.Ref, InstanceUUID: v.InstanceUUID, BIOSUUID: v.BIOSUUID,
		ClusterID: v.ClusterID, PoweredOn: v.PoweredOn, Created: created}
}

// EnsureVMs adopts this cluster's VMs (name + id, or no id) in the folder
// and clones the rest, like templates.Session.EnsureVMs; a same-name VM in
// the folder that is not ours is refused before anything is created.
func (c *Cloud) EnsureVMs(ctx context.Context, clusterID string, specs []installer.VMSpec, step func(node, step string)) ([]installer.VMInfo, error) {
	names := ""
	for _, s := range specs {
		names += " " + s.Name
	}
	c.call("EnsureVMs" + names)
	c.mu.Lock()
	for _, s := range specs {
		for _, v := range c.vms {
			if v.Name == s.Name && v.Folder == c.Folder && !(v.Cluster == c.env.Cluster.Name && (v.ClusterID == clusterID || v.ClusterID == "")) {
				c.mu.Unlock()
				return nil, fmt.Errorf("VM %s (%s) in %s is not this cluster's: %w", s.Name, v.Ref, c.Folder, errNotOwned)
			}
		}
	}
	c.mu.Unlock()
	var out []installer.VMInfo
	var created []*VM
	for _, s := range specs {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if vm := c.VM(s.Name); vm != nil {
			step(s.Name, "adopting")
			c.mu.Lock()
			live := c.vms[vm.Ref]
			live.PoweredOn = true
			cp := *live
			c.mu.Unlock()
			c.env.bootHost(&cp)
			out = append(out, info(&cp, false))
			continue
		}
		if err := c.FailClone[s.Name]; err != nil {
			for _, v := range created {
				c.remove(v.Ref)
			}
			return nil, fmt.Errorf("clone %s: %w", s.Name, err)
		}
		step(s.Name, "cloning")
		vm := c.Put(VM{Name: s.Name, Role: s.Role, IP: s.IP, Cluster: c.env.Cluster.Name, ClusterID: clusterID, Folder: c.Folder, PoweredOn: true})
		created = append(created, vm)
		step(s.Name, "ready "+s.IP)
		out = append(out, info(vm, true))
	}
	return out, nil
}

var errNotOwned = fmt.Errorf("not owned by this cluster")

func (c *Cloud) remove(ref string) {
	c.mu.Lock()
	vm := c.vms[ref]
	delete(c.vms, ref)
	c.mu.Unlock()
	if vm != nil {
		c.env.dropHost(vm)
	}
}

func (c *Cloud) Destroy(_ context.Context, vms []installer.VMInfo) error {
	names := ""
	for _, v := range vms {
		names += " " + v.Name
		c.remove(v.Ref)
	}
	c.call("Destroy" + names)
	return nil
}

func (c *Cloud) Close(context.Context) error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return nil
}
