package templates_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/templates"
	"github.com/dcos-vsphere/dcos-vsphere/templates/vcsimtest"
)

// A run killed half-way (its context cancelled once 3 VMs are ready) leaves
// marked VMs, some maybe not yet powered on, and clone tasks still running
// in vCenter. The next run adopts them all and creates no duplicate.
func TestRerunAfterKilledRunCreatesNoDuplicates(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	s := connect(t, sim, nil)
	specs := clusterSpecs()
	inv, err := s.Preflight(testCtx(t), templates.PreflightRequest{Cluster: testCluster, VCenter: sim.VCenter(), Template: centos7, VMs: specs})
	if err != nil {
		t.Fatal(err)
	}
	ctx, kill := context.WithCancel(testCtx(t))
	var ready atomic.Int32
	p := plan(specs, nil)
	p.Concurrency = 4
	p.OnEvent = func(e templates.Event) {
		if e.Step == templates.StepReady && ready.Add(1) == 3 {
			kill()
		}
	}
	if _, err := s.EnsureVMs(ctx, inv, p); !errors.Is(err, context.Canceled) {
		t.Fatalf("killed run: want context.Canceled, got %v", err)
	}
	left := len(ours(t, sim))
	if left < 3 || left == len(specs) {
		t.Fatalf("killed run left %d marked VMs; want a partial cluster (>= 3, < %d)", left, len(specs))
	}

	inv2, err := s.Preflight(testCtx(t), templates.PreflightRequest{Cluster: testCluster, VCenter: sim.VCenter(), Template: centos7, VMs: specs})
	if err != nil {
		t.Fatal(err)
	}
	vms, err := s.EnsureVMs(testCtx(t), inv2, plan(specs, nil))
	if err != nil {
		t.Fatalf("re-run: %v", err)
	}
	adopted := 0
	for i, vm := range vms {
		if vm.IP != specs[i].IP {
			t.Errorf("%s IP %s; want %s", vm.Name, vm.IP, specs[i].IP)
		}
		if !vm.Created {
			adopted++
		}
	}
	got := ours(t, sim) // fails on duplicates
	if len(got) != len(specs) || adopted < 3 {
		t.Fatalf("after re-run %d marked VMs (want %d), %d adopted (want >= 3)", len(got), len(specs), adopted)
	}
}

// Pre-created marked VMs (another run's work) are adopted: powered off ones
// are powered on and report their IP.
func TestAdoptsMarkedPoweredOffVMs(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	s := connect(t, sim, nil)
	specs := clusterSpecs()
	inv, err := s.Preflight(testCtx(t), templates.PreflightRequest{Cluster: testCluster, VCenter: sim.VCenter(), Template: centos7, VMs: specs[:4]})
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.EnsureVMs(testCtx(t), inv, plan(specs[:4], nil))
	if err != nil {
		t.Fatal(err)
	}
	vm := sim.VM(t, "DC0/vm/dcos/master-1")
	if task, err := vm.PowerOff(testCtx(t)); err != nil || task.Wait(testCtx(t)) != nil {
		t.Fatalf("power off: %v", err)
	}
	inv2, err := s.Preflight(testCtx(t), templates.PreflightRequest{Cluster: testCluster, VCenter: sim.VCenter(), Template: centos7, VMs: specs})
	if err != nil {
		t.Fatal(err)
	}
	ev := &events{}
	vms, err := s.EnsureVMs(testCtx(t), inv2, plan(specs, ev))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if vms[i].Created || vms[i].Ref != first[i].Ref {
			t.Errorf("%s not adopted: %+v", vms[i].Name, vms[i])
		}
	}
	if steps := ev.steps("master-1"); len(steps) < 2 || steps[0] != templates.StepAdopting || steps[1] != templates.StepPoweringOn {
		t.Fatalf("master-1 events %v; want adopting then powering-on", steps)
	}
	if got := ours(t, sim); len(got) != 9 || got["master-1"].PowerState != "poweredOn" {
		t.Fatalf("want 9 VMs with master-1 on, got %d, %s", len(got), got["master-1"].PowerState)
	}
}

func TestRoleMismatchOnAdoptIsRefused(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	s := connect(t, sim, nil)
	specs := clusterSpecs()[:2]
	inv, _ := s.Preflight(testCtx(t), templates.PreflightRequest{Cluster: testCluster, VCenter: sim.VCenter(), Template: centos7, VMs: specs})
	if _, err := s.EnsureVMs(testCtx(t), inv, plan(specs, nil)); err != nil {
		t.Fatal(err)
	}
	specs[1].Role = "agent"
	inv, _ = s.Preflight(testCtx(t), templates.PreflightRequest{Cluster: testCluster, VCenter: sim.VCenter(), Template: centos7, VMs: specs})
	_, err := s.EnsureVMs(testCtx(t), inv, plan(specs, nil))
	if err == nil || !strings.Contains(err.Error(), "marked as role master") {
		t.Fatalf("want role mismatch error, got %v", err)
	}
}

// Listing and destroying see only the cluster's VMs in its own folder: a
// second cluster with the same name in another folder (another id) is
// neither listed, adopted nor destroyed.
func TestClusterVMsAreTheFoldersOnly(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	s := connect(t, sim, nil)
	ctx := testCtx(t)
	unmarked := sim.VMNames(t)
	in := func(folder string) config.VCenter {
		vc := sim.VCenter()
		vc.Folder = folder
		return vc
	}
	mk := func(folder, id string, specs []templates.VMSpec) []templates.VM {
		inv, err := s.Preflight(ctx, templates.PreflightRequest{Cluster: testCluster, VCenter: in(folder), Template: centos7, VMs: specs})
		if err != nil {
			t.Fatal(err)
		}
		p := plan(specs, nil)
		p.ClusterID = id
		vms, err := s.EnsureVMs(ctx, inv, p)
		if err != nil {
			t.Fatal(err)
		}
		return vms
	}
	alpha := mk("alpha", "id-alpha", clusterSpecs()[:3])
	// Same cluster name, same VM names, another folder and id: new VMs,
	// not an adoption of alpha's.
	beta := mk("beta", "id-beta", clusterSpecs()[:2])
	for i, vm := range beta {
		if !vm.Created || vm.Ref == alpha[i].Ref {
			t.Fatalf("beta's %s adopted alpha's VM %s", vm.Name, alpha[i].Ref)
		}
	}
	listed, err := s.ListClusterVMs(ctx, in("alpha"), testCluster)
	if err != nil || len(listed) != 3 {
		t.Fatalf("ListClusterVMs(alpha): %v, %d VMs", err, len(listed))
	}
	for _, vm := range listed {
		if vm.ClusterID != "id-alpha" || vm.BIOSUUID == "" {
			t.Errorf("listed %+v", vm)
		}
	}
	if none, err := s.ListClusterVMs(ctx, in("nosuchfolder"), testCluster); err != nil || len(none) != 0 {
		t.Fatalf("a missing folder: %v, %v", none, err)
	}
	gone, err := s.DestroyVMs(ctx, testCluster, listed, nil)
	if err != nil || len(gone) != 3 {
		t.Fatalf("DestroyVMs: %v, %d destroyed", err, len(gone))
	}
	left, err := s.ListClusterVMs(ctx, in("beta"), testCluster)
	if err != nil || len(left) != 2 {
		t.Fatalf("beta VMs after destroying alpha's: %v, %d", err, len(left))
	}
	if n := len(sim.VMNames(t)); n != len(unmarked)+2 {
		t.Fatalf("%d VMs left; want the %d unmarked + 2 beta", n, len(unmarked))
	}
}

// Preflight creates nothing, not even the VM folder (plan must not
// change vCenter); EnsureVMs creates the folder.
func TestPreflightCreatesNoFolder(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	s := connect(t, sim, nil)
	ctx := testCtx(t)
	vc := sim.VCenter()
	vc.Folder = "fresh/sub"
	specs := clusterSpecs()[:1]
	inv, err := s.Preflight(ctx, templates.PreflightRequest{Cluster: testCluster, VCenter: vc, Template: centos7, VMs: specs})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Folder != nil {
		t.Fatal("Preflight found a folder that should not exist yet")
	}
	if f, _, err := s.VMFolder(ctx, vc); err != nil || f != nil {
		t.Fatalf("Preflight created the folder: %v %v", f, err)
	}
	if _, err := s.EnsureVMs(ctx, inv, plan(specs, nil)); err != nil {
		t.Fatal(err)
	}
	if f, p, err := s.VMFolder(ctx, vc); err != nil || f == nil || !strings.HasSuffix(p, "/vm/fresh/sub") {
		t.Fatalf("EnsureVMs did not create the folder: %v %s %v", f, p, err)
	}
}

func TestLinkedCloneUsesSnapshotOrWarns(t *testing.T) {
	sim := vcsimtest.Start(t, vcsimtest.Options{})
	sim.MakeTemplate(t, "DC0_H0_VM0", "centos7")
	s := connect(t, sim, nil)
	ctx := testCtx(t)
	specs := clusterSpecs()[:2]
	tm := config.Template{Name: "centos7", LinkedClone: true}

	inv, err := s.Preflight(ctx, templates.PreflightRequest{Cluster: testCluster, VCenter: sim.VCenter(), Template: tm, VMs: specs})
	if err != nil {
		t.Fatal(err)
	}
	var warned []string
	p := plan(specs, nil)
	p.LinkedClone, p.Warn = true, func(w string) { warned = append(warned, w) }
	if _, err := s.EnsureVMs(ctx, inv, p); err != nil {
		t.Fatal(err)
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "no snapshot") {
		t.Fatalf("want a no-snapshot warning, got %q", warned)
	}

	tmpl := sim.VM(t, "DC0/vm/centos7")
	if task, err := tmpl.CreateSnapshot(ctx, "base", "", false, false); err != nil || task.Wait(ctx) != nil {
		t.Fatalf("snapshot: %v", err)
	}
	vc := sim.VCenter()
	vc.Folder = "linked"
	inv, err = s.Preflight(ctx, templates.PreflightRequest{Cluster: testCluster, VCenter: vc, Template: tm, VMs: specs})
	if err != nil || inv.TemplateSnapshot == nil {
		t.Fatalf("preflight did not see the snapshot: %v", err)
	}
	warned = nil
	vms, err := s.EnsureVMs(ctx, inv, p)
	if err != nil || len(warned) != 0 || vms[1].IP != specs[1].IP {
		t.Fatalf("linked clone: %v, warnings %q, %+v", err, warned, vms)
	}
}
