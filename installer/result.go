package installer

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

// Result is the typed outcome of one run, whatever the command: the CLI
// renders it as text or JSON, and it is the last event of a run.
type Result struct {
	Command   string `json:"command"`
	Status    string `json:"status"` // ok, failed, stopped, planned (dry run)
	Cluster   string `json:"cluster"`
	ClusterID string `json:"clusterId,omitempty"`
	// DCOSURL is the DC/OS UI and API (a master); BootstrapURL serves
	// genconf/serve.
	DCOSURL      string       `json:"dcosUrl,omitempty"`
	BootstrapURL string       `json:"bootstrapUrl,omitempty"`
	Changed      int          `json:"changed"` // VMs cloned + nodes installed
	Nodes        []NodeResult `json:"nodes"`
	// Actions are what the run did, or in a dry run (plan) would do.
	Actions   []Action `json:"actions,omitempty"`
	LogPath   string   `json:"logPath,omitempty"`
	StatePath string   `json:"statePath,omitempty"`
	Error     string   `json:"error,omitempty"`
	// ACS is the ACS cluster beside this one (acs-sync); CLI the DC/OS CLI
	// registration (register-clusters). nil when the flow did not get to
	// them or skipped them. Their failures are in Beside, not Error.
	ACS *ACSResult `json:"acs,omitempty"`
	CLI *CLIResult `json:"dcosCli,omitempty"`
}

// VMState is a node's VM as vCenter shows it.
type VMState string

// VM states.
const (
	VMOn      VMState = "on"
	VMOff     VMState = "off"
	VMMissing VMState = "missing"
)

// NodeResult is one node of the cluster in a Result.
type NodeResult struct {
	Name string  `json:"name"`
	Role string  `json:"role"`
	IP   string  `json:"ip"`
	VM   VMState `json:"vm"`
	Host string  `json:"host,omitempty"` // ESXi host
	// SSH is "ok", "" when not tried, or why it failed.
	SSH  string    `json:"ssh,omitempty"`
	DCOS DCOSState `json:"dcos"`
	// Health is "healthy", what failed, or "" when not checked.
	Health string `json:"health,omitempty"`
	// InConfig is false for VMs of the cluster the config file does not
	// describe (add-agents writes the agents it adds into the file).
	InConfig bool `json:"inConfig"`
	// Identity says why the machine at the node's address is refused
	// (not the VM it should be, another cluster's node); "" when proven.
	Identity string `json:"identity,omitempty"`
	// Registry is, on agents of a cluster with a registry section, "ok"
	// when the registry files match cluster.yaml's credentials, else how
	// they differ; "" when not checked.
	Registry string `json:"registry,omitempty"`
}

// Healthy reports whether every node of the result is up: VM on, SSH ok,
// DC/OS installed and healthy (the bootstrap node: serve generated).
func (res *Result) Healthy() bool {
	if len(res.Nodes) == 0 {
		return false
	}
	for _, n := range res.Nodes {
		if n.VM != VMOn || n.SSH != "ok" || n.Identity != "" || n.DCOS != DCOSInstalled {
			return false
		}
		if n.Role != RoleBootstrap && n.Health != "healthy" {
			return false
		}
		if n.Registry != "" && n.Registry != "ok" {
			return false
		}
	}
	return true
}

// result assembles the run's Result.
func (r *Run) result(command string, err error) *Result {
	res := &Result{Command: command, Status: "ok", Cluster: r.Cluster.Name, ClusterID: r.clusterID, LogPath: r.LogPath, Actions: r.Actions()}
	switch {
	case errors.Is(err, ErrStopped):
		res.Status = "stopped"
	case err != nil:
		res.Status = "failed"
	case r.Options.DryRun:
		res.Status = "planned"
	}
	if err != nil {
		res.Error = err.Error()
	}
	if r.State != nil && r.State.Path != "" {
		res.StatePath = r.State.Path
	}
	if command == "install" || command == "add-agents" || command == "status" {
		res.BootstrapURL = r.bootstrapURL()
		if m := r.byRole(RoleMaster); len(m) > 0 {
			res.DCOSURL = "http://" + m[0].IP + "/"
		}
	}
	r.mu.Lock()
	res.Changed = r.changes
	res.ACS, res.CLI = r.acsResult, r.cliResult
	inConfig := map[string]bool{}
	for _, n := range WantedNodes(r.Cluster) {
		inConfig[n.Name] = true
	}
	var names []string
	listed := map[string]bool{}
	for _, w := range r.want {
		names, listed[w.Name] = append(names, w.Name), true
	}
	if command == "status" {
		for _, v := range r.extra {
			if !listed[v.Name] {
				names, listed[v.Name] = append(names, v.Name), true
			}
		}
	}
	for _, name := range names {
		n := r.nodes[name]
		if n == nil {
			continue
		}
		nr := NodeResult{Name: name, Role: n.spec.Role, IP: n.spec.IP, VM: VMMissing, DCOS: DCOSUnknown, Health: n.health, InConfig: inConfig[name]}
		if n.vm != nil {
			nr.VM, nr.Host = VMOff, n.vm.Host
			if n.vm.PoweredOn {
				nr.VM = VMOn
			}
			if n.vm.IP != "" {
				nr.IP = n.vm.IP
			}
			if nr.Role == "" {
				nr.Role = n.vm.Role
			}
		} else {
			nr.DCOS = DCOSNotInstalled
		}
		var ie *IdentityError
		switch {
		case errors.As(n.probeErr, &ie):
			nr.SSH, nr.Identity = "ok", ie.Error()
		case n.probeErr != nil:
			nr.SSH = firstLine(n.probeErr.Error())
		case n.facts != nil:
			nr.SSH = "ok"
		}
		if f := n.facts; f != nil && f.Registry != nil && r.hasRegistry() && isAgent(nr.Role) {
			nr.Registry = "ok"
			if want, err := r.registryFiles(); err == nil {
				if ps := f.Registry.Compare(want); len(ps) > 0 {
					nr.Registry = problemsText(ps)
				}
			}
			if f.Registry.Legacy() {
				nr.Registry = "DC/OS-owned credentials (" + registry.LegacyCredentialsPath + "): installed the old way"
			}
		}
		if f := n.facts; f != nil {
			nr.DCOS = f.DCOS
			if nr.Role == RoleBootstrap {
				nr.DCOS = DCOSNotInstalled
				if f.ServeGenerated {
					nr.DCOS = DCOSInstalled
				}
			}
		}
		res.Nodes = append(res.Nodes, nr)
	}
	r.mu.Unlock()
	sort.SliceStable(res.Nodes, func(i, j int) bool { return roleOrder(res.Nodes[i].Role) < roleOrder(res.Nodes[j].Role) })
	return res
}

// WriteSummary renders an install or add-agents result for people.
func (res *Result) WriteSummary(w io.Writer) error {
	var b strings.Builder
	switch {
	case res.Status == "planned":
		return res.WritePlan(w)
	case res.Status == "stopped":
		fmt.Fprintf(&b, "Stopped: cluster %q is not finished; run the same command again to resume.\n", res.Cluster)
	case res.Status == "failed":
		fmt.Fprintf(&b, "FAILED: cluster %q is not finished; fix the cause and run the same command again to resume.\n", res.Cluster)
	case res.Command == "remove-agents":
		res.writeRemovedHead(&b)
	case res.Changed == 0 && (res.ACS == nil || res.ACS.Uploaded == 0):
		fmt.Fprintf(&b, "Nothing to do: DC/OS 1.9 cluster %q already matches the config; nothing was changed.\n", res.Cluster)
	default:
		fmt.Fprintf(&b, "DC/OS 1.9 cluster %q is up.\n", res.Cluster)
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	if res.DCOSURL != "" && res.Status == "ok" {
		fmt.Fprintf(tw, "  UI:\t%s\n", res.DCOSURL)
		fmt.Fprintf(tw, "  DC/OS CLI:\tdcos cluster setup %s\n", res.DCOSURL)
	}
	if res.BootstrapURL != "" {
		fmt.Fprintf(tw, "  bootstrap:\t%s (genconf/serve; keep it for add-agents)\n", res.BootstrapURL)
	}
	for _, n := range res.Nodes {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", n.Name, n.Role, n.IP, n.Health)
	}
	if res.StatePath != "" {
		fmt.Fprintf(tw, "  state:\t%s\n", res.StatePath)
	}
	if res.LogPath != "" {
		fmt.Fprintf(tw, "  log:\t%s\n", res.LogPath)
	}
	tw.Flush()
	res.writeBeside(&b)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeBeside renders the ACS side and the DC/OS CLI registration.
func (res *Result) writeBeside(b *strings.Builder) {
	if a := res.ACS; a != nil {
		switch {
		case a.Error != "":
			fmt.Fprintf(b, "ACS: NOT DONE: %s\n", a.Error)
		default:
			m := a.Master
			fmt.Fprintf(b, "ACS cluster %s (%s), DC/OS %s, master %s:\n", m.ClusterName, m.ClusterID, m.Version, m.Target)
			tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
			for _, ag := range a.Agents {
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", ag.Name, ag.Role, ag.IP, ag.State, ag.Error)
			}
			tw.Flush()
			verb := "have"
			if !a.Survey {
				verb = "got"
			}
			current := len(a.Agents) - a.Failed
			fmt.Fprintf(b, "  %s (sha256 %s): %d of %d ACS agents %s it", a.ArchivePath, shortID(a.ArchiveSHA256), current, len(a.Agents), verb)
			if !a.Survey {
				fmt.Fprintf(b, " (%d uploaded)", a.Uploaded)
			}
			b.WriteString("\n")
			if a.Failed > 0 && a.Survey {
				b.WriteString("  fix: dcos-vsphere acs sync --config <cluster.yaml>\n")
			}
		}
	}
	if c := res.CLI; c != nil {
		if c.Error != "" {
			fmt.Fprintf(b, "DC/OS CLI: NOT REGISTERED: %s\n", c.Error)
		} else if len(c.Clusters) > 0 {
			fmt.Fprintf(b, "DC/OS CLI (%s):\n", c.Dir)
			for _, e := range c.Clusters {
				att := ""
				if e.Attached {
					att = ", attached"
				}
				fmt.Fprintf(b, "  %s (%s): %s%s, dcos_url %s\n", e.Name, e.ID, e.Action, att, e.URL)
				fmt.Fprintf(b, "    dcos cluster attach %s;  CLI 0.4.x: DCOS_CONFIG=%s dcos ...\n", e.Name, e.Legacy04Path)
			}
		}
		for _, n := range c.Notes {
			fmt.Fprintf(b, "  note: %s\n", n)
		}
	}
}

// WritePlan renders a dry run's result: per node, what install would do.
func (res *Result) WritePlan(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Plan for cluster %s", res.Cluster)
	if res.ClusterID != "" {
		fmt.Fprintf(&b, " (id %s)", res.ClusterID)
	}
	b.WriteString(":\n")
	byNode := map[string][]string{}
	var general []string
	for _, a := range res.Actions {
		if a.Node == "" {
			general = append(general, a.What)
			continue
		}
		byNode[a.Node] = append(byNode[a.Node], a.What)
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, n := range res.Nodes {
		what := "up to date"
		if acts := byNode[n.Name]; len(acts) > 0 {
			what = strings.Join(acts, "; ")
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", n.Name, n.Role, n.IP, what)
	}
	tw.Flush()
	for _, g := range general {
		fmt.Fprintf(&b, "  %s\n", g)
	}
	res.writeBeside(&b)
	switch {
	case res.Error != "":
		cmd := res.Command
		if cmd == "" {
			cmd = "install"
		}
		fmt.Fprintf(&b, "%s would fail:\n  %s\n", cmd, strings.ReplaceAll(res.Error, "\n", "\n  "))
	case len(byNode) == 0 && len(general) == 0:
		b.WriteString("Nothing to do: every node exists, runs DC/OS and is healthy by the last install.\n")
	default:
		nodes := 0
		for _, n := range res.Nodes {
			if len(byNode[n.Name]) > 0 {
				nodes++
			}
		}
		fmt.Fprintf(&b, "%d node(s) to change.\n", nodes)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteStatus renders a status result as a table.
func (res *Result) WriteStatus(w io.Writer) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tROLE\tIP\tVM\tHOST\tSSH\tDC/OS\tHEALTH")
	extra := false
	for _, n := range res.Nodes {
		ssh := n.SSH
		if ssh != "ok" && ssh != "" {
			ssh = "down"
		}
		name := n.Name
		if !n.InConfig {
			name += "*"
			extra = true
		}
		dcos := string(n.DCOS)
		switch {
		case n.Identity != "":
			dcos = "REFUSED: not its VM"
		case n.Role == RoleBootstrap && n.DCOS == DCOSInstalled:
			dcos = "serving"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, n.Role, n.IP, n.VM, n.Host, ssh, dcos, n.Health)
	}
	tw.Flush()
	if extra {
		b.WriteString("* a VM of this cluster that the config file does not describe (install keeps it; add it to the file)\n")
	}
	for _, n := range res.Nodes {
		switch {
		case n.Identity != "":
			fmt.Fprintf(&b, "%s: %s\n", n.Name, n.Identity)
		case n.SSH != "ok" && n.SSH != "":
			fmt.Fprintf(&b, "%s: ssh: %s\n", n.Name, n.SSH)
		case n.Registry != "" && n.Registry != "ok":
			fmt.Fprintf(&b, "%s: registry: %s (fix: dcos-vsphere registry rotate)\n", n.Name, n.Registry)
		}
	}
	if res.Healthy() {
		fmt.Fprintf(&b, "Cluster %s is healthy.\n", res.Cluster)
	} else {
		fmt.Fprintf(&b, "Cluster %s is NOT healthy.\n", res.Cluster)
	}
	res.writeBeside(&b)
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteDestroyed renders a destroy result.
func (res *Result) WriteDestroyed(w io.Writer) error {
	var gone []string
	for _, a := range res.Actions {
		if a.Phase == PhaseDestroyVMs && a.Node != "" {
			gone = append(gone, a.Node)
		}
	}
	var err error
	if len(gone) == 0 {
		_, err = fmt.Fprintf(w, "No VM of cluster %s exists.\n", res.Cluster)
	} else {
		_, err = fmt.Fprintf(w, "Deleted %d VM(s): %s\n", len(gone), strings.Join(gone, ", "))
	}
	return err
}
