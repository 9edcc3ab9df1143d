package templates

import (
	"context"
	"slices"
	"strings"
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

// Only port groups a VM can use are offered: the distributed switch's
// uplink port group (config.uplink, as vCenter marks it) is not.
func TestNamesNetworksLeaveOutUplinks(t *testing.T) {
	sim := vcsimtest.Start(t, vcsimtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Connect(ctx, Options{VCenter: sim.VCenter()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	vc := sim.VCenter()
	got, err := s.Names(ctx, FieldNetwork, vc)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"DC0_DVPG0", "VM Network"}; !slices.Equal(got, want) {
		t.Errorf("networks = %v, want %v (no DVUplinks)", got, want)
	}
	// The uplink port group exists all the same: it is left out, not missing.
	all, err := s.listNamed(ctx, s.client.ServiceContent.RootFolder, "Network")
	if err != nil {
		t.Fatal(err)
	}
	if n := names(all); !slices.ContainsFunc(n, func(s string) bool { return strings.Contains(s, "-DVUplinks") }) {
		t.Fatalf("the simulator has no uplink port group to leave out: %v", n)
	}
}
