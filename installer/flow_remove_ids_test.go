package installer

import (
	"strings"
	"testing"
)

// remove-agents' phase ids are part of the same contract as the other
// flows' (TestFlowsHaveUniqueStableIDs).
func TestRemoveAgentsFlowIDs(t *testing.T) {
	f := RemoveAgentsFlow([]string{"a"})
	var ids []string
	for _, p := range f.Infos() {
		if p.Title == "" || p.Help == "" {
			t.Errorf("phase %s has no title or help", p.ID)
		}
		ids = append(ids, string(p.ID))
	}
	if got, want := strings.Join(ids, " "), "connect-vcenter plan-removal probe-nodes drain-agents remove-vms health"; got != want {
		t.Errorf("ids:\n got %s\nwant %s", got, want)
	}
	// ids never take another meaning: none of these is in another flow
	for _, other := range []Flow{InstallFlow(), AddAgentsFlow(1, 1), StatusFlow(), DestroyFlow(nil, nil)} {
		for _, p := range other.Infos() {
			switch p.ID {
			case PhasePlanRemoval, PhaseDrainAgents, PhaseRemoveVMs:
				t.Errorf("flow %s has phase %s", other.Name, p.ID)
			}
		}
	}
}

// The agents a Mesos 1.2 master lists, by the address in their pid and
// their hostname.
func TestParseSlaves(t *testing.T) {
	got, err := parseSlaves([]byte(`{"slaves": [
	  {"id": "a-S0", "pid": "slave(1)@10.0.0.5:5051", "hostname": "10.0.0.5"},
	  {"id": "a-S1", "pid": "slave(1)@10.0.0.6:5051", "hostname": "agent-6.example"}],
	  "recovered_slaves": []}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, ip := range []string{"10.0.0.5", "10.0.0.6", "agent-6.example"} {
		if !got[ip] {
			t.Errorf("%s not listed: %v", ip, got)
		}
	}
	if got["10.0.0.7"] || len(got) != 3 {
		t.Errorf("listed %v", got)
	}
	if _, err := parseSlaves([]byte("<html>307</html>")); err == nil {
		t.Error("a redirect page parsed as agents")
	}
}
