package deploy_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/deploy"
	"github.com/dcos-vsphere/dcos-vsphere/lab/acr"
	"github.com/dcos-vsphere/dcos-vsphere/lab/acr/acrtest"
	"github.com/dcos-vsphere/dcos-vsphere/marathon"
	"github.com/dcos-vsphere/dcos-vsphere/marathon/marathontest"
	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

// digest is the manifest digest of the image the lab registry is seeded
// with (myapp:integration-ready).
var digest string

// labRegistry is the test binary's lab registry (acrtest: no root needed).
func labRegistry(t *testing.T) *acr.Registry {
	t.Helper()
	r, d := acrtest.Registry(t, "myapp", "integration-ready")
	digest = d
	return r
}

func TestMain(m *testing.M) {
	code := m.Run()
	acrtest.Close()
	os.Exit(code)
}

func options(r *acr.Registry, user, password string) deploy.Options {
	return deploy.Options{Registry: &deploy.Registry{Credentials: registry.Credentials{Server: r.Host(), Username: user, Password: password}, RootCAs: r.RootCAs()},
		Interval: time.Millisecond, Wait: 5 * time.Second}
}

func parse(t *testing.T, s string) *marathon.App {
	t.Helper()
	a, err := marathon.ParseApp([]byte(s), "app.json")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

const appJSON = `{"id": "/myapp", "instances": 2, "container": {"type": "DOCKER", "docker": {"image": "placeholder:1", "network": "BRIDGE"}}, "uris": ["https://example.invalid/conf.tgz"]}`

func TestPreparePinsTheDigestAndAddsTheArchive(t *testing.T) {
	r := labRegistry(t)
	o := options(r, r.AdminUser(), r.AdminPassword(0))
	o.Image = "myapp:integration-ready"
	app := parse(t, appJSON)
	p, err := deploy.Prepare(context.Background(), app, o)
	if err != nil {
		t.Fatal(err)
	}
	pinned := r.Host() + "/myapp@" + digest
	if p.Image != r.Host()+"/myapp:integration-ready" || p.Reference != pinned || p.Digest != digest || !p.OnRegistry {
		t.Errorf("plan %+v, want %s pinned as %s", p, p.Image, pinned)
	}
	a := p.App
	if a.Image() != pinned || a.Label(marathon.LabelDigest) != digest || a.Label(marathon.LabelImage) != r.Host()+"/myapp:integration-ready" {
		t.Errorf("app image %s labels %s %s", a.Image(), a.Label(marathon.LabelImage), a.Label(marathon.LabelDigest))
	}
	if got := strings.Join(a.URIs(), " "); got != "https://example.invalid/conf.tgz "+deploy.ArchiveURI {
		t.Errorf("uris %s", got)
	}
	if app.Image() != "placeholder:1" {
		t.Error("Prepare changed the caller's definition")
	}

	// --by-tag keeps the tag and pulls it every time.
	o.ByTag = true
	p, err = deploy.Prepare(context.Background(), app, o)
	if b, _ := p.App.JSON(); err != nil || p.Reference != r.Host()+"/myapp:integration-ready" || !strings.Contains(string(b), `"forcePullImage":true`) {
		t.Errorf("by tag: %v %s %s", err, p.Reference, b)
	}
	o.ByTag = false

	// An image of another registry is deployed as it is, without credentials.
	o.Image = ""
	other := parse(t, `{"id": "/web", "container": {"type": "MESOS", "docker": {"image": "mirror.example.test/nginx:1.13"}}}`)
	p, err = deploy.Prepare(context.Background(), other, o)
	if err != nil || p.OnRegistry || p.App.Image() != "mirror.example.test/nginx:1.13" || len(p.App.URIs()) != 0 || !strings.Contains(strings.Join(p.Warnings, "\n"), "is not on the registry") {
		t.Errorf("another registry: %v %+v %v", err, p, p.App.URIs())
	}
	// UCR with an ACR image is warned about.
	ucr := parse(t, `{"id": "/u", "container": {"type": "MESOS", "docker": {"image": "x"}}}`)
	o.Image = "myapp:integration-ready"
	if p, err := deploy.Prepare(context.Background(), ucr, o); err != nil || !strings.Contains(strings.Join(p.Warnings, "\n"), "container.type MESOS") {
		t.Errorf("UCR warning: %v %v", err, p.Warnings)
	}
}

func TestPrepareRefusesBeforeAnythingIsDeployed(t *testing.T) {
	r := labRegistry(t)
	expired, err := r.AddServicePrincipal(acr.RolePull, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	o := options(r, expired.AppID, expired.Secret)
	o.Image = "myapp:integration-ready"
	_, err = deploy.Prepare(context.Background(), parse(t, appJSON), o)
	var re *registry.Error
	if !errors.As(err, &re) || re.Kind != registry.KindExpired || re.ExitCode() != 3 {
		t.Errorf("expired service principal: %v", err)
	}
	o = options(r, r.AdminUser(), r.AdminPassword(1))
	o.Image = "myapp:no-such-tag"
	if _, err = deploy.Prepare(context.Background(), parse(t, appJSON), o); !errors.As(err, &re) || re.Kind != registry.KindNotFound || re.ExitCode() != 1 {
		t.Errorf("missing tag: %v", err)
	}
	bare := parse(t, `{"id": "/c", "cmd": "sleep 1"}`)
	var ae *marathon.AppError
	if _, err = deploy.Prepare(context.Background(), bare, deploy.Options{}); !errors.As(err, &ae) || ae.ExitCode() != 2 {
		t.Errorf("no image: %v", err)
	}
}

// fakeCluster is a Cluster over a marathontest server with a scripted
// archive survey.
type fakeCluster struct {
	name   string
	srv    *marathontest.Server
	agents []deploy.AgentArchive
}

func (f *fakeCluster) Name() string               { return f.name }
func (f *fakeCluster) Marathon() *marathon.Client { return f.srv.Marathon(f.name) }
func (f *fakeCluster) Fix() string                { return "fix-" + f.name }
func (f *fakeCluster) Close() error               { return nil }
func (f *fakeCluster) Archives(context.Context) ([]deploy.AgentArchive, []string, error) {
	return f.agents, nil, nil
}

func cluster(t *testing.T, name string, agents ...deploy.AgentArchive) *fakeCluster {
	return &fakeCluster{name: name, srv: marathontest.New(t, "/marathon"), agents: agents}
}

func current(ip string) deploy.AgentArchive {
	return deploy.AgentArchive{Name: "agent-" + ip, IP: ip, Role: "agent", State: deploy.ArchiveCurrent}
}

func plan(t *testing.T) *deploy.Plan {
	a := parse(t, appJSON)
	a.SetImage("198.18.0.1:5443/myapp@sha256:" + strings.Repeat("ab", 32))
	a.SetLabel(marathon.LabelDigest, "sha256:"+strings.Repeat("ab", 32))
	a.EnsureURI(deploy.ArchiveURI)
	return &deploy.Plan{App: a, Image: "198.18.0.1:5443/myapp:x", Reference: a.Image(), Digest: "sha256:" + strings.Repeat("ab", 32), OnRegistry: true}
}

func TestDeployBothRunsTheSameDigest(t *testing.T) {
	a, v := cluster(t, deploy.ACS, current("10.0.0.21")), cluster(t, deploy.VSphere, current("10.0.0.31"))
	a.srv.AutoRun, v.srv.AutoRun = true, true
	var lines []string
	o := deploy.Options{Interval: time.Millisecond, Wait: 5 * time.Second, Progress: func(c, m string) { lines = append(lines, c+": "+m) }}
	res, err := deploy.Deploy(context.Background(), plan(t), []deploy.Cluster{a, v}, o)
	if err != nil || !res.OK() {
		t.Fatalf("deploy: %v %+v", err, res)
	}
	for _, c := range res.Clusters {
		if c.Status != deploy.StatusDeployed || c.Digest != res.Digest || c.Running != 2 || !c.Created {
			t.Errorf("%s: %+v", c.Cluster, c)
		}
	}
	if len(a.srv.Puts) != 1 || len(v.srv.Puts) != 1 {
		t.Errorf("PUTs: acs %v vsphere %v", a.srv.Puts, v.srv.Puts)
	}
	out := strings.Join(lines, "\n")
	for _, want := range []string{"acs: 1 of 1 agents have the current /etc/docker.tar.gz", "acs: PUT ", "vsphere: deployed: 2 of 2 tasks run sha256:abab"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress lacks %q:\n%s", want, out)
		}
	}
}

func TestDeployStrictRefusesAndStopsTheNextCluster(t *testing.T) {
	missing := deploy.AgentArchive{Name: "dcos-agent-private-3", IP: "10.0.0.35", State: deploy.ArchiveMissing, Detail: "/etc/docker.tar.gz is missing"}
	a, v := cluster(t, deploy.ACS, current("10.0.0.21"), missing), cluster(t, deploy.VSphere)
	o := deploy.Options{Strict: true, Interval: time.Millisecond}
	res, err := deploy.Deploy(context.Background(), plan(t), []deploy.Cluster{a, v}, o)
	var ne *deploy.NotReadyError
	if !errors.As(err, &ne) || ne.ExitCode() != 1 || !strings.Contains(err.Error(), "dcos-agent-private-3 (10.0.0.35): missing") || !strings.Contains(err.Error(), "fix: fix-acs") {
		t.Fatalf("strict: %v", err)
	}
	if len(a.srv.Puts) != 0 || len(v.srv.Puts) != 0 {
		t.Errorf("something was deployed: %v %v", a.srv.Puts, v.srv.Puts)
	}
	if res.Clusters[0].Status != deploy.StatusRefused || res.Clusters[1].Status != deploy.StatusNotStarted {
		t.Errorf("statuses: %+v", res.Clusters)
	}
}

func TestDeployNamesTheAgentAndTheFix(t *testing.T) {
	missing := deploy.AgentArchive{Name: "dcos-agent-private-3", IP: "10.0.0.35", State: deploy.ArchiveMissing, Detail: "/etc/docker.tar.gz is missing"}
	stale := deploy.AgentArchive{Name: "dcos-agent-private-1", IP: "10.0.0.33", State: deploy.ArchiveStale, Detail: "other credentials"}
	a := cluster(t, deploy.ACS, current("10.0.0.21"), missing, stale)
	n := 0
	msgs := []struct{ host, msg string }{
		{"10.0.0.35", "Failed to launch container: Failed to fetch all URIs for container 'c1' with exit status: 256"},
		{"10.0.0.33", "Failed to launch container: Failed to run 'docker -H unix:///var/run/docker.sock pull r/myapp@sha256:ab': exited with status 1; stderr='Error response from daemon: Get https://r/v2/myapp/manifests/sha256:ab: unauthorized: authentication required\n'"},
		{"10.0.0.21", "Failed to launch container: Failed to run 'docker ...': stderr='Error response from daemon: Get https://r/v2/: unauthorized: aad access token with sp failed: AADSTS7000222: The provided client secret keys for app 'x' are expired.'"},
	}
	a.srv.Step = func(s *marathontest.Server) {
		if n < len(msgs) {
			s.Failure = &marathon.TaskFailure{TaskID: fmt.Sprintf("myapp.%d", n), Host: msgs[n].host, State: "TASK_FAILED", Message: msgs[n].msg, Version: s.Version()}
			n++
		}
	}
	var warned []string
	o := deploy.Options{Interval: time.Millisecond, Wait: 5 * time.Second, Progress: func(c, m string) { warned = append(warned, m) }}
	res, err := deploy.Deploy(context.Background(), plan(t), []deploy.Cluster{a}, o)
	var fe *deploy.FailedError
	if !errors.As(err, &fe) || fe.ExitCode() != 1 || len(fe.Failures) != 3 {
		t.Fatalf("want 3 explained failures: %v", err)
	}
	causes := []string{
		"the Mesos fetcher on agent dcos-agent-private-3 (10.0.0.35) could not fetch the app's uris (https://example.invalid/conf.tgz, file:///etc/docker.tar.gz) (the survey found its /etc/docker.tar.gz missing",
		"the registry refused the credentials agent dcos-agent-private-1 (10.0.0.33) pulls with (an archive from before a password rotation?) (the survey found its /etc/docker.tar.gz stale: other credentials)",
		"the service principal secret agent agent-10.0.0.21 (10.0.0.21) pulls with has expired",
	}
	for i, f := range fe.Failures {
		if !strings.HasPrefix(f.Cause, causes[i]) || !strings.Contains(f.Fix, "fix-acs") {
			t.Errorf("failure %d: cause %q fix %q, want %q", i, f.Cause, f.Fix, causes[i])
		}
	}
	if !strings.Contains(fe.Failures[2].Fix, "az ad sp credential reset") {
		t.Errorf("expired fix: %s", fe.Failures[2].Fix)
	}
	if res.Clusters[0].Status != deploy.StatusFailed || !strings.Contains(strings.Join(warned, "\n"), "2 agent(s) lack the current /etc/docker.tar.gz") {
		t.Errorf("result %+v, progress %v", res.Clusters[0], warned)
	}
	if !strings.Contains(err.Error(), "deploy again with --force") {
		t.Errorf("message: %v", err)
	}
}

func TestStatusComparesDigests(t *testing.T) {
	a, v := cluster(t, deploy.ACS), cluster(t, deploy.VSphere)
	a.srv.AutoRun, v.srv.AutoRun = true, true
	ctx := context.Background()
	res, err := deploy.Status(ctx, "/myapp", []deploy.Cluster{a, v})
	if err != nil || res.SameDigest || res.Settled() || res.Clusters[0].Found {
		t.Fatalf("before any deploy: %v %+v", err, res)
	}
	p := plan(t)
	for _, c := range []*fakeCluster{a, v} {
		if _, err := c.Marathon().PutApp(ctx, p.App, false); err != nil {
			t.Fatal(err)
		}
	}
	res, err = deploy.Status(ctx, "/myapp", []deploy.Cluster{a, v})
	if err != nil || !res.SameDigest || !res.Settled() {
		t.Fatalf("after: %v %+v", err, res)
	}
	other := p.App.Clone()
	other.SetImage("198.18.0.1:5443/myapp@sha256:" + strings.Repeat("cd", 32))
	other.SetLabel(marathon.LabelDigest, "")
	if _, err := v.Marathon().PutApp(ctx, other, false); err != nil {
		t.Fatal(err)
	}
	if res, _ = deploy.Status(ctx, "/myapp", []deploy.Cluster{a, v}); res.SameDigest {
		t.Errorf("different digests reported the same: %+v", res)
	}
}
