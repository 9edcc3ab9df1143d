package ovf_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"

	"github.com/dcos-vsphere/dcos-vsphere/ovf"
	"github.com/dcos-vsphere/dcos-vsphere/ovf/ovftest"
	"github.com/dcos-vsphere/dcos-vsphere/templates/vcsimtest"
)

func target(t *testing.T, sim *vcsimtest.Sim) ovf.Target {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f := find.NewFinder(sim.Admin(t))
	dc, err := f.Datacenter(ctx, "/DC0")
	if err != nil {
		t.Fatal(err)
	}
	f.SetDatacenter(dc)
	ds, err := f.Datastore(ctx, "LocalDS_0")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := f.ResourcePool(ctx, "DC0_C0/Resources")
	if err != nil {
		t.Fatal(err)
	}
	folders, err := dc.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return ovf.Target{Datacenter: dc, Datastore: ds, ResourcePool: pool, Folder: folders.VmFolder, Network: "DC0_DVPG0"}
}

// Both package forms import, report bytes up to the disk size, and the
// result is a template with the OVF's hardware.
func TestImportOVAAndOVFAsTemplate(t *testing.T) {
	sim := vcsimtest.Start(t, vcsimtest.Options{})
	dir := t.TempDir()
	spec := ovftest.Spec{Name: "centos7-tiny", CPUs: 2, MemoryMB: 1024, DiskBytes: 300 << 10}
	ova, err := ovftest.WriteOVA(dir, spec)
	if err != nil {
		t.Fatal(err)
	}
	ovfPath, err := ovftest.WriteOVF(t.TempDir(), spec)
	if err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"from-ova": ova, "from-ovf": ovfPath} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var last ovf.Progress
			ref, err := ovf.Import(ctx, sim.Admin(t), target(t, sim), ovf.Options{
				Path: path, Name: name, MarkAsTemplate: true, Progress: func(p ovf.Progress) { last = p },
			})
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			if last.File != spec.DiskFile() || last.Sent != 300<<10 || last.Total != 300<<10 {
				t.Fatalf("last progress %+v; want all %d bytes of %s", last, 300<<10, spec.DiskFile())
			}
			var vm mo.VirtualMachine
			if err := object.NewVirtualMachine(sim.Admin(t), ref).Properties(ctx, ref, []string{"name", "config"}, &vm); err != nil {
				t.Fatal(err)
			}
			c := vm.Config
			if vm.Name != name || !c.Template || c.Hardware.NumCPU != 2 || c.Hardware.MemoryMB != 1024 || c.GuestId != "centos7_64Guest" {
				t.Fatalf("imported %s: template=%v cpu=%d mem=%d guest=%s", vm.Name, c.Template, c.Hardware.NumCPU, c.Hardware.MemoryMB, c.GuestId)
			}
		})
	}
}

func TestImportRejectsUnknownFileType(t *testing.T) {
	sim := vcsimtest.Start(t, vcsimtest.Options{})
	_, err := ovf.Import(context.Background(), sim.Admin(t), target(t, sim), ovf.Options{Path: "/tmp/x.qcow2"})
	if err == nil || !strings.Contains(err.Error(), "want a .ova or .ovf") {
		t.Fatalf("got %v", err)
	}
}

func TestDescriptorIsValidOVF(t *testing.T) {
	d, err := ovftest.Descriptor(ovftest.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`ovf:href="centos7-tiny-disk1.vmdk"`, `<rasd:VirtualQuantity>2048</rasd:VirtualQuantity>`, `ovf:name="VM Network"`} {
		if !strings.Contains(string(d), want) {
			t.Errorf("descriptor lacks %s", want)
		}
	}
}
