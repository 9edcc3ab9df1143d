package lab

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vim25/mo"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/templates"
)

// The lab's vCenter alone (no root needed: it only listens on 127.0.0.1):
// the datastore has the asked capacity, the hosts real-server hardware,
// and the installer's preflight accepts a DC/OS-sized cluster of 100
// agents on it without an error, only warning that 100 x 16 GB is more
// memory, and 100 x 2 vCPUs more CPU, than 3 hosts of 512 GiB and 32
// cores have.
func TestVCenterCapacityAndHosts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	vc, err := startVCenter(ctx, "127.0.0.1:0", 16<<40)
	if err != nil {
		t.Fatal(err)
	}
	defer vc.close()
	c, err := vc.login(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Logout(context.Background()) }()
	f := find.NewFinder(c.Client, true)
	ds, err := f.Datastore(ctx, "/"+vcDatacenter+"/datastore/"+vcDatastore)
	if err != nil {
		t.Fatal(err)
	}
	var d mo.Datastore
	if err := ds.Properties(ctx, ds.Reference(), []string{"summary"}, &d); err != nil {
		t.Fatal(err)
	}
	// Three quarters free, less the template's 60 GiB disk.
	if d.Summary.Capacity != 16<<40 || d.Summary.FreeSpace != 12<<40-templateDiskKB<<10 {
		t.Fatalf("datastore capacity %d free %d; want 16 TiB, 12 TiB - 60 GiB", d.Summary.Capacity, d.Summary.FreeSpace)
	}
	hosts, err := f.HostSystemList(ctx, "/"+vcDatacenter+"/host/*/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) != 4 {
		t.Fatalf("%d hosts; want DC0_C0's 3 and DC0_H0", len(hosts))
	}
	for _, h := range hosts {
		var m mo.HostSystem
		if err := h.Properties(ctx, h.Reference(), []string{"summary.hardware"}, &m); err != nil {
			t.Fatal(err)
		}
		if hw := m.Summary.Hardware; hw.NumCpuThreads != hostThreads || hw.MemorySize != hostMemoryGiB<<30 {
			t.Errorf("%s: %d threads, %d bytes", h.Name(), hw.NumCpuThreads, hw.MemorySize)
		}
	}

	var warns []string
	s, err := templates.Connect(ctx, templates.Options{
		VCenter: config.VCenter{URL: vc.url, Username: vcUser, Password: config.NewSecret(vc.password), Thumbprint: vc.thumbprint()},
		Warn:    func(w string) { warns = append(warns, w) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close(context.Background()) }()
	specs := []templates.VMSpec{{Name: "bootstrap", IP: "198.18.0.10", Role: "bootstrap"}}
	for i := range 3 {
		specs = append(specs, templates.VMSpec{Name: fmt.Sprintf("master-%d", i+1), Role: "master"})
	}
	for i := range 100 {
		specs = append(specs, templates.VMSpec{Name: fmt.Sprintf("agent-%d", i+1), Role: "agent"})
	}
	for i := range specs {
		sz := config.DefaultSize(config.Role(specs[i].Role))
		specs[i].CPUs, specs[i].MemoryMB, specs[i].DiskGB = sz.CPUs, sz.MemoryMB, sz.DiskGB
	}
	vcfg := config.VCenter{Datacenter: vcDatacenter, Cluster: vcCluster, Datastore: vcDatastore, Folder: vcFolder, Network: vcNetwork}
	if _, err := s.Preflight(ctx, templates.PreflightRequest{Cluster: "lab", VCenter: vcfg, Template: config.Template{Name: vcTemplate}, VMs: specs}); err != nil {
		t.Fatalf("preflight of 1+3+100 VMs on the lab: %v", err)
	}
	if len(warns) != 2 || !strings.HasPrefix(warns[0], "capacity: the 104 new VMs need 1753088 MB of memory; the 3 usable ESXi hosts of DC0_C0 have") ||
		!strings.HasPrefix(warns[1], "capacity: the 104 new VMs have 214 vCPUs; the 3 usable ESXi hosts of DC0_C0 have 96 physical cores") {
		t.Fatalf("warnings %q; want the memory and the CPU one", warns)
	}
}

func TestDatastoreCapacityOption(t *testing.T) {
	o, err := Options{Dir: t.TempDir()}.withDefaults()
	if err != nil || o.DatastoreCapacity != 4<<40 {
		t.Fatalf("default capacity %d, %v; want 4 TiB", o.DatastoreCapacity, err)
	}
	for _, c := range []int64{1 << 30, 2 << 50} {
		if _, err := (Options{Dir: t.TempDir(), DatastoreCapacity: c}).withDefaults(); err == nil {
			t.Errorf("capacity %d accepted; want 64 GiB to 1 PiB", c)
		}
	}
}
