package lab

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// Inventory of the lab's vCenter (names as in govmomi's VPX model).
const (
	vcDatacenter   = "DC0"
	vcCluster      = "DC0_C0"
	vcDatastore    = "LocalDS_0"
	vcNetwork      = "VM Network"
	vcTemplate     = "centos7-template"
	vcUser         = "administrator@vsphere.local"
	vcFolder       = "dcos-lab"
	templateDiskKB = int64(60) << 20
)

// Every ESXi host of the lab (the 3 of DC0_C0 and DC0_H0) reports the
// hardware of a typical 2-socket server, so that DC/OS-sized VMs fit as
// they would in production (vcsim's own hosts have 2 CPUs and 4 GiB).
const (
	hostCores     = 32
	hostThreads   = 64
	hostMemoryGiB = 512
)

// DefaultDatastoreCapacity is the size of LocalDS_0 unless
// Options.DatastoreCapacity says otherwise; a quarter of it is in use.
const DefaultDatastoreCapacity = int64(4) << 40 // 4 TiB

// datastore bounds for Options.DatastoreCapacity.
const (
	minDatastoreCapacity = int64(64) << 30 // the template's 60 GiB disk and a little
	maxDatastoreCapacity = int64(1) << 50  // 1 PiB
)

// vcenter is the simulated vCenter: govmomi's simulator over HTTPS.
type vcenter struct {
	model    *simulator.Model
	server   *simulator.Server
	url      string // https://127.0.0.1:PORT/sdk, no credentials
	password string
	home     string // the simulator's temp directory (datastore files)
}

// startVCenter runs the simulator with a VPX inventory (DC0, cluster
// DC0_C0, LocalDS_0 of capacity bytes with three quarters free, "VM
// Network") and no VMs but the CentOS template.
func startVCenter(ctx context.Context, addr string, capacity int64) (*vcenter, error) {
	pw := make([]byte, 18)
	if _, err := rand.Read(pw); err != nil {
		return nil, err
	}
	vc := &vcenter{password: base64.RawURLEncoding.EncodeToString(pw)}
	m := simulator.VPX()
	m.Machine = 0
	m.Autostart = false
	if err := m.Create(); err != nil {
		return nil, fmt.Errorf("create simulated vCenter inventory: %w", err)
	}
	vc.model = m
	vc.home = simulatorHome(m)
	m.Service.TLS = new(tls.Config)
	m.Service.Listen = &url.URL{Host: addr, User: url.UserPassword(vcUser, vc.password)}
	vc.server = m.Service.NewServer()
	u := *vc.server.URL
	u.User = nil
	vc.url = u.String()
	if err := vc.setupInventory(ctx, capacity); err != nil {
		vc.close()
		return nil, err
	}
	return vc, nil
}

// simulatorHome finds the simulator's temp directory (option vcsim.home),
// recorded so a later Up can remove it after a crash.
func simulatorHome(m *simulator.Model) string {
	for _, o := range m.Map().OptionManager().Setting {
		if v := o.GetOptionValue(); v.Key == "vcsim.home" {
			if s, ok := v.Value.(string); ok {
				return s
			}
		}
	}
	return ""
}

func (vc *vcenter) close() {
	if vc.server != nil {
		// A client's long poll (WaitForUpdatesEx without a limit) keeps
		// Close waiting; bound it, the listener is closed either way.
		done := make(chan struct{})
		go func() { vc.server.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			vc.server.CloseClientConnections()
		}
	}
	if vc.model != nil {
		vc.model.Remove()
	}
	if vc.home != "" {
		_ = os.RemoveAll(vc.home)
	}
}

// thumbprint is the SHA-256 thumbprint of the simulator's certificate.
func (vc *vcenter) thumbprint() string { return vc.server.CertificateInfo().ThumbprintSHA256 }

// login opens a client session trusting the simulator's thumbprint.
func (vc *vcenter) login(ctx context.Context) (*govmomi.Client, error) {
	u, err := url.Parse(vc.url)
	if err != nil {
		return nil, err
	}
	u.User = url.UserPassword(vcUser, vc.password)
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		return nil, fmt.Errorf("log in to lab vCenter %s: %w", vc.url, err)
	}
	return c, nil
}

// setupInventory gives the datastore its capacity (three quarters free)
// and the hosts realistic hardware, and creates the powered-off CentOS 7
// template with one NIC on "VM Network".
func (vc *vcenter) setupInventory(ctx context.Context, capacity int64) error {
	c, err := vc.login(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = c.Logout(context.Background()) }()
	f := find.NewFinder(c.Client, true)
	dc, err := f.Datacenter(ctx, vcDatacenter)
	if err != nil {
		return fmt.Errorf("find lab datacenter: %w", err)
	}
	f.SetDatacenter(dc)
	ds, err := f.Datastore(ctx, vcDatastore)
	if err != nil {
		return fmt.Errorf("find lab datastore: %w", err)
	}
	sctx := vc.model.Service.Context
	markUplinks(vc.model)
	simDS := vc.model.Map().Get(ds.Reference()).(*simulator.Datastore)
	sctx.WithLock(simDS, func() {
		sctx.Update(simDS, []types.PropertyChange{
			{Name: "summary.capacity", Val: capacity},
			{Name: "summary.freeSpace", Val: capacity / 4 * 3},
		})
	})
	for _, e := range vc.model.Map().All("HostSystem") {
		h := e.(*simulator.HostSystem)
		hw := *h.Summary.Hardware
		hw.NumCpuPkgs, hw.NumCpuCores, hw.NumCpuThreads = 2, hostCores, hostThreads
		hw.MemorySize = hostMemoryGiB << 30
		sctx.WithLock(h, func() { sctx.Update(h, []types.PropertyChange{{Name: "summary.hardware", Val: &hw}}) })
	}
	pool, err := f.ResourcePool(ctx, vcCluster+"/Resources")
	if err != nil {
		return fmt.Errorf("find lab resource pool: %w", err)
	}
	folders, err := dc.Folders(ctx)
	if err != nil {
		return err
	}
	net, err := f.Network(ctx, vcNetwork)
	if err != nil {
		return fmt.Errorf("find lab network %q: %w", vcNetwork, err)
	}
	backing, err := net.EthernetCardBackingInfo(ctx)
	if err != nil {
		return err
	}
	var devices object.VirtualDeviceList
	scsi, err := devices.CreateSCSIController("pvscsi")
	if err != nil {
		return err
	}
	devices = append(devices, scsi)
	disk := devices.CreateDisk(scsi.(types.BaseVirtualController), ds.Reference(), "")
	disk.CapacityInKB = templateDiskKB
	nic, err := devices.CreateEthernetCard("vmxnet3", backing)
	if err != nil {
		return err
	}
	devices = append(devices, disk, nic)
	changes, err := devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)
	if err != nil {
		return err
	}
	spec := types.VirtualMachineConfigSpec{
		Name: vcTemplate, GuestId: "centos7_64Guest", NumCPUs: 2, MemoryMB: 4096,
		Annotation:   "CentOS Linux 7.3.1611 (Core) - dcos-vsphere lab template",
		Files:        &types.VirtualMachineFileInfo{VmPathName: "[" + vcDatastore + "]"},
		DeviceChange: changes,
	}
	task, err := folders.VmFolder.CreateVM(ctx, spec, pool, nil)
	if err != nil {
		return fmt.Errorf("create lab template %s: %w", vcTemplate, err)
	}
	info, err := task.WaitForResult(ctx, nil)
	if err != nil {
		return fmt.Errorf("create lab template %s: %w", vcTemplate, err)
	}
	vm := object.NewVirtualMachine(c.Client, info.Result.(types.ManagedObjectReference))
	if err := vm.MarkAsTemplate(ctx); err != nil {
		return fmt.Errorf("mark %s as template: %w", vcTemplate, err)
	}
	return nil
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

// vmSummary is one VM as `lab status` shows it.
type vmSummary struct {
	Name, PowerState, IP, Hostname string
	Template                       bool
}

// listVMs returns every VM of the lab's vCenter.
func listVMs(ctx context.Context, c *govmomi.Client) ([]vmSummary, error) {
	f := find.NewFinder(c.Client, false)
	vms, err := f.VirtualMachineList(ctx, "/"+vcDatacenter+"/vm/...")
	if err != nil {
		if _, ok := err.(*find.NotFoundError); ok {
			return nil, nil
		}
		return nil, fmt.Errorf("list lab VMs: %w", err)
	}
	refs := make([]types.ManagedObjectReference, len(vms))
	for i, v := range vms {
		refs[i] = v.Reference()
	}
	var mos []mo.VirtualMachine
	if err := c.PropertyCollector().Retrieve(ctx, refs, []string{"name", "runtime.powerState", "guest.ipAddress", "guest.hostName", "config.template"}, &mos); err != nil {
		return nil, fmt.Errorf("read lab VMs: %w", err)
	}
	out := make([]vmSummary, 0, len(mos))
	for _, m := range mos {
		s := vmSummary{Name: m.Name, PowerState: string(m.Runtime.PowerState)}
		if m.Guest != nil {
			s.IP, s.Hostname = m.Guest.IpAddress, m.Guest.HostName
		}
		if m.Config != nil {
			s.Template = m.Config.Template
		}
		out = append(out, s)
	}
	return out, nil
}

func writeSecretFile(dir, name, content string) (string, error) {
	p := filepath.Join(dir, name)
	_ = os.Remove(p)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	_, err = f.WriteString(content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return p, err
}
