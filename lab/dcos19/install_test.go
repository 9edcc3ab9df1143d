package dcos19

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// preflightTools are the commands dcos_install.sh's preflight looks up in PATH
// (besides docker and systemctl, which the harness provides).
var preflightTools = []string{"curl", "bash", "ping", "tar", "xz", "unzip", "ipset", "systemd-notify"}

// missingPreflightTools counts the preflight tools absent from this machine.
func missingPreflightTools() []string {
	var missing []string
	for _, tool := range preflightTools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	return missing
}

// installScript generates genconf on the host and returns dcos_install.sh.
func installScript(t *testing.T) string {
	t.Helper()
	r := genconf(t, validConfig, ipDetectEth0)
	if r.code != 0 {
		t.Fatalf("genconf: exit %d:\n%s", r.code, r.out)
	}
	data, err := os.ReadFile(filepath.Join(r.dir, "genconf", "serve", "dcos_install.sh"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestInstallScriptPreflight(t *testing.T) {
	lab := newTestLab(t)
	script := installScript(t)
	node := lab.addNode("pf", 31, false)
	node.writeFile("tmp/dcos_install.sh", script, 0o755)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	missing := missingPreflightTools()
	out, code := node.exec(ctx, "bash /tmp/dcos_install.sh --preflight-only master")
	want := 2 + len(missing) // docker and nogroup, plus tools this machine lacks
	if code != want || strings.Count(out, "FAIL") != want {
		t.Fatalf("fresh node: exit %d with %d FAIL lines, want %d (missing tools %v):\n%s", code, strings.Count(out, "FAIL"), want, missing, out)
	}
	for _, line := range []string{"Checking if docker is installed and in PATH: FAIL", "Checking if group 'nogroup' exists: FAIL"} {
		if !strings.Contains(out, line) {
			t.Errorf("fresh node output lacks %q", line)
		}
	}
	if len(missing) > 0 {
		t.Skipf("this machine lacks %v (scripts/deps.sh installs them); cannot check a passing preflight", missing)
	}

	node.installPrereqs()
	for _, role := range []string{"master", "slave", "slave_public"} {
		out, code = node.exec(ctx, "bash /tmp/dcos_install.sh --preflight-only "+role)
		if code != 0 || !strings.Contains(out, "Preflight checks passed") {
			t.Fatalf("prepared node, role %s: exit %d, want 0:\n%s", role, code, out)
		}
	}

	out, code = node.exec(ctx, "DVT_DOCKER_DRIVER=devicemapper bash /tmp/dcos_install.sh --preflight-only master")
	if code != 1 || !strings.Contains(out, "devicemapper storage driver with a loopback") {
		t.Errorf("docker on devicemapper loop: exit %d, want 1:\n%s", code, out)
	}

	// A port the master needs is taken: one failure, named.
	out, code = node.exec(ctx, `python3 - <<'EOF'
import socket, subprocess, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5050))
s.listen()
sys.exit(subprocess.call(["bash", "/tmp/dcos_install.sh", "--preflight-only", "master"]))
EOF`)
	if code != 1 || !strings.Contains(out, "Checking if port 5050 (required by mesos-master) is in use: FAIL") {
		t.Errorf("port 5050 taken: exit %d, want 1:\n%s", code, out)
	}

	for _, tc := range []struct{ args, say string }{
		{"-d -p master", "Both --disable-preflight and --preflight-only can not be specified"},
		{"", "Atleast one role name must be specified"},
		{"--help", "Usage:"},
	} {
		out, code = node.exec(ctx, "bash /tmp/dcos_install.sh "+tc.args)
		if code != 1 || !strings.Contains(out, tc.say) {
			t.Errorf("dcos_install.sh %s: exit %d, want 1 and %q:\n%s", tc.args, code, tc.say, out)
		}
	}
	out, code = node.exec(ctx, "setpriv --reuid=65534 --regid=65534 --clear-groups bash /tmp/dcos_install.sh master")
	if code != 1 || !strings.Contains(out, "must be run as root") {
		t.Errorf("as non-root: exit %d, want 1:\n%s", code, out)
	}

	out, code = node.exec(ctx, "mkdir -p /opt/mesosphere && bash /tmp/dcos_install.sh --preflight-only master")
	if code != 1 || !strings.Contains(out, "Found an existing DC/OS installation") {
		t.Errorf("already installed: exit %d, want 1:\n%s", code, out)
	}
}

// exhibitorEntry is one element of /exhibitor/v1/cluster/status.
type exhibitorEntry struct {
	Code        int    `json:"code"`
	Description string `json:"description"`
	Hostname    string `json:"hostname"`
	IsLeader    bool   `json:"isLeader"`
}

func getJSON(ctx context.Context, from *testNode, url string, v any) error {
	body, err := from.curl(ctx, url)
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		return fmt.Errorf("decode %s: %w: %q", url, err, body)
	}
	return nil
}

// writeGenconf puts config.yaml, ip-detect and the installer into the
// bootstrap node's /tmp/<name>.
func writeGenconf(t *testing.T, boot *testNode, name, config, ipDetect string) {
	t.Helper()
	boot.writeFile(filepath.Join("tmp", name, "genconf", "config.yaml"), config, 0o644)
	boot.writeFile(filepath.Join("tmp", name, "genconf", "ip-detect"), ipDetect, 0o755)
	if err := WriteInstaller(filepath.Join(boot.root, "tmp", name, "dcos_generate_config.sh")); err != nil {
		t.Fatal(err)
	}
}

type installResult struct {
	node *testNode
	out  string
	code int
	err  error
}

// installAll runs `curl -O .../dcos_install.sh && bash dcos_install.sh ROLE`
// on the nodes concurrently, as the docs do on each node.
func installAll(ctx context.Context, jobs map[*testNode][2]string) map[string]installResult {
	var mu sync.Mutex
	var wg sync.WaitGroup
	results := map[string]installResult{}
	for n, job := range jobs {
		wg.Add(1)
		go func(n *testNode, url, role string) {
			defer wg.Done()
			out, code, err := n.execE(ctx, fmt.Sprintf("mkdir -p /tmp/dcos && cd /tmp/dcos && curl -fsSO --max-time 10 %s/dcos_install.sh && bash dcos_install.sh %s", url, role))
			mu.Lock()
			results[n.name] = installResult{n, out, code, err}
			mu.Unlock()
		}(n, job[0], job[1])
	}
	wg.Wait()
	return results
}

func TestClusterInstall(t *testing.T) {
	lab := newTestLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()

	boot := lab.addNode("boot", 10, true)
	masters := []*testNode{lab.addNode("m1", 11, true), lab.addNode("m2", 12, true), lab.addNode("m3", 13, true)}
	agent := lab.addNode("a1", 21, true)
	wrong := lab.addNode("a2", 22, true) // ip-detect prints an address it does not have
	junk := lab.addNode("a3", 23, true)  // ip-detect prints no IPv4 address

	cfg := func(port int) string {
		return strings.ReplaceAll(strings.Replace(validConfig, "198.18.30.10:8080", fmt.Sprintf("198.18.30.10:%d", port), 1), "198.18.30.", subnet)
	}
	writeGenconf(t, boot, "good", cfg(8080), ipDetectEth0)
	writeGenconf(t, boot, "wrong", cfg(8081), "#!/bin/sh\necho "+subnet+"99\n")
	writeGenconf(t, boot, "junk", cfg(8082), "#!/bin/sh\necho not-an-address\n")
	boot.writeFile("tmp/nginx.conf", `daemon off; pid /tmp/nginx.pid; error_log /tmp/nginx-error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path /tmp/nginx-body; proxy_temp_path /tmp/nginx-proxy; fastcgi_temp_path /tmp/nginx-fcgi;
  uwsgi_temp_path /tmp/nginx-uwsgi; scgi_temp_path /tmp/nginx-scgi;
  server { listen 8080; root /tmp/good/genconf/serve; }
  server { listen 8081; root /tmp/wrong/genconf/serve; }
  server { listen 8082; root /tmp/junk/genconf/serve; }
}
`, 0o644)
	out, code := boot.exec(ctx, `for d in good wrong junk; do (cd /tmp/$d && bash dcos_generate_config.sh) || exit 1; done
setsid /usr/sbin/nginx -e /tmp/nginx-error.log -p /tmp/ -c /tmp/nginx.conf </dev/null >/dev/null 2>&1 &`)
	if code != 0 {
		t.Fatalf("bootstrap: genconf or nginx failed (exit %d):\n%s", code, out)
	}
	eventually(t, 15*time.Second, "bootstrap nginx serves dcos_install.sh", func() error {
		_, err := masters[0].curl(ctx, "http://"+subnet+"10:8080/dcos_install.sh")
		return err
	})

	start := time.Now()
	good := "http://" + subnet + "10:8080"
	res := installAll(ctx, map[*testNode][2]string{
		masters[0]: {good, "master"}, masters[1]: {good, "master"}, agent: {good, "--no-block-dcos-setup slave"},
		wrong: {"http://" + subnet + "10:8081", "slave"}, junk: {"http://" + subnet + "10:8082", "slave"},
	})
	for _, name := range []string{"m1", "m2", "a1", "a2"} {
		if r := res[name]; r.err != nil || r.code != 0 {
			t.Fatalf("install on %s: exit %d (%v):\n%s\ndcos-setup log:\n%s", name, r.code, r.err, r.out, r.node.unitLog("dcos-setup.service"))
		}
	}
	if r := res["a3"]; r.err != nil || r.code == 0 || !strings.Contains(junk.unitLog("dcos-setup.service"), "not an IPv4 address") {
		t.Errorf("install with a non-IPv4 ip-detect: exit %d (%v), want non-zero and a clear dcos-setup log:\n%s\nlog:\n%s", r.code, r.err, r.out, junk.unitLog("dcos-setup.service"))
	}
	t.Logf("two masters and three agents installed in %s", time.Since(start).Round(time.Millisecond))

	// Documented paths on a master.
	m1 := masters[0]
	for _, rel := range []string{"opt/mesosphere/bin/pkgpanda", "opt/mesosphere/bin/detect_ip", "systemd/dcos.target.wants/dcos-exhibitor.service",
		"etc-mesosphere/roles/master", "etc-mesosphere/setup-flags/cluster-packages.json", "systemd/dcos-download.service",
		"systemd/dcos-setup.service", "systemd/dcos-link-env.service", "var-lib-dcos", "var-lib-mesos"} {
		if _, err := os.Lstat(filepath.Join(m1.root, rel)); err != nil { // pkgpanda links point into the node
			t.Errorf("m1: missing %s: %v", rel, err)
		}
	}
	if url, _ := os.ReadFile(filepath.Join(m1.root, "etc-mesosphere/setup-flags/repository-url")); strings.TrimSpace(string(url)) != good {
		t.Errorf("repository-url = %q, want %s", url, good)
	}
	if unit, _ := os.ReadFile(filepath.Join(m1.root, "systemd/dcos-download.service")); !strings.Contains(string(unit), "ConditionPathExists=!/opt/mesosphere/") ||
		!strings.Contains(string(unit), good+"/bootstrap/"+BootstrapID+".bootstrap.tar.xz") {
		t.Errorf("dcos-download.service:\n%s", unit)
	}

	for _, unit := range []string{"dcos-download.service", "dcos-setup.service", "dcos-link-env.service"} {
		data, _ := os.ReadFile(filepath.Join(m1.root, "systemd", unit))
		for _, line := range strings.Split(string(data), "\n") {
			if key, val, ok := strings.Cut(line, "="); ok && strings.HasPrefix(key, "Exec") && !strings.HasPrefix(strings.TrimPrefix(val, "-"), "/") {
				t.Errorf("%s: %s does not name an absolute path", unit, line)
			}
		}
	}

	// With m3 missing, Exhibitor must not converge.
	eventually(t, 20*time.Second, "m1 Exhibitor answers while m3 is missing", func() error {
		var st []exhibitorEntry
		if err := getJSON(ctx, boot, "http://"+subnet+"11:8181/exhibitor/v1/cluster/status", &st); err != nil {
			return err
		}
		if len(st) != 3 {
			return fmt.Errorf("status has %d entries: %+v", len(st), st)
		}
		for _, e := range st {
			if e.IsLeader || e.Description == "serving" {
				return fmt.Errorf("serving or leader without m3: %+v", st)
			}
		}
		return nil
	})
	// The Mesos master stand-in is a service of its own: it answers once
	// its first round ran, which may be after Exhibitor's. Then it must
	// report the registrar not recovered.
	var snap map[string]float64
	eventually(t, 20*time.Second, "m1 Mesos master answers while m3 is missing", func() error {
		return getJSON(ctx, boot, "http://"+subnet+"11:5050/metrics/snapshot", &snap)
	})
	if v, ok := snap["registrar/log/recovered"]; !ok || v != 0 {
		t.Errorf("m1 registrar recovered without an Exhibitor leader (or no such metric): %v", snap)
	}

	res = installAll(ctx, map[*testNode][2]string{masters[2]: {good, "master"}})
	if r := res["m3"]; r.err != nil || r.code != 0 {
		t.Fatalf("install on m3: exit %d (%v):\n%s", r.code, r.err, r.out)
	}

	for _, m := range masters {
		base := "http://" + m.ip
		eventually(t, 45*time.Second, m.name+" Exhibitor: 3 serving, 1 leader", func() error {
			var st []exhibitorEntry
			if err := getJSON(ctx, boot, base+":8181/exhibitor/v1/cluster/status", &st); err != nil {
				return err
			}
			leaders, serving := 0, 0
			for _, e := range st {
				if e.Code == 3 && e.Description == "serving" {
					serving++
				}
				if e.IsLeader {
					leaders++
					if e.Hostname != subnet+"11" {
						return fmt.Errorf("leader %s, want the lowest IP %s11", e.Hostname, subnet)
					}
				}
			}
			if len(st) != 3 || serving != 3 || leaders != 1 {
				return fmt.Errorf("%d entries, %d serving, %d leaders: %+v", len(st), serving, leaders, st)
			}
			return nil
		})
		eventually(t, 15*time.Second, m.name+" registrar/log/recovered 1", func() error {
			var snap map[string]float64
			if err := getJSON(ctx, boot, base+":5050/metrics/snapshot", &snap); err != nil {
				return err
			}
			if snap["registrar/log/recovered"] != 1 {
				return fmt.Errorf("snapshot %v", snap)
			}
			return nil
		})
		var version map[string]string
		if err := getJSON(ctx, boot, base+"/dcos-metadata/dcos-version.json", &version); err != nil || version["version"] != "1.9.10" || version["bootstrap-id"] != BootstrapID {
			t.Errorf("%s dcos-version.json: %v %v", m.name, version, err)
		}
		var viaAdminRouter []exhibitorEntry
		if err := getJSON(ctx, boot, base+"/exhibitor/exhibitor/v1/cluster/status", &viaAdminRouter); err != nil || len(viaAdminRouter) != 3 {
			t.Errorf("%s Exhibitor status through Admin Router: %+v %v", m.name, viaAdminRouter, err)
		}
	}
	eventually(t, 20*time.Second, "a1 slave/registered 1", func() error {
		var snap map[string]float64
		if err := getJSON(ctx, boot, "http://"+subnet+"21:5051/metrics/snapshot", &snap); err != nil {
			return err
		}
		if snap["slave/registered"] != 1 {
			return fmt.Errorf("snapshot %v", snap)
		}
		return nil
	})
	// Marathon behind every master's Admin Router (/marathon/ and
	// /service/marathon/), led by the Exhibitor leader (the standbys pass
	// requests to it); the Mesos master lists a1 for it.
	for _, m := range []string{"11", "12", "13"} {
		for _, p := range []string{"/marathon", "/service/marathon"} {
			eventually(t, 20*time.Second, "Marathon through "+m+p, func() error {
				var info map[string]any
				if err := getJSON(ctx, boot, "http://"+subnet+m+p+"/v2/info", &info); err != nil {
					return err
				}
				if info["name"] != "marathon" || info["version"] != "1.4.12" || info["leader"] != subnet+"11:8080" {
					return fmt.Errorf("info %v", info)
				}
				var deps []any
				return getJSON(ctx, boot, "http://"+subnet+m+p+"/v2/deployments", &deps)
			})
		}
	}
	eventually(t, 20*time.Second, "the Mesos master lists a1", func() error {
		var doc struct {
			Slaves []struct {
				Hostname string `json:"hostname"`
				PID      string `json:"pid"`
			} `json:"slaves"`
		}
		if err := getJSON(ctx, boot, "http://"+subnet+"11/mesos/master/slaves", &doc); err != nil {
			return err
		}
		if len(doc.Slaves) != 1 || doc.Slaves[0].Hostname != subnet+"21" || doc.Slaves[0].PID != "slave(1)@"+subnet+"21:5051" {
			return fmt.Errorf("slaves %+v", doc.Slaves)
		}
		return nil
	})
	eventually(t, 20*time.Second, "m1 3dt lists the masters and a1", func() error {
		var nodes struct {
			Nodes []struct {
				HostIP string `json:"host_ip"`
				Role   string `json:"role"`
			} `json:"nodes"`
		}
		if err := getJSON(ctx, boot, "http://"+subnet+"11:1050/system/health/v1/nodes", &nodes); err != nil {
			return err
		}
		seen := map[string]string{}
		for _, n := range nodes.Nodes {
			seen[n.HostIP] = n.Role
		}
		if seen[subnet+"12"] != "master" || seen[subnet+"21"] != "agent" || len(seen) != 4 {
			return fmt.Errorf("nodes %+v", nodes.Nodes)
		}
		return nil
	})
	// Every master knows the same uuid4 cluster id (the DC/OS CLI's cluster directory name).
	ids := map[string]bool{}
	for _, m := range masters {
		id, _ := m.exec(ctx, "cat /var/lib/dcos/cluster-id")
		ids[strings.TrimSpace(id)] = true
	}
	uuid4 := regexp.MustCompile(`^[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$`)
	for id := range ids {
		if len(ids) != 1 || !uuid4.MatchString(id) {
			t.Errorf("masters' cluster ids %v: want one uuid4", ids)
		}
	}
	if out, code := agent.exec(ctx, "test -e /var/lib/dcos/cluster-id"); code == 0 {
		t.Errorf("an agent has a cluster-id file %s", out)
	}
	for _, n := range []*testNode{masters[0], masters[1], masters[2], agent} {
		eventually(t, 30*time.Second, n.name+" 3dt -diag exits 0", func() error {
			out, code, err := n.execE(ctx, "/opt/mesosphere/bin/3dt -diag")
			if err != nil || code != 0 {
				return fmt.Errorf("exit %d (%v): %s", code, err, out)
			}
			return nil
		})
	}
	var health struct {
		Units []struct {
			ID     string `json:"id"`
			Health int    `json:"health"`
		} `json:"units"`
		NodeRole string `json:"node_role"`
		IP       string `json:"ip"`
	}
	if err := getJSON(ctx, boot, "http://"+subnet+"21:61001/system/health/v1", &health); err != nil || health.NodeRole != "agent" || health.IP != agent.ip || len(health.Units) < 3 {
		t.Errorf("a1 3dt health: %+v %v", health, err)
	}

	// The agent whose ip-detect is wrong has been running all along: it must
	// answer but never register, and 3dt -diag must say why.
	for i := 0; i < 5; i++ {
		var snap map[string]float64
		if err := getJSON(ctx, boot, "http://"+subnet+"22:5051/metrics/snapshot", &snap); err != nil {
			t.Fatalf("a2 Mesos agent does not answer: %v\nlog:\n%s", err, wrong.unitLog("dcos-mesos-slave.service"))
		}
		if snap["slave/registered"] != 0 {
			t.Fatalf("a2 registered although its ip-detect prints %s99: %v", subnet, snap)
		}
		if i < 4 {
			time.Sleep(time.Second) // observation window, not synchronisation
		}
	}
	out, code, err := wrong.execE(ctx, "/opt/mesosphere/bin/3dt -diag")
	if err != nil || code == 0 || !strings.Contains(out, "dcos-mesos-slave.service: unhealthy: not registered") {
		t.Errorf("a2 3dt -diag: exit %d (%v), want non-zero naming dcos-mesos-slave:\n%s", code, err, out)
	}
	t.Logf("cluster converged %s after the first install", time.Since(start).Round(time.Millisecond))
}
