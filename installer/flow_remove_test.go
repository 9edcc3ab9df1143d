package installer_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
	it "github.com/dcos-vsphere/dcos-vsphere/installer/installertest"
)

func removeAgents(t *testing.T, e *it.Env, files installer.GenconfFiles, names ...string) (*installer.Result, error) {
	t.Helper()
	e.Events.Reset()
	return e.Run(files).Execute(context.Background(), installer.RemoveAgentsFlow(names))
}

// installedWithExtra is an installed c1 (3 masters, 2 agents, 1 public)
// plus c1-agent-3 from add-agents (not in the config).
func installedWithExtra(t *testing.T) (*it.Env, installer.GenconfFiles) {
	t.Helper()
	e, files := world(t, "c1")
	mustInstall(t, e, files)
	if _, err := e.Run(files).Execute(context.Background(), installer.AddAgentsFlow(1, 0)); err != nil {
		t.Fatal(err)
	}
	if e.Cloud.VM("c1-agent-3") == nil {
		t.Fatal("add-agents made no c1-agent-3")
	}
	return e, files
}

func messages(e *it.Env, kind installer.EventKind) []string {
	var out []string
	for _, ev := range e.Events.All() {
		if ev.Kind == kind {
			out = append(out, ev.Node+": "+ev.Message)
		}
	}
	return out
}

// remove-agents stops each agent's Mesos agent with its role's unit
// (SIGUSR1 then stop), waits until the leading master no longer lists it,
// and only then deletes its VM, forgets its host key and checks the rest;
// a second run has nothing to do.
func TestRemoveAgentsDrainsThenDeletes(t *testing.T) {
	e, files := installedWithExtra(t)
	gone := map[string]string{} // name -> IP
	for _, n := range []string{"c1-agent-1", "c1-public-1", "c1-agent-3"} {
		vm := e.Cloud.VM(n)
		gone[n] = vm.IP
		if !e.MesosLists(vm.IP) || e.Dialer.Known(vm.IP) == "" {
			t.Fatalf("%s: listed by Mesos %v, host key %q before the removal", n, e.MesosLists(vm.IP), e.Dialer.Known(vm.IP))
		}
	}
	hosts := map[string]*it.Host{}
	for n := range gone {
		hosts[n] = e.HostOf(n)
	}
	// Deleting comes last: when Destroy is called, Mesos must already
	// have dropped every agent.
	var listedAtDestroy []string
	e.Cloud.BeforeDestroy = func(vms []installer.VMInfo) {
		for _, v := range vms {
			if e.MesosLists(v.IP) {
				listedAtDestroy = append(listedAtDestroy, v.Name)
			}
		}
	}
	calls := len(e.Cloud.Calls())

	res, err := removeAgents(t, e, files, "c1-agent-1", "c1-public-1", "c1-agent-3")
	if err != nil {
		t.Fatalf("remove-agents: %v", err)
	}
	if got := strings.Join(e.Events.Phases(), " "); !strings.Contains(got, "phase-finished:drain-agents phase-started:remove-vms") ||
		!strings.Contains(got, "phase-finished:plan-removal phase-started:probe-nodes") || !strings.HasSuffix(got, "phase-finished:health") {
		t.Fatalf("phases: %s", got)
	}
	for n, ip := range gone {
		h := hosts[n]
		if h.Ran("drain-agent") != 1 || !h.AgentStopped {
			t.Errorf("%s: scripts %v, agent stopped %v", n, h.Scripts(), h.AgentStopped)
		}
		if e.Cloud.VM(n) != nil {
			t.Errorf("%s: VM still exists", n)
		}
		if e.Dialer.Known(ip) != "" {
			t.Errorf("%s: host key of %s still known", n, ip)
		}
		if e.MesosLists(ip) {
			t.Errorf("%s: Mesos lists %s", n, ip)
		}
	}
	if len(listedAtDestroy) > 0 {
		t.Errorf("Mesos still listed %v when their VMs were deleted", listedAtDestroy)
	}
	destroys := 0
	for _, c := range e.Cloud.Calls()[calls:] {
		if strings.HasPrefix(c, "Destroy") {
			destroys++
			if c != "Destroy c1-agent-1 c1-public-1 c1-agent-3" {
				t.Errorf("destroy call %q", c)
			}
		}
	}
	if destroys != 1 {
		t.Errorf("%d Destroy calls: %v", destroys, e.Cloud.Calls()[calls:])
	}
	// Every action on a removed agent: drained first, then deleted.
	var order []string
	for _, a := range res.Actions {
		if a.Node == "c1-public-1" {
			order = append(order, string(a.Phase)+": "+a.What)
		}
	}
	if want := []string{"drain-agents: stop dcos-mesos-slave-public", "drain-agents: dropped by Mesos", "remove-vms: delete "}; len(order) != 3 ||
		order[0] != want[0] || order[1] != want[1] || !strings.HasPrefix(order[2], want[2]) {
		t.Errorf("actions on c1-public-1: %q", order)
	}
	if got := res.Removed(); !slices.Equal(got, []string{"c1-agent-1", "c1-public-1", "c1-agent-3"}) {
		t.Errorf("Removed() = %v", got)
	}
	if res.Changed != 3 || res.Status != "ok" {
		t.Errorf("result %+v", res)
	}
	// The rest is healthy and listed; the removed agents are not in it.
	var rest []string
	for _, n := range res.Nodes {
		rest = append(rest, n.Name)
		if n.Role != installer.RoleBootstrap && n.Health != "healthy" {
			t.Errorf("after the removal %s is %q", n.Name, n.Health)
		}
	}
	if want := "c1-bootstrap c1-master-1 c1-master-2 c1-master-3 c1-agent-2"; strings.Join(rest, " ") != want {
		t.Errorf("result nodes %v, want %s", rest, want)
	}
	if h := e.HostOf("c1-agent-2"); h.Ran("drain-agent") != 0 || !e.MesosLists(h.IP) {
		t.Errorf("c1-agent-2 was touched: %v", h.Scripts())
	}
	// The config names two of them: said so, and of no other.
	w := strings.Join(messages(e, installer.Info), "\n")
	for _, n := range []string{"c1-agent-1 is in the config (nodes.agents)", "c1-public-1 is in the config (nodes.publicAgents)"} {
		if !strings.Contains(w, n) {
			t.Errorf("no note %q in:\n%s", n, w)
		}
	}
	if strings.Contains(w, "c1-agent-3 is in the config") {
		t.Errorf("said c1-agent-3 is in the config, which does not list it:\n%s", w)
	}
	if ws := messages(e, installer.Warning); len(ws) != 0 {
		t.Errorf("warnings: %v", ws)
	}
	var sb strings.Builder
	_ = res.WriteSummary(&sb)
	if !strings.Contains(sb.String(), `Removed 3 agent(s) from DC/OS 1.9 cluster "c1"`) {
		t.Errorf("summary:\n%s", sb.String())
	}
	// The state file keeps a record of what was removed, no VM or key.
	var st installer.State
	data, err := os.ReadFile(e.StatePath)
	if err != nil || json.Unmarshal(data, &st) != nil {
		t.Fatalf("state: %v", err)
	}
	if ns := st.Nodes["c1-agent-3"]; ns == nil || ns.VMRef != "" || ns.HostKey != "" || ns.Steps["removed"].IsZero() || ns.Role != "agent" {
		t.Errorf("state of c1-agent-3: %+v", ns)
	}

	// Again: nothing to do, nothing touched (c1-agent-3 is known from the
	// state file, the others from the config).
	calls = len(e.Cloud.Calls())
	dials := len(e.Dialer.Dials())
	res, err = removeAgents(t, e, files, "c1-agent-1", "c1-public-1", "c1-agent-3")
	if err != nil {
		t.Fatalf("second remove-agents: %v", err)
	}
	if len(res.Actions) != 0 || res.Changed != 0 || len(res.Removed()) != 0 {
		t.Errorf("second run did %v", res.Actions)
	}
	for _, c := range e.Cloud.Calls()[calls:] {
		if strings.HasPrefix(c, "Destroy") {
			t.Errorf("second run called %s", c)
		}
	}
	for _, ip := range e.Dialer.Dials()[dials:] {
		if ip == gone["c1-agent-1"] || ip == gone["c1-public-1"] || ip == gone["c1-agent-3"] {
			t.Errorf("second run dialled a removed agent at %s", ip)
		}
	}
	sb.Reset()
	_ = res.WriteSummary(&sb)
	if !strings.Contains(sb.String(), "Nothing to do") {
		t.Errorf("second summary:\n%s", sb.String())
	}
}

// A master, the bootstrap node, another cluster's VM and an unknown name
// are refused with exit 2 before anything is done: no SSH, no vCenter
// change, no script; one bad name in a list refuses the whole list.
func TestRemoveAgentsRefusals(t *testing.T) {
	e, files := world(t, "c1")
	first := mustInstall(t, e, files)
	e.Cloud.Put(it.VM{Name: "c1-agent-9", Role: "agent", IP: "198.18.0.29", Cluster: "c1", ClusterID: "other-id", Folder: "c1", PoweredOn: true})
	for _, tc := range []struct {
		names []string
		want  []string
	}{
		{[]string{"c1-master-1"}, []string{"--agent c1-master-1: it is a master of cluster c1", "master_list is fixed"}},
		{[]string{"c1-bootstrap"}, []string{"--agent c1-bootstrap: it is the bootstrap node", "destroy --vm c1-bootstrap"}},
		{[]string{"c1-agnet-1"}, []string{"--agent c1-agnet-1: no agent of cluster c1 (id " + first.ClusterID + ") in folder c1 has that name (did you mean c1-agent-1?); its agents: c1-agent-1, c1-agent-2, c1-public-1"}},
		{[]string{"c1-agent-9"}, []string{"--agent c1-agent-9: VM c1-agent-9", "belongs to another cluster named c1 (id other-id"}},
		{[]string{"c1-agent-2", "c1-master-2", "nope"}, []string{"c1-master-2: it is a master", "--agent nope: no agent"}},
	} {
		t.Run(strings.Join(tc.names, ","), func(t *testing.T) {
			dials, calls := len(e.Dialer.Dials()), len(e.Cloud.Calls())
			res, err := removeAgents(t, e, files, tc.names...)
			var ce *installer.ConflictError
			if !errors.As(err, &ce) || exitOf(err) != 2 {
				t.Fatalf("err = %v (exit %d)", err, exitOf(err))
			}
			for _, w := range append(tc.want, "nothing was changed") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if len(e.Dialer.Dials()) != dials || len(res.Actions) != 0 {
				t.Errorf("refused run dialled %v, did %v", e.Dialer.Dials()[dials:], res.Actions)
			}
			if got := e.Cloud.Calls()[calls:]; len(got) != 1 || got[0] != "ClusterVMs" {
				t.Errorf("refused run called vCenter: %v", got)
			}
			if e.Events.Started(installer.PhaseProbeNodes) {
				t.Error("probe-nodes ran")
			}
		})
	}
	if len(e.Cloud.VMs()) != 8 {
		t.Fatalf("VMs: %v", names(e))
	}
	// A VM marked as an agent whose node runs a DC/OS master is not
	// drained or deleted either (the probe's word beats the mark).
	e.HostOf("c1-agent-2").Set(func(h *it.Host) { h.Role = "master" })
	_, err := removeAgents(t, e, files, "c1-agent-2")
	if exitOf(err) != 2 || !strings.Contains(err.Error(), "runs a DC/OS master") {
		t.Fatalf("agent VM running a master: %v", err)
	}
	if h := e.HostOf("c1-agent-2"); h.Ran("drain-agent") != 0 || e.Cloud.VM("c1-agent-2") == nil {
		t.Fatalf("it was drained or deleted: %v", h.Scripts())
	}
}

// A master that keeps listing the agent stops the run after the bound
// with nothing deleted; once the master lets it go, the same command
// finishes (the agent is already stopped).
func TestRemoveAgentsWaitsForMesosBounded(t *testing.T) {
	e, files := world(t, "c1")
	mustInstall(t, e, files)
	h := e.HostOf("c1-agent-1")
	h.Set(func(h *it.Host) { h.StaysListed = true })
	r := e.Run(files)
	r.Options.NodeTimeout = 1500 * time.Millisecond
	start := time.Now()
	_, err := r.Execute(context.Background(), installer.RemoveAgentsFlow([]string{"c1-agent-1"}))
	if err == nil || !strings.Contains(err.Error(), "the Mesos master did not drop c1-agent-1 within 1.5s") ||
		!strings.Contains(err.Error(), "still lists c1-agent-1") || !strings.Contains(err.Error(), "nothing was deleted") {
		t.Fatalf("err = %v", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the bounded wait took %s", took)
	}
	if exitOf(err) != 1 || e.Cloud.VM("c1-agent-1") == nil || e.Dialer.Known(h.IP) == "" {
		t.Fatalf("exit %d; VM %v; the host key must stay", exitOf(err), e.Cloud.VM("c1-agent-1"))
	}
	h.Set(func(h *it.Host) { h.StaysListed = false })
	res, err := removeAgents(t, e, files, "c1-agent-1")
	if err != nil || e.Cloud.VM("c1-agent-1") != nil || !res.Healthy() {
		t.Fatalf("second run: %v, VM %v, healthy %v", err, e.Cloud.VM("c1-agent-1"), res.Healthy())
	}
	if h.Ran("drain-agent") != 2 {
		t.Errorf("drain-agent ran %d times", h.Ran("drain-agent"))
	}
}

// Interrupted after the power-off (the VM is off, not deleted) or after
// the delete (the state file still has the node): the next run finishes
// the removal without asking the node anything.
func TestRemoveAgentsResumes(t *testing.T) {
	e, files := world(t, "c1")
	mustInstall(t, e, files)
	a1, p1 := e.Cloud.VM("c1-agent-1"), e.Cloud.VM("c1-public-1")
	e.Cloud.FailDestroy = it.Fault("killed after the power-off")
	if _, err := removeAgents(t, e, files, "c1-agent-1"); err == nil || !strings.Contains(err.Error(), "killed after the power-off") {
		t.Fatalf("err = %v", err)
	}
	if vm := e.Cloud.VM("c1-agent-1"); vm == nil || vm.PoweredOn {
		t.Fatalf("VM after the cut: %+v", vm)
	}
	e.Cloud.FailDestroy = nil
	h := e.HostOf("c1-agent-1")
	res, err := removeAgents(t, e, files, "c1-agent-1")
	if err != nil {
		t.Fatal(err)
	}
	if e.Cloud.VM("c1-agent-1") != nil || h.Ran("drain-agent") != 1 || e.Dialer.Known(a1.IP) != "" {
		t.Fatalf("VM %v, drains %d, key %q", e.Cloud.VM("c1-agent-1"), h.Ran("drain-agent"), e.Dialer.Known(a1.IP))
	}
	if !slices.ContainsFunc(res.Actions, func(a installer.Action) bool {
		return a.Node == "c1-agent-1" && a.Phase == installer.PhaseDrainAgents && a.What == "dropped by Mesos"
	}) {
		t.Errorf("the powered-off agent was not checked with Mesos: %v", res.Actions)
	}

	// The VM went away (a run killed right after the delete, before its
	// state was saved): the host key is forgotten now.
	if err := e.Cloud.Destroy(context.Background(), []installer.VMInfo{{Name: p1.Name, Ref: p1.Ref}}); err != nil {
		t.Fatal(err)
	}
	res, err = removeAgents(t, e, files, "c1-public-1")
	if err != nil {
		t.Fatal(err)
	}
	if e.Dialer.Known(p1.IP) != "" || len(res.Actions) != 1 || res.Actions[0].Phase != installer.PhaseRemoveVMs {
		t.Fatalf("key %q, actions %v", e.Dialer.Known(p1.IP), res.Actions)
	}
	if e.Events.Started(installer.PhaseDrainAgents) {
		t.Error("drain-agents ran for an agent without VM")
	}
}

// What remove-agents --dry-run says is what remove-agents does, and the
// dry run changes nothing.
func TestRemoveAgentsPlanIsWhatItDoes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(e *it.Env)
		exit  int
	}{
		{"running agents", func(*it.Env) {}, 0},
		{"a powered-off agent", func(e *it.Env) { e.Cloud.PowerOff("c1-agent-1") }, 0},
		{"a VM already deleted", func(e *it.Env) {
			vm := e.Cloud.VM("c1-agent-1")
			_ = e.Cloud.Destroy(context.Background(), []installer.VMInfo{{Name: vm.Name, Ref: vm.Ref}})
		}, 0},
		{"a master among them", func(e *it.Env) {}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, files := installedWithExtra(t)
			tc.setup(e)
			targets := []string{"c1-agent-1", "c1-public-1", "c1-agent-3"}
			if tc.exit == 2 {
				targets = append(targets, "c1-master-3")
			}
			before := e.Cloud.VMs()
			r := e.Run(files)
			r.Options.DryRun = true
			plan, perr := r.Execute(context.Background(), installer.RemoveAgentsFlow(targets))
			if exitOf(perr) != tc.exit {
				t.Fatalf("dry run exit %d (%v), want %d", exitOf(perr), perr, tc.exit)
			}
			if !slices.Equal(before, e.Cloud.VMs()) {
				t.Fatal("the dry run changed vCenter")
			}
			for _, n := range []string{"c1-agent-3", "c1-public-1"} {
				if h := e.HostOf(n); h.Ran("drain-agent") != 0 || h.AgentStopped {
					t.Fatalf("the dry run drained %s", n)
				}
			}
			res, err := e.Run(files).Execute(context.Background(), installer.RemoveAgentsFlow(targets))
			if exitOf(err) != tc.exit {
				t.Fatalf("run exit %d (%v), dry run said %d", exitOf(err), err, tc.exit)
			}
			if tc.exit != 0 {
				if plan.Error != res.Error || len(e.Cloud.VMs()) != len(before) {
					t.Fatalf("dry run said %q, run %q", plan.Error, res.Error)
				}
				return
			}
			if p, d := touched(plan), touched(res); !slices.Equal(p, d) {
				t.Fatalf("dry run and run differ:\nplan %v\nrun  %v", p, d)
			}
			var sb strings.Builder
			_ = plan.WritePlan(&sb)
			for _, want := range []string{"c1-public-1", "stop dcos-mesos-slave-public (SIGUSR1 first", "power off and delete vm-"} {
				if !strings.Contains(sb.String(), want) {
					t.Errorf("plan lacks %q:\n%s", want, sb.String())
				}
			}
			for _, n := range targets {
				if e.Cloud.VM(n) != nil {
					t.Errorf("%s not removed", n)
				}
			}
		})
	}
}
