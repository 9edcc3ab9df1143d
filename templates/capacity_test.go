package templates_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dcos-vsphere/dcos-vsphere/templates"
	"github.com/dcos-vsphere/dcos-vsphere/templates/vcsimtest"
)

// The 9 VMs of clusterSpecs have 24576 MB of memory (24 GiB of swap files)
// and clone the template's 10 GiB disk (more than their diskGB 1).
const clusterSwap = 24 << 30

func preflightErr(t *testing.T, s *templates.Session, sim *vcsimtest.Sim, specs []templates.VMSpec) error {
	t.Helper()
	_, err := s.Preflight(testCtx(t), templates.PreflightRequest{Cluster: testCluster, VCenter: sim.VCenter(), Template: centos7, VMs: specs})
	return err
}

// Thick template disks count in full, plus a swap file per VM the size of
// its memory; failing creates nothing and lists the numbers.
func TestPreflightThickDisksAndSwapMustFit(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	sim.SetDiskThin(t, "centos7", false)
	s := connect(t, sim, nil)
	sim.SetFreeSpace(t, "LocalDS_0", 100<<30)
	err := preflightErr(t, s, sim, clusterSpecs())
	want := "vcenter.datastore: LocalDS_0 has 100.0 GiB free; the 9 new VMs need 114.0 GiB once created and powered on " +
		"(thick disks 90.0 GiB, thin disk copies 0.0 GiB, swap files 24.0 GiB for 24576 MB of memory); nothing was created"
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
	if _, ferr := sim.Finder(t).Folder(testCtx(t), "/DC0/vm/dcos"); ferr == nil {
		t.Fatal("folder created although the datastore is too small")
	}
	sim.SetFreeSpace(t, "LocalDS_0", 114<<30)
	if err := preflightErr(t, s, sim, clusterSpecs()); err != nil {
		t.Fatalf("with exactly enough space: %v", err)
	}
}

// Thin disks need only the swap files (and a copy of the template's used
// blocks) now, with a warning when they could outgrow the datastore.
func TestPreflightThinDisksWarnWhenTheyCouldOutgrow(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	sim.SetDiskThin(t, "centos7", true)
	s, warns := connectWarn(t, sim)
	sim.SetFreeSpace(t, "LocalDS_0", clusterSwap-1)
	if err := preflightErr(t, s, sim, clusterSpecs()); err == nil || !strings.Contains(err.Error(), "need 24.0 GiB once created and powered on (thick disks 0.0 GiB") {
		t.Fatalf("want the swap files not to fit, got %v", err)
	}
	sim.SetFreeSpace(t, "LocalDS_0", 30<<30)
	if err := preflightErr(t, s, sim, clusterSpecs()); err != nil {
		t.Fatalf("thin disks with room for swap: %v", err)
	}
	got := warns.with("capacity: LocalDS_0 has 30.0 GiB free; the thin or linked disks of the 9 new VMs can grow to 114.0 GiB in all (24.0 GiB needed now)")
	if len(got) != 1 {
		t.Fatalf("warnings %q", warns.all)
	}
}

// Only VMs that do not exist count.
func TestPreflightCountsOnlyNewVMs(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	s := connect(t, sim, nil)
	specs := clusterSpecs()
	install(t, sim, s, sim.VCenter(), specs[:4])
	// 5 agents: 10 GiB of swap, and a copy of the template's few used KiB.
	sim.SetFreeSpace(t, "LocalDS_0", 10<<30+1<<20)
	if err := preflightErr(t, s, sim, specs); err != nil {
		t.Fatalf("room for the 5 new agents: %v", err)
	}
	sim.SetFreeSpace(t, "LocalDS_0", 10<<30-1)
	if err := preflightErr(t, s, sim, specs); err == nil || !strings.Contains(err.Error(), "the 5 new VMs need 10.0 GiB") {
		t.Fatalf("want the 5 agents not to fit, got %v", err)
	}
}

// A datastore cluster: each VM goes to the member with the most room;
// the sum alone is not enough when no member can hold a VM.
func TestDatastoreCluster(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{Datastores: 3})
	pod := sim.MakePod(t, "DC0_POD0", "LocalDS_1", "LocalDS_2")
	sim.SetFreeSpace(t, "LocalDS_1", 10<<30)
	sim.SetFreeSpace(t, "LocalDS_2", 20<<30)
	s := connect(t, sim, nil)
	vc := sim.VCenter()
	vc.Datastore, vc.DatastoreCluster = "", "DC0_POD0"
	big := func(names ...string) []templates.VMSpec {
		var out []templates.VMSpec
		for i, n := range names {
			out = append(out, templates.VMSpec{Name: n, IP: fmt.Sprintf("198.18.0.%d", 40+i), Role: "agent", CPUs: 2, MemoryMB: 8192, DiskGB: 1})
		}
		return out
	}
	ctx := testCtx(t)
	// 3 x 8 GiB: 20 -> a, b on LocalDS_2 (12 left, then 4), c on LocalDS_1.
	specs := big("agent-1", "agent-2", "agent-3")
	inv, err := s.Preflight(ctx, templates.PreflightRequest{Cluster: testCluster, VCenter: vc, Template: centos7, VMs: specs})
	if err != nil {
		t.Fatalf("Preflight on %s: %v", pod, err)
	}
	if inv.StoragePod == nil || inv.Datastore.Name() != "LocalDS_2" {
		t.Fatalf("pod %v, import datastore %s; want the member with most room, LocalDS_2", inv.StoragePod, inv.Datastore.Name())
	}
	if _, err := s.EnsureVMs(ctx, inv, plan(specs, nil)); err != nil {
		t.Fatal(err)
	}
	got := []string{sim.DatastoreOf(t, "agent-1"), sim.DatastoreOf(t, "agent-2"), sim.DatastoreOf(t, "agent-3")}
	if got[0] != "LocalDS_2" || got[1] != "LocalDS_2" || got[2] != "LocalDS_1" {
		t.Fatalf("datastores %v; want LocalDS_2, LocalDS_2, LocalDS_1", got)
	}

	// Free space faked again: 10 + 16 = 26 GiB is enough for two 12 GiB
	// VMs in sum, but once one member has taken one the other cannot.
	sim.SetFreeSpace(t, "LocalDS_1", 10<<30)
	sim.SetFreeSpace(t, "LocalDS_2", 16<<30)
	large := big("agent-4", "agent-5")
	for i := range large {
		large[i].MemoryMB = 12288
	}
	_, err = s.Preflight(ctx, templates.PreflightRequest{Cluster: testCluster, VCenter: vc, Template: centos7, VMs: large})
	want := "vcenter.datastoreCluster: DC0_POD0 (LocalDS_2 16.0 GiB, LocalDS_1 10.0 GiB) has 26.0 GiB free; the 2 new VMs need 24.0 GiB"
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "; no single member has room left for agent-5 (12.0 GiB)") {
		t.Fatalf("got  %v\nwant %s ...; no single member has room left for agent-5 (12.0 GiB)", err, want)
	}
}

// The clone's disk has the configured diskGB when that is more than the
// template's.
func TestCloneGrowsDisk(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	s := connect(t, sim, nil)
	specs := clusterSpecs()[:2]
	specs[0].DiskGB = 40 // the template's disk is 10 GiB
	install(t, sim, s, sim.VCenter(), specs)
	if got := sim.DiskCapacities(t, "bootstrap"); len(got) != 1 || got[0] != 40<<30 {
		t.Fatalf("bootstrap disks %v; want one of 40 GiB", got)
	}
	if got := sim.DiskCapacities(t, "master-1"); len(got) != 1 || got[0] != 10<<30 {
		t.Fatalf("master-1 disks %v; want the template's 10 GiB (diskGB 1 is smaller)", got)
	}
}

// vCPUs beyond any host's logical CPUs cannot power on: an error before
// any clone. Memory beyond the hosts is a warning.
func TestPreflightComputeCapacity(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{HostThreads: 2, HostMemoryGiB: 4})
	s, warns := connectWarn(t, sim)
	err := preflightErr(t, s, sim, clusterSpecs())
	want := "placement: master-1 (4), master-2 (4), master-3 (4) have more vCPUs than the largest usable ESXi host of DC0_C0 has logical CPUs (2): they could not power on; lower nodes.*.cpus; nothing was created"
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
	specs := clusterSpecs()
	for i := range specs {
		specs[i].CPUs = 2
	}
	if err := preflightErr(t, s, sim, specs); err != nil {
		t.Fatal(err)
	}
	if got := warns.with("capacity: the 9 new VMs need 24576 MB of memory; the 3 usable ESXi hosts of DC0_C0 have"); len(got) != 1 {
		t.Fatalf("warnings %q", warns.all)
	}
	if got := warns.with("capacity: the 9 new VMs have 18 vCPUs; the 3 usable ESXi hosts of DC0_C0 have 3 physical cores"); len(got) != 1 {
		t.Fatalf("warnings %q", warns.all)
	}
}
