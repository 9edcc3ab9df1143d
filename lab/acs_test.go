package lab

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/internal/testnet"
)

// acsTestOptions are a lab with the ACS world on testnet.For("lab", n)
// (its Inner network for the ACS subnet).
func acsTestOptions(t *testing.T, n int) Options {
	o := testOptions(t, n)
	o.ACS = &ACSOptions{Subnet: testnet.For("lab", n).Inner}
	return o
}

// acsSSH runs cmd as azureuser with the real OpenSSH client: on the
// master through the load balancer (port 2200), or with jump set on an
// agent through the master (ProxyJump = direct-tcpip, no key on the master).
func acsSSH(a *ACS, target string, jump bool, cmd string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := []string{"-i", a.KeyFile(), "-o", "UserKnownHostsFile=" + a.KnownHostsFile(), "-o", "StrictHostKeyChecking=accept-new",
		"-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes"}
	if jump {
		// -J would not pass these -o options to the jump's ssh; -W is the
		// same direct-tcpip channel.
		proxy := "ssh " + strings.Join(args, " ") + " -p 2200 -W %h:%p azureuser@" + a.MasterFQDN()
		args = append(args, "-o", "ProxyCommand="+proxy, "azureuser@"+target)
	} else {
		args = append(args, "-p", "2200", "azureuser@"+target)
	}
	c := exec.CommandContext(ctx, "ssh", append(args, cmd)...)
	c.Env = append(os.Environ(), "SSH_AUTH_SOCK=")
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	return strings.TrimSpace(out.String()), err
}

func mustACSSSH(t *testing.T, a *ACS, target string, jump bool, cmd string) string {
	t.Helper()
	out, err := acsSSH(a, target, jump, cmd)
	if err != nil {
		t.Fatalf("ssh %s %q: %v\n%s", target, cmd, err, out)
	}
	return out
}

var uuid4 = regexp.MustCompile(`^[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$`)

// The ACS world: reachable only through the load balancer, Ubuntu 16.04,
// azureuser with passwordless sudo, DC/OS 1.9 stand-ins on the master,
// agents through the master, the inner network reaching only the lab ACR
// port, scale-out, and the acs section of cluster.yaml.
func TestACSWorld(t *testing.T) {
	t.Parallel()
	l := startLabWith(t, acsTestOptions(t, 12))
	a := l.ACS()
	if a == nil {
		t.Fatal("Lab.ACS() is nil")
	}
	masters, agents := a.Masters(), a.Agents()
	if len(masters) != 1 || len(agents) != 3 {
		t.Fatalf("%d masters and %d agents, want 1 and 3 (2 private, 1 public)", len(masters), len(agents))
	}
	m := masters[0]

	// The machine cannot route to the inner network: a direct attempt
	// fails at once, without a packet sent.
	start := time.Now()
	_, err := net.DialTimeout("tcp", netip.AddrPortFrom(m.IP(), 22).String(), 5*time.Second)
	if !errors.Is(err, syscall.EHOSTUNREACH) && !errors.Is(err, syscall.ENETUNREACH) {
		t.Errorf("direct connect to the master %s: %v, want host unreachable", m.IP(), err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("direct connect took %s, want an immediate failure", d)
	}
	if out, _ := run(context.Background(), "ip", "route", "show", "type", "unreachable", a.Subnet().String()); !strings.Contains(out, "unreachable "+a.Subnet().String()) {
		t.Errorf("ip route show type unreachable %s = %q, want the machine's unreachable route", a.Subnet(), out)
	}

	// Through the load balancer: Ubuntu 16.04, azureuser, sudo -n.
	if got := mustACSSSH(t, a, a.MasterFQDN(), false, "hostname"); got != "dcos-master-0" {
		t.Errorf("hostname via %s:2200 = %q", a.MasterFQDN(), got)
	}
	osr := mustACSSSH(t, a, a.MasterFQDN(), false, "cat /etc/os-release; lsb_release -ds 2>/dev/null || true")
	if !strings.Contains(osr, `PRETTY_NAME="Ubuntu 16.04.2 LTS"`) || !strings.Contains(osr, "VERSION_ID=\"16.04\"") {
		t.Errorf("os-release on the master:\n%s", osr)
	}
	if got := mustACSSSH(t, a, a.MasterFQDN(), false, "id -un; sudo -n id -u; sudo -n cat /etc/sudoers.d/waagent"); got != "azureuser\n0\nazureuser ALL=(ALL) NOPASSWD: ALL" {
		t.Errorf("user/sudo = %q", got)
	}
	if got := mustACSSSH(t, a, a.MasterFQDN(), false, "ls -A ~/.ssh; wc -l < ~/.ssh/authorized_keys"); got != "authorized_keys\n1" {
		t.Errorf("~/.ssh = %q, want one authorized key", got)
	}
	// The master sees the machine's address (DNAT, no SNAT), as behind Azure's load balancer.
	if got := mustACSSSH(t, a, a.MasterFQDN(), false, "echo ${SSH_CONNECTION%% *}"); got != l.Gateway().String() {
		t.Errorf("client address seen by the master = %q, want %s", got, l.Gateway())
	}

	// DC/OS 1.9 "installed": cluster id, version, Admin Router, Mesos, 3DT.
	id := mustACSSSH(t, a, a.MasterFQDN(), false, "cat /var/lib/dcos/cluster-id")
	if !uuid4.MatchString(id) || id != a.ClusterID() {
		t.Errorf("cluster-id = %q, want the uuid4 %s", id, a.ClusterID())
	}
	var version map[string]string
	getJSON(t, a, "http://127.0.0.1/dcos-metadata/dcos-version.json", &version)
	if version["version"] != "1.9.0" || len(version) != 3 {
		t.Errorf("dcos-version.json = %v", version)
	}
	var meta map[string]string
	getJSON(t, a, "http://127.0.0.1/metadata", &meta)
	if meta["CLUSTER_ID"] != id || meta["PUBLIC_IPV4"] != a.MasterFQDN() {
		t.Errorf("/metadata = %v", meta)
	}
	var summary struct {
		Cluster string `json:"cluster"`
		Slaves  []struct {
			Hostname string `json:"hostname"`
		} `json:"slaves"`
	}
	getJSON(t, a, "http://127.0.0.1/mesos/state-summary", &summary)
	if summary.Cluster != "acs-lab" || len(summary.Slaves) != 3 {
		t.Errorf("state-summary = %+v", summary)
	}
	nodes := threeDTNodes(t, a)
	if len(nodes) != 4 {
		t.Fatalf("3DT nodes = %v", nodes)
	}
	roles := map[string]string{}
	for _, n := range nodes {
		if len(n) != 3 {
			t.Errorf("3DT node %v: want exactly host_ip, health, role", n)
		}
		roles[n["host_ip"].(string)] = n["role"].(string)
	}
	if roles[m.Addr] != "master" || roles[agents[0].Addr] != "agent" || roles[agents[2].Addr] != "agent_public" {
		t.Errorf("3DT roles = %v", roles)
	}

	// Agents through the master (ProxyJump: direct-tcpip), Ubuntu, DC/OS
	// installed, no cluster id, no archive.
	for _, ag := range agents {
		out := mustACSSSH(t, a, ag.Addr, true, "hostname; . /etc/os-release; echo $VERSION_ID; ls /etc/mesosphere/roles; test -e /var/lib/dcos/cluster-id && echo has-id; test -e /etc/docker.tar.gz && echo has-archive; true")
		role := "slave"
		if strings.Contains(ag.Hostname, "public") {
			role = "slave_public"
		}
		if want := ag.Hostname + "\n16.04\n" + role; out != want {
			t.Errorf("agent %s: %q, want %q", ag.Addr, out, want)
		}
	}

	// Marathon on the master behind Admin Router; every agent asks it for
	// tasks, and has docker (trusting the lab registry's CA) to pull them.
	var info map[string]any
	getJSON(t, a, "http://127.0.0.1/marathon/v2/info", &info)
	if info["name"] != "marathon" || info["version"] != "1.4.2" || info["leader"] != m.Addr+":8080" {
		t.Errorf("Marathon through Admin Router: %v", info)
	}
	acr := l.ACR()
	pw, err := os.ReadFile(acr.AdminPasswordFiles[0])
	if err != nil {
		t.Fatal(err)
	}
	home := `h=$(mktemp -d) && mkdir -m 0700 $h/.docker && printf '{"auths":{"%s":{"auth":"%s"}}}' > $h/.docker/config.json && HOME=$h docker pull %s/%s`
	auth := base64.StdEncoding.EncodeToString([]byte(acr.Admin + ":" + strings.TrimSpace(string(pw))))
	ca, err := os.ReadFile(acr.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, ag := range agents {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		out, err := ag.Exec(ctx, "/usr/local/lib/ubuntu1604/dcos-standin status; [ \"$(sha256sum < /etc/docker/certs.d/"+acr.Host+"/ca.crt)\" = '"+
			fmt.Sprintf("%x", sha256.Sum256(ca))+"  -' ] && echo trusted; "+fmt.Sprintf(home, acr.Host, auth, acr.Host, acr.Image))
		cancel()
		if err != nil || !strings.HasPrefix(string(out), "active\ntrusted\n") || !strings.Contains(string(out), "Digest: "+acr.ImageDigest) {
			t.Errorf("agent %s: the task side, the CA and a docker pull through the load balancer: %v\n%s", ag.Hostname, err, out)
		}
	}

	// The inner network reaches the lab ACR on the gateway (its token
	// challenge answers), and nothing else.
	acrPort := l.opts.ACRPort
	other, err := net.Listen("tcp", netip.AddrPortFrom(l.Gateway(), uint16(acrPort+1)).String())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	probe := func(h *Host, addr string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := h.Exec(ctx, "curl -sk --connect-timeout 2 -m 4 -o /dev/null -w '%{http_code}' https://"+addr+"/v2/; true")
		if err != nil {
			return "error: " + err.Error()
		}
		if s := strings.TrimSpace(string(out)); s != "000" {
			return s
		}
		return "blocked"
	}
	gw := l.Gateway().String()
	for _, h := range []*Host{m, agents[0]} {
		if got := probe(h, gw+":"+strconv.Itoa(acrPort)); got != "401" {
			t.Errorf("%s -> lab ACR %s:%d = %q, want its 401 token challenge", h.Hostname, gw, acrPort, got)
		}
		if got := probe(h, gw+":"+strconv.Itoa(acrPort+1)); got != "blocked" {
			t.Errorf("%s -> %s:%d = %q, want blocked", h.Hostname, gw, acrPort+1, got)
		}
		if got := probe(h, gw+":8000"); got != "blocked" {
			t.Errorf("%s -> the lab installer server %s:8000 = %q, want blocked", h.Hostname, gw, got)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		out, err := h.Exec(ctx, "ip route get 1.1.1.1")
		cancel()
		if err == nil {
			t.Errorf("%s has a route out: %s", h.Hostname, out)
		}
	}

	// cluster.yaml gets the acs section, which the config accepts.
	cfg := filepath.Join(l.Dir(), "cluster.yaml")
	if err := l.WriteClusterConfig(cfg, Topology{Masters: 1}); err != nil {
		t.Fatal(err)
	}
	c, _, err := config.Load(cfg)
	if err != nil {
		t.Fatalf("load the lab's cluster.yaml: %v", err)
	}
	if c.ACS.MasterFQDN != a.MasterFQDN() || c.ACS.SSHPort != 2200 || c.ACS.User != "azureuser" ||
		c.ACS.KeyFile != a.KeyFile() || c.ACS.KnownHostsFile != a.KnownHostsFile() {
		t.Errorf("acs section = %+v", c.ACS)
	}

	// Scale-out from "another process" (a fresh handle on the directory).
	other2, err := LoadACS(l.Dir())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	added, err := other2.ScaleOut(ctx, 2, 0)
	if err != nil || len(added) != 2 {
		t.Fatalf("scale-out: %v (%d hosts)", err, len(added))
	}
	if n := len(threeDTNodes(t, a)); n != 6 {
		t.Errorf("3DT lists %d nodes after scale-out, want 6", n)
	}
	if len(a.Agents()) != 5 {
		t.Errorf("%d agents after scale-out, want 5", len(a.Agents()))
	}
	for _, h := range added {
		if got := mustACSSSH(t, a, h.Addr, true, "hostname"); got != h.Hostname {
			t.Errorf("new agent %s: hostname %q", h.Addr, got)
		}
	}
	st, err := ReadStatus(context.Background(), l.Dir())
	if err != nil {
		t.Fatal(err)
	}
	alive := 0
	for _, hs := range st.Hosts {
		if strings.HasPrefix(hs.Name, "dcos-") && hs.SSHD {
			alive++
		}
	}
	if alive != 6 {
		t.Errorf("lab status shows %d ACS hosts with sshd alive, want 6: %+v", alive, st.Hosts)
	}
}

// Down removes the ACS world too: hosts, load balancer, bridge, veths,
// the machine's unreachable route, DIR/acs.
func TestACSDownLeavesNothing(t *testing.T) {
	t.Parallel()
	requireLab(t)
	o := acsTestOptions(t, 13)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	l, err := Up(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	a := l.ACS()
	inner := a.Subnet().String()
	pids := []int{}
	for _, h := range a.Hosts() {
		pids = append(pids, h.PID)
	}
	innerPrefix, bridge, lbNetns, outer, _ := acsNames(l.opts)
	if err := l.Down(); err != nil {
		t.Fatalf("down: %v", err)
	}
	var left []string
	for _, ns := range listNetns(innerPrefix) {
		left = append(left, "netns "+ns)
	}
	if _, err := os.Stat("/run/netns/" + lbNetns); err == nil {
		left = append(left, "netns "+lbNetns)
	}
	for _, link := range []string{bridge, outer} {
		if linkExists(link) {
			left = append(left, "link "+link)
		}
	}
	for _, link := range listLinks(Options{NetnsPrefix: innerPrefix}.linkPrefix()) {
		left = append(left, "link "+link)
	}
	if out, _ := run(context.Background(), "ip", "route", "show", "type", "unreachable", inner); out != "" {
		left = append(left, "route "+out)
	}
	for _, p := range pids {
		if ProcessAlive(p) {
			left = append(left, "keeper pid "+strconv.Itoa(p))
		}
	}
	for _, p := range []string{"acs", "acs.json"} {
		if _, err := os.Stat(filepath.Join(o.Dir, p)); err == nil {
			left = append(left, "file "+p)
		}
	}
	if len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	if _, err := os.Stat(filepath.Join(o.Dir, acsKeyFileName)); err != nil {
		t.Errorf("the ACS key should stay for the next lab: %v", err)
	}
}

func getJSON(t *testing.T, a *ACS, url string, v any) {
	t.Helper()
	out := mustACSSSH(t, a, a.MasterFQDN(), false, "curl -fsS "+url)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%s: %v\n%s", url, err, out)
	}
}

func threeDTNodes(t *testing.T, a *ACS) []map[string]any {
	t.Helper()
	var doc struct {
		Nodes []map[string]any `json:"nodes"`
	}
	getJSON(t, a, "http://127.0.0.1:1050/system/health/v1/nodes", &doc)
	return doc.Nodes
}
