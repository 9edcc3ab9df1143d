package installer_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
	it "github.com/dcos-vsphere/dcos-vsphere/installer/installertest"
)

// world is a fresh fake vCenter + nodes for a 1 bootstrap, 3 masters,
// 2 agents, 1 public agent cluster named name.
func world(t *testing.T, name string) (*it.Env, installer.GenconfFiles) {
	t.Helper()
	c := it.Config(t, name, 3, 2, 1)
	return it.New(t, c), it.Files(c, "v1")
}

func install(t *testing.T, e *it.Env, files installer.GenconfFiles) (*installer.Result, error) {
	t.Helper()
	e.Events.Reset()
	return e.Run(files).Execute(context.Background(), installer.InstallFlow())
}

func mustInstall(t *testing.T, e *it.Env, files installer.GenconfFiles) *installer.Result {
	t.Helper()
	res, err := install(t, e, files)
	if err != nil {
		t.Fatalf("install: %v", err)
	}
	return res
}

func names(e *it.Env) []string {
	var out []string
	for _, v := range e.Cloud.VMs() {
		out = append(out, v.Name)
	}
	return out
}

func TestInstallFromNothingThenRerunChangesNothing(t *testing.T) {
	e, files := world(t, "c1")
	res := mustInstall(t, e, files)
	if res.Status != "ok" || res.Changed != 7+6 || len(res.Nodes) != 7 {
		t.Fatalf("result = %+v", res)
	}
	for _, n := range res.Nodes {
		if n.VM != installer.VMOn || n.DCOS != installer.DCOSInstalled || (n.Role != installer.RoleBootstrap && n.Health != "healthy") {
			t.Errorf("node %+v", n)
		}
	}
	if !res.Healthy() {
		t.Error("result not healthy")
	}
	if got := len(e.Cloud.VMs()); got != 7 {
		t.Fatalf("VMs = %v", names(e))
	}
	id := res.ClusterID
	for _, v := range e.Cloud.VMs() {
		if v.ClusterID != id || v.ClusterID == "" {
			t.Errorf("VM %s marked with id %q, cluster id %q", v.Name, v.ClusterID, id)
		}
	}

	// Re-run: nothing cloned, prepared, generated or installed.
	before := map[string][]string{}
	for _, v := range e.Cloud.VMs() {
		before[v.Name] = e.HostOf(v.Name).Scripts()
	}
	res = mustInstall(t, e, files)
	if res.Changed != 0 || res.ClusterID != id {
		t.Fatalf("re-run changed %d (id %s, was %s)", res.Changed, res.ClusterID, id)
	}
	for _, p := range []installer.PhaseID{installer.PhasePreflightVSphere, installer.PhaseCreateVMs, installer.PhasePrepareNodes,
		installer.PhaseBootstrap, installer.PhaseInstallMasters, installer.PhaseInstallAgents} {
		if e.Events.Started(p) {
			t.Errorf("re-run started %s", p)
		}
	}
	for _, v := range e.Cloud.VMs() {
		after := e.HostOf(v.Name).Scripts()[len(before[v.Name]):]
		for _, s := range after {
			if s != "probe" && s != "health" && s != "tidy" {
				t.Errorf("re-run ran %q on %s", s, v.Name)
			}
		}
	}
	var sb strings.Builder
	_ = res.WriteSummary(&sb)
	if !strings.Contains(sb.String(), "Nothing to do") {
		t.Errorf("summary:\n%s", sb.String())
	}
}

// A node cut short after DC/OS's download (setup not finished) is not
// "installed": the re-run resumes it with DC/OS's own setup units, never
// runs dcos_install.sh on it again, and the cluster ends healthy.
func TestPartlyInstalledNodeIsResumedNotSkipped(t *testing.T) {
	for _, node := range []string{"c1-master-2", "c1-agent-1"} {
		t.Run(node, func(t *testing.T) {
			e, files := world(t, "c1")
			// An installed cluster whose node is then found cut short
			// after DC/OS's download (setup unfinished).
			e.Cloud.Put(it.VM{}) // a VM of nobody, in no folder: ignored
			if _, err := install(t, e, files); err != nil {
				t.Fatal(err)
			}
			h := e.HostOf(node)
			h.Set(func(h *it.Host) { h.DCOS = installer.DCOSPartial })
			status, _ := e.Run(files).Execute(context.Background(), installer.StatusFlow())
			if n := nodeOf(status, node); n.DCOS != installer.DCOSPartial || status.Healthy() {
				t.Fatalf("status of the cut node: %+v (healthy %v)", n, status.Healthy())
			}
			installs := h.Ran("install")
			res := mustInstall(t, e, files)
			if h.Ran("resume") != 1 || h.Ran("install") != installs {
				t.Fatalf("scripts on %s: %v", node, h.Scripts())
			}
			if !res.Healthy() || nodeOf(res, node).Health != "healthy" {
				t.Fatalf("after resume: %+v", res.Nodes)
			}
		})
	}
}

func nodeOf(res *installer.Result, name string) installer.NodeResult {
	for _, n := range res.Nodes {
		if n.Name == name {
			return n
		}
	}
	return installer.NodeResult{}
}

// An install whose connection drops in the middle of DC/OS's setup is
// finished by the same run: it reconnects, sees the node partly installed
// and resumes it (never runs dcos_install.sh on it twice).
func TestInstallCutMidSetupIsResumedOnReconnect(t *testing.T) {
	e, files := world(t, "c1")
	first := mustInstall(t, e, files)
	// A new agent whose install is cut after DC/OS's download.
	e.Cluster.Nodes.Agents.Count = 3
	e.Cloud.Put(it.VM{Name: "c1-agent-3", Role: "agent", IP: "198.18.0.23", Cluster: "c1", ClusterID: first.ClusterID, Folder: "c1", PoweredOn: true})
	h := e.HostOf("c1-agent-3")
	h.CutAfter("install", installer.DCOSPartial)
	res := mustInstall(t, e, files)
	if h.Ran("install") != 1 || h.Ran("resume") != 1 {
		t.Fatalf("scripts on the cut node: %v", h.Scripts())
	}
	if !res.Healthy() {
		t.Fatalf("not healthy: %+v", res.Nodes)
	}
}

// A second config with the same name but another folder neither sees, nor
// adopts, nor destroys the first cluster's VMs.
func TestSameNameOtherFolderCannotTouchTheFirstCluster(t *testing.T) {
	e, files := world(t, "c1")
	first := mustInstall(t, e, files)
	firstVMs := e.Cloud.VMs()

	// The second cluster: same name, folder "other", the same fake vCenter.
	e.Cloud.Folder = "other"
	e.StatePath = e.StatePath + ".other"
	res, err := e.Run(files).Execute(context.Background(), installer.DestroyFlow(nil, nil))
	if err != nil {
		t.Fatalf("destroy of the empty second cluster: %v", err)
	}
	if len(e.Cloud.VMs()) != len(firstVMs) {
		t.Fatalf("destroy with the second config deleted the first cluster's VMs: %v", names(e))
	}
	if acts := res.Actions; len(acts) != 0 {
		t.Fatalf("destroy did %v", acts)
	}
	// Its install must not adopt the first cluster's nodes: their
	// addresses are in use, so it stops before cloning anything.
	_, err = install(t, e, files)
	var ce *installer.ConflictError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "is in use") {
		t.Fatalf("second install: err = %v", err)
	}
	if len(e.Cloud.VMs()) != len(firstVMs) {
		t.Fatalf("second install created VMs: %v", names(e))
	}
	for _, v := range e.Cloud.VMs() {
		if v.ClusterID != first.ClusterID {
			t.Errorf("VM %s re-marked: %s", v.Name, v.ClusterID)
		}
	}
}

// Same name, same folder, state file lost: the VMs' marks give the id
// back, nothing is duplicated.
func TestLostStateFileDuplicatesNothing(t *testing.T) {
	e, files := world(t, "c1")
	first := mustInstall(t, e, files)
	e.StatePath = e.StatePath + ".lost"
	res := mustInstall(t, e, files)
	if res.ClusterID != first.ClusterID || res.Changed != 0 || len(e.Cloud.VMs()) != 7 {
		t.Fatalf("after losing the state: id %s (was %s), changed %d, VMs %v", res.ClusterID, first.ClusterID, res.Changed, names(e))
	}
}

// A VM in the folder with the cluster's name but another cluster id (a
// second cluster of the same name made there) is refused by name, folder
// and id, and never adopted.
func TestVMWithAnotherClusterIDIsRefused(t *testing.T) {
	e, files := world(t, "c1")
	mustInstall(t, e, files)
	e.Cluster.Nodes.Agents.Count = 3
	e.Cloud.Put(it.VM{Name: "c1-agent-3", Role: "agent", IP: "198.18.0.23", Cluster: "c1", ClusterID: "other-id", Folder: "c1", PoweredOn: true})
	_, err := install(t, e, files)
	var ce *installer.ConflictError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "belongs to another cluster named c1") || !strings.Contains(err.Error(), "other-id") ||
		!strings.Contains(err.Error(), "c1-agent-3") {
		t.Fatalf("err = %v", err)
	}
	if len(e.Cloud.VMs()) != 8 {
		t.Fatalf("VMs created: %v", names(e))
	}
	if h := e.Host("198.18.0.23"); h.Ran("probe") != 0 {
		t.Fatal("the other cluster's VM was probed")
	}
	// status lists this cluster's nodes only, and says c1-agent-3 is missing
	res, _ := e.Run(files).Execute(context.Background(), installer.StatusFlow())
	if n := nodeOf(res, "c1-agent-3"); n.VM != installer.VMMissing {
		t.Fatalf("status shows the other cluster's VM as ours: %+v", n)
	}
}

// An address of the config answered by some other machine (another
// cluster's live agent) is refused before any clone, and the machine is
// never probed, installed or reported healthy.
func TestAddressInUseRefusedBeforeAnyClone(t *testing.T) {
	e, files := world(t, "c1")
	other := e.AddHost("198.18.0.22")
	other.InstallDCOS("slave", []string{"198.18.0.211"}, "dcos-config--setup_other")
	_, err := install(t, e, files)
	var ce *installer.ConflictError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "address 198.18.0.22 of c1-agent-2 is in use") {
		t.Fatalf("err = %v", err)
	}
	if len(e.Cloud.VMs()) != 0 {
		t.Fatalf("VMs created: %v", names(e))
	}
	if len(other.Scripts()) != 0 {
		t.Fatalf("the other machine ran %v", other.Scripts())
	}
}

// A VM of ours whose address answers as another machine (product_uuid is
// not its BIOS UUID) is refused with both identities, never installed.
func TestIdentityMismatchIsRefused(t *testing.T) {
	e, files := world(t, "c1")
	mustInstall(t, e, files)
	h := e.HostOf("c1-agent-1")
	h.Set(func(h *it.Host) { h.ProductUUID = "00000000-1111-2222-3333-444444444444" })
	e.Dialer.Forget(h.IP)
	_, err := install(t, e, files)
	var ie *installer.IdentityError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "c1-agent-1") || !strings.Contains(err.Error(), "00000000-1111-2222-3333-444444444444") ||
		!strings.Contains(err.Error(), "BIOS UUID") {
		t.Fatalf("err = %v", err)
	}
	// status reports it for that node, and is not healthy
	res, _ := e.Run(files).Execute(context.Background(), installer.StatusFlow())
	if n := nodeOf(res, "c1-agent-1"); !strings.Contains(n.Identity, "not the machine") || res.Healthy() {
		t.Fatalf("status: %+v", n)
	}
}

// A node of ours that runs another cluster's DC/OS (its master_list names
// other masters) is never adopted or reported healthy.
func TestInstalledNodeOfAnotherClusterIsRefused(t *testing.T) {
	e, files := world(t, "c1")
	mustInstall(t, e, files)
	h := e.HostOf("c1-agent-2")
	h.Set(func(h *it.Host) { h.MasterList = []string{"198.18.0.211", "198.18.0.212", "198.18.0.213"} })
	_, err := install(t, e, files)
	var ie *installer.IdentityError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "198.18.0.211") {
		t.Fatalf("err = %v", err)
	}
}

// A changed DC/OS config is refused before anything is created or written,
// with the cluster's and the file's config ids.
func TestDriftRefusedBeforeAnything(t *testing.T) {
	e, files := world(t, "c1")
	mustInstall(t, e, files)
	boot := e.HostOf("c1-bootstrap")
	scripts := len(boot.Scripts())
	changed := it.Files(e.Cluster, "v2")
	_, err := install(t, e, changed)
	var ce *installer.ConflictError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "changed since the cluster was installed") {
		t.Fatalf("err = %v", err)
	}
	for _, s := range boot.Scripts()[scripts:] {
		if s != "probe" {
			t.Errorf("bootstrap ran %s under a changed config", s)
		}
	}
	if e.Events.Started(installer.PhaseCreateVMs) {
		t.Error("create-vms started")
	}
	// add-agents refuses it too, before cloning
	e.Events.Reset()
	_, err = e.Run(changed).Execute(context.Background(), installer.AddAgentsFlow(1, 0))
	if !errors.As(err, &ce) || len(e.Cloud.VMs()) != 7 {
		t.Fatalf("add-agents with a changed config: err %v, VMs %v", err, names(e))
	}
}

// A re-created bootstrap node (its genconf/serve gone) with a changed
// config is refused, and with the right config serves the masters' config
// again; nothing is written to genconf/ before the check.
func TestRecreatedBootstrapServesTheRunningConfig(t *testing.T) {
	e, files := world(t, "c1")
	mustInstall(t, e, files)
	running := e.HostOf("c1-master-1").ConfigPackage
	// The bootstrap VM is destroyed and a new one cloned; the masters'
	// marks are gone too (an older tool installed them), so only the
	// dcos-config package they run can tell.
	if _, err := e.Run(files).Execute(context.Background(), installer.DestroyFlow([]string{"c1-bootstrap"}, nil)); err != nil {
		t.Fatal(err)
	}
	for _, v := range e.Cloud.VMs() {
		h := e.HostOf(v.Name)
		h.Set(func(h *it.Host) { delete(h.Files, "/etc/dcos-vsphere/node.json") })
	}
	e.StatePath += ".gone" // and the state file is lost
	// A new agent, so that the bootstrap is needed.
	e.Cluster.Nodes.Agents.Count = 3
	changed := it.Files(e.Cluster, "v2")
	_, err := install(t, e, changed)
	var ce *installer.ConflictError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), running) {
		t.Fatalf("changed config on a re-created bootstrap: err = %v", err)
	}
	boot := e.HostOf("c1-bootstrap")
	if boot.ServeGenerated || boot.Serving {
		t.Fatal("the re-created bootstrap serves a changed config")
	}
	res := mustInstall(t, e, files)
	if boot.ServedPackage != running || !res.Healthy() {
		t.Fatalf("served %s, masters run %s; healthy %v", boot.ServedPackage, running, res.Healthy())
	}
	if p := e.HostOf("c1-agent-3").ConfigPackage; p != running {
		t.Fatalf("the new agent runs %s, the masters %s (split cluster)", p, running)
	}
}

// add-agents names new agents after the highest index, takes free
// addresses (skipping one in use on the network), and finishes a stranded
// agent of an earlier add-agents instead of making another.
func TestAddAgentsSkipsAddressesInUseAndFinishesStranded(t *testing.T) {
	e, files := world(t, "c1")
	mustInstall(t, e, files)
	e.AddHost("198.18.0.23") // a stray server inside the agents' range
	res, err := e.Run(files).Execute(context.Background(), installer.AddAgentsFlow(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	a3, p2 := e.Cloud.VM("c1-agent-3"), e.Cloud.VM("c1-public-2")
	if a3 == nil || a3.IP != "198.18.0.24" || p2 == nil || p2.IP != "198.18.0.42" {
		t.Fatalf("new agents: %+v %+v (VMs %v)", a3, p2, names(e))
	}
	if !res.Healthy() {
		t.Fatalf("not healthy: %+v", res.Nodes)
	}
	// An add-agents cut short left c1-agent-4 cloned and marked but not
	// installed: the next add-agents 1 finishes it and clones nothing.
	e.Cloud.Put(it.VM{Name: "c1-agent-4", Role: "agent", IP: "198.18.0.25", Cluster: "c1", ClusterID: res.ClusterID, Folder: "c1", PoweredOn: true})
	before := len(e.Cloud.VMs())
	res, err = e.Run(files).Execute(context.Background(), installer.AddAgentsFlow(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Cloud.VMs()) != before {
		t.Fatalf("add-agents cloned instead of finishing c1-agent-4: %v", names(e))
	}
	if e.HostOf("c1-agent-4").Ran("install") != 1 || !slices.ContainsFunc(res.Nodes, func(n installer.NodeResult) bool { return n.Name == "c1-agent-4" && n.Health == "healthy" }) {
		t.Fatalf("c1-agent-4 not finished: %v", res.Nodes)
	}
}
