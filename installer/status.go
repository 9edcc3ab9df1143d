package installer

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// NodeStatus is one node as status and plan see it.
type NodeStatus struct {
	Name      string `json:"name"`
	Role      string `json:"role"`
	IP        string `json:"ip"`
	VM        string `json:"vm"`        // "on", "off", "missing"
	SSH       string `json:"ssh"`       // "ok" or the error
	DCOS      string `json:"dcos"`      // "installed", "not installed", "unknown"
	Health    string `json:"health"`    // "healthy", the failing check, or ""
	InConfig  bool   `json:"inConfig"`  // listed in the config (false: added by add-agents)
	Installed bool   `json:"installed"` // DC/OS present (or, on bootstrap, serve generated)
}

// probeTimeout bounds each node's probe in plan and status.
const probeTimeout = 20 * time.Second

// Observe looks at vCenter and, best effort, at every existing node over
// SSH: whether DC/OS is there and, with health, whether it is healthy.
// It changes nothing.
func Observe(ctx context.Context, r *Run, health bool) ([]NodeStatus, Plan, error) {
	r.Options = r.Options.WithDefaults()
	defer r.Close()
	if len(r.Want) == 0 {
		r.Want = WantedNodes(r.Cluster)
	}
	if err := (connectVCenter{}).Run(ctx, r); err != nil {
		return nil, Plan{}, err
	}
	r.mu.Lock()
	vms := make([]VMInfo, 0, len(r.vms))
	for _, v := range r.vms {
		vms = append(vms, v)
	}
	r.mu.Unlock()
	byName := map[string]VMInfo{}
	for _, v := range vms {
		byName[v.Name] = v
	}
	var nodes []VMSpec
	inConfig := map[string]bool{}
	for _, w := range r.Want {
		nodes = append(nodes, w)
		inConfig[w.Name] = true
	}
	for _, v := range vms {
		if !inConfig[v.Name] {
			nodes = append(nodes, VMSpec{Name: v.Name, IP: v.IP, Role: v.Role})
		}
	}
	statuses := make([]NodeStatus, len(nodes))
	masters := len(r.byRole(RoleMaster))
	_ = forEachNode(ctx, nodes, r.Options.Concurrency, func(ctx context.Context, n VMSpec) error {
		i := indexOf(nodes, n.Name)
		st := NodeStatus{Name: n.Name, Role: n.Role, IP: n.IP, VM: "missing", DCOS: "unknown", InConfig: inConfig[n.Name]}
		defer func() { statuses[i] = st }()
		vm, ok := byName[n.Name]
		if !ok {
			st.DCOS = "not installed"
			return nil
		}
		st.VM = "off"
		if vm.PoweredOn {
			st.VM = "on"
		}
		if vm.IP != "" {
			st.IP = vm.IP
		}
		pctx, cancel := context.WithTimeout(ctx, probeTimeout)
		defer cancel()
		c, err := r.Dialer.Dial(pctx, n.Name, st.IP, false)
		if err != nil {
			st.SSH = firstLine(err.Error())
			return nil
		}
		r.mu.Lock()
		if r.conns == nil {
			r.conns = map[string]Conn{}
		}
		r.conns[n.Name] = c
		r.mu.Unlock()
		st.SSH = "ok"
		out, err := c.Run(pctx, preflightScript, nil)
		if err != nil {
			return nil
		}
		facts := parseFacts(out)
		st.Installed = facts["dcos_installed"] == "yes" || (n.Role == RoleBootstrap && facts["bootstrap_generated"] == "yes")
		st.DCOS = "not installed"
		if st.Installed {
			st.DCOS = "installed"
			r.setInstalled(n.Name)
		}
		if health && st.Installed && n.Role != RoleBootstrap {
			if err := r.nodeHealth(pctx, n, masters); err != nil {
				st.Health = firstLine(err.Error())
			} else {
				st.Health = "healthy"
			}
		}
		return nil
	})
	installed := map[string]bool{}
	for _, s := range statuses {
		installed[s.Name] = s.Installed
	}
	return statuses, MakePlan(r.Want, vms, installed), nil
}

func indexOf(nodes []VMSpec, name string) int {
	for i, n := range nodes {
		if n.Name == name {
			return i
		}
	}
	return -1
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// FormatStatus renders statuses as a table.
func FormatStatus(sts []NodeStatus) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-16s %-13s %-15s %-8s %-6s %-14s %s\n", "NODE", "ROLE", "IP", "VM", "SSH", "DC/OS", "HEALTH")
	sorted := append([]NodeStatus(nil), sts...)
	sort.SliceStable(sorted, func(i, j int) bool { return roleOrder(sorted[i].Role) < roleOrder(sorted[j].Role) })
	for _, s := range sorted {
		ssh := s.SSH
		if ssh != "ok" && ssh != "" {
			ssh = "down"
		}
		name := s.Name
		if !s.InConfig {
			name += "*"
		}
		fmt.Fprintf(&b, "%-16s %-13s %-15s %-8s %-6s %-14s %s\n", name, s.Role, s.IP, s.VM, ssh, s.DCOS, s.Health)
	}
	for _, s := range sorted {
		if !s.InConfig {
			b.WriteString("* not in the config: added by add-agents (kept by install)\n")
			break
		}
	}
	for _, s := range sorted {
		if s.SSH != "ok" && s.SSH != "" {
			fmt.Fprintf(&b, "%s: ssh: %s\n", s.Name, s.SSH)
		}
	}
	return b.String()
}

func roleOrder(role string) int {
	switch role {
	case RoleBootstrap:
		return 0
	case RoleMaster:
		return 1
	case RoleAgent:
		return 2
	}
	return 3
}

// DestroyVMs powers off and destroys every VM marked as this cluster's
// (or only those named), after confirm agreed to the list. It returns
// what it destroyed. Unmarked VMs are never touched.
func DestroyVMs(ctx context.Context, r *Run, only []string, confirm func(names []string) error) ([]string, error) {
	defer r.Close()
	c, err := r.ConnectCloud(ctx)
	if err != nil {
		return nil, err
	}
	r.cloud = c
	vms, err := c.ClusterVMs(ctx)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, n := range only {
		want[n] = true
	}
	var names []string
	for _, v := range vms {
		if len(only) == 0 || want[v.Name] {
			names = append(names, v.Name)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, nil
	}
	if err := confirm(names); err != nil {
		return nil, err
	}
	if err := c.Destroy(ctx, names); err != nil {
		return nil, err
	}
	r.State.Update(func(st *State) {
		for _, n := range names {
			delete(st.Nodes, n)
		}
		if len(only) == 0 {
			st.BootstrapURL, st.ConfigSHA256 = "", ""
		}
	})
	return names, r.SaveState()
}
