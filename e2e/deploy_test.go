package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/deploy"
	"github.com/dcos-vsphere/dcos-vsphere/lab"
	"github.com/dcos-vsphere/dcos-vsphere/lab/dcos19"
	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

// flow is the promotion flow's world: one vSphere cluster (base 27: 1
// master, 2 agents) installed with the lab registry and the lab's ACS
// cluster, and the registry as the test pushes to it.
type flow struct {
	*cluster
	acs      *lab.ACS
	acr      lab.ACR
	pwFile   string // the registry password cluster.yaml names (the lab's admin password 2)
	app, pin string // app definitions
}

// The seed's flow, then its faults, on one pair of clusters: push
// myapp:integration-ready (test code, go-containerregistry), deploy on ACS,
// promote to production-ready, deploy on vSphere, the same digest on both
// (asserted from the deploy results, deploy status and each agent's pull
// in the Marathon stand-ins' logs).
func TestIntegrationToProduction(t *testing.T) {
	l := needLab(t)
	f := newFlow(t, l)
	defer f.destroy(t) // base 27 overlaps other tests' blocks (26): free it
	d1 := f.push(t, "myapp:integration-ready")

	r := run(t, 5*time.Minute, "install", "--config", f.Path)
	ok(t, r, "install with the registry and acs sections")

	// Integration: ACS.
	acsRes := f.deploy(t, 0, f.app, "--cluster", "acs", "--image", "myapp:integration-ready")
	c := acsRes.Clusters[0]
	if c.Cluster != "acs" || c.Status != deploy.StatusDeployed || c.Digest != d1 || c.Running != 2 || acsRes.Reference != f.acr.Host+"/myapp@"+d1 {
		t.Fatalf("deploy --cluster acs: %+v", acsRes)
	}
	acsAgents := ips(f.acs.Agents())
	for _, task := range c.Tasks {
		if !slices.Contains(acsAgents, task.Host) || task.State != "TASK_RUNNING" {
			t.Errorf("ACS task %s on %s (%s), want running on an ACS agent %v", task.ID, task.Host, task.State, acsAgents)
		}
	}
	f.assertPulled(t, f.acsEvents(t), "/e2e/myapp", d1, 2)

	// Promotion: same bytes, new tag.
	r = run(t, time.Minute, "promote", "myapp", "--from", "integration-ready", "--to", "production-ready", "--config", f.Path, "-o", "json")
	ok(t, r, "promote")
	var prom struct {
		OK     bool   `json:"ok"`
		Digest string `json:"digest"`
		Record string `json:"record"`
		Tags   []registry.PromotedTag
	}
	oneJSON(t, r.Stdout, &prom)
	if !prom.OK || prom.Digest != d1 || len(prom.Tags) != 1 || prom.Tags[0].Action != registry.ActionTagged || f.digestOf(t, "myapp:production-ready") != d1 {
		t.Fatalf("promote: %+v", prom)
	}
	if b, err := os.ReadFile(prom.Record); err != nil || !strings.Contains(string(b), d1) {
		t.Errorf("promotion record %s: %v", prom.Record, err)
	}

	// Production: vSphere.
	vsRes := f.deploy(t, 0, f.app, "--cluster", "vsphere", "--image", "myapp:production-ready")
	c = vsRes.Clusters[0]
	if c.Cluster != "vsphere" || c.Status != deploy.StatusDeployed || c.Digest != d1 || c.Running != 2 {
		t.Fatalf("deploy --cluster vsphere: %+v", vsRes)
	}
	for _, task := range c.Tasks {
		if !slices.Contains(f.agentIPs, task.Host) {
			t.Errorf("vSphere task %s on %s, want one of %v", task.ID, task.Host, f.agentIPs)
		}
	}
	f.assertPulled(t, f.vsphereEvents(t), "/e2e/myapp", d1, 2)

	st := f.status(t, 0)
	if !st.SameDigest || len(st.Clusters) != 2 || st.Clusters[0].App.Digest != d1 || st.Clusters[1].App.Digest != d1 {
		t.Fatalf("deploy status --cluster both: %+v", st)
	}

	t.Run("promote without push rights", func(t *testing.T) {
		sp := f.variant(t, "pullsp", f.acr.PullSP.AppID, f.acr.PullSP.SecretFile)
		r := run(t, time.Minute, "promote", "myapp", "--from", "integration-ready", "--to", "forbidden", "--config", sp, "-o", "json")
		var rep struct {
			OK    bool `json:"ok"`
			Error struct {
				Kind     string `json:"kind"`
				ExitCode int    `json:"exitCode"`
				Message  string `json:"message"`
			} `json:"error"`
		}
		oneJSON(t, r.Stdout, &rep)
		if r.Exit != 3 || rep.OK || rep.Error.Kind != "denied" || !strings.Contains(rep.Error.Message, "may not push to myapp") {
			t.Errorf("exit %d, %+v", r.Exit, rep)
		}
		if d := f.digestOf(t, "myapp:forbidden"); d != "" {
			t.Errorf("the refused promotion wrote myapp:forbidden (%s)", d)
		}
	})

	t.Run("rolling update of a new digest", func(t *testing.T) {
		d2 := f.push(t, "myapp:v2")
		res := f.deploy(t, 0, f.app, "--cluster", "vsphere", "--image", "myapp:v2")
		if c := res.Clusters[0]; c.Digest != d2 || c.Running != 2 || c.Created || c.BeforeImage != f.acr.Host+"/myapp@"+d1 {
			t.Fatalf("second deploy: %+v", c)
		}
		evs := f.vsphereEvents(t)
		f.assertPulled(t, evs, "/e2e/myapp", d2, 2)
		// Replay the stand-in's log: once both tasks of the first deploy ran,
		// never fewer than 2 running (so never zero), and both old tasks were
		// killed, each after a replacement ran.
		running, started, floor := map[string]bool{}, false, 99
		killed := 0
		for _, e := range evs {
			if e.App != "/e2e/myapp" {
				continue
			}
			switch e.State {
			case "TASK_RUNNING":
				running[e.Task] = true
				started = started || len(running) == 2
			case "TASK_KILLED":
				killed++
				fallthrough
			default:
				delete(running, e.Task)
			}
			if started {
				floor = min(floor, len(running))
			}
		}
		if floor < 2 || killed != 2 {
			t.Errorf("rolling update: at least %d tasks ran throughout (want 2), %d killed (want 2)", floor, killed)
		}
	})

	// The faults on ACS use one pinned app on an agent added after the last sync.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	hosts, err := f.acs.ScaleOut(ctx, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	fresh := hosts[0]
	f.pin = f.writeApp(t, "pinned.json", fmt.Sprintf(`{"id": "/e2e/pinned", "instances": 1, "cpus": 0.1, "mem": 32,
	  "container": {"type": "DOCKER", "docker": {"image": "placeholder", "network": "BRIDGE"}},
	  "constraints": [["hostname", "CLUSTER", %q]]}`, fresh.IP().String()))

	t.Run("agent added after the last sync", func(t *testing.T) {
		res := f.deploy(t, 1, f.pin, "--cluster", "acs", "--image", "myapp:integration-ready", "--max-failures", "2")
		c := res.Clusters[0]
		lacking := agentState(c.Agents, fresh.IP().String())
		if lacking != deploy.ArchiveMissing || len(c.Failures) != 2 {
			t.Fatalf("agent %s survey %q, %d failures: %+v", fresh.IP(), lacking, len(c.Failures), c)
		}
		x := c.Failures[0]
		if x.Agent != fresh.IP().String() || x.AgentName != fresh.Name() || !strings.Contains(x.Message, "Failed to launch container: Failed to fetch all URIs for container") ||
			!strings.Contains(x.Fix, "dcos-vsphere acs sync --config "+f.Path) {
			t.Errorf("failure %+v", x)
		}
		ok(t, run(t, 2*time.Minute, "acs", "sync", "--config", f.Path), "acs sync")
		res = f.deploy(t, 0, f.pin, "--cluster", "acs", "--image", "myapp:integration-ready", "--force")
		if c := res.Clusters[0]; c.Running != 1 || c.Tasks[0].Host != fresh.IP().String() {
			t.Errorf("after acs sync: %+v", c)
		}
	})

	t.Run("rotated password not yet synced", func(t *testing.T) {
		pw, err := l.ACRRegistry().RegenerateAdminPassword(1)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f.pwFile, []byte(pw+"\n"), 0o600); err != nil { // cluster.yaml (and the lab's file) get the new password
			t.Fatal(err)
		}
		d3 := f.push(t, "myapp:rotated")
		res := f.deploy(t, 1, f.pin, "--cluster", "acs", "--image", "myapp:rotated", "--force", "--max-failures", "2")
		c := res.Clusters[0]
		if agentState(c.Agents, fresh.IP().String()) != deploy.ArchiveStale || len(c.Failures) != 2 {
			t.Fatalf("survey/failures: %+v", c)
		}
		if x := c.Failures[0]; x.Agent != fresh.IP().String() || !strings.Contains(x.Message, "unauthorized: authentication required") ||
			!strings.Contains(x.Cause, "refused the credentials") || !strings.Contains(x.Fix, "acs sync") {
			t.Errorf("failure %+v", x)
		}
		ok(t, run(t, 2*time.Minute, "acs", "sync", "--config", f.Path), "acs sync after the rotation")
		if res := f.deploy(t, 0, f.pin, "--cluster", "acs", "--image", "myapp:rotated", "--force"); res.Clusters[0].Digest != d3 {
			t.Errorf("after the sync: %+v", res.Clusters[0])
		}
	})

	t.Run("expired service principal", func(t *testing.T) {
		// In cluster.yaml: refused from here, before anything changes.
		exp := f.variant(t, "expired", f.acr.ExpiredSP.AppID, f.acr.ExpiredSP.SecretFile)
		before := f.status(t, 0).Clusters[0].App.Version
		r := run(t, 2*time.Minute, "deploy", f.pin, "--config", exp, "--cluster", "acs", "--image", "myapp:integration-ready", "--force")
		if r.Exit != 3 || !strings.Contains(r.Stderr, "the secret of service principal "+f.acr.ExpiredSP.AppID+" has expired") {
			t.Errorf("deploy with an expired service principal: exit %d\n%s", r.Exit, tail(r.Stderr, 10))
		}
		if after := f.status(t, 0).Clusters[0].App.Version; after != before {
			t.Errorf("the refused deploy changed the app (version %s, was %s)", after, before)
		}
		// On an agent: its archive holds the expired secret.
		secret, err := os.ReadFile(f.acr.ExpiredSP.SecretFile)
		if err != nil {
			t.Fatal(err)
		}
		arch, err := registry.Archive(registry.Credentials{Server: f.acr.Host, Username: f.acr.ExpiredSP.AppID, Password: strings.TrimSpace(string(secret))})
		if err != nil {
			t.Fatal(err)
		}
		f.hostExec(t, fresh, "echo "+base64.StdEncoding.EncodeToString(arch)+" | base64 -d > /etc/docker.tar.gz && chmod 0600 /etc/docker.tar.gz")
		d4 := f.push(t, "myapp:expired-on-agent")
		res := f.deploy(t, 1, f.pin, "--cluster", "acs", "--image", "myapp:expired-on-agent", "--force", "--max-failures", "2")
		x := res.Clusters[0].Failures[0]
		if !strings.Contains(x.Message, "AADSTS7000222") || !strings.Contains(x.Cause, "service principal secret agent "+fresh.Name()) || !strings.Contains(x.Fix, "az ad sp credential reset") {
			t.Errorf("failure %+v", x)
		}
		ok(t, run(t, 2*time.Minute, "acs", "sync", "--config", f.Path), "acs sync")
		if res := f.deploy(t, 0, f.pin, "--cluster", "acs", "--image", "myapp:expired-on-agent", "--force"); res.Clusters[0].Digest != d4 {
			t.Errorf("after the sync: %+v", res.Clusters[0])
		}
	})
}

func newFlow(t *testing.T, l *lab.Lab) *flow {
	if l.ACS() == nil {
		t.Fatal("the e2e lab has no ACS world")
	}
	c := newCluster(t, l, "flow", 27, 1, 2, 0)
	f := &flow{cluster: c, acs: l.ACS(), acr: l.ACR()}
	// The lab's own file: other tests share the registry, and the file
	// follows a regenerated password.
	f.pwFile = f.acr.AdminPasswordFiles[1]
	c.Registry, c.ACS = f.registry(f.acr.Admin, f.pwFile), config.ACS{MasterFQDN: f.acs.MasterFQDN(), SSHPort: 2200, User: f.acs.User(),
		KeyFile: f.acs.KeyFile(), KnownHostsFile: filepath.Join(c.Dir, "acs_known_hosts")}
	c.write(t)
	f.app = f.writeApp(t, "myapp.json", `{"id": "/e2e/myapp", "instances": 2, "cpus": 0.1, "mem": 32,
	  "container": {"type": "DOCKER", "docker": {"image": "placeholder", "network": "BRIDGE", "portMappings": [{"containerPort": 80, "hostPort": 0}]}},
	  "labels": {"team": "e2e"}}`)
	return f
}

// registry is cluster.yaml's registry section with these credentials.
func (f *flow) registry(user, pwFile string) config.Registry {
	return config.Registry{Server: f.acr.Host, Username: user, PasswordFile: pwFile, CAFile: f.acr.CAFile, CheckImage: f.acr.Image}
}

// variant writes a copy of cluster.yaml with other registry credentials.
func (f *flow) variant(t *testing.T, name, user, pwFile string) string {
	v := *f.cluster
	v.Path, v.Registry = filepath.Join(f.Dir, name+".yaml"), f.registry(user, pwFile)
	v.write(t)
	return v.Path
}

func (f *flow) writeApp(t *testing.T, name, body string) string {
	p := filepath.Join(f.Dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *flow) remote() []remote.Option {
	pool := x509.NewCertPool()
	if pem, err := os.ReadFile(f.acr.CAFile); err == nil {
		pool.AppendCertsFromPEM(pem)
	}
	pw, _ := os.ReadFile(f.acr.AdminPasswordFiles[0])
	return []remote.Option{remote.WithAuth(&authn.Basic{Username: f.acr.Admin, Password: strings.TrimSpace(string(pw))}),
		remote.WithTransport(&http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}})}
}

// push puts a new small image (random bytes, one layer) as repo:tag, as a
// developer's build would, and returns its digest.
func (f *flow) push(t *testing.T, repoTag string) string {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(f.acr.Host+"/"+repoTag, name.StrictValidation)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, f.remote()...); err != nil {
		t.Fatalf("push %s: %v", repoTag, err)
	}
	d, _ := img.Digest()
	return d.String()
}

func (f *flow) digestOf(t *testing.T, repoTag string) string {
	t.Helper()
	ref, _ := name.ParseReference(f.acr.Host+"/"+repoTag, name.StrictValidation)
	d, err := remote.Head(ref, f.remote()...)
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return ""
	}
	if err != nil {
		t.Fatalf("head %s: %v", repoTag, err)
	}
	return d.Digest.String()
}

// deploy runs deploy -o json and returns its one object; exit is the
// exit code wanted.
func (f *flow) deploy(t *testing.T, exit int, app string, args ...string) *deploy.Result {
	t.Helper()
	r := run(t, 3*time.Minute, append([]string{"deploy", app, "--config", f.Path, "-o", "json"}, args...)...)
	var rep struct {
		OK bool `json:"ok"`
		deploy.Result
	}
	oneJSON(t, r.Stdout, &rep)
	if r.Exit != exit || rep.OK != (exit == 0) {
		t.Fatalf("deploy %v: exit %d (want %d), ok %v\nstderr:\n%s", args, r.Exit, exit, rep.OK, tail(r.Stderr, 30))
	}
	if pw, err := os.ReadFile(f.pwFile); err == nil && strings.Contains(r.Stdout+r.Stderr, strings.TrimSpace(string(pw))) {
		t.Errorf("the registry password is in deploy's output")
	}
	return &rep.Result
}

func (f *flow) status(t *testing.T, exit int) *deploy.StatusResult {
	t.Helper()
	r := run(t, time.Minute, "deploy", "status", "/e2e/myapp", "--config", f.Path, "--cluster", "both", "-o", "json")
	var st deploy.StatusResult
	oneJSON(t, r.Stdout, &st)
	if r.Exit != exit {
		t.Fatalf("deploy status: exit %d\n%s", r.Exit, tail(r.Stderr, 10))
	}
	return &st
}

// taskEvent is one line of the Marathon stand-in's task log.
type taskEvent struct {
	App, Task, Agent, State, Digest, Version string
	Running                                  int
}

func parseTaskEvents(t *testing.T, out string) []taskEvent {
	var evs []taskEvent
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e taskEvent
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("task log line %q: %v", line, err)
		}
		evs = append(evs, e)
	}
	return evs
}

func (f *flow) acsEvents(t *testing.T) []taskEvent {
	return parseTaskEvents(t, f.hostExec(t, f.acs.Masters()[0], "cat "+lab.MarathonEventsACS))
}

func (f *flow) vsphereEvents(t *testing.T) []taskEvent {
	return parseTaskEvents(t, f.hostSh(t, f.masters()[0], "cat "+dcos19.MarathonEvents))
}

// assertPulled checks that n tasks of app reached TASK_RUNNING after their
// agent pulled digest (the agents' own report, independent of Marathon's
// app definition).
func (f *flow) assertPulled(t *testing.T, evs []taskEvent, app, digest string, n int) {
	t.Helper()
	agents := map[string]bool{}
	for _, e := range evs {
		if e.App == app && e.State == "TASK_RUNNING" && e.Digest == digest {
			agents[e.Task] = true
		}
	}
	if len(agents) < n {
		t.Errorf("%d tasks of %s ran after pulling %s, want %d", len(agents), app, digest, n)
	}
}

func (f *flow) hostExec(t *testing.T, h *lab.Host, cmd string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := h.Exec(ctx, cmd)
	if err != nil {
		t.Fatalf("%s: %v\n%s", h.Name(), err, out)
	}
	return string(out)
}

func ips(hs []*lab.Host) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.IP().String())
	}
	return out
}

func agentState(as []deploy.AgentArchive, ip string) string {
	for _, a := range as {
		if a.IP == ip {
			return a.State
		}
	}
	return ""
}

// oneJSON decodes stdout, which must be exactly one JSON value.
func oneJSON(t *testing.T, stdout string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(v); err != nil || dec.More() {
		t.Fatalf("stdout is not one JSON object (%v):\n%s", err, tail(stdout, 20))
	}
}
