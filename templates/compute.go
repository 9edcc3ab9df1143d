package templates

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// compute is where the cluster's VMs run: the compute cluster (or
// standalone host) that owns the resource pool, and its ESXi hosts.
type compute struct {
	Ref     types.ManagedObjectReference
	Name    string
	Path    string
	Cluster bool // a ClusterComputeResource, not a standalone host
	DRS     bool // DRS is enabled on that cluster
	Hosts   []host
	names   map[types.ManagedObjectReference]string // every host, usable or not
}

// host is one ESXi host of the compute resource.
type host struct {
	Ref          types.ManagedObjectReference
	Name         string
	Threads      int   // logical CPUs: the most vCPUs one VM can have there
	Cores        int   // physical cores
	MemoryBytes  int64 // physical memory
	UsedMemoryMB int64 // memory in use now (quick stats)
	// Unusable says why no VM of ours may go there ("" = usable).
	Unusable string
}

// usable is the hosts VMs may be placed on, by name.
func (c *compute) usable() []host {
	var out []host
	for _, h := range c.Hosts {
		if h.Unusable == "" {
			out = append(out, h)
		}
	}
	return out
}

// hostName is the name of a host of this compute resource ("" unknown).
func (c *compute) hostName(ref types.ManagedObjectReference) string { return c.names[ref] }

var hostProps = []string{"name", "runtime.connectionState", "runtime.powerState", "runtime.inMaintenanceMode",
	"datastore", "network", "summary.hardware", "summary.quickStats"}

// readCompute reads the pool's owner and its hosts. A host is unusable
// when disconnected, powered off, in maintenance mode, or when it does not
// mount every target datastore or reach the network.
func (s *Session) readCompute(ctx context.Context, inv *Inventory) error {
	var pool mo.ResourcePool
	if err := inv.Pool.Properties(ctx, inv.Pool.Reference(), []string{"owner"}, &pool); err != nil {
		return fmt.Errorf("read the owner of resource pool %s: %w", inv.Pool.InventoryPath, err)
	}
	c := &inv.compute
	c.Ref = pool.Owner
	c.Cluster = pool.Owner.Type == "ClusterComputeResource"
	pc := property.DefaultCollector(s.client)
	var cr mo.ClusterComputeResource // a superset of ComputeResource's properties
	props := []string{"name", "host"}
	if c.Cluster {
		props = append(props, "configurationEx")
	}
	if err := pc.RetrieveOne(ctx, c.Ref, props, &cr); err != nil {
		return fmt.Errorf("read compute resource of %s: %w", inv.Pool.InventoryPath, err)
	}
	c.Name = cr.Name
	if p, err := find.InventoryPath(ctx, s.client, c.Ref); err == nil {
		c.Path = p
	} else {
		c.Path = c.Name
	}
	if cfg, ok := cr.ConfigurationEx.(*types.ClusterConfigInfoEx); ok && cfg.DrsConfig.Enabled != nil {
		c.DRS = *cfg.DrsConfig.Enabled
	}
	c.names = map[types.ManagedObjectReference]string{}
	if len(cr.Host) == 0 {
		return nil
	}
	var hosts []mo.HostSystem
	if err := pc.Retrieve(ctx, cr.Host, hostProps, &hosts); err != nil {
		return fmt.Errorf("read the ESXi hosts of %s: %w", c.Name, err)
	}
	for _, h := range hosts {
		c.names[h.Self] = h.Name
		c.Hosts = append(c.Hosts, toHost(&h, inv))
	}
	sort.Slice(c.Hosts, func(i, j int) bool { return c.Hosts[i].Name < c.Hosts[j].Name })
	return nil
}

func toHost(h *mo.HostSystem, inv *Inventory) host {
	out := host{Ref: h.Self, Name: h.Name}
	if hw := h.Summary.Hardware; hw != nil {
		out.Threads, out.Cores, out.MemoryBytes = int(hw.NumCpuThreads), int(hw.NumCpuCores), hw.MemorySize
	}
	out.UsedMemoryMB = int64(h.Summary.QuickStats.OverallMemoryUsage)
	var why []string
	switch {
	case h.Runtime.ConnectionState != "" && h.Runtime.ConnectionState != types.HostSystemConnectionStateConnected:
		why = append(why, "is "+string(h.Runtime.ConnectionState))
	case h.Runtime.PowerState != "" && h.Runtime.PowerState != types.HostSystemPowerStatePoweredOn:
		why = append(why, "is "+string(h.Runtime.PowerState))
	case h.Runtime.InMaintenanceMode:
		why = append(why, "is in maintenance mode")
	}
	for _, ds := range inv.datastores {
		if !slices.Contains(h.Datastore, ds.Ref) {
			why = append(why, "does not mount datastore "+ds.Name)
		}
	}
	if inv.Network != nil && !slices.Contains(h.Network, inv.Network.Reference()) {
		why = append(why, "is not on network "+inv.Network.GetInventoryPath())
	}
	out.Unusable = strings.Join(why, ", ")
	return out
}
