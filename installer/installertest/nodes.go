package installertest

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

// Host is an in-memory CentOS 7 node: it answers the installer's scripts
// by name (probe, prepare, install, resume, generate, promote, serve,
// health, ...) the way a node with DC/OS 1.9's installer would, and keeps
// the state they change. Set the exported fields to shape or break it.
type Host struct {
	env     *Env
	IP      string
	vmRef   string
	foreign bool

	mu sync.Mutex
	// ProductUUID is what /sys/class/dmi/id/product_uuid says: the VM's
	// BIOS UUID unless a test makes it lie.
	ProductUUID     string
	OSID, OSVersion string
	FreeKB          int64
	Prepared        bool
	DCOS            installer.DCOSState
	// Role is what dcos_install.sh recorded (master, slave, slave_public).
	Role          string
	MasterList    []string
	ConfigPackage string
	repoURL       string
	// Files holds what the installer wrote (WriteFile, Upload); Modes
	// their modes (root-owned).
	Files map[string][]byte
	Modes map[string]os.FileMode
	// The bootstrap node's genconf/serve.
	ServeGenerated           bool
	ServedSHA, ServedPackage string
	Serving                  bool
	candidatePackage         string
	StaleUploads             int
	Unhealthy                bool // the node's DC/OS never gets healthy
	Uploads                  int
	hostKey                  string
	ran                      []string
	down                     bool
	fail                     map[string]error
	cutAfter                 map[string]installer.DCOSState

	// AgentStopped: its Mesos agent was stopped (drain-agent); it no longer
	// registers, and the leading master no longer lists it.
	AgentStopped bool
	// StaysListed makes the leading Mesos master list this agent whatever
	// it does (a master that never notices the agent left).
	StaysListed bool
}

func newHost(e *Env, ip, vmRef, uuid string) *Host {
	e.next++
	return &Host{env: e, IP: ip, vmRef: vmRef, foreign: vmRef == "", ProductUUID: uuid, OSID: "centos", OSVersion: "7",
		FreeKB: 50 << 20, DCOS: installer.DCOSNotInstalled, Files: map[string][]byte{}, Modes: map[string]os.FileMode{},
		hostKey: fmt.Sprintf("SHA256:key-%s-%d", ip, e.next), fail: map[string]error{}, cutAfter: map[string]installer.DCOSState{}}
}

// Ran reports how many times the script named name ran on the host.
func (h *Host) Ran(name string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, s := range h.ran {
		if s == name {
			n++
		}
	}
	return n
}

// Scripts lists the scripts run, in order.
func (h *Host) Scripts() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.ran...)
}

// Fail makes script name fail with err (nil: stop failing).
func (h *Host) Fail(name string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		delete(h.fail, name)
		return
	}
	h.fail[name] = err
}

// CutAfter makes the next run of script name leave the node in state
// (partly installed) and lose the connection, as a kill or a link cut in
// the middle of DC/OS's setup would.
func (h *Host) CutAfter(name string, state installer.DCOSState) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cutAfter[name] = state
}

// SetDown makes the host unreachable (true) or reachable again.
func (h *Host) SetDown(down bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.down = down
}

// InstallDCOS puts the host in the state of a node of another (or this)
// cluster that runs DC/OS.
func (h *Host) InstallDCOS(role string, masters []string, pkg string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.Prepared, h.DCOS, h.Role, h.MasterList, h.ConfigPackage = true, installer.DCOSInstalled, role, masters, pkg
}

// Set runs f with the host locked (to change several fields at once).
func (h *Host) Set(f func(h *Host)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f(h)
}

// conn is a connection to a Host.
type conn struct {
	h *Host
}

var (
	urlRE  = regexp.MustCompile(`url='([^']*)'`)
	roleRE = regexp.MustCompile(`role='([^']*)'`)
	curlRE = regexp.MustCompile(`curl -fsS --max-time 5 '([^']*)'`)
)

func (c *conn) Run(ctx context.Context, s installer.Script, onLine func(string)) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	h := c.h
	h.mu.Lock()
	if h.down {
		h.mu.Unlock()
		return "", fmt.Errorf("%s: %w", s.Name, installer.ErrConnectionLost)
	}
	h.ran = append(h.ran, s.Name)
	if err := h.fail[s.Name]; err != nil {
		h.mu.Unlock()
		return "", err
	}
	cut, cutting := h.cutAfter[s.Name]
	if cutting {
		delete(h.cutAfter, s.Name)
	}
	h.mu.Unlock()
	out, err := h.answer(s, cut, cutting)
	if onLine != nil {
		for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
			if l != "" {
				onLine(l)
			}
		}
	}
	return out, err
}

func (h *Host) answer(s installer.Script, cut installer.DCOSState, cutting bool) (string, error) {
	switch s.Name {
	case "probe":
		return h.probe(), nil
	case "tidy":
		h.Set(func(h *Host) { h.StaleUploads = 0 })
		return "", nil
	case "prepare":
		h.mu.Lock()
		first := !h.Prepared
		h.Prepared = true
		h.mu.Unlock()
		if first {
			return "changed: installed docker-engine\nprerequisites ok\n", nil
		}
		return "prerequisites ok\n", nil
	case "mkdir", "candidate", "download-installer", "diagnostics":
		return "", nil
	case "generate":
		h.mu.Lock()
		defer h.mu.Unlock()
		cfg := h.Files["/opt/dcos-bootstrap/.candidate/genconf/config.yaml"]
		if cfg == nil {
			return "", fmt.Errorf("dcos_generate_config.sh: genconf/config.yaml is missing")
		}
		h.candidatePackage = packageOf(cfg, h.Files["/opt/dcos-bootstrap/.candidate/genconf/ip-detect"])
		return "package=" + h.candidatePackage + "\n", nil
	case "promote":
		h.mu.Lock()
		defer h.mu.Unlock()
		marker := h.Files["/opt/dcos-bootstrap/.candidate/genconf/.dcos-vsphere-config.sha256"]
		if marker == nil || h.candidatePackage == "" {
			return "", fmt.Errorf("promote: no candidate")
		}
		h.ServeGenerated, h.ServedSHA, h.ServedPackage, h.candidatePackage = true, strings.TrimSpace(string(marker)), h.candidatePackage, ""
		h.Serving = false // docker binds the old directory: nginx must be restarted
		return "", nil
	case "discard":
		h.Set(func(h *Host) { h.candidatePackage = "" })
		return "", nil
	case "serve":
		h.mu.Lock()
		defer h.mu.Unlock()
		if !h.ServeGenerated {
			return "", fmt.Errorf("serve: genconf/serve is missing")
		}
		h.Serving = true
		return "", nil
	case "install":
		return h.install(s, cut, cutting)
	case "resume":
		h.mu.Lock()
		url, state := h.repoURL, h.DCOS
		h.mu.Unlock()
		if state != installer.DCOSPartial {
			return "", fmt.Errorf("resume on a node in state %s", state)
		}
		pkg, ok := h.env.served(url)
		if !ok {
			return "", fmt.Errorf("dcos-download: curl: (7) Failed to connect to %s", url)
		}
		if cutting {
			h.Set(func(h *Host) { h.DCOS = cut })
			return "", fmt.Errorf("resume: %w", installer.ErrConnectionLost)
		}
		h.Set(func(h *Host) { h.DCOS, h.ConfigPackage, h.MasterList = installer.DCOSInstalled, pkg, h.env.masterIPs() })
		return "resumed: DC/OS setup complete\n", nil
	case "health":
		return h.health(s.Body)
	case "drain-agent":
		return h.drainAgent(s.Body)
	case "mesos-state":
		return h.mesosState(s.Body)
	case "restart-agent":
		h.mu.Lock()
		_, creds := h.Files[registry.CredentialsPath]
		h.mu.Unlock()
		if h.env.Cluster.Registry.Server != "" && !creds {
			return "", fmt.Errorf("systemctl: Job for %s failed: Failed to read '%s'", strings.TrimPrefix(s.Body, "systemctl restart "), registry.CredentialsPath)
		}
		return "", nil
	case "clear-pending":
		h.Set(func(h *Host) { delete(h.Files, "/etc/dcos-vsphere/registry-restart-pending") })
		return "", nil
	case "registry-state":
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.registryState(), nil
	case "cluster-id":
		h.mu.Lock()
		ok := h.DCOS == installer.DCOSInstalled && h.Role == "master"
		h.mu.Unlock()
		if !ok {
			return "", fmt.Errorf("cat: /var/lib/dcos/cluster-id: No such file or directory")
		}
		return h.env.DCOSClusterID + "\n", nil
	}
	return "", fmt.Errorf("installertest: the fake node does not know script %q", s.Name)
}

func (e *Env) masterIPs() []string {
	var out []string
	for _, n := range installer.WantedNodes(e.Cluster) {
		if n.Role == installer.RoleMaster {
			out = append(out, n.IP)
		}
	}
	return out
}

func (h *Host) install(s installer.Script, cut installer.DCOSState, cutting bool) (string, error) {
	url, role := match(urlRE, s.Body), match(roleRE, s.Body)
	h.mu.Lock()
	state := h.DCOS
	h.mu.Unlock()
	if state != installer.DCOSNotInstalled {
		// dcos_install.sh's own check_preexisting_dcos
		return "Found an existing DC/OS installation. To reinstall DC/OS on this this machine you must\nfirst uninstall DC/OS then run dcos_install.sh.\n", fmt.Errorf("dcos_install.sh: exit 1")
	}
	pkg, ok := h.env.served(url)
	if !ok {
		return "", fmt.Errorf("curl: (7) Failed to connect to %s", url)
	}
	h.mu.Lock()
	_, haveCreds := h.Files[registry.CredentialsPath]
	h.mu.Unlock()
	if strings.HasPrefix(role, "slave") && h.env.Cluster.Registry.Server != "" && !haveCreds {
		// DC/OS wrote MESOS_DOCKER_CONFIG=file://...: the agent does not
		// start without that file, so the install never gets healthy.
		h.Set(func(h *Host) { h.Role, h.repoURL, h.DCOS = role, url, installer.DCOSPartial })
		return "", fmt.Errorf("dcos-mesos-slave: Failed to load flags: Failed to read '%s': No such file or directory", registry.CredentialsPath)
	}
	h.Set(func(h *Host) { h.Role, h.repoURL = role, url })
	if cutting {
		h.Set(func(h *Host) { h.DCOS = cut })
		return "", fmt.Errorf("install: %w", installer.ErrConnectionLost)
	}
	h.Set(func(h *Host) { h.DCOS, h.ConfigPackage, h.MasterList = installer.DCOSInstalled, pkg, h.env.masterIPs() })
	return "Starting DC/OS Install Process\n", nil
}

func (h *Host) health(body string) (string, error) {
	url := match(curlRE, body)
	h.mu.Lock()
	installed, unhealthy := h.DCOS == installer.DCOSInstalled, h.Unhealthy
	h.mu.Unlock()
	if !installed {
		return "", fmt.Errorf("curl: (7) Failed to connect to %s", url)
	}
	masters := h.env.mastersInstalled()
	if unhealthy {
		masters = 0
	}
	switch {
	case strings.Contains(url, ":8181/exhibitor"):
		var members []string
		for i, ip := range h.env.masterIPs() {
			desc := "down"
			if i < masters {
				desc = "serving"
			}
			members = append(members, fmt.Sprintf(`{"code":3,"description":%q,"hostname":%q,"isLeader":%t}`, desc, ip, i == 0 && masters == len(h.env.masterIPs())))
		}
		return "[" + strings.Join(members, ",") + "]", nil
	case strings.Contains(url, ":5050/metrics"):
		return jsonLine(map[string]int{"registrar/log/recovered": boolInt(masters > 0)}), nil
	case strings.Contains(url, ":5051/metrics"):
		h.mu.Lock()
		stopped := h.AgentStopped
		h.mu.Unlock()
		return jsonLine(map[string]int{"slave/registered": boolInt(masters > 0 && !stopped)}), nil
	case strings.Contains(url, "dcos-version.json"):
		return `{"version":"1.9.10"}`, nil
	}
	return "", fmt.Errorf("curl: (22) 404 for %s", url)
}

var unitRE = regexp.MustCompile(`unit='([^']*)'`)

// drainAgent answers the drain script: the unit must be the Mesos agent
// of the role DC/OS was installed with (systemd knows no other), and
// stopping it unregisters the agent.
func (h *Host) drainAgent(body string) (string, error) {
	unit := match(unitRE, body)
	h.mu.Lock()
	defer h.mu.Unlock()
	want := map[string]string{"slave": "dcos-mesos-slave", "slave_public": "dcos-mesos-slave-public"}[h.Role]
	if h.DCOS == installer.DCOSNotInstalled || unit != want {
		return "", fmt.Errorf("systemctl kill %s: unit %s.service not loaded (exit 1)", unit, unit)
	}
	if h.AgentStopped {
		return unit + " was already stopped\n", nil
	}
	h.AgentStopped = true
	return "stopped " + unit + " (SIGUSR1: unregistered from Mesos)\n", nil
}

// mesosLeader is the address of the leading Mesos master: the first
// master of the config that runs DC/OS and answers ("" when none).
func (e *Env) mesosLeader() string {
	for _, ip := range e.masterIPs() {
		if h := e.Host(ip); h != nil {
			h.mu.Lock()
			up := h.DCOS == installer.DCOSInstalled && h.Role == "master" && !h.down
			h.mu.Unlock()
			if up {
				return ip
			}
		}
	}
	return ""
}

// mesosAgents are the agents the leading master lists: this cluster's
// DC/OS agents that run and did not stop their agent (or StaysListed).
func (e *Env) mesosAgents() []string {
	masters := e.masterIPs()
	e.mu.Lock()
	hosts := make([]*Host, 0, len(e.hosts))
	for _, h := range e.hosts {
		hosts = append(hosts, h)
	}
	e.mu.Unlock()
	var out []string
	for _, h := range hosts {
		h.mu.Lock()
		agent := h.DCOS == installer.DCOSInstalled && (h.Role == "slave" || h.Role == "slave_public") && len(h.MasterList) > 0 && h.MasterList[0] == masters[0]
		if agent && (h.StaysListed || !h.AgentStopped && !h.down) {
			out = append(out, h.IP)
		}
		h.mu.Unlock()
	}
	sort.Strings(out)
	return out
}

// MesosLists reports whether the leading Mesos master lists the agent at ip.
func (e *Env) MesosLists(ip string) bool {
	for _, a := range e.mesosAgents() {
		if a == ip {
			return true
		}
	}
	return false
}

// mesosState answers a master's /metrics/snapshot and /master/slaves.
func (h *Host) mesosState(body string) (string, error) {
	url := match(curlRE, body)
	h.mu.Lock()
	master := h.DCOS == installer.DCOSInstalled && h.Role == "master"
	h.mu.Unlock()
	if !master {
		return "", fmt.Errorf("curl: (7) Failed to connect to %s", url)
	}
	leader := h.env.mesosLeader() == h.IP
	switch {
	case strings.Contains(url, ":5050/metrics/snapshot"):
		n := 0
		if leader {
			n = len(h.env.mesosAgents())
		}
		return jsonLine(map[string]int{"registrar/log/recovered": 1, "master/elected": boolInt(leader), "master/slaves_active": n}), nil
	case strings.Contains(url, ":5050/master/slaves") && leader:
		var slaves []string
		for i, ip := range h.env.mesosAgents() {
			slaves = append(slaves, fmt.Sprintf(`{"id":"fake-S%d","pid":"slave(1)@%s:5051","hostname":%q,"active":true}`, i, ip, ip))
		}
		return `{"slaves":[` + strings.Join(slaves, ",") + `],"recovered_slaves":[]}`, nil
	}
	return "", fmt.Errorf("curl: (22) The requested URL returned error: 404 for %s", url)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func match(re *regexp.Regexp, s string) string {
	if m := re.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

func (h *Host) probe() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "os_id=%s\nos_version=%s\nopt_free_kb=%d\nvar_free_kb=%d\nnow=%d\nproduct_uuid=%s\n", h.OSID, h.OSVersion, h.FreeKB, h.FreeKB, time.Now().Unix(), h.ProductUUID)
	switch h.DCOS {
	case installer.DCOSInstalled:
		b.WriteString("setup_unit=yes\nopt_mesosphere=yes\npkgpanda=yes\ndcos_target=yes\nwants_dir=yes\n")
	case installer.DCOSPartial:
		b.WriteString("setup_unit=yes\n")
	}
	if h.Role != "" {
		fmt.Fprintf(&b, "role=%s\n", h.Role)
	}
	if len(h.MasterList) > 0 {
		fmt.Fprintf(&b, "master_list=%s\n", jsonLine(h.MasterList))
	}
	if h.ConfigPackage != "" && h.DCOS == installer.DCOSInstalled {
		fmt.Fprintf(&b, "config_package=%s\n", h.ConfigPackage)
	}
	if m := h.Files["/etc/dcos-vsphere/node.json"]; m != nil {
		fmt.Fprintf(&b, "mark=%s\n", strings.TrimSpace(string(m)))
	}
	if h.ServeGenerated {
		fmt.Fprintf(&b, "serve_generated=yes\nserved_sha=%s\n", h.ServedSHA)
		if h.Serving {
			b.WriteString("serving=yes\n")
		}
	}
	fmt.Fprintf(&b, "stale_uploads=%d\n", h.StaleUploads)
	if _, ok := h.Files["/etc/dcos-vsphere/registry-restart-pending"]; ok {
		b.WriteString("registry_pending=yes\n")
	}
	for _, l := range strings.Split(strings.TrimSpace(h.registryState()), "\n") {
		b.WriteString("registry=" + l + "\n")
	}
	return b.String()
}

// registryState answers registry.NodeCheckScript from the host's files
// (h.mu held).
func (h *Host) registryState() string {
	var b strings.Builder
	for _, p := range []string{registry.CredentialsPath, registry.ArchivePath, registry.LegacyCredentialsPath} {
		data, ok := h.Files[p]
		if !ok {
			fmt.Fprintf(&b, "missing\t%s\n", p)
			continue
		}
		mode := h.Modes[p]
		if mode == 0 {
			mode = 0o644
		}
		fmt.Fprintf(&b, "file\t%s\t%o\t0:0\t%s\n", p, mode.Perm(), registry.SHA256(data))
	}
	if h.DCOS == installer.DCOSInstalled && strings.HasPrefix(h.Role, "slave") {
		if _, legacy := h.Files[registry.LegacyCredentialsPath]; legacy {
			fmt.Fprintf(&b, "flag\tfile://%s\n", registry.LegacyCredentialsPath)
		} else if h.env.Cluster.Registry.Server != "" {
			fmt.Fprintf(&b, "flag\tfile://%s\n", registry.CredentialsPath)
		}
	}
	return b.String()
}

func (c *conn) Upload(_ context.Context, localPath, remotePath string, _ os.FileMode, progress func(done, total int64)) (bool, error) {
	h := c.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down {
		return false, fmt.Errorf("upload: %w", installer.ErrConnectionLost)
	}
	if _, ok := h.Files[remotePath]; ok {
		return true, nil
	}
	h.Files[remotePath] = []byte("uploaded " + localPath)
	h.Uploads++
	if progress != nil {
		progress(1, 1)
	}
	return false, nil
}

func (c *conn) WriteFile(_ context.Context, data []byte, remotePath string, mode os.FileMode) error {
	h := c.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down {
		return fmt.Errorf("write %s: %w", remotePath, installer.ErrConnectionLost)
	}
	h.Files[remotePath] = append([]byte(nil), data...)
	h.Modes[remotePath] = mode
	return nil
}

func (c *conn) HostKey() string { return c.h.hostKey }
func (c *conn) Close() error    { return nil }

// Dialer connects to the Env's hosts, checking host keys like the real
// one (trust on first use; a changed key is refused unless fresh).
type Dialer struct {
	env *Env

	mu    sync.Mutex
	known map[string]string // ip → host key
	dials []string
}

// Dials lists the addresses dialled, in order.
func (d *Dialer) Dials() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.dials...)
}

// Known returns the recorded host key of ip ("" when none).
func (d *Dialer) Known(ip string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.known[ip]
}

func (d *Dialer) Dial(ctx context.Context, name, ip string, fresh bool) (installer.Conn, error) {
	d.mu.Lock()
	d.dials = append(d.dials, ip)
	d.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h := d.env.Host(ip)
	if h == nil {
		return nil, fmt.Errorf("ssh %s (%s): connect: no route to host", name, ip)
	}
	h.mu.Lock()
	down, key := h.down, h.hostKey
	h.mu.Unlock()
	if down {
		return nil, fmt.Errorf("ssh %s (%s): connect: connection timed out", name, ip)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.known == nil {
		d.known = map[string]string{}
	}
	if old, ok := d.known[ip]; ok && old != key && !fresh {
		return nil, &HostKeyMismatch{IP: ip, Known: old, Presented: key}
	}
	d.known[ip] = key
	return &conn{h: h}, nil
}

func (d *Dialer) Answers(_ context.Context, ip string) (bool, error) {
	h := d.env.Host(ip)
	if h == nil {
		return false, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return !h.down, nil
}

// Forget drops ip's recorded host key.
func (d *Dialer) Forget(ip string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.known, ip)
	return nil
}

// HostKeyMismatch is the fake's known_hosts mismatch.
type HostKeyMismatch struct{ IP, Known, Presented string }

func (e *HostKeyMismatch) Error() string {
	return fmt.Sprintf("known_hosts: host key for %s has changed: the host presents %s but known_hosts has %s", e.IP, e.Presented, e.Known)
}

// ExitCode is 3, as the real one's.
func (e *HostKeyMismatch) ExitCode() int { return 3 }
