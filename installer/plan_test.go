package installer

import (
	"strings"
	"testing"
)

func TestMakePlan(t *testing.T) {
	want := []VMSpec{
		{Name: "bootstrap", Role: RoleBootstrap, IP: "198.18.0.10"},
		{Name: "master-1", Role: RoleMaster, IP: "198.18.0.11"},
		{Name: "agent-1", Role: RoleAgent, IP: "198.18.0.21"},
	}
	vms := []VMInfo{{Name: "bootstrap"}, {Name: "master-1"}, {Name: "agent-9", Role: RoleAgent, IP: "198.18.0.29"}}
	p := MakePlan(want, vms, map[string]bool{"bootstrap": true, "agent-1": true})
	if got := len(p.ToCreate()); got != 1 || p.ToCreate()[0].Name != "agent-1" {
		t.Fatalf("ToCreate = %+v", p.ToCreate())
	}
	// agent-1 has no VM, so it cannot count as installed whatever the probe said.
	acts := map[string]string{}
	for _, n := range p.Nodes {
		acts[n.Name] = strings.Join(n.Actions(), ",")
	}
	if acts["bootstrap"] != "" || acts["master-1"] != "prepare,install master" || acts["agent-1"] != "clone,prepare,install slave" {
		t.Fatalf("actions = %v", acts)
	}
	if len(p.Extra) != 1 || p.Extra[0].Name != "agent-9" {
		t.Fatalf("extra = %+v", p.Extra)
	}
	if p.NothingToDo() {
		t.Fatal("NothingToDo on a plan with work")
	}
	if !strings.Contains(p.String(), "1 VM(s) to create, 2 node(s) to set up.") {
		t.Fatalf("String:\n%s", p.String())
	}
}

func TestPlanNothingToDo(t *testing.T) {
	want := []VMSpec{{Name: "m", Role: RoleMaster}}
	p := MakePlan(want, []VMInfo{{Name: "m"}}, map[string]bool{"m": true})
	if !p.NothingToDo() || !strings.Contains(p.String(), "Nothing to do") {
		t.Fatalf("plan = %s", p)
	}
}
