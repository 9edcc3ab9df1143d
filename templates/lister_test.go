package templates

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/templates/vcsimtest"
)

func TestNamesListsLiveInventory(t *testing.T) {
	sim := vcsimtest.Start(t, vcsimtest.Options{Datastores: 2})
	sim.MakeTemplate(t, "DC0_C0_RP0_VM0", "centos7")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Connect(ctx, Options{VCenter: sim.VCenter()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	vc := sim.VCenter()
	vc.Datacenter = "DC0"
	for field, want := range map[string]string{
		FieldDatacenter: "DC0", FieldCluster: "DC0_C0", FieldDatastore: "LocalDS_1",
		FieldNetwork: "VM Network", FieldTemplate: "centos7",
	} {
		got, err := s.Names(ctx, field, vc)
		if err != nil {
			t.Fatalf("%s: %v", field, err)
		}
		if !slices.Contains(got, want) || !slices.IsSorted(got) {
			t.Errorf("%s = %v, want it to contain %q, sorted", field, got, want)
		}
		if field == FieldTemplate && slices.Contains(got, "DC0_C0_RP0_VM1") {
			t.Errorf("templates list a plain VM: %v", got)
		}
	}
	if _, err := s.Names(ctx, "bogus", vc); err == nil {
		t.Error("unknown field accepted")
	}
}
