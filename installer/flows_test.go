package installer

import (
	"strings"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

func TestNewAgentsContinuesNamesAndSkipsUsedAddresses(t *testing.T) {
	c := &config.Cluster{
		Network: config.Network{Gateway: "198.18.0.1", Prefix: 24},
		Nodes: config.Nodes{
			Agents:       config.NodeGroup{Count: 2, IPRange: "198.18.0.21-198.18.0.25", NamePrefix: "agent-"},
			PublicAgents: config.NodeGroup{Count: 1, IPRange: "198.18.0.31", NamePrefix: "public-agent-"},
		},
	}
	configured := []VMSpec{
		{Name: "agent-1", IP: "198.18.0.21", Role: RoleAgent},
		{Name: "agent-2", IP: "198.18.0.22", Role: RoleAgent},
		{Name: "public-agent-1", IP: "198.18.0.31", Role: RolePublicAgent},
	}
	// An earlier add-agents made agent-3 at .24 (not .23): both must stay taken.
	existing := []VMInfo{{Name: "agent-3", IP: "198.18.0.24", Role: RoleAgent}}
	got, err := NewAgents(c, configured, existing, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, n := range got {
		s = append(s, n.Name+"@"+n.IP+"/"+n.Role)
	}
	want := "agent-4@198.18.0.23/agent agent-5@198.18.0.25/agent public-agent-2@198.18.0.32/public-agent"
	if strings.Join(s, " ") != want {
		t.Fatalf("got %v\nwant %s", s, want)
	}
	if got[0].CPUs == 0 || got[0].MemoryMB == 0 {
		t.Fatalf("new agent has no size: %+v", got[0])
	}
	// Both are config problems: exit 2, naming the field.
	type exitCoder interface{ ExitCode() int }
	_, err = NewAgents(c, configured, existing, 3, 0)
	if ec, ok := err.(exitCoder); !ok || ec.ExitCode() != 2 || !strings.Contains(err.Error(), "nodes.agents.ipRange: ") || !strings.Contains(err.Error(), "2 free address(es), 3 needed") {
		t.Fatalf("exhausted range: err = %v", err)
	}
	c.Nodes.Agents.IPRange = ""
	_, err = NewAgents(c, configured, nil, 1, 0)
	if ec, ok := err.(exitCoder); !ok || ec.ExitCode() != 2 || !strings.Contains(err.Error(), "nodes.agents: no ipRange") {
		t.Fatalf("no range: err = %v", err)
	}
}

func TestCheckFacts(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	good := map[string]string{"os_id": "centos", "os_version": "7", "opt_free_kb": "52428800", "var_free_kb": "52428800", "now": "1800000003"}
	if err := checkFacts(good, RoleAgent, now); err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{"os_id": "debian", "os_version": "12", "opt_free_kb": "1024", "var_free_kb": "x", "now": "1799999000"}
	err := checkFacts(bad, RoleAgent, now)
	if err == nil {
		t.Fatal("bad facts accepted")
	}
	for _, want := range []string{`OS is "debian"`, "MB free under /opt", "cannot read var_free_kb", "clock is 16m40s off"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
