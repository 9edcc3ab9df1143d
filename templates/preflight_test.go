package templates_test

import (
	"errors"
	"path"
	"strings"
	"testing"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/templates"
	"github.com/dcos-vsphere/dcos-vsphere/templates/vcsimtest"
)

func TestPreflightWrongNamesListWhatExistsAndCreateNothing(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{Datastores: 2, Pools: 1})
	s := connect(t, sim, nil)
	cases := []struct {
		name string
		mod  func(*config.VCenter, *config.Template)
		want string
	}{
		{"datastore", func(vc *config.VCenter, _ *config.Template) { vc.Datastore = "LocalDS_9" },
			`vcenter.datastore: "LocalDS_9" not found in DC0; have: LocalDS_0, LocalDS_1`},
		{"network", func(vc *config.VCenter, _ *config.Template) { vc.Network = "nope" },
			`vcenter.network: "nope" not found in DC0; have: DC0_DVPG0, DVS0-DVUplinks-*, VM Network`},
		{"template", func(_ *config.VCenter, tm *config.Template) { tm.Name = "centos6" },
			`template.name: "centos6" not found in DC0; have: centos7`},
		{"datacenter", func(vc *config.VCenter, _ *config.Template) { vc.Datacenter = "DC7" },
			`vcenter.datacenter: "DC7" not found in vCenter; have: DC0`},
		{"cluster", func(vc *config.VCenter, _ *config.Template) { vc.Cluster = "C9" },
			`vcenter.cluster: "C9" not found in DC0; have: DC0_C0`},
		{"resourcePool", func(vc *config.VCenter, _ *config.Template) { vc.ResourcePool = "RP9" },
			`vcenter.resourcePool: "RP9" not found in DC0; have: DC0_C0_RP1, Resources`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vc, tm := sim.VCenter(), centos7
			vc.Folder = "dcos-" + tc.name
			tc.mod(&vc, &tm)
			_, err := s.Preflight(testCtx(t), templates.PreflightRequest{Cluster: testCluster, VCenter: vc, Template: tm, VMs: clusterSpecs()})
			var nf *templates.NotFoundError
			if !errors.As(err, &nf) {
				t.Fatalf("want NotFoundError, got %v", err)
			}
			if ok, _ := path.Match(tc.want, err.Error()); !ok {
				t.Fatalf("got  %s\nwant %s", err, tc.want)
			}
			if _, ferr := sim.Finder(t).Folder(testCtx(t), "/DC0/vm/"+vc.Folder); ferr == nil {
				t.Fatalf("folder %s was created although preflight failed", vc.Folder)
			}
		})
	}
}

func TestPreflightFindsDatacenterInFolderAndEnsureVMsCreatesNestedFolder(t *testing.T) {
	sim := withTemplateInFolder(t)
	s := connect(t, sim, nil)
	vc := sim.VCenter()
	vc.Folder = "dcos/prod/alpha"
	specs := clusterSpecs()[:1]
	inv, err := s.Preflight(testCtx(t), templates.PreflightRequest{Cluster: testCluster, VCenter: vc, Template: centos7, VMs: specs})
	if err != nil {
		t.Fatalf("Preflight: %v", err)
	}
	if !strings.HasSuffix(inv.Datacenter.InventoryPath, "/DC0") || inv.Datacenter.InventoryPath == "/DC0" {
		t.Fatalf("datacenter path %q; want it inside a folder", inv.Datacenter.InventoryPath)
	}
	if !strings.HasSuffix(inv.FolderPath, "/vm/dcos/prod/alpha") || inv.Folder != nil {
		t.Fatalf("folder path %q, folder %v (Preflight must not create it)", inv.FolderPath, inv.Folder)
	}
	if _, err := s.EnsureVMs(testCtx(t), inv, plan(specs, nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.Finder(t).Folder(testCtx(t), inv.FolderPath); err != nil {
		t.Fatalf("folder %s not created: %v", inv.FolderPath, err)
	}
	// A second preflight finds the folder.
	inv2, err := s.Preflight(testCtx(t), templates.PreflightRequest{Cluster: testCluster, VCenter: vc, Template: centos7, VMs: specs})
	if err != nil || inv2.Folder == nil || inv2.Folder.Reference() != inv.Folder.Reference() {
		t.Fatalf("second preflight: %v, folder %v vs %v", err, inv2.Folder, inv.Folder)
	}
}

func withTemplateInFolder(t *testing.T) *vcsimtest.Sim {
	sim := vcsimtest.Start(t, vcsimtest.Options{Folders: 1})
	sim.MakeTemplate(t, "DC0_H0_VM0", "centos7")
	return sim
}
