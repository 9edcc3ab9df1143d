package templates_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/dcos-vsphere/dcos-vsphere/templates/vcsimtest"
)

// RemoveAgents destroys named agents only: a master or the bootstrap node
// in the list refuses the whole call.
func TestRemoveAgentsRefusesMastersAndBootstrap(t *testing.T) {
	sim := withTemplate(t, vcsimtest.Options{})
	s := connect(t, sim, nil)
	install(t, sim, s, sim.VCenter(), specsWith(3, 3))
	ctx := testCtx(t)
	for _, names := range [][]string{{"agent-1", "master-2"}, {"bootstrap"}} {
		_, err := s.RemoveAgents(ctx, testCluster, names, nil)
		if err == nil || !strings.Contains(err.Error(), "only agents and public agents can be removed; nothing destroyed") {
			t.Fatalf("RemoveAgents(%v): %v; want a refusal", names, err)
		}
	}
	if _, err := s.RemoveAgents(ctx, testCluster, []string{"agent-9"}, nil); err == nil || !strings.Contains(err.Error(), "not VMs of cluster") {
		t.Fatalf("unknown agent: %v", err)
	}
	if n := len(ours(t, sim)); n != 7 {
		t.Fatalf("%d VMs left after refusals; want 7", n)
	}
	done, err := s.RemoveAgents(ctx, testCluster, []string{"agent-1", "agent-3"}, nil)
	if err != nil || len(done) != 2 {
		t.Fatalf("RemoveAgents: %v, %v", done, err)
	}
	var left []string
	for name := range ours(t, sim) {
		left = append(left, name)
	}
	slices.Sort(left)
	if want := []string{"agent-2", "bootstrap", "master-1", "master-2", "master-3"}; !slices.Equal(left, want) {
		t.Fatalf("left %v; want %v", left, want)
	}
}
