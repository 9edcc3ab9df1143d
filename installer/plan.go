package installer

import (
	"fmt"
	"strings"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// Roles as the installer names them: the config's role names.
const (
	RoleBootstrap   = string(config.RoleBootstrap)
	RoleMaster      = string(config.RoleMaster)
	RoleAgent       = string(config.RoleAgent)
	RolePublicAgent = string(config.RolePublicAgent)
)

// dcosRole maps a role to dcos_install.sh's role argument.
func dcosRole(role string) string { return config.Role(role).InstallRole() }

// PlanNode is one node of the plan and what will happen to it.
type PlanNode struct {
	VMSpec
	Exists    bool // a VM marked as this cluster's has this name
	Installed bool // DC/OS (or, on the bootstrap node, the serve dir) is there
}

// Actions lists what install will do to the node, in order.
func (n PlanNode) Actions() []string {
	var a []string
	if !n.Exists {
		a = append(a, "clone")
	}
	if !n.Installed {
		if n.Role == RoleBootstrap {
			a = append(a, "prepare", "generate", "serve")
		} else {
			a = append(a, "prepare", "install "+dcosRole(n.Role))
		}
	}
	return a
}

// Plan is what an install run will do: a pure function of the wanted
// nodes and what was observed in vCenter and on the nodes.
type Plan struct {
	Nodes []PlanNode
	// Extra are marked VMs of the cluster that the config does not list
	// (agents added with add-agents); they are kept and reported.
	Extra []VMInfo
}

// MakePlan compares wanted nodes with the observed VMs and installs.
func MakePlan(want []VMSpec, vms []VMInfo, installed map[string]bool) Plan {
	byName := map[string]VMInfo{}
	for _, v := range vms {
		byName[v.Name] = v
	}
	var p Plan
	listed := map[string]bool{}
	for _, w := range want {
		_, exists := byName[w.Name]
		listed[w.Name] = true
		p.Nodes = append(p.Nodes, PlanNode{VMSpec: w, Exists: exists, Installed: exists && installed[w.Name]})
	}
	for _, v := range vms {
		if !listed[v.Name] {
			p.Extra = append(p.Extra, v)
		}
	}
	return p
}

// ToCreate returns the specs of VMs that do not exist yet.
func (p Plan) ToCreate() []VMSpec {
	var out []VMSpec
	for _, n := range p.Nodes {
		if !n.Exists {
			out = append(out, n.VMSpec)
		}
	}
	return out
}

// NothingToDo reports whether every node exists and is installed.
func (p Plan) NothingToDo() bool {
	for _, n := range p.Nodes {
		if len(n.Actions()) > 0 {
			return false
		}
	}
	return true
}

// String renders the plan as the `plan` command prints it.
func (p Plan) String() string {
	var b strings.Builder
	create, install := 0, 0
	for _, n := range p.Nodes {
		acts := n.Actions()
		state := "up to date"
		if len(acts) > 0 {
			state = strings.Join(acts, ", ")
		}
		fmt.Fprintf(&b, "  %-14s %-13s %-15s %s\n", n.Name, n.Role, n.IP, state)
		if !n.Exists {
			create++
		}
		if !n.Installed {
			install++
		}
	}
	for _, v := range p.Extra {
		fmt.Fprintf(&b, "  %-14s %-13s %-15s kept (not in the config; added by add-agents)\n", v.Name, v.Role, v.IP)
	}
	if p.NothingToDo() {
		b.WriteString("Nothing to do: every node exists and runs DC/OS.\n")
	} else {
		fmt.Fprintf(&b, "%d VM(s) to create, %d node(s) to set up.\n", create, install)
	}
	return b.String()
}
