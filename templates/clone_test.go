package templates_test

import (
	"slices"
	"testing"

	"github.com/vmware/govmomi/vim25/mo"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/ovf"
	"github.com/dcos-vsphere/dcos-vsphere/templates"
	"github.com/dcos-vsphere/dcos-vsphere/templates/vcsimtest"
)

// The whole phase: OVA import as template, then 1+3+5 clones, each with its
// customized hostname and IP; a second run adopts them all.
func TestHappyPathImportAndCloneCluster(t *testing.T) {
	sim := vcsimtest.Start(t, vcsimtest.Options{})
	s := connect(t, sim, nil)
	ctx := testCtx(t)
	tmpl := config.Template{Name: "centos7", OVA: writeOVA(t)}
	specs := clusterSpecs()

	inv, err := s.Preflight(ctx, templates.PreflightRequest{Cluster: testCluster, VCenter: sim.VCenter(), Template: tmpl, VMs: specs})
	if err != nil {
		t.Fatalf("Preflight: %v", err)
	}
	if !inv.NeedsImport || inv.Template != nil {
		t.Fatalf("want the template to need import, got NeedsImport=%v", inv.NeedsImport)
	}
	var last ovf.Progress
	reports := 0
	if err := s.EnsureTemplate(ctx, inv, tmpl, func(p ovf.Progress) { last = p; reports++ }); err != nil {
		t.Fatalf("EnsureTemplate: %v", err)
	}
	if reports == 0 || last.Total != 256<<10 || last.Sent != last.Total {
		t.Fatalf("upload progress: %d reports, last %+v; want bytes up to 262144", reports, last)
	}

	ev := &events{}
	vms, err := s.EnsureVMs(ctx, inv, plan(specs, ev))
	if err != nil {
		t.Fatalf("EnsureVMs: %v", err)
	}
	got := ours(t, sim)
	if len(got) != len(specs) {
		t.Fatalf("want %d marked VMs, simulator has %d", len(specs), len(got))
	}
	for i, spec := range specs {
		vm := vms[i]
		if vm.Name != spec.Name || vm.IP != spec.IP || !vm.Created || vm.Ref == "" || vm.InstanceUUID == "" {
			t.Errorf("result %d = %+v; want %s with IP %s, created, ref and UUID", i, vm, spec.Name, spec.IP)
		}
		sv := got[spec.Name]
		if sv.HostName != spec.Name || sv.IP != spec.IP || sv.PowerState != "poweredOn" {
			t.Errorf("%s in vCenter: hostname %q ip %q power %s", spec.Name, sv.HostName, sv.IP, sv.PowerState)
		}
		if sv.ExtraConfig[templates.KeyRole] != spec.Role || sv.Ref != vm.Ref {
			t.Errorf("%s: role mark %q ref %s; want %s, %s", spec.Name, sv.ExtraConfig[templates.KeyRole], sv.Ref, spec.Role, vm.Ref)
		}
		want := []templates.Step{templates.StepCloning, templates.StepCustomizing, templates.StepPoweringOn, templates.StepWaitingIP, templates.StepReady}
		if steps := ev.steps(spec.Name); !slices.Equal(steps, want) {
			t.Errorf("%s events %v; want %v", spec.Name, steps, want)
		}
	}

	// A second run adopts everything and clones nothing.
	inv2, err := s.Preflight(ctx, templates.PreflightRequest{Cluster: testCluster, VCenter: sim.VCenter(), Template: tmpl, VMs: specs})
	if err != nil {
		t.Fatalf("second Preflight: %v", err)
	}
	if inv2.NeedsImport {
		t.Fatal("second run wants to import the template again")
	}
	again, err := s.EnsureVMs(ctx, inv2, plan(specs, nil))
	if err != nil {
		t.Fatalf("second EnsureVMs: %v", err)
	}
	for i := range again {
		if again[i].Created || again[i].Ref != vms[i].Ref || again[i].IP != vms[i].IP {
			t.Errorf("second run %+v; want adopted %+v", again[i], vms[i])
		}
	}
	if n := len(ours(t, sim)); n != len(specs) {
		t.Fatalf("after second run %d marked VMs; want %d", n, len(specs))
	}
}

// vcenter.network different from the template's: the clone's NIC is moved
// to that port group in the clone spec.
func TestCloneConnectsNICToConfiguredNetwork(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	s := connect(t, sim, nil)
	ctx := testCtx(t)
	vc := sim.VCenter()
	vc.Network = "DC0_DVPG0"
	specs := clusterSpecs()[:1]
	inv, err := s.Preflight(ctx, templates.PreflightRequest{Cluster: testCluster, VCenter: vc, Template: centos7, VMs: specs})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnsureVMs(ctx, inv, plan(specs, nil)); err != nil {
		t.Fatal(err)
	}
	var vm mo.VirtualMachine
	obj := sim.VM(t, "/DC0/vm/dcos/"+specs[0].Name)
	if err := obj.Properties(ctx, obj.Reference(), []string{"network"}, &vm); err != nil {
		t.Fatal(err)
	}
	if len(vm.Network) != 1 || vm.Network[0].Type != "DistributedVirtualPortgroup" {
		t.Fatalf("clone networks %v; want the DC0_DVPG0 port group only", vm.Network)
	}
}
