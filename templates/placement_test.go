package templates_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/templates"
	"github.com/dcos-vsphere/dcos-vsphere/templates/vcsimtest"
)

// warnings collects what the session warns about.
type warnings struct {
	mu  sync.Mutex
	all []string
}

func (w *warnings) add(s string) { w.mu.Lock(); w.all = append(w.all, s); w.mu.Unlock() }

func (w *warnings) with(part string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, s := range w.all {
		if strings.Contains(s, part) {
			out = append(out, s)
		}
	}
	return out
}

func connectWarn(t *testing.T, sim *vcsimtest.Sim) (*templates.Session, *warnings) {
	w := &warnings{}
	return connect(t, sim, func(o *templates.Options) { o.Warn = w.add }), w
}

var clusterHosts = []string{"DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2"}

// specsWith is 1 bootstrap, n masters and a agents.
func specsWith(masters, agents int) []templates.VMSpec {
	specs := []templates.VMSpec{{Name: "bootstrap", IP: "198.18.0.10", Role: "bootstrap", CPUs: 2, MemoryMB: 2048, DiskGB: 1}}
	for i := 1; i <= masters; i++ {
		specs = append(specs, templates.VMSpec{Name: fmt.Sprintf("master-%d", i), IP: fmt.Sprintf("198.18.0.%d", 10+i), Role: "master", CPUs: 4, MemoryMB: 4096, DiskGB: 1})
	}
	for i := 1; i <= agents; i++ {
		specs = append(specs, templates.VMSpec{Name: fmt.Sprintf("agent-%d", i), IP: fmt.Sprintf("198.18.0.%d", 20+i), Role: "agent", CPUs: 2, MemoryMB: 2048, DiskGB: 1})
	}
	return specs
}

func install(t *testing.T, sim *vcsimtest.Sim, s *templates.Session, vc config.VCenter, specs []templates.VMSpec) []templates.VM {
	t.Helper()
	ctx := testCtx(t)
	inv, err := s.Preflight(ctx, templates.PreflightRequest{Cluster: testCluster, VCenter: vc, Template: centos7, VMs: specs})
	if err != nil {
		t.Fatalf("Preflight: %v", err)
	}
	vms, err := s.EnsureVMs(ctx, inv, plan(specs, nil))
	if err != nil {
		t.Fatalf("EnsureVMs: %v", err)
	}
	return vms
}

// hostsOf maps each VM name of vms to its ESXi host as the simulator has
// it, and checks the result reports the same host.
func hostsOf(t *testing.T, sim *vcsimtest.Sim, vms []templates.VM) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, vm := range vms {
		h := sim.HostOf(t, vm.Name)
		if vm.Host != h {
			t.Errorf("%s: result says host %q, vCenter has %q", vm.Name, vm.Host, h)
		}
		out[vm.Name] = h
	}
	return out
}

func distinct(hosts map[string]string, names ...string) []string {
	var out []string
	for _, n := range names {
		if !slices.Contains(out, hosts[n]) {
			out = append(out, hosts[n])
		}
	}
	sort.Strings(out)
	return out
}

// DRS cluster with 3 hosts: 3 masters on 3 hosts, a rule named after the
// cluster with exactly those masters; status lists each VM's host; a
// re-run keeps the rule; destroying one master shrinks it and destroying
// the cluster removes it.
func TestMastersOnDistinctHostsWithAntiAffinityRule(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	s, warns := connectWarn(t, sim)
	specs := specsWith(3, 2)
	vms := install(t, sim, s, sim.VCenter(), specs)
	hosts := hostsOf(t, sim, vms)
	if got := distinct(hosts, "master-1", "master-2", "master-3"); !slices.Equal(got, clusterHosts) {
		t.Fatalf("masters on %v; want one on each of %v (all: %v)", got, clusterHosts, hosts)
	}
	rule, ok := sim.Rules(t, "DC0_C0")[templates.RuleName(testCluster)]
	if !ok || !rule.AntiAffinity || !rule.Enabled || !slices.Equal(rule.VMs, []string{"master-1", "master-2", "master-3"}) {
		t.Fatalf("rule %s = %+v (found %v); want an enabled anti-affinity rule with the 3 masters", templates.RuleName(testCluster), rule, ok)
	}
	if len(warns.with("placement")) != 0 {
		t.Errorf("placement warnings: %v", warns.all)
	}

	listed, err := s.ListClusterVMs(testCtx(t), sim.VCenter(), testCluster)
	if err != nil {
		t.Fatal(err)
	}
	for _, vm := range listed {
		if vm.Host == "" || vm.Host != hosts[vm.Name] {
			t.Errorf("ListClusterVMs: %s on host %q; want %q", vm.Name, vm.Host, hosts[vm.Name])
		}
	}

	again := install(t, sim, s, sim.VCenter(), specs)
	if h := hostsOf(t, sim, again); h["master-1"] != hosts["master-1"] {
		t.Errorf("re-run moved master-1 from %s to %s", hosts["master-1"], h["master-1"])
	}
	if r := sim.Rules(t, "DC0_C0"); len(r) != 1 || !slices.Equal(r[templates.RuleName(testCluster)].VMs, rule.VMs) {
		t.Fatalf("after re-run rules = %+v", r)
	}

	if _, err := destroyNamed(t, s, sim.VCenter(), "master-3"); err != nil {
		t.Fatal(err)
	}
	if r := sim.Rules(t, "DC0_C0")[templates.RuleName(testCluster)]; !slices.Equal(r.VMs, []string{"master-1", "master-2"}) {
		t.Fatalf("after destroying master-3 the rule lists %v", r.VMs)
	}
	if _, err := destroyNamed(t, s, sim.VCenter()); err != nil {
		t.Fatal(err)
	}
	if r := sim.Rules(t, "DC0_C0"); len(r) != 0 {
		t.Fatalf("after destroy rules = %+v; want none", r)
	}
}

// 5 masters on 3 hosts cannot be apart: 2+2+1, no rule (DRS could not
// honour it), and a warning naming who shares which host and what losing
// it means for the quorum.
func TestFiveMastersOnThreeHostsWarn(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	s, warns := connectWarn(t, sim)
	vms := install(t, sim, s, sim.VCenter(), specsWith(5, 0))
	hosts := hostsOf(t, sim, vms)
	per := map[string]int{}
	for i := 1; i <= 5; i++ {
		per[hosts[fmt.Sprintf("master-%d", i)]]++
	}
	if per["DC0_C0_H0"] != 2 || per["DC0_C0_H1"] != 2 || per["DC0_C0_H2"] != 1 {
		t.Fatalf("masters per host %v; want 2, 2, 1", per)
	}
	got := warns.with("placement:")
	want := "placement: 5 masters on 3 usable ESXi host(s) of DC0_C0 (DC0_C0_H0, DC0_C0_H1, DC0_C0_H2): " +
		"master-1 and master-4 share DC0_C0_H0; master-2 and master-5 share DC0_C0_H1; " +
		"losing DC0_C0_H0 takes 2 of the 5 masters down (3 remain, still a quorum of 3); " +
		"no anti-affinity rule is made, DRS could not honour it. Add ESXi hosts or use fewer masters."
	if len(got) != 1 || got[0] != want {
		t.Fatalf("warnings %q\nwant %q", got, want)
	}
	if r := sim.Rules(t, "DC0_C0"); len(r) != 0 {
		t.Fatalf("rules %+v; want none", r)
	}
}

// A host in maintenance mode is not used: 3 masters on 2 hosts, and the
// warning says the cluster stops when the shared host fails.
func TestMaintenanceHostIsSkipped(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	sim.SetMaintenance(t, "DC0_C0_H2", true)
	s, warns := connectWarn(t, sim)
	hosts := hostsOf(t, sim, install(t, sim, s, sim.VCenter(), specsWith(3, 0)))
	if got := distinct(hosts, "master-1", "master-2", "master-3"); !slices.Equal(got, clusterHosts[:2]) {
		t.Fatalf("masters on %v; want %v", got, clusterHosts[:2])
	}
	got := warns.with("placement:")
	if len(got) != 1 || !strings.Contains(got[0], "master-1 and master-3 share DC0_C0_H0; losing DC0_C0_H0 takes 2 of the 3 masters down (1 remain, below the quorum of 2: the cluster stops); not usable: DC0_C0_H2 is in maintenance mode") {
		t.Fatalf("warnings %q", got)
	}
}

// Without DRS vCenter needs a host for every clone: every VM gets one of
// the cluster (not the template's standalone host), masters distinct, no
// rule, and a note that nothing keeps the masters apart later.
func TestWithoutDRSEveryVMIsPlacedExplicitly(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	sim.SetDRS(t, "DC0_C0", false)
	s, warns := connectWarn(t, sim)
	hosts := hostsOf(t, sim, install(t, sim, s, sim.VCenter(), specsWith(3, 5)))
	for name, h := range hosts {
		if !slices.Contains(clusterHosts, h) {
			t.Errorf("%s on %s; want a host of DC0_C0", name, h)
		}
	}
	if got := distinct(hosts, "master-1", "master-2", "master-3"); !slices.Equal(got, clusterHosts) {
		t.Fatalf("masters on %v", got)
	}
	if r := sim.Rules(t, "DC0_C0"); len(r) != 0 {
		t.Fatalf("rules %+v; want none without DRS", r)
	}
	if got := warns.with("DRS is off on DC0_C0"); len(got) != 1 {
		t.Fatalf("warnings %q", warns.all)
	}
}

// spreadAgents: agents go round the hosts too (1+2+2 for 5, beside the
// master), with DRS on.
func TestSpreadAgents(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	s, _ := connectWarn(t, sim)
	vc := sim.VCenter()
	vc.SpreadAgents = true
	hosts := hostsOf(t, sim, install(t, sim, s, vc, specsWith(1, 5)))
	per := map[string]int{}
	for i := 1; i <= 5; i++ {
		per[hosts[fmt.Sprintf("agent-%d", i)]]++
	}
	counts := []int{per["DC0_C0_H0"], per["DC0_C0_H1"], per["DC0_C0_H2"]}
	sort.Ints(counts)
	if !slices.Equal(counts, []int{1, 2, 2}) {
		t.Fatalf("agents per host %v; want 5 agents spread 1, 2, 2 over the 3 hosts", per)
	}
}

// A rule of our name listing a VM that is not ours is never edited: the
// master clone fails and is removed.
func TestForeignRuleIsNotTouched(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	s := connect(t, sim, nil)
	ctx := testCtx(t)
	// Someone else's rule of our name, with two model VMs.
	sim.AddRule(t, "DC0_C0", templates.RuleName(testCluster), "DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1")
	specs := specsWith(3, 0)
	inv, err := s.Preflight(ctx, templates.PreflightRequest{Cluster: testCluster, VCenter: sim.VCenter(), Template: centos7, VMs: specs})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.EnsureVMs(ctx, inv, plan(specs, nil))
	if err == nil || !strings.Contains(err.Error(), "which is not marked for cluster "+testCluster+": not touching the rule") {
		t.Fatalf("want a refusal to edit the foreign rule, got %v", err)
	}
	if r := sim.Rules(t, "DC0_C0")[templates.RuleName(testCluster)]; !slices.Equal(r.VMs, []string{"DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1"}) {
		t.Fatalf("foreign rule changed: %v", r.VMs)
	}
	if n := len(ours(t, sim)); n != 0 {
		t.Fatalf("%d VMs left after the failed run", n)
	}
}

// Masters of an earlier run without a rule (DRS was off): add-agents with
// DRS on tries to write the rule first; when vCenter refuses, the agents
// are still added, with a warning.
func TestRuleFailureForExistingMastersOnlyWarns(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	sim.SetDRS(t, "DC0_C0", false)
	s, warns := connectWarn(t, sim)
	specs := specsWith(3, 1)
	install(t, sim, s, sim.VCenter(), specs[:4])
	sim.SetDRS(t, "DC0_C0", true)
	sim.AddFault(&simulator.FaultInjectionRule{MethodName: "ReconfigureComputeResource_Task", ObjectType: "ClusterComputeResource", ObjectName: "DC0_C0",
		FaultType: simulator.FaultTypeCustom, Fault: &types.NoPermission{PrivilegeId: templates.PrivEditCluster}})
	install(t, sim, s, sim.VCenter(), specs)
	if n := len(ours(t, sim)); n != len(specs) {
		t.Fatalf("%d VMs; want %d", n, len(specs))
	}
	if got := warns.with("placement: the existing masters are not kept apart by a DRS rule: "); len(got) != 1 || !strings.Contains(got[0], "NoPermission") {
		t.Fatalf("warnings %q", warns.all)
	}
}
