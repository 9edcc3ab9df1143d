package lab

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/dcos-vsphere/dcos-vsphere/internal/fsutil"
	"github.com/dcos-vsphere/dcos-vsphere/internal/ipv4"
)

// ACSOptions asks Up for the ACS world beside the vSphere one (see
// lab/README.md, "The ACS world"): an Azure-shaped DC/OS 1.9 cluster,
// already installed, behind a load balancer on the lab bridge. The zero
// value of every field takes the documented default.
type ACSOptions struct {
	// Masters (default 1, at most 5: ports 2200-2204), private Agents
	// (default 2) and PublicAgents (default 1).
	Masters, Agents, PublicAgents int
	// Subnet is the inner network of masters and agents, inside
	// 198.18.0.0/15 and outside the lab subnet, /16 to /24 (default: the
	// lab subnet's /24 moved to 198.19.0.0/16, e.g. 198.19.0.0/24). Its
	// first address is the load balancer's inner leg; masters are at
	// offset 5+i, private agents from 32, public agents from 96.
	Subnet netip.Prefix
	// PublicAddr is the load balancer's address on the lab subnet, the
	// masters' "FQDN" (default: lab subnet offset 200).
	PublicAddr netip.Addr
	// ClusterName is Mesos --cluster, /mesos/state-summary "cluster"
	// (default "acs-lab").
	ClusterName string
}

// Node roles as 3DT names them.
const (
	roleMaster = "master"
	roleAgent  = "agent"
	rolePublic = "agent_public"
)

// Addressing and capacity of the inner network.
const (
	acsMasterOffset  = 5
	acsAgentOffset   = 32
	acsPublicOffset  = 96
	acsMaxMasters    = 5
	acsMaxAgents     = acsPublicOffset - acsAgentOffset
	acsMaxPublic     = 32
	acsPublicOnLab   = 200
	acsDefaultName   = "acs-lab"
	acsStateFileName = "acs.json"
	acsDirName       = "acs"
	acsKeyFileName   = "acs_id_rsa"
	acsKnownHosts    = "acs_known_hosts"
	acsLockFileName  = "acs.lock"
)

func (a ACSOptions) withDefaults(o Options) (ACSOptions, error) {
	if a.Masters == 0 {
		a.Masters = 1
	}
	if a.Agents == 0 && a.PublicAgents == 0 {
		a.Agents, a.PublicAgents = 2, 1
	}
	if a.ClusterName == "" {
		a.ClusterName = acsDefaultName
	}
	if !a.Subnet.IsValid() {
		b := o.Subnet.Addr().As4()
		if b[1] != 18 || o.Subnet.Bits() < 24 {
			return a, fmt.Errorf("lab ACS options: give ACS.Subnet (the lab subnet %s has no default inner network)", o.Subnet)
		}
		a.Subnet = netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 19, b[2], 0}), 24)
	}
	a.Subnet = a.Subnet.Masked()
	switch {
	case a.Masters < 1 || a.Masters > acsMaxMasters:
		return a, fmt.Errorf("lab ACS options: %d masters: 1 to %d (ports 2200-%d)", a.Masters, acsMaxMasters, 2200+acsMaxMasters-1)
	case a.Agents < 0 || a.Agents > acsMaxAgents || a.PublicAgents < 0 || a.PublicAgents > acsMaxPublic:
		return a, fmt.Errorf("lab ACS options: %d agents and %d public agents: at most %d and %d", a.Agents, a.PublicAgents, acsMaxAgents, acsMaxPublic)
	case !a.Subnet.Addr().Is4() || a.Subnet.Bits() < 16 || a.Subnet.Bits() > 24 || !labNet.Contains(a.Subnet.Addr()):
		return a, fmt.Errorf("lab ACS options: subnet %s must be an IPv4 /16../24 inside %s", a.Subnet, labNet)
	case a.Subnet.Overlaps(o.Subnet):
		return a, fmt.Errorf("lab ACS options: subnet %s overlaps the lab subnet %s", a.Subnet, o.Subnet)
	}
	if !a.PublicAddr.IsValid() {
		a.PublicAddr = ipv4.FromUint(ipv4.ToUint(o.Subnet.Addr()) + acsPublicOnLab)
	}
	if !o.Subnet.Contains(a.PublicAddr) || a.PublicAddr == o.gateway() || ipv4.IsNetworkOrBroadcast(o.Subnet, a.PublicAddr) {
		return a, fmt.Errorf("lab ACS options: public address %s must be a host address of the lab subnet %s other than the gateway", a.PublicAddr, o.Subnet)
	}
	return a, nil
}

// acsNode is one ACS VM.
type acsNode struct {
	Name   string `json:"name"`
	Role   string `json:"role"`
	IP     string `json:"ip"`
	Seq    int    `json:"seq"`    // master index (port 2200+Seq), or the agent's number (name, Mesos id S<Seq>)
	Health int    `json:"health"` // what 3DT reports (0 healthy, 1 not)
}

// acsState is DIR/acs.json: everything another process (`lab acs
// scale-out`, `lab down`, the next Up after a crash) needs. No secret.
type acsState struct {
	ClusterID     string    `json:"clusterId"`
	ClusterName   string    `json:"clusterName"`
	MesosMasterID string    `json:"mesosMasterId"`
	Subnet        string    `json:"subnet"`
	InnerGateway  string    `json:"innerGateway"` // the load balancer's inner leg
	PublicAddr    string    `json:"publicAddr"`
	LabGateway    string    `json:"labGateway"`
	LabSubnet     string    `json:"labSubnet"`
	LabBridge     string    `json:"labBridge"`
	LabACRPort    int       `json:"labACRPort"` // the lab registry's port on LabGateway
	Bridge        string    `json:"bridge"`     // inner
	NetnsPrefix   string    `json:"netnsPrefix"`
	LBNetns       string    `json:"lbNetns"`
	LBOuterVeth   string    `json:"lbOuterVeth"`
	LBInnerVeth   string    `json:"lbInnerVeth"`
	Route         string    `json:"route"` // the machine's unreachable route
	Nodes         []acsNode `json:"nodes"`
	NextSeq       int       `json:"nextSeq"`
	CopyDisks     bool      `json:"copyDisks"`
	BaseUID       int       `json:"baseUid"`
	BaseGID       int       `json:"baseGid"`
	BaseOverlay   bool      `json:"baseOverlay"`
}

// acsNames are the names of the ACS world of a lab with options o.
func acsNames(o Options) (innerPrefix, bridge, lbNetns, outer, inner string) {
	innerPrefix = o.NetnsPrefix + "acs"
	il := Options{NetnsPrefix: innerPrefix}.linkPrefix()
	return innerPrefix, il + "br", innerPrefix + "lb", o.linkPrefix() + "lb", il + "lb"
}

// ACS is the ACS world of a lab (Lab.ACS, or LoadACS from another
// process). Its methods read and write DIR/acs.json, so they see what
// another process did (a scale-out from the CLI).
type ACS struct {
	dir string // the lab's Dir
	log io.Writer
	mu  sync.Mutex
}

// acsWorld is one loaded state of the ACS world, under the lock.
type acsWorld struct {
	dir string
	st  acsState
	log io.Writer
}

func (a *ACS) logf(format string, args ...any) {
	fmt.Fprintf(a.log, "%s lab acs: %s\n", time.Now().UTC().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

func loadACSState(dir string) (acsState, error) {
	var st acsState
	b, err := os.ReadFile(filepath.Join(dir, acsStateFileName))
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("read lab ACS state %s: %w", filepath.Join(dir, acsStateFileName), err)
	}
	return st, nil
}

func (w *acsWorld) save() error {
	b, err := json.MarshalIndent(w.st, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteAtomic(filepath.Join(w.dir, acsStateFileName), b, 0o600)
}

// innerOptions are the host-machinery options of the inner network.
func (w *acsWorld) innerOptions() Options {
	return Options{Dir: filepath.Join(w.dir, acsDirName), Bridge: w.st.Bridge, Subnet: netip.MustParsePrefix(w.st.Subnet),
		NetnsPrefix: w.st.NetnsPrefix, Log: io.Discard}
}

func (w *acsWorld) base() baseDisk {
	b := ubuntuBaseDisk(filepath.Join(w.dir, acsDirName, "base"))
	b.uid, b.gid, b.overlay = w.st.BaseUID, w.st.BaseGID, w.st.BaseOverlay
	return b
}

// newNode allocates the next node of a role.
func (w *acsWorld) newNode(role string) (acsNode, error) {
	inner := netip.MustParsePrefix(w.st.Subnet)
	count := 0
	for _, n := range w.st.Nodes {
		if n.Role == role {
			count++
		}
	}
	n := acsNode{Role: role}
	var off int
	switch role {
	case roleMaster:
		if count >= acsMaxMasters {
			return n, fmt.Errorf("lab ACS: at most %d masters", acsMaxMasters)
		}
		n.Seq, n.Name, off = count, fmt.Sprintf("dcos-master-%d", count), acsMasterOffset+count
	case roleAgent, rolePublic:
		limit, base, kind := acsMaxAgents, acsAgentOffset, "private"
		if role == rolePublic {
			limit, base, kind = acsMaxPublic, acsPublicOffset, "public"
		}
		if count >= limit {
			return n, fmt.Errorf("lab ACS: at most %d %s agents", limit, kind)
		}
		n.Seq, n.Name, off = w.st.NextSeq, fmt.Sprintf("dcos-agent-%s-%d", kind, w.st.NextSeq), base+count
		w.st.NextSeq++
	}
	ip := ipv4.FromUint(ipv4.ToUint(inner.Addr()) + uint32(off))
	if !inner.Contains(ip) || ipv4.IsNetworkOrBroadcast(inner, ip) {
		return n, fmt.Errorf("lab ACS: no address for %s in %s", n.Name, inner)
	}
	n.IP = ip.String()
	return n, nil
}

// startNodes boots nodes (at most four at once), routes them and
// installs their DC/OS stand-in; masters are written last by the caller.
func (w *acsWorld) startNodes(ctx context.Context, nodes []acsNode, pubKey []byte) ([]*Host, error) {
	o, base := w.innerOptions(), w.base()
	hosts := make([]*Host, len(nodes))
	errs := make([]error, len(nodes))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			spec := hostSpec{vm: n.Name, vmName: "ACS " + n.Role, hostname: n.Name, ip: netip.MustParseAddr(n.IP)}
			h, err := startHost(ctx, o, base, spec, pubKey)
			if err == nil {
				h.Inner = true
				err = h.save()
			}
			if err == nil {
				err = routeACSHost(ctx, h, w.st)
			}
			if err == nil {
				err = w.installDCOS(ctx, h, n)
			}
			if err != nil {
				if h != nil {
					stopHost(h)
				}
				errs[i] = fmt.Errorf("ACS host %s (%s): %w", n.Name, n.IP, err)
				return
			}
			hosts[i] = h
		}()
	}
	wg.Wait()
	return hosts, errors.Join(errs...)
}

// refreshMasters rewrites the DC/OS stand-in's data on every master.
func (w *acsWorld) refreshMasters() error {
	docs, err := w.standinDocs()
	if err != nil {
		return err
	}
	byName := map[string]*Host{}
	for _, h := range loadHosts(filepath.Join(w.dir, acsDirName)) {
		if _, ok := byName[h.Hostname]; !ok {
			byName[h.Hostname] = h
		}
	}
	for _, n := range w.st.Nodes {
		if n.Role != roleMaster {
			continue
		}
		h, ok := byName[n.Name]
		if !ok {
			return fmt.Errorf("lab ACS host %s: no record", n.Name)
		}
		if err := docs.write(h, n); err != nil {
			return err
		}
	}
	return nil
}

// startACS builds the ACS world of a lab that is coming up; its hosts'
// docker trusts the lab registry at acrHost (caPEM), as the vSphere
// hosts' does.
func startACS(ctx context.Context, o Options, acrHost string, caPEM []byte) (*ACS, error) {
	a, err := o.ACS.withDefaults(o)
	if err != nil {
		return nil, err
	}
	if _, err := lookTool("nft"); err != nil {
		return nil, fmt.Errorf("lab up --acs: %w (package nftables; install the packages in scripts/deps.sh)", err)
	}
	innerPrefix, bridge, lbNetns, outer, inner := acsNames(o)
	w := &acsWorld{dir: o.Dir, log: o.Log, st: acsState{
		ClusterID: newUUID4(), ClusterName: a.ClusterName, MesosMasterID: newUUID4(),
		Subnet: a.Subnet.String(), InnerGateway: a.Subnet.Addr().Next().String(), PublicAddr: a.PublicAddr.String(),
		LabGateway: o.gateway().String(), LabSubnet: o.Subnet.String(), LabBridge: o.Bridge, LabACRPort: o.ACRPort,
		Bridge: bridge, NetnsPrefix: innerPrefix, LBNetns: lbNetns, LBOuterVeth: outer, LBInnerVeth: inner,
		Route: a.Subnet.String(), CopyDisks: o.CopyDisks,
	}}
	// Recorded first, so that Cleanup finds whatever the next steps make.
	if err := w.save(); err != nil {
		return nil, err
	}
	handle := &ACS{dir: o.Dir, log: o.Log}
	base, err := buildUbuntuBase(w.base().dir, o.CopyDisks)
	if err != nil {
		return nil, fmt.Errorf("lab up: build the ACS hosts' base disk: %w", err)
	}
	w.st.BaseUID, w.st.BaseGID, w.st.BaseOverlay = base.uid, base.gid, base.overlay
	if err := trustRegistry(base, acrHost, caPEM); err != nil {
		return nil, fmt.Errorf("lab up: ACS hosts: %w", err)
	}
	pubKey, err := ensureRSAKey(filepath.Join(o.Dir, acsKeyFileName))
	if err != nil {
		return nil, fmt.Errorf("lab up: ACS SSH key: %w", err)
	}
	if err := os.WriteFile(filepath.Join(o.Dir, acsKnownHosts), nil, 0o600); err != nil {
		return nil, fmt.Errorf("lab up: reset ACS known_hosts: %w", err)
	}
	var nodes []acsNode
	for _, c := range []struct {
		role string
		n    int
	}{{roleMaster, a.Masters}, {roleAgent, a.Agents}, {rolePublic, a.PublicAgents}} {
		for range c.n {
			n, err := w.newNode(c.role)
			if err != nil {
				return nil, err
			}
			w.st.Nodes = append(w.st.Nodes, n)
			nodes = append(nodes, n)
		}
	}
	if err := w.save(); err != nil {
		return nil, err
	}
	if err := createACSNetwork(ctx, o.Bridge, o.Subnet.Bits(), w.st); err != nil {
		return nil, err
	}
	if _, err := w.startNodes(ctx, nodes, pubKey); err != nil {
		return nil, err
	}
	if err := w.refreshMasters(); err != nil {
		return nil, err
	}
	handle.logf("ACS world up: %d masters behind %s:2200, %d agents on %s, cluster id %s", a.Masters, a.PublicAddr, a.Agents+a.PublicAgents, a.Subnet, w.st.ClusterID)
	return handle, nil
}

// LoadACS returns the ACS world of the lab running in dir.
func LoadACS(dir string) (*ACS, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if _, err := loadACSState(dir); err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("the lab in %s has no ACS world (start it with lab up --acs)", dir)
		}
		return nil, err
	}
	return &ACS{dir: dir, log: io.Discard}, nil
}

// locked runs f with the state loaded under DIR/acs.lock (across
// processes) and saves it when f succeeds and changed it.
func (a *ACS) locked(write bool, f func(w *acsWorld) error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	lf, err := os.OpenFile(filepath.Join(a.dir, acsLockFileName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer lf.Close()
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer func() { _ = syscall.Flock(int(lf.Fd()), syscall.LOCK_UN) }()
	st, err := loadACSState(a.dir)
	if err != nil {
		return err
	}
	w := &acsWorld{dir: a.dir, st: st, log: a.log}
	if err := f(w); err != nil {
		return err
	}
	if write {
		return w.save()
	}
	return nil
}

func (a *ACS) state() acsState {
	var st acsState
	_ = a.locked(false, func(w *acsWorld) error { st = w.st; return nil })
	return st
}

// MasterFQDN is the masters' public name: the load balancer's address on
// the lab subnet (the lab has no DNS).
func (a *ACS) MasterFQDN() string { return a.state().PublicAddr }

// SSHPort is the load balancer port that reaches master i (2200+i).
func (a *ACS) SSHPort(i int) int { return 2200 + i }

// User is the admin user on every node.
func (a *ACS) User() string { return acsUser }

// KeyFile is the ACS admin's private key (RSA, as ACS's sshRSAPublicKey
// requires; 0600; kept across labs); its public half is the one
// authorized key of azureuser on every node.
func (a *ACS) KeyFile() string { return filepath.Join(a.dir, acsKeyFileName) }

// KnownHostsFile is the known_hosts file the lab's cluster.yaml names for
// ACS (emptied by Up).
func (a *ACS) KnownHostsFile() string { return filepath.Join(a.dir, acsKnownHosts) }

// ClusterID is the cluster's uuid4 (/var/lib/dcos/cluster-id on masters).
func (a *ACS) ClusterID() string { return a.state().ClusterID }

// ClusterName is the Mesos cluster name (/mesos/state-summary "cluster").
func (a *ACS) ClusterName() string { return a.state().ClusterName }

// Version is the DC/OS version the masters report.
func (a *ACS) Version() string { return acsDCOSVersion }

// PublicAddr is the load balancer's address on the lab subnet.
func (a *ACS) PublicAddr() netip.Addr { return netip.MustParseAddr(a.state().PublicAddr) }

// Subnet is the inner network the machine cannot route to.
func (a *ACS) Subnet() netip.Prefix { return netip.MustParsePrefix(a.state().Subnet) }

// Hosts returns the running ACS hosts, ordered by address.
func (a *ACS) Hosts() []*Host {
	hs := loadHosts(filepath.Join(a.dir, acsDirName))
	sort.Slice(hs, func(i, j int) bool { return hs[i].IP().Less(hs[j].IP()) })
	return hs
}

// Masters returns the master hosts, ordered by index.
func (a *ACS) Masters() []*Host { return a.byRole(roleMaster) }

// Agents returns the private and public agent hosts, ordered by address.
func (a *ACS) Agents() []*Host { return append(a.byRole(roleAgent), a.byRole(rolePublic)...) }

func (a *ACS) byRole(role string) []*Host {
	roles := map[string]string{}
	for _, n := range a.state().Nodes {
		roles[n.Name] = n.Role
	}
	var out []*Host
	for _, h := range a.Hosts() {
		if roles[h.Hostname] == role {
			out = append(out, h)
		}
	}
	return out
}

// Host returns the ACS host with the given name.
func (a *ACS) Host(name string) (*Host, bool) {
	for _, h := range a.Hosts() {
		if h.Hostname == name {
			return h, true
		}
	}
	return nil, false
}

// ScaleOut adds private and public agents, as a VM scale set scale-out
// does: new VMs from the same model (Ubuntu, azureuser's key, DC/OS
// installed), no /etc/docker.tar.gz unless someone puts it there. 3DT and
// the Mesos master list them from then on.
func (a *ACS) ScaleOut(ctx context.Context, private, public int) ([]*Host, error) {
	if private < 0 || public < 0 || private+public == 0 {
		return nil, fmt.Errorf("lab acs scale-out: want a positive number of agents")
	}
	pubKey, err := os.ReadFile(a.KeyFile() + ".pub")
	if err != nil {
		return nil, fmt.Errorf("lab acs scale-out: %w", err)
	}
	var hosts []*Host
	err = a.locked(true, func(w *acsWorld) error {
		var nodes []acsNode
		kept := len(w.st.Nodes)
		for _, c := range []struct {
			role string
			n    int
		}{{roleAgent, private}, {rolePublic, public}} {
			for range c.n {
				n, err := w.newNode(c.role)
				if err != nil {
					return err
				}
				nodes = append(nodes, n)
				w.st.Nodes = append(w.st.Nodes, n) // the next one gets the next address
			}
		}
		hs, err := w.startNodes(ctx, nodes, pubKey)
		w.st.Nodes = w.st.Nodes[:kept]
		for i, h := range hs {
			if h != nil {
				w.st.Nodes = append(w.st.Nodes, nodes[i])
				hosts = append(hosts, h)
			}
		}
		if rerr := w.refreshMasters(); rerr != nil && err == nil {
			err = rerr
		}
		return err
	})
	a.logf("scale-out: %d agents added", len(hosts))
	return hosts, err
}

// SetHealth makes 3DT on the masters report the node at ip with health
// (0 healthy, 1 unhealthy).
func (a *ACS) SetHealth(ip netip.Addr, health int) error {
	return a.locked(true, func(w *acsWorld) error {
		found := false
		for i := range w.st.Nodes {
			if w.st.Nodes[i].IP == ip.String() {
				w.st.Nodes[i].Health, found = health, true
			}
		}
		if !found {
			return fmt.Errorf("lab ACS: no node at %s", ip)
		}
		return w.refreshMasters()
	})
}

// RegenerateHostKey gives the host a new SSH host key and restarts its
// sshd: how a re-imaged machine (or an attacker in the middle) looks.
func (h *Host) RegenerateHostKey() error {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	if _, err := h.Exec(ctx, "rm -f /etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_ed25519_key.pub && ssh-keygen -q -t ed25519 -N '' -C root@$(hostname) -f /etc/ssh/ssh_host_ed25519_key"); err != nil {
		return fmt.Errorf("new host key for lab host %s: %w", h.Hostname, err)
	}
	if err := h.KillSSHD(); err != nil {
		return err
	}
	return h.StartSSHD()
}

// ensureRSAKey returns the public half of the RSA key at path, creating
// it (3072 bits, 0600) when missing.
func ensureRSAKey(path string) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil {
		signer, err := ssh.ParsePrivateKey(b)
		if err != nil {
			return nil, fmt.Errorf("read lab ACS key %s: %w", path, err)
		}
		return ssh.MarshalAuthorizedKey(signer.PublicKey()), nil
	}
	key, err := rsa.GenerateKey(rand.Reader, 3072)
	if err != nil {
		return nil, err
	}
	block := &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}
	if err := fsutil.WriteAtomic(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, fmt.Errorf("write lab ACS key %s: %w", path, err)
	}
	sp, err := ssh.NewPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	pub := []byte(strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + " azureuser@dcos-vsphere-lab\n")
	if err := os.WriteFile(path+".pub", pub, 0o644); err != nil {
		return nil, err
	}
	return pub, nil
}

// cleanupACS removes the ACS world of a lab: its hosts (by record and by
// namespace name), the load balancer namespace, the veths and the inner
// bridge, the machine's unreachable route, DIR/acs and DIR/acs.json.
// Names come from DIR/acs.json and from o (a lab that crashed before
// writing it).
func cleanupACS(ctx context.Context, o Options) error {
	var errs []error
	innerPrefix, bridge, lbNetns, outer, inner := acsNames(o)
	type names struct{ prefix, bridge, lb, outer, inner, route string }
	sets := []names{{innerPrefix, bridge, lbNetns, outer, inner, ""}}
	if st, err := loadACSState(o.Dir); err == nil {
		sets = append(sets, names{st.NetnsPrefix, st.Bridge, st.LBNetns, st.LBOuterVeth, st.LBInnerVeth, st.Route})
	}
	for _, h := range loadHosts(filepath.Join(o.Dir, acsDirName)) {
		if h.alive() {
			_ = syscall.Kill(h.PID, syscall.SIGKILL)
		}
	}
	for _, s := range sets {
		nsPat := regexp.MustCompile("^" + regexp.QuoteMeta(s.prefix) + `h\d+$`)
		for _, ns := range listNetns(s.prefix) {
			if nsPat.MatchString(ns) || ns == s.lb {
				killNetnsProcesses(ctx, ns)
				if _, err := run(ctx, "ip", "netns", "del", ns); err != nil {
					errs = append(errs, err)
				}
			}
		}
		il := Options{NetnsPrefix: s.prefix}.linkPrefix()
		linkPat := regexp.MustCompile("^" + regexp.QuoteMeta(il) + `(\d+|lb)$`)
		for _, l := range listLinks(il) {
			if linkPat.MatchString(l) {
				if _, err := run(ctx, "ip", "link", "del", l); err != nil && linkExists(l) {
					errs = append(errs, err)
				}
			}
		}
		for _, l := range []string{s.outer, s.bridge} {
			if linkExists(l) {
				if l == s.bridge {
					removeBridgeForwarding(ctx, l)
				}
				if _, err := run(ctx, "ip", "link", "del", l); err != nil && linkExists(l) {
					errs = append(errs, err)
				}
			}
		}
		if s.route != "" {
			if out, _ := run(ctx, "ip", "route", "show", "type", "unreachable", s.route); strings.TrimSpace(out) != "" {
				if _, err := run(ctx, "ip", "route", "del", "unreachable", s.route); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	for _, p := range []string{filepath.Join(o.Dir, acsDirName), filepath.Join(o.Dir, acsStateFileName), filepath.Join(o.Dir, acsLockFileName)} {
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
