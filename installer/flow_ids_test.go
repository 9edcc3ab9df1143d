package installer

import (
	"strings"
	"testing"
)

// The phase ids are a public contract (JSON events, tests, help): each
// flow's list is written out here so that a rename or reorder is a
// deliberate change of this test, and ids are unique within a flow.
func TestFlowsHaveUniqueStableIDs(t *testing.T) {
	want := map[string]string{
		"install":    "connect-vcenter probe-nodes check-config registry-check preflight-vsphere template create-vms connect-nodes prepare-nodes bootstrap install-masters install-agents health acs-sync register-clusters",
		"add-agents": "connect-vcenter probe-nodes check-config registry-check plan-agents preflight-vsphere template create-vms connect-nodes prepare-nodes bootstrap install-agents health",
		"status":     "connect-vcenter probe-nodes health acs-sync",
		"destroy":    "connect-vcenter destroy-vms",
	}
	for _, f := range []Flow{InstallFlow(), AddAgentsFlow(1, 1), StatusFlow(), DestroyFlow(nil, nil)} {
		var ids []string
		seen := map[PhaseID]bool{}
		for _, p := range f.Infos() {
			if seen[p.ID] {
				t.Errorf("%s: id %s twice", f.Name, p.ID)
			}
			seen[p.ID] = true
			if p.Title == "" || p.Help == "" {
				t.Errorf("%s: phase %s has no title or help", f.Name, p.ID)
			}
			ids = append(ids, string(p.ID))
		}
		if got := strings.Join(ids, " "); got != want[f.Name] {
			t.Errorf("flow %s ids:\n got %s\nwant %s", f.Name, got, want[f.Name])
		}
		if h := f.Help(); !strings.Contains(h, string(f.Phases[0].ID())) {
			t.Errorf("%s help lacks its phases:\n%s", f.Name, h)
		}
	}
}
