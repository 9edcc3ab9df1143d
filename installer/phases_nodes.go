package installer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// probeNodes connects to every node of the cluster whose VM runs and
// probes it (OS, disk, clock, identity, DC/OS state): the truth, whatever
// the state file says. It changes nothing on the nodes. With report, a
// node that cannot be reached or proven is recorded, not an error
// (status); otherwise any such node stops the run before anything changes.
type probeNodes struct {
	report bool
}

func (probeNodes) ID() PhaseID   { return PhaseProbeNodes }
func (probeNodes) Title() string { return "Probe nodes" }
func (probeNodes) Describe() string {
	return "SSH to the existing VMs (known_hosts TOFU), prove each is the VM we mean, read its DC/OS state"
}
func (probeNodes) ReadOnly() {}

// probeTimeout bounds a report-mode probe of one node (status).
const probeTimeout = 20 * time.Second

func (p probeNodes) ShouldRun(r *Run) (bool, string) {
	if len(r.probeTargets()) == 0 {
		return false, "no VM of the cluster runs"
	}
	return true, ""
}

// probeTargets are the wanted nodes and extra VMs of the cluster whose VM
// is powered on and that have no connection yet.
func (r *Run) probeTargets() []VMSpec {
	var out []VMSpec
	seen := map[string]bool{}
	add := func(s VMSpec) {
		if seen[s.Name] {
			return
		}
		seen[s.Name] = true
		if vm := r.vm(s.Name); vm != nil && vm.PoweredOn && r.conn(s.Name) == nil {
			out = append(out, s)
		}
	}
	for _, w := range r.wanted() {
		add(w)
	}
	r.mu.Lock()
	extra := append([]VMInfo(nil), r.extra...)
	r.mu.Unlock()
	for _, v := range extra {
		add(VMSpec{Name: v.Name, IP: v.IP, Role: v.Role})
	}
	return out
}

func (p probeNodes) Run(ctx context.Context, r *Run) error {
	err := forEachNode(ctx, r.probeTargets(), r.Options.Concurrency, func(ctx context.Context, n VMSpec) error {
		if p.report {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, probeTimeout)
			defer cancel()
		}
		err := r.connectAndProbe(ctx, n)
		if err != nil && p.report {
			r.withNode(n.Name, func(st *node) { st.probeErr = err })
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	r.adoptStranded()
	return nil
}

// adoptStranded adds the cluster's extra agents (beyond the config: made
// by add-agents) whose DC/OS install never finished to the nodes the run
// must end with: the next install or add-agents finishes them instead of
// making new ones.
func (r *Run) adoptStranded() {
	r.mu.Lock()
	defer r.mu.Unlock()
	wanted := map[string]bool{}
	for _, w := range r.want {
		wanted[w.Name] = true
	}
	for _, v := range r.extra {
		n := r.nodes[v.Name]
		if wanted[v.Name] || n == nil || (v.Role != RoleAgent && v.Role != RolePublicAgent) {
			continue
		}
		if n.facts != nil && n.facts.DCOS != DCOSInstalled {
			spec := n.spec
			spec.Role = v.Role
			if spec.IP == "" {
				spec.IP = v.IP
			}
			size := agentSize(r, v.Role)
			spec.CPUs, spec.MemoryMB, spec.DiskGB = size.CPUs, size.MemoryMB, size.DiskGB
			n.spec = spec
			r.want = append(r.want, spec)
		}
	}
}

// connectAndProbe dials node n, probes it and proves its identity; the
// connection and facts are kept for later phases.
func (r *Run) connectAndProbe(ctx context.Context, n VMSpec) error {
	vm := r.vm(n.Name)
	ip := r.addrOf(n)
	r.step(n.Name, "ssh "+ip)
	c, err := r.Dialer.Dial(ctx, n.Name, ip, r.hostKeyReplaceable(vm))
	if err != nil {
		return err
	}
	r.setConn(n.Name, c)
	r.step(n.Name, "probe")
	out, err := c.Run(ctx, probeScript(r.servePort()), r.logLine(n.Name))
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	f, err := parseFacts(out)
	if err != nil {
		return err
	}
	if err := r.checkIdentity(n, ip, vm, f); err != nil {
		return err
	}
	r.setFacts(n.Name, f)
	r.State.Update(func(st *State) {
		ns := st.Node(n.Name)
		ns.HostKey = c.HostKey()
		if vm != nil {
			ns.InstanceUUID = vm.InstanceUUID
		}
	})
	msg := fmt.Sprintf("%s %s, DC/OS %s", f.OSID, f.OSVersion, f.DCOS)
	if n.Role == RoleBootstrap {
		msg = fmt.Sprintf("%s %s, genconf/serve %s", f.OSID, f.OSVersion, map[bool]string{true: "generated", false: "not generated"}[f.ServeGenerated])
	}
	r.emit(Event{Kind: NodeDone, Node: n.Name, Message: msg})
	return nil
}

// hostKeyReplaceable says whether a known_hosts entry for the VM's address
// may be replaced: the VM was cloned by this run, or it is a VM of this
// cluster that no run has connected to yet (an interrupted run cloned it:
// no host key of it is recorded), so the recorded key was some earlier
// machine's at that address.
func (r *Run) hostKeyReplaceable(vm *VMInfo) bool {
	if vm == nil {
		return false
	}
	if vm.Created {
		return true
	}
	replaceable := false
	r.State.View(func(st *State) {
		ns := st.Nodes[vm.Name]
		replaceable = vm.InstanceUUID != "" && (ns == nil || ns.HostKey == "" || ns.InstanceUUID != vm.InstanceUUID)
	})
	return replaceable
}

// checkIdentity proves that the host at ip is the VM this cluster means:
// its product_uuid is the VM's BIOS UUID, its mark (if any) is this
// cluster's, and an installed DC/OS on it has this cluster's masters.
func (r *Run) checkIdentity(n VMSpec, ip string, vm *VMInfo, f *NodeFacts) error {
	if vm != nil && vm.BIOSUUID != "" {
		if f.ProductUUID == "" {
			return &IdentityError{Node: n.Name, IP: ip, Want: fmt.Sprintf("VM %s (%s) with BIOS UUID %s", vm.Name, vm.Ref, vm.BIOSUUID),
				Have: "no readable /sys/class/dmi/id/product_uuid", Hint: "the host cannot prove it is that VM; check that it is a vSphere VM and that sudo works"}
		}
		if !sameBIOSUUID(vm.BIOSUUID, f.ProductUUID) {
			return &IdentityError{Node: n.Name, IP: ip, Want: fmt.Sprintf("VM %s (%s) with BIOS UUID %s", vm.Name, vm.Ref, vm.BIOSUUID),
				Have: "product_uuid " + f.ProductUUID, Hint: "another machine answers at this address; find it and give one of the two another address"}
		}
	}
	if m := f.Mark; m != nil && (m.ClusterID != r.clusterID || m.Cluster != r.Cluster.Name) {
		return &IdentityError{Node: n.Name, IP: ip, Want: fmt.Sprintf("cluster %s (id %s)", r.Cluster.Name, r.clusterID),
			Have: fmt.Sprintf("the mark of cluster %s (id %s) in %s", m.Cluster, m.ClusterID, markPath), Hint: "it belongs to another cluster; give this node another address"}
	}
	if n.Role != RoleBootstrap && len(f.MasterList) > 0 {
		if want := r.masterIPs(); !sameSet(f.MasterList, want) {
			return &IdentityError{Node: n.Name, IP: ip, Want: fmt.Sprintf("DC/OS with master_list %v", want),
				Have: fmt.Sprintf("DC/OS with master_list %v", f.MasterList), Hint: "it runs another cluster's DC/OS; give this node another address (it is never installed over)"}
		}
	}
	return nil
}

func (r *Run) masterIPs() []string {
	var out []string
	for _, m := range WantedNodes(r.Cluster) {
		if m.Role == RoleMaster {
			out = append(out, m.IP)
		}
	}
	return out
}

// sameBIOSUUID compares vCenter's config.uuid with the guest's
// product_uuid. Kernels reading SMBIOS older than 2.6 show the first three
// fields byte-swapped (they are little-endian in the table), so that form
// matches too.
func sameBIOSUUID(vc, guest string) bool {
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "-", "")) }
	a, b := norm(vc), norm(guest)
	if a == b {
		return true
	}
	if len(a) != 32 || len(b) != 32 {
		return false
	}
	swap := func(h string) string {
		var out strings.Builder
		for i := len(h) - 2; i >= 0; i -= 2 {
			out.WriteString(h[i : i+2])
		}
		return out.String()
	}
	return swap(a[0:8])+swap(a[8:12])+swap(a[12:16])+a[16:] == b
}

// connectNodes opens one SSH connection to every node that has none yet
// (new VMs, VMs just powered on), retrying while VMs boot, probes and
// proves each, checks the DC/OS 1.9 system requirements on the nodes to
// install, and removes the temp files of interrupted uploads.
type connectNodes struct{}

func (connectNodes) ID() PhaseID   { return PhaseConnectNodes }
func (connectNodes) Title() string { return "Connect to nodes" }
func (connectNodes) Describe() string {
	return "SSH to the new VMs, prove each is its VM, OS/disk/clock preflight, remove stale upload files"
}

func (connectNodes) Plan(r *Run) []Action {
	var out []Action
	for _, n := range r.wanted() {
		if r.conn(n.Name) == nil {
			out = append(out, Action{Phase: PhaseConnectNodes, Node: n.Name, What: "ssh, probe and preflight (OS, disk, clock)"})
		}
	}
	return out
}

func (connectNodes) Run(ctx context.Context, r *Run) error {
	return forEachNode(ctx, r.wanted(), r.Options.Concurrency, func(ctx context.Context, n VMSpec) error {
		if r.conn(n.Name) == nil {
			if err := r.connectAndProbe(ctx, n); err != nil {
				return err
			}
			r.did(n.Name, "connect")
		}
		f := r.facts(n.Name)
		if !f.installed(n.Role) {
			if err := f.checkRequirements(n.Role, time.Now()); err != nil {
				return fmt.Errorf("preflight: %w", err)
			}
		}
		if f.StaleUploads > 0 {
			if _, err := r.conn(n.Name).Run(ctx, tidyScript(), r.logLine(n.Name)); err != nil {
				return fmt.Errorf("remove stale upload files: %w", err)
			}
			r.emit(Event{Kind: Info, Node: n.Name, Message: fmt.Sprintf("removed %d temp file(s) of interrupted uploads", f.StaleUploads)})
		}
		return nil
	})
}

func (r *Run) logLine(node string) func(string) {
	return func(line string) { r.emit(Event{Kind: LogLine, Node: node, Message: line}) }
}

// prepareNodes installs the CentOS 7 prerequisites where DC/OS is not
// installed yet, and marks each such node as this cluster's.
type prepareNodes struct{}

func (prepareNodes) ID() PhaseID   { return PhasePrepareNodes }
func (prepareNodes) Title() string { return "Prepare nodes" }
func (prepareNodes) Describe() string {
	return "CentOS 7 prerequisites: docker (overlay), SELinux permissive, firewalld off, nogroup, tar xz unzip curl ipset"
}

func (prepareNodes) ShouldRun(r *Run) (bool, string) {
	if len(r.notInstalled(r.wanted())) == 0 {
		return false, "every node runs DC/OS"
	}
	return true, ""
}

func (prepareNodes) Plan(r *Run) []Action {
	var out []Action
	for _, n := range r.knownNotInstalled(r.wanted()) {
		out = append(out, Action{Phase: PhasePrepareNodes, Node: n.Name, What: "install the prerequisites"})
	}
	return out
}

func (prepareNodes) Run(ctx context.Context, r *Run) error {
	script := prepareScript(r.Cluster.DCOS.DockerYumRepo)
	return forEachNode(ctx, r.notInstalled(r.wanted()), r.Options.Concurrency, func(ctx context.Context, n VMSpec) error {
		r.step(n.Name, "prerequisites")
		out, err := r.runRetrying(ctx, n, script)
		if err != nil {
			return fmt.Errorf("prerequisites: %w", err)
		}
		var changes []string
		for _, l := range strings.Split(out, "\n") {
			if c, ok := strings.CutPrefix(l, "changed: "); ok {
				changes = append(changes, c)
			}
		}
		if err := r.writeMark(ctx, n); err != nil {
			return err
		}
		msg := "already prepared"
		if len(changes) > 0 {
			msg = strings.Join(changes, ", ")
		}
		r.did(n.Name, "prepare")
		r.State.MarkStep(n.Name, "prepared")
		r.emit(Event{Kind: NodeDone, Node: n.Name, Message: msg})
		return nil
	})
}

// writeMark records on the node which cluster and config it belongs to.
func (r *Run) writeMark(ctx context.Context, n VMSpec) error {
	mark, err := json.Marshal(NodeMark{Cluster: r.Cluster.Name, ClusterID: r.clusterID, Role: n.Role, ConfigSHA256: r.Files.SHA256()})
	if err != nil {
		return err
	}
	if err := r.conn(n.Name).WriteFile(ctx, append(mark, '\n'), markPath, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", markPath, err)
	}
	return nil
}

// stateUnknown: the node's VM exists but could not be probed (it is
// powered off): what it needs is known only once it runs, so a plan
// says "power on" and nothing more of it.
func (r *Run) stateUnknown(name string) bool {
	unknown := false
	r.withNode(name, func(n *node) { unknown = n.vm != nil && n.facts == nil })
	return unknown
}

// knownNotInstalled is notInstalled without the nodes whose state is
// unknown (for plans).
func (r *Run) knownNotInstalled(nodes []VMSpec) []VMSpec {
	var out []VMSpec
	for _, n := range r.notInstalled(nodes) {
		if !r.stateUnknown(n.Name) {
			out = append(out, n)
		}
	}
	return out
}

// notInstalled filters nodes that do not run DC/OS yet (the bootstrap node:
// whose genconf/serve is not generated yet).
func (r *Run) notInstalled(nodes []VMSpec) []VMSpec {
	var out []VMSpec
	for _, n := range nodes {
		if !r.facts(n.Name).installed(n.Role) {
			out = append(out, n)
		}
	}
	return out
}

// reconnectTimeout bounds the attempts to reach a node again after its
// connection died in the middle of a step.
const reconnectTimeout = 45 * time.Second

// runRetrying runs an idempotent script on n; if the SSH connection dies
// under it, it reconnects (bounded) and runs the script once more, which
// then finishes what the first run started.
func (r *Run) runRetrying(ctx context.Context, n VMSpec, s Script) (string, error) {
	c := r.conn(n.Name)
	if c == nil {
		return "", errors.New("no SSH connection")
	}
	out, err := c.Run(ctx, s, r.logLine(n.Name))
	if err == nil || !errors.Is(err, ErrConnectionLost) {
		return out, err
	}
	r.emit(Event{Kind: Warning, Node: n.Name, Message: "SSH connection lost; reconnecting to retry: " + firstLine(err.Error())})
	c, derr := r.redial(ctx, n)
	if derr != nil {
		return out, fmt.Errorf("%w; reconnecting for %s failed: %w", err, reconnectTimeout, derr)
	}
	return c.Run(ctx, s, r.logLine(n.Name))
}

// redial replaces the node's connection (bounded by reconnectTimeout).
func (r *Run) redial(ctx context.Context, n VMSpec) (Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, reconnectTimeout)
	defer cancel()
	c, err := r.Dialer.Dial(dctx, n.Name, r.addrOf(n), false)
	if err != nil {
		return nil, err
	}
	r.setConn(n.Name, c)
	return c, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
