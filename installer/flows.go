package installer

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/internal/ipv4"
)

// WantedNodes turns the config's nodes into VM specs, in role order.
func WantedNodes(c *config.Cluster) []VMSpec {
	var out []VMSpec
	for _, n := range c.AllNodes() {
		out = append(out, VMSpec{Name: n.Name, IP: n.IP, Role: string(n.Role), CPUs: n.Size.CPUs, MemoryMB: n.Size.MemoryMB, DiskGB: n.Size.DiskGB})
	}
	return out
}

// installPhases is the whole install, in order.
func installPhases(files GenconfFiles) []Phase {
	return []Phase{
		connectVCenter{},
		preflightVSphere{},
		ensureTemplate{},
		createVMs{},
		connectNodes{},
		prepareNodes{},
		&bootstrapNode{files: files},
		installRole{title: "Install masters", roles: []string{RoleMaster}},
		installRole{title: "Install agents", roles: []string{RoleAgent, RolePublicAgent}},
		postflight{},
		summary{},
	}
}

// Install brings the cluster to the state the config describes. It is
// safe to re-run: existing VMs are adopted, installed nodes left alone.
func Install(ctx context.Context, r *Run, files GenconfFiles) error {
	r.Options = r.Options.WithDefaults()
	if len(r.Want) == 0 {
		r.Want = WantedNodes(r.Cluster)
	}
	ctx, cancel := context.WithTimeout(ctx, r.Options.Timeout)
	defer cancel()
	defer r.Close()
	return Execute(ctx, r, installPhases(files), r.Options.DryRun)
}

// ShouldRun skips the bootstrap work when every DC/OS node is installed:
// nobody needs genconf/serve then, and nothing must change.
func (*bootstrapNode) ShouldRun(r *Run) (bool, string) {
	var dcosNodes []VMSpec
	for _, n := range r.Want {
		if n.Role != RoleBootstrap {
			dcosNodes = append(dcosNodes, n)
		}
	}
	if len(r.notInstalled(dcosNodes)) == 0 {
		return false, "every node runs DC/OS; nothing to serve"
	}
	return true, ""
}

// AddAgents creates and installs count private and public more agents
// from the existing bootstrap node's genconf/serve. The served config and
// every existing node stay as they are.
func AddAgents(ctx context.Context, r *Run, files GenconfFiles, private, public int) error {
	r.Options = r.Options.WithDefaults()
	ctx, cancel := context.WithTimeout(ctx, r.Options.Timeout)
	defer cancel()
	defer r.Close()
	phases := addAgentsPhases(WantedNodes(r.Cluster), files, private, public)
	return Execute(ctx, r, phases, r.Options.DryRun)
}

func addAgentsPhases(configured []VMSpec, files GenconfFiles, private, public int) []Phase {
	return []Phase{
		connectVCenter{},
		&chooseNewAgents{configured: configured, private: private, public: public},
		preflightVSphere{},
		ensureTemplate{},
		createVMs{},
		connectNodes{},
		prepareNodes{},
		&ensureServing{files: files},
		installRole{title: "Install new agents", roles: []string{RoleAgent, RolePublicAgent}},
		&postflightNew{},
		summary{},
	}
}

// PhaseTitles lists the phases of a command ("install" or "add-agents"),
// for progress views that show what is still to come.
func PhaseTitles(command string) []string {
	var phases []Phase
	switch command {
	case "install":
		phases = installPhases(GenconfFiles{})
	case "add-agents":
		phases = addAgentsPhases(nil, GenconfFiles{}, 0, 0)
	}
	titles := make([]string, len(phases))
	for i, p := range phases {
		titles[i] = p.Title()
	}
	return titles
}

// chooseNewAgents names the new agents after the highest existing index
// of their group and gives them the next free addresses of its ipRange.
// The truth about what exists is vCenter, not the state file.
type chooseNewAgents struct {
	configured      []VMSpec
	private, public int
}

func (*chooseNewAgents) Title() string { return "Plan new agents" }

func (p *chooseNewAgents) Run(_ context.Context, r *Run) error {
	r.mu.Lock()
	existing := make([]VMInfo, 0, len(r.vms))
	for _, v := range r.vms {
		existing = append(existing, v)
	}
	r.mu.Unlock()
	newNodes, err := NewAgents(r.Cluster, p.configured, existing, p.private, p.public)
	if err != nil {
		return err
	}
	// Keep the bootstrap node (serves the files) and the masters (health),
	// then the new agents; existing agents are not touched at all.
	var want []VMSpec
	for _, n := range p.configured {
		if n.Role == RoleBootstrap || n.Role == RoleMaster {
			want = append(want, n)
		}
	}
	r.Want = append(want, newNodes...)
	r.plan = MakePlan(r.Want, existing, nil)
	for _, n := range newNodes {
		r.emit(Event{Kind: Info, Node: n.Name, Message: fmt.Sprintf("new %s at %s", n.Role, n.IP)})
	}
	return nil
}

// NewAgents picks names and addresses for private and public more agents.
func NewAgents(c *config.Cluster, configured []VMSpec, existing []VMInfo, private, public int) ([]VMSpec, error) {
	used := map[string]bool{c.Network.Gateway: true}
	names := map[string]bool{}
	for _, n := range configured {
		used[n.IP] = true
		names[n.Name] = true
	}
	for _, v := range existing {
		used[v.IP] = true
		names[v.Name] = true
	}
	var out []VMSpec
	for _, g := range []struct {
		role  string
		count int
		group config.NodeGroup
		path  string
	}{
		{RoleAgent, private, c.Nodes.Agents, "nodes.agents"},
		{RolePublicAgent, public, c.Nodes.PublicAgents, "nodes.publicAgents"},
	} {
		if g.count == 0 {
			continue
		}
		if g.group.IPRange == "" {
			return nil, c.Locate([]config.FieldError{{Path: g.path,
				Message: fmt.Sprintf("no ipRange: add-agents takes the new agents' addresses from %s.ipRange (or list the new hosts under %s.hosts and run install)", g.path, g.path)}})
		}
		ips, err := freeAddrs(g.group.IPRange, c, used, g.count)
		if err != nil {
			// A config problem (exit 2): the range is too small for the request.
			return nil, c.Locate([]config.FieldError{{Path: g.path + ".ipRange", Message: err.Error()}})
		}
		size := config.DefaultSize(config.Role(g.role))
		if g.group.CPUs > 0 {
			size.CPUs = g.group.CPUs
		}
		if g.group.MemoryMB > 0 {
			size.MemoryMB = g.group.MemoryMB
		}
		if g.group.DiskGB > 0 {
			size.DiskGB = g.group.DiskGB
		}
		next := highestIndex(g.group.NamePrefix, names) + 1
		for _, ip := range ips {
			name := g.group.NamePrefix + strconv.Itoa(next)
			for names[name] {
				next++
				name = g.group.NamePrefix + strconv.Itoa(next)
			}
			names[name] = true
			next++
			out = append(out, VMSpec{Name: name, IP: ip, Role: g.role, CPUs: size.CPUs, MemoryMB: size.MemoryMB, DiskGB: size.DiskGB})
		}
	}
	return out, nil
}

// highestIndex finds the largest N among names prefixN.
func highestIndex(prefix string, names map[string]bool) int {
	max := 0
	for n := range names {
		if rest, ok := strings.CutPrefix(n, prefix); ok {
			if i, err := strconv.Atoi(rest); err == nil && i > max {
				max = i
			}
		}
	}
	return max
}

// freeAddrs returns count unused addresses of spec ("a-b", or a first
// address "a" meaning up to the end of the network).
func freeAddrs(spec string, c *config.Cluster, used map[string]bool, count int) ([]string, error) {
	first, last, hasLast := strings.Cut(spec, "-")
	start, err := netip.ParseAddr(strings.TrimSpace(first))
	if err != nil {
		return nil, fmt.Errorf("%q: %w", spec, err)
	}
	var end netip.Addr
	if hasLast {
		if end, err = netip.ParseAddr(strings.TrimSpace(last)); err != nil {
			return nil, fmt.Errorf("%q: %w", spec, err)
		}
	} else if subnet, ok := c.Subnet(); ok {
		end = ipv4.LastHost(subnet)
	} else {
		return nil, fmt.Errorf("%q has no end and the network has no prefix", spec)
	}
	var out []string
	for a := start; a.IsValid() && a.Compare(end) <= 0 && len(out) < count; a = a.Next() {
		if !used[a.String()] {
			out = append(out, a.String())
		}
	}
	if len(out) < count {
		return nil, fmt.Errorf("%s has %d free address(es), %d needed; widen the range", spec, len(out), count)
	}
	return out, nil
}

// ensureServing checks that the bootstrap node still serves the
// genconf/serve generated from this very config, and restarts nginx when
// it does not answer. It never regenerates.
type ensureServing struct{ files GenconfFiles }

func (*ensureServing) Title() string { return "Check bootstrap serve" }

func (e *ensureServing) Run(ctx context.Context, r *Run) error {
	boot := r.byRole(RoleBootstrap)[0]
	c := r.conn(boot.Name)
	want := e.files.sha()
	out, err := c.Run(ctx, fmt.Sprintf("cat %s/%s 2>/dev/null || true", bootstrapDir, configMarker), nil)
	if err != nil {
		return err
	}
	have := strings.TrimSpace(out)
	if have == "" {
		return fmt.Errorf("%s has no generated genconf/serve; run install first", boot.Name)
	}
	if have != want {
		return fmt.Errorf("the DC/OS part of the config changed since the cluster was installed (served %s, config now %s); "+
			"DC/OS 1.9 cannot change a running cluster's config: restore the dcos/network/nodes.masters settings the cluster was installed with", short(have), short(want))
	}
	if _, err := c.Run(ctx, serveScript(r.servePort()), r.logLine(boot.Name)); err != nil {
		return fmt.Errorf("serve genconf/serve: %w", err)
	}
	r.emit(Event{Kind: NodeDone, Node: boot.Name, Message: "serving " + r.bootstrapURL() + " (config " + short(want) + ")"})
	return nil
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// postflightNew checks the masters and the new agents only.
type postflightNew struct{}

func (*postflightNew) Title() string { return "Check new agents' health" }

func (*postflightNew) Run(ctx context.Context, r *Run) error {
	only := map[string]bool{}
	for _, n := range r.Want {
		only[n.Name] = true
	}
	return postflight{only: only}.Run(ctx, r)
}
