package installer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// connectNodes opens one SSH connection per node (retrying while VMs
// boot), records host keys and probes each node: OS, free space, clock,
// and whether DC/OS is already there (the truth, whatever the state file says).
type connectNodes struct{}

func (connectNodes) Title() string { return "Connect to nodes" }

// maxClockSkew is how far a node's clock may be from the installer's
// before preflight fails (DC/OS's check-time wants NTP anyway).
const maxClockSkew = 5 * time.Minute

// minFreeOptKB is the free space DC/OS needs under /opt and /var (10 GB,
// the documented minimum for /var on agents).
const minFreeKB = 10 * 1024 * 1024

func (connectNodes) Run(ctx context.Context, r *Run) error {
	return forEachNode(ctx, r.Want, r.Options.Concurrency, func(ctx context.Context, n VMSpec) error {
		r.mu.Lock()
		vm := r.vms[n.Name]
		r.mu.Unlock()
		ip := n.IP
		if vm.IP != "" {
			ip = vm.IP
		}
		r.step(n.Name, "ssh "+ip)
		c, err := r.Dialer.Dial(ctx, n.Name, ip, vm.Created)
		if err != nil {
			return err
		}
		r.mu.Lock()
		if r.conns == nil {
			r.conns = map[string]Conn{}
		}
		r.conns[n.Name] = c
		r.mu.Unlock()
		r.State.Update(func(st *State) { st.Node(n.Name).HostKey = c.HostKey() })

		r.step(n.Name, "preflight")
		out, err := c.Run(ctx, preflightScript, r.logLine(n.Name))
		if err != nil {
			return fmt.Errorf("preflight: %w", err)
		}
		facts := parseFacts(out)
		if err := checkFacts(facts, n.Role, time.Now()); err != nil {
			return fmt.Errorf("preflight: %w", err)
		}
		if facts["dcos_installed"] == "yes" || (n.Role == RoleBootstrap && facts["bootstrap_generated"] == "yes") {
			r.setInstalled(n.Name)
		}
		r.emit(Event{Kind: NodeDone, Node: n.Name, Message: "reachable, " + facts["os_id"] + " " + facts["os_version"]})
		return nil
	})
}

// parseFacts reads key=value lines.
func parseFacts(out string) map[string]string {
	facts := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			facts[k] = v
		}
	}
	return facts
}

// checkFacts applies the documented DC/OS 1.9 system requirements that can
// be checked cheaply (reference §5).
func checkFacts(f map[string]string, role string, now time.Time) error {
	var problems []string
	if f["os_id"] != "centos" && f["os_id"] != "rhel" {
		problems = append(problems, fmt.Sprintf("OS is %q, DC/OS 1.9 needs CentOS/RHEL 7", f["os_id"]))
	} else if !strings.HasPrefix(f["os_version"], "7") {
		problems = append(problems, fmt.Sprintf("OS version %q, DC/OS 1.9 needs 7.2 or 7.3", f["os_version"]))
	}
	for _, key := range []string{"opt_free_kb", "var_free_kb"} {
		kb, err := strconv.ParseInt(f[key], 10, 64)
		if err != nil {
			problems = append(problems, "cannot read "+key)
		} else if kb < minFreeKB && role != RoleBootstrap {
			problems = append(problems, fmt.Sprintf("only %d MB free under /%s, DC/OS needs 10 GB", kb/1024, strings.TrimSuffix(key, "_free_kb")))
		}
	}
	if ts, err := strconv.ParseInt(f["now"], 10, 64); err == nil {
		skew := now.Sub(time.Unix(ts, 0))
		if skew < 0 {
			skew = -skew
		}
		if skew > maxClockSkew {
			problems = append(problems, fmt.Sprintf("clock is %s off the installer's; set up NTP", skew.Round(time.Second)))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

func (r *Run) logLine(node string) func(string) {
	return func(line string) { r.emit(Event{Kind: LogLine, Node: node, Message: line}) }
}

// prepareNodes installs the CentOS 7 prerequisites where DC/OS is not
// installed yet.
type prepareNodes struct{}

func (prepareNodes) Title() string { return "Prepare nodes" }

func (prepareNodes) ShouldRun(r *Run) (bool, string) {
	if len(r.notInstalled(r.Want)) == 0 {
		return false, "every node runs DC/OS"
	}
	return true, ""
}

func (prepareNodes) Run(ctx context.Context, r *Run) error {
	script := prepareScript(r.Cluster.DCOS.DockerYumRepo)
	return forEachNode(ctx, r.notInstalled(r.Want), r.Options.Concurrency, func(ctx context.Context, n VMSpec) error {
		r.step(n.Name, "prerequisites")
		var changes []string
		out, err := r.runRetrying(ctx, n, script)
		if err != nil {
			return fmt.Errorf("prerequisites: %w", err)
		}
		for _, l := range strings.Split(out, "\n") {
			if c, ok := strings.CutPrefix(l, "changed: "); ok {
				changes = append(changes, c)
			}
		}
		msg := "already prepared"
		if len(changes) > 0 {
			msg = strings.Join(changes, ", ")
		}
		r.State.MarkStep(n.Name, "prepared")
		r.emit(Event{Kind: NodeDone, Node: n.Name, Message: msg})
		return nil
	})
}

// notInstalled filters nodes that do not run DC/OS yet. The bootstrap
// node counts as installed when it already serves genconf/serve.
func (r *Run) notInstalled(nodes []VMSpec) []VMSpec {
	var out []VMSpec
	for _, n := range nodes {
		if !r.isInstalled(n.Name) {
			out = append(out, n)
		}
	}
	return out
}

// installRole runs dcos_install.sh on nodes of the given roles that do not
// run DC/OS yet, all at once (bounded by --concurrency).
type installRole struct {
	title string
	roles []string
}

func (p installRole) Title() string { return p.title }

func (p installRole) ShouldRun(r *Run) (bool, string) {
	if len(r.notInstalled(r.byRole(p.roles...))) == 0 {
		return false, "already installed"
	}
	return true, ""
}

func (p installRole) DryRun(r *Run) []string {
	var out []string
	for _, n := range r.notInstalled(r.byRole(p.roles...)) {
		out = append(out, fmt.Sprintf("%s: dcos_install.sh %s", n.Name, dcosRole(n.Role)))
	}
	return out
}

func (p installRole) Run(ctx context.Context, r *Run) error {
	url := r.bootstrapURL()
	return forEachNode(ctx, r.notInstalled(r.byRole(p.roles...)), r.Options.Concurrency, func(ctx context.Context, n VMSpec) error {
		ctx, cancel := context.WithTimeout(ctx, r.Options.NodeTimeout)
		defer cancel()
		r.step(n.Name, "install "+dcosRole(n.Role))
		out, err := r.runRetrying(ctx, n, installScript(url, dcosRole(n.Role)))
		if err != nil {
			return fmt.Errorf("dcos_install.sh %s: %w%s", dcosRole(n.Role), err, r.setupDiagnostics(ctx, n))
		}
		r.setInstalled(n.Name)
		r.State.MarkStep(n.Name, "installed")
		msg := "installed"
		if !hasLine(out, markerInstalled) {
			r.changed()
		}
		switch {
		case hasLine(out, markerInstalled):
			msg = "already installed, left alone"
		case hasLine(out, markerResumed):
			msg = "interrupted install finished"
		}
		r.emit(Event{Kind: NodeDone, Node: n.Name, Message: msg})
		return nil
	})
}

// bootstrapURL is where genconf/serve is served.
func (r *Run) bootstrapURL() string { return r.Cluster.BootstrapURL() }

// servePort is the bootstrap node's port for nginx (80 unless set).
func (r *Run) servePort() int {
	if p := r.Cluster.DCOS.BootstrapPort; p > 0 {
		return p
	}
	return 80
}

// hasLine reports whether out has line as one of its lines.
func hasLine(out, line string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}

// reconnectTimeout bounds the attempts to reach a node again after its
// connection died in the middle of a step.
const reconnectTimeout = 45 * time.Second

// runRetrying runs an idempotent script on n; if the SSH connection dies
// under it, it reconnects (bounded) and runs the script once more, which
// then finishes what the first run started.
func (r *Run) runRetrying(ctx context.Context, n VMSpec, script string) (string, error) {
	out, err := r.conn(n.Name).Run(ctx, script, r.logLine(n.Name))
	if err == nil || !errors.Is(err, ErrConnectionLost) {
		return out, err
	}
	r.emit(Event{Kind: Warning, Node: n.Name, Message: "SSH connection lost; reconnecting to retry: " + firstLine(err.Error())})
	dctx, cancel := context.WithTimeout(ctx, reconnectTimeout)
	c, derr := r.Dialer.Dial(dctx, n.Name, n.IP, false)
	cancel()
	if derr != nil {
		return out, fmt.Errorf("%w; reconnecting for %s failed: %w", err, reconnectTimeout, derr)
	}
	r.mu.Lock()
	old := r.conns[n.Name]
	r.conns[n.Name] = c
	r.mu.Unlock()
	if old != nil {
		_ = old.Close()
	}
	return c.Run(ctx, script, r.logLine(n.Name))
}

// setupDiagnostics fetches the journal of DC/OS's setup units after a
// failed install, so the error names the cause (a bad ip-detect, a
// download failure) instead of only "exit 1". Best effort.
func (r *Run) setupDiagnostics(ctx context.Context, n VMSpec) string {
	c := r.conn(n.Name)
	if c == nil {
		return ""
	}
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	out, err := c.Run(dctx, `for u in dcos-download dcos-setup; do journalctl -u $u --no-pager -n 12 2>/dev/null | sed "s|^|$u: |" || true; done`, nil)
	out = strings.TrimSpace(out)
	if err != nil || out == "" {
		return ""
	}
	return "\n    journal of dcos-download/dcos-setup:\n      " + strings.ReplaceAll(out, "\n", "\n      ")
}
