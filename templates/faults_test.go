package templates_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/simulator/sim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dcos-vsphere/dcos-vsphere/templates"
	"github.com/dcos-vsphere/dcos-vsphere/templates/vcsimtest"
)

// moveIntoFolder puts the model VM name into DC0/vm/<folder> (created) under
// the new name newName: an unmarked VM that collides with a planned one.
func moveIntoFolder(t *testing.T, sim *vcsimtest.Sim, name, folder, newName string) *vcsimtest.VMInfo {
	ctx := testCtx(t)
	root, err := sim.Finder(t).Folder(ctx, "/DC0/vm")
	if err != nil {
		t.Fatal(err)
	}
	f, err := sim.Finder(t).Folder(ctx, "/DC0/vm/"+folder)
	if err != nil {
		if f, err = root.CreateFolder(ctx, folder); err != nil {
			t.Fatal(err)
		}
	}
	vm := sim.VM(t, "DC0/vm/"+name)
	if task, err := f.MoveInto(ctx, []types.ManagedObjectReference{vm.Reference()}); err != nil || task.Wait(ctx) != nil {
		t.Fatalf("move %s: %v", name, err)
	}
	if task, err := vm.Rename(ctx, newName); err != nil || task.Wait(ctx) != nil {
		t.Fatalf("rename %s: %v", name, err)
	}
	for _, v := range sim.VMs(t) {
		if v.Ref == vm.Reference().Value {
			return &v
		}
	}
	t.Fatalf("moved VM %s vanished", name)
	return nil
}

func assertUntouched(t *testing.T, sim *vcsimtest.Sim, before *vcsimtest.VMInfo) {
	t.Helper()
	for _, v := range sim.VMs(t) {
		if v.Ref == before.Ref {
			if v.Name != before.Name || v.PowerState != before.PowerState || v.Annotation != before.Annotation || len(v.ExtraConfig) != len(before.ExtraConfig) {
				t.Fatalf("unmarked VM was touched: before %+v after %+v", *before, v)
			}
			return
		}
	}
	t.Fatalf("unmarked VM %s (%s) was destroyed", before.Name, before.Ref)
}

func TestUnmarkedVMWithPlannedNameIsRefusedBeforeCloning(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	s := connect(t, sim, nil)
	ctx := testCtx(t)
	victim := moveIntoFolder(t, sim, "DC0_C0_RP0_VM1", "dcos", "master-2")
	before := sim.VMNames(t)

	inv, err := s.Preflight(ctx, templates.PreflightRequest{Cluster: testCluster, VCenter: sim.VCenter(), Template: centos7, VMs: clusterSpecs()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.EnsureVMs(ctx, inv, plan(clusterSpecs(), nil))
	if !errors.Is(err, templates.ErrNotOwned) || !strings.Contains(err.Error(), "master-2") {
		t.Fatalf("want ErrNotOwned naming master-2, got %v", err)
	}
	if after := sim.VMNames(t); !slices.Equal(before, after) {
		t.Fatalf("VMs changed: before %v after %v", before, after)
	}
	assertUntouched(t, sim, victim)
}

// The colliding VM appears after preflight: the clone gets DuplicateName,
// which must not be mistaken for our own VM.
func TestDuplicateNameAtCloneTimeOnUnmarkedVMIsRefused(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	s := connect(t, sim, nil)
	ctx := testCtx(t)
	before := sim.VMNames(t)
	inv, err := s.Preflight(ctx, templates.PreflightRequest{Cluster: testCluster, VCenter: sim.VCenter(), Template: centos7, VMs: clusterSpecs()})
	if err != nil {
		t.Fatal(err)
	}
	victim := moveIntoFolder(t, sim, "DC0_C0_RP0_VM1", "dcos", "agent-4")
	_, err = s.EnsureVMs(ctx, inv, plan(clusterSpecs(), nil))
	if !errors.Is(err, templates.ErrNotOwned) || !strings.Contains(err.Error(), "agent-4") {
		t.Fatalf("want ErrNotOwned naming agent-4, got %v", err)
	}
	if after := sim.VMNames(t); len(after) != len(before) {
		t.Fatalf("extra VMs left: before %v after %v", before, after)
	}
	assertUntouched(t, sim, victim)
}

func TestCloneTaskFailureLeavesNoVMs(t *testing.T) {
	sim := vcsimtest.Start(t, vcsimtest.Options{})
	tmplRef := sim.MakeTemplate(t, "DC0_H0_VM0", "centos7")
	s := connect(t, sim, nil)
	ctx := testCtx(t)
	before := sim.VMNames(t)
	failed := sim.FailClones(t, tmplRef, 1, &types.NoDiskSpace{Datastore: "LocalDS_0"})
	inv, err := s.Preflight(ctx, templates.PreflightRequest{Cluster: testCluster, VCenter: sim.VCenter(), Template: centos7, VMs: clusterSpecs()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.EnsureVMs(ctx, inv, plan(clusterSpecs(), nil))
	if err == nil || !strings.Contains(err.Error(), "from template centos7 in DC0/DC0_C0: NoDiskSpace") {
		t.Fatalf("want clone error naming template, placement and fault, got %v", err)
	}
	if failed.Load() != 1 {
		t.Fatalf("override failed %d clones; want 1", failed.Load())
	}
	if after := sim.VMNames(t); !slices.Equal(before, after) {
		t.Fatalf("VMs left behind: before %v after %v", before, after)
	}
}

func TestPowerOnFaultLeavesNoVMs(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	s := connect(t, sim, nil)
	ctx := testCtx(t)
	before := sim.VMNames(t)
	sim.AddFault(&simulator.FaultInjectionRule{MethodName: "PowerOnVM_Task", ObjectType: "VirtualMachine", ObjectName: "agent-3",
		FaultType: simulator.FaultTypeInsufficientResourcesFault})
	inv, err := s.Preflight(ctx, templates.PreflightRequest{Cluster: testCluster, VCenter: sim.VCenter(), Template: centos7, VMs: clusterSpecs()})
	if err != nil {
		t.Fatal(err)
	}
	ev := &events{}
	_, err = s.EnsureVMs(ctx, inv, plan(clusterSpecs(), ev))
	if err == nil || !strings.Contains(err.Error(), "power on agent-3: InsufficientResourcesFault") {
		t.Fatalf("want power-on error naming agent-3 and the fault, got %v", err)
	}
	if after := sim.VMNames(t); !slices.Equal(before, after) {
		t.Fatalf("VMs left behind: before %v after %v", before, after)
	}
	if steps := ev.steps("agent-3"); !slices.Contains(steps, templates.StepFailed) || !slices.Contains(steps, templates.StepCleaningUp) {
		t.Fatalf("agent-3 events %v; want failed and cleaning-up", steps)
	}
}

func TestKeepCompletedKeepsOnlyFinishedVMs(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	s := connect(t, sim, nil)
	ctx := testCtx(t)
	sim.AddFault(&simulator.FaultInjectionRule{MethodName: "PowerOnVM_Task", ObjectType: "VirtualMachine", ObjectName: "agent-5",
		FaultType: simulator.FaultTypeInsufficientResourcesFault})
	inv, err := s.Preflight(ctx, templates.PreflightRequest{Cluster: testCluster, VCenter: sim.VCenter(), Template: centos7, VMs: clusterSpecs()})
	if err != nil {
		t.Fatal(err)
	}
	p := plan(clusterSpecs(), nil)
	p.KeepCompleted, p.Concurrency = true, 1 // sequential: agent-5 is last
	if _, err = s.EnsureVMs(ctx, inv, p); err == nil {
		t.Fatal("want an error for agent-5")
	}
	got := ours(t, sim)
	if len(got) != 8 {
		t.Fatalf("want the 8 finished VMs kept, have %d", len(got))
	}
	if _, ok := got["agent-5"]; ok {
		t.Fatal("the failed agent-5 was kept")
	}
}

func TestTransientCloneFaultIsRetried(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	s := connect(t, sim, nil)
	ctx := testCtx(t)
	sim.AddFault(&simulator.FaultInjectionRule{MethodName: "CloneVM_Task", ObjectType: "*", ObjectName: "*",
		FaultType: simulator.FaultTypeCustom, Fault: &types.TaskInProgress{}, MaxCount: 2})
	inv, err := s.Preflight(ctx, templates.PreflightRequest{Cluster: testCluster, VCenter: sim.VCenter(), Template: centos7, VMs: clusterSpecs()})
	if err != nil {
		t.Fatal(err)
	}
	ev := &events{}
	if _, err := s.EnsureVMs(ctx, inv, plan(clusterSpecs(), ev)); err != nil {
		t.Fatalf("EnsureVMs: %v", err)
	}
	retries := 0
	for _, e := range ev.all {
		if e.Step == templates.StepRetrying {
			retries++
			if !fault.Is(e.Err, &types.TaskInProgress{}) {
				t.Errorf("retry event for %v", e.Err)
			}
		}
	}
	if retries != 2 || len(ours(t, sim)) != 9 {
		t.Fatalf("retries %d, VMs %d; want 2 and 9", retries, len(ours(t, sim)))
	}
}

// The session idles past vCenter's timeout between phases (no keep-alive):
// the next calls log in again by themselves.
func TestSessionExpiryIsRecoveredByReLogin(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	admin := sim.Admin(t)
	ctx := testCtx(t)
	if err := sim25.SetSessionTimeout(ctx, admin, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	s := connect(t, sim, func(o *templates.Options) { o.KeepAlive = -1 })
	key := sessionKey(t, s)
	inv, err := s.Preflight(ctx, templates.PreflightRequest{Cluster: testCluster, VCenter: sim.VCenter(), Template: centos7, VMs: clusterSpecs()})
	if err != nil {
		t.Fatal(err)
	}
	waitSessionGone(t, sim, key)
	vms, err := s.EnsureVMs(ctx, inv, plan(clusterSpecs(), nil))
	if err != nil {
		t.Fatalf("EnsureVMs after expiry: %v", err)
	}
	if s.Relogins() < 1 || len(vms) != 9 {
		t.Fatalf("relogins %d, VMs %d", s.Relogins(), len(vms))
	}
}

// vCenter says NotAuthenticated in the middle of the clone phase (two
// power-on calls); without the re-login wrapper this run fails.
func TestNotAuthenticatedMidRunIsRecovered(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	s := connect(t, sim, nil)
	ctx := testCtx(t)
	inv, err := s.Preflight(ctx, templates.PreflightRequest{Cluster: testCluster, VCenter: sim.VCenter(), Template: centos7, VMs: clusterSpecs()})
	if err != nil {
		t.Fatal(err)
	}
	// One rule per VM: vcsim's MaxCount is not exact under concurrent calls.
	for _, vm := range []string{"master-2", "agent-4"} {
		sim.AddFault(&simulator.FaultInjectionRule{MethodName: "PowerOnVM_Task", ObjectType: "VirtualMachine", ObjectName: vm,
			FaultType: simulator.FaultTypeNotAuthenticated, MaxCount: 1})
	}
	if _, err := s.EnsureVMs(ctx, inv, plan(clusterSpecs(), nil)); err != nil {
		t.Fatalf("EnsureVMs: %v", err)
	}
	// The session itself stayed valid, so the calls were simply retried.
	if n := len(ours(t, sim)); n != 9 {
		t.Fatalf("VMs %d; want 9", n)
	}
}

func sessionKey(t *testing.T, s *templates.Session) string {
	us, err := session.NewManager(s.Client()).UserSession(testCtx(t))
	if err != nil || us == nil {
		t.Fatalf("current session: %v", err)
	}
	return us.Key
}

// waitSessionGone polls (bounded) until the simulator expired the session.
func waitSessionGone(t *testing.T, sim *vcsimtest.Sim, key string) {
	admin := sim.Admin(t)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		res, err := methods.SessionIsActive(context.Background(), admin, &types.SessionIsActive{
			This: *admin.ServiceContent.SessionManager, SessionID: key, UserName: sim.Username})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Returnval {
			return
		}
		time.Sleep(50 * time.Millisecond) // polling interval, bounded by deadline
	}
	t.Fatal("session did not expire within 10s")
}

// With keep-alive on, a session idle for longer than vCenter's timeout
// stays valid: nothing needs to log in again.
func TestKeepAliveKeepsIdleSessionValid(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	ctx := testCtx(t)
	if err := sim25.SetSessionTimeout(ctx, sim.Admin(t), 400*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	s := connect(t, sim, func(o *templates.Options) { o.KeepAlive = 100 * time.Millisecond })
	key := sessionKey(t, s)
	time.Sleep(1200 * time.Millisecond) // the idle period under test: 3x the session timeout
	res, err := methods.SessionIsActive(ctx, sim.Admin(t), &types.SessionIsActive{
		This: *sim.Admin(t).ServiceContent.SessionManager, SessionID: key, UserName: sim.Username})
	if err != nil || !res.Returnval {
		t.Fatalf("session expired despite keep-alive: %v", err)
	}
	if _, err := s.ListClusterVMs(ctx, sim.VCenter(), testCluster); err != nil || s.Relogins() != 0 {
		t.Fatalf("after idling: %v, relogins %d", err, s.Relogins())
	}
}

// The vcsimtest hook forces a clone's IP whatever the client asked for;
// EnsureVMs notices the VM does not have the planned address and removes it.
func TestVcsimtestCloneIPsOverrideIsCaughtAsWrongIP(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	sim.InjectCloneIPs().Set("master-1", "127.0.0.33")
	s, inv, specs := preflightMaster1(t, sim)
	err := ensureFailsCleanly(t, sim, s, inv, plan(specs, nil))
	if !strings.Contains(err.Error(), "master-1 reports IP 127.0.0.33, but the config gives it 198.18.0.11") {
		t.Fatalf("want wrong-IP error, got %v", err)
	}
}

// A guest that reports its customization failed stops the wait at once
// (the IP timeout here is far beyond the test's deadline), with vCenter's
// reason, and the VM is removed like any other failed clone.
func TestCustomizationFailureStopsTheWaitAtOnce(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	sim.HoldCustomization("master-1")
	sim.OnPowerOn(t, "master-1", func() {
		sim.SetGuest(t, "master-1", vcsimtest.Guest{IP: "127.0.0.77",
			CustomizationStatus: types.GuestInfoCustomizationStatusTOOLSDEPLOYPKG_FAILED,
			CustomizationError:  "Customization of the guest operating system is not supported"})
	})
	s, inv, specs := preflightMaster1(t, sim)
	p := plan(specs, nil)
	p.IPTimeout = time.Hour
	err := ensureFailsCleanly(t, sim, s, inv, p)
	if !errors.Is(err, templates.ErrCustomizationFailed) || !strings.Contains(err.Error(), "master-1") ||
		!strings.Contains(err.Error(), "Customization of the guest operating system is not supported") {
		t.Fatalf("want the customization failure of master-1, got %v", err)
	}
}

// A clone that first reports another address (the template's, or DHCP's
// before the static one is applied) is waited for until it has the planned one.
func TestWaitsPastAnEarlierAddressForThePlannedOne(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	sim.HoldCustomization("master-1")
	sim.OnPowerOn(t, "master-1", func() {
		sim.SetGuest(t, "master-1", vcsimtest.Guest{IP: "127.0.0.77", CustomizationStatus: types.GuestInfoCustomizationStatusTOOLSDEPLOYPKG_RUNNING})
		sim.SetGuest(t, "master-1", vcsimtest.Guest{IP: "198.18.0.11", CustomizationStatus: types.GuestInfoCustomizationStatusTOOLSDEPLOYPKG_SUCCEEDED})
	})
	s, inv, specs := preflightMaster1(t, sim)
	res, err := s.EnsureVMs(testCtx(t), inv, plan(specs, nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].IP != "198.18.0.11" {
		t.Fatalf("got %+v", res)
	}
}

// preflightMaster1 connects to sim and preflights master-1 alone (planned
// at 198.18.0.11).
func preflightMaster1(t *testing.T, sim *vcsimtest.Sim) (*templates.Session, *templates.Inventory, []templates.VMSpec) {
	t.Helper()
	s := connect(t, sim, nil)
	specs := clusterSpecs()[1:2]
	inv, err := s.Preflight(testCtx(t), templates.PreflightRequest{Cluster: testCluster, VCenter: sim.VCenter(), Template: centos7, VMs: specs})
	if err != nil {
		t.Fatal(err)
	}
	return s, inv, specs
}

// ensureFailsCleanly runs EnsureVMs, which must fail and leave the
// simulator's VMs as they were, and returns its error.
func ensureFailsCleanly(t *testing.T, sim *vcsimtest.Sim, s *templates.Session, inv *templates.Inventory, p templates.ClonePlan) error {
	t.Helper()
	before := sim.VMNames(t)
	_, err := s.EnsureVMs(testCtx(t), inv, p)
	if err == nil {
		t.Fatal("EnsureVMs succeeded")
	}
	if after := sim.VMNames(t); !slices.Equal(before, after) {
		t.Fatalf("failed clone left VMs behind: %v (before: %v)", after, before)
	}
	return err
}
