package templates_test

import (
	"errors"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/templates"
	"github.com/dcos-vsphere/dcos-vsphere/templates/vcsimtest"
)

func missingList(perr *templates.PrivilegeError) []string {
	var out []string
	for _, m := range perr.Missing {
		out = append(out, m.Path+" "+m.Privilege)
	}
	return out
}

// Five privileges denied on five objects: one preflight reports all of
// them, by inventory path and privilege id, with the role the user holds
// there, and creates nothing (not even the missing folder).
func TestPreflightReportsEveryMissingPrivilegeAtOnce(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	ctx := testCtx(t)
	// The user holds a custom role on DC0 (closer than vcsim's root grants).
	am := object.NewAuthorizationManager(sim.Admin(t))
	roleID, err := am.AddRole(ctx, "dcos-partial", []string{"System.View"})
	if err != nil {
		t.Fatal(err)
	}
	dc := sim.Ref(t, "/DC0")
	if err := am.SetEntityPermissions(ctx, dc, []types.Permission{{Entity: &dc, Principal: sim.Username, RoleId: roleID, Propagate: true}}); err != nil {
		t.Fatal(err)
	}
	sim.DenyPrivileges(t, "/DC0/datastore/LocalDS_0", "Datastore.AllocateSpace")
	sim.DenyPrivileges(t, "/DC0/vm/centos7", "VirtualMachine.Provisioning.DeployTemplate", "VirtualMachine.Provisioning.Customize")
	sim.DenyPrivileges(t, "/DC0/network/VM Network", "Network.Assign")
	sim.DenyPrivileges(t, "/DC0/vm", "Folder.Create", "VirtualMachine.Interact.PowerOn")
	sim.DenyPrivileges(t, "/DC0/host/DC0_C0", "Host.Inventory.EditCluster")
	// Denied on objects the run does not use: not reported.
	sim.DenyPrivileges(t, "/DC0/host/DC0_H0", "Host.Inventory.EditCluster")
	sim.DenyPrivileges(t, "", "VApp.Import")

	s := connect(t, sim, nil)
	_, err = s.Preflight(ctx, templates.PreflightRequest{Cluster: testCluster, VCenter: sim.VCenter(), Template: centos7, VMs: clusterSpecs()})
	var perr *templates.PrivilegeError
	if !errors.As(err, &perr) {
		t.Fatalf("want *PrivilegeError, got %v", err)
	}
	want := []string{
		"/DC0/datastore/LocalDS_0 Datastore.AllocateSpace",
		"/DC0/host/DC0_C0 Host.Inventory.EditCluster",
		"/DC0/network/VM Network Network.Assign",
		"/DC0/vm Folder.Create",
		"/DC0/vm VirtualMachine.Interact.PowerOn",
		"/DC0/vm/centos7 VirtualMachine.Provisioning.Customize",
		"/DC0/vm/centos7 VirtualMachine.Provisioning.DeployTemplate",
	}
	if got := missingList(perr); !slices.Equal(got, want) {
		t.Fatalf("missing privileges\n got %q\nwant %q", got, want)
	}
	for _, m := range perr.Missing {
		if m.Role != "dcos-partial" || m.RoleOn != "/DC0" || m.Purpose == "" {
			t.Errorf("%s %s: role %q on %q, purpose %q; want dcos-partial on /DC0", m.Path, m.Privilege, m.Role, m.RoleOn, m.Purpose)
		}
	}
	if perr.ExitCode() != 3 {
		t.Errorf("exit code %d, want 3", perr.ExitCode())
	}
	msg := err.Error()
	for _, part := range []string{
		"vCenter user " + sim.Username + " lacks 7 privilege(s) this run needs; nothing was created:",
		`/DC0/datastore/LocalDS_0: Datastore.AllocateSpace (to create disks on the datastore); role "dcos-partial" assigned on /DC0`,
		"govc role.update -a dcos-partial Datastore.AllocateSpace Folder.Create Host.Inventory.EditCluster Network.Assign VirtualMachine.Interact.PowerOn VirtualMachine.Provisioning.Customize VirtualMachine.Provisioning.DeployTemplate",
	} {
		if !strings.Contains(msg, part) {
			t.Errorf("message lacks %q:\n%s", part, msg)
		}
	}
	if strings.Contains(msg, sim.Password) {
		t.Fatal("the message contains the vCenter password")
	}
	if _, ferr := sim.Finder(t).Folder(ctx, "/DC0/vm/dcos"); ferr == nil {
		t.Fatal("the VM folder was created although privileges are missing")
	}
	if n := len(ours(t, sim)); n != 0 {
		t.Fatalf("%d VMs created", n)
	}
}

// A missing template to import needs VApp.Import on the pool and folder
// and VirtualMachine.Inventory.Create; without a permission of the user's
// own the role is reported as unknown, with the documented role to add to.
func TestPreflightImportPrivilegesAndUnknownRole(t *testing.T) {
	sim := vcsimtest.Start(t, vcsimtest.Options{})
	sim.DenyPrivileges(t, "", "VApp.Import", "VirtualMachine.Inventory.Create")
	s := connect(t, sim, nil)
	tmpl := config.Template{Name: "centos7", OVA: writeOVA(t)}
	vc := sim.VCenter()
	vc.Folder = "" // the datacenter's vm folder itself: no Folder.Create
	_, err := s.Preflight(testCtx(t), templates.PreflightRequest{Cluster: testCluster, VCenter: vc, Template: tmpl, VMs: clusterSpecs()[:1]})
	var perr *templates.PrivilegeError
	if !errors.As(err, &perr) {
		t.Fatalf("want *PrivilegeError, got %v", err)
	}
	want := []string{
		"/DC0/host/DC0_C0/Resources VApp.Import",
		"/DC0/vm VApp.Import",
		"/DC0/vm VirtualMachine.Inventory.Create",
	}
	if got := missingList(perr); !slices.Equal(got, want) {
		t.Fatalf("missing privileges\n got %q\nwant %q", got, want)
	}
	if perr.Missing[0].Role != "" || !strings.Contains(err.Error(), "govc role.update -a dcos-vsphere VApp.Import VirtualMachine.Inventory.Create") {
		t.Fatalf("want an unknown role and the documented role in the hint:\n%s", err)
	}
}

// Destroy checks power-off and delete on every VM (and editing the rule's
// cluster) before destroying any.
func TestDestroyChecksPrivilegesFirst(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	s := connect(t, sim, nil)
	ctx := testCtx(t)
	specs := clusterSpecs()[:4]
	inv, err := s.Preflight(ctx, templates.PreflightRequest{Cluster: testCluster, VCenter: sim.VCenter(), Template: centos7, VMs: specs})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnsureVMs(ctx, inv, plan(specs, nil)); err != nil {
		t.Fatal(err)
	}
	sim.DenyPrivileges(t, "/DC0/vm/dcos/master-2", "VirtualMachine.Inventory.Delete")
	sim.DenyPrivileges(t, "/DC0/host/DC0_C0", "Host.Inventory.EditCluster")
	_, err = destroyNamed(t, s, sim.VCenter())
	var perr *templates.PrivilegeError
	if !errors.As(err, &perr) {
		t.Fatalf("want *PrivilegeError, got %v", err)
	}
	want := []string{"/DC0/host/DC0_C0 Host.Inventory.EditCluster", "/DC0/vm/dcos/master-2 VirtualMachine.Inventory.Delete"}
	if got := missingList(perr); !slices.Equal(got, want) {
		t.Fatalf("missing privileges\n got %q\nwant %q", got, want)
	}
	if n := len(ours(t, sim)); n != len(specs) {
		t.Fatalf("%d of %d VMs left; destroy must not start", n, len(specs))
	}
}

// Every privilege of the minimum role exists in vCenter (the simulator's
// Admin role holds every privilege; vcsim has no privilegeList), and the
// README's govc command creates exactly that role.
func TestMinimumRoleIsRealAndDocumented(t *testing.T) {
	sim := vcsimtest.Start(t, vcsimtest.Options{})
	roles, err := object.NewAuthorizationManager(sim.Admin(t)).RoleList(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	admin := roles.ByName("Admin")
	if admin == nil || len(admin.Privilege) < 100 {
		t.Fatalf("simulator Admin role %+v", admin)
	}
	for _, p := range templates.MinimumRole {
		if !slices.Contains(admin.Privilege, p) {
			t.Errorf("%s is not a vCenter privilege", p)
		}
	}
	if !sort.StringsAreSorted(templates.MinimumRole) {
		t.Error("MinimumRole is not sorted")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`govc role\.create dcos-vsphere((?: \\\n\s+[A-Za-z.]+(?: [A-Za-z.]+)*)+)`).FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no `govc role.create dcos-vsphere ...` command")
	}
	documented := strings.Fields(strings.ReplaceAll(string(m[1]), "\\", " "))
	if !slices.Equal(documented, templates.MinimumRole) {
		t.Fatalf("README role\n %q\nMinimumRole\n %q", documented, templates.MinimumRole)
	}
}
