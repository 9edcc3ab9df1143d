package installer_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
	it "github.com/dcos-vsphere/dcos-vsphere/installer/installertest"
	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

const pendingMarker = "/etc/dcos-vsphere/registry-restart-pending"

// registryWorld is a cluster of 1 master, 2 agents and 1 public agent
// with a registry section (password pw).
func registryWorld(t *testing.T, pw string) (*it.Env, installer.GenconfFiles) {
	t.Helper()
	t.Setenv("TEST_REGISTRY_PASSWORD", pw)
	c := it.ConfigWithRegistry(t, "reg", 1, 2, 1)
	return it.New(t, c), it.Files(c, "v1")
}

// withPassword switches the world's cluster.yaml to another registry
// password, as an admin editing it before `registry rotate` would.
func withPassword(t *testing.T, e *it.Env, pw string) {
	t.Helper()
	t.Setenv("TEST_REGISTRY_PASSWORD", pw)
	e.Cluster = it.ConfigWithRegistry(t, "reg", 1, 2, 1)
}

func nodeFiles(t *testing.T, pw string) map[string][]byte {
	t.Helper()
	files, err := registry.NodeFiles(registry.Credentials{Server: "acr.test", Username: "acr", Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		out[f.Path] = f.Data
	}
	return out
}

func agentNames(e *it.Env) []string {
	var out []string
	for _, n := range installer.WantedNodes(e.Cluster) {
		if n.Role == installer.RoleAgent || n.Role == installer.RolePublicAgent {
			out = append(out, n.Name)
		}
	}
	return out
}

// noSecretIn fails when an event, action or result of the run shows the
// password or the base64 auth that holds it.
func noSecretIn(t *testing.T, e *it.Env, res *installer.Result, pw string) {
	t.Helper()
	auth := base64.StdEncoding.EncodeToString([]byte("acr:" + pw))
	var text strings.Builder
	for _, ev := range e.Events.All() {
		text.WriteString(ev.Message + " " + ev.Step + "\n")
	}
	if res != nil {
		for _, a := range res.Actions {
			text.WriteString(a.What + "\n")
		}
		text.WriteString(res.Error)
	}
	if s := text.String(); strings.Contains(s, pw) || strings.Contains(s, auth) {
		t.Errorf("the registry secret shows in the run's events or result")
	}
}

// install with a registry: every agent and public agent gets both files,
// root 0600, with cluster.yaml's credentials, before dcos_install.sh (the
// fake Mesos agent, like the real one, does not start without its
// --docker_config); masters and the bootstrap node get none; the secret
// shows nowhere; a re-run writes nothing.
func TestInstallPutsRegistryFilesOnAgents(t *testing.T) {
	e, files := registryWorld(t, "first-Secret-1")
	res := mustInstall(t, e, files)
	want := nodeFiles(t, "first-Secret-1")
	for _, n := range installer.WantedNodes(e.Cluster) {
		h := e.HostOf(n.Name)
		for path, data := range want {
			got, ok := h.Files[path]
			switch {
			case n.Role == installer.RoleAgent || n.Role == installer.RolePublicAgent:
				if string(got) != string(data) || h.Modes[path] != 0o600 {
					t.Errorf("%s: %s = %d bytes mode %o, want the credentials at 0600", n.Name, path, len(got), h.Modes[path])
				}
			case ok:
				t.Errorf("%s (%s) got %s", n.Name, n.Role, path)
			}
		}
	}
	for _, nr := range res.Nodes {
		if (nr.Role == installer.RoleAgent || nr.Role == installer.RolePublicAgent) != (nr.Registry != "") {
			t.Errorf("%s: registry %q", nr.Name, nr.Registry)
		}
	}
	if !res.Healthy() {
		t.Errorf("not healthy: %+v", res.Nodes)
	}
	noSecretIn(t, e, res, "first-Secret-1")

	res = mustInstall(t, e, files)
	for _, a := range res.Actions {
		t.Errorf("re-run did %s on %s", a.What, a.Node)
	}
}

// The plan of a new cluster says, per agent, that the credentials will be
// written; what install then does matches.
func TestPlanNamesRegistryFiles(t *testing.T) {
	e, files := registryWorld(t, "first-Secret-1")
	r := e.Run(files)
	r.Options.DryRun = true
	plan, err := r.Execute(context.Background(), installer.InstallFlow())
	if err != nil {
		t.Fatal(err)
	}
	planned := map[string]bool{}
	for _, a := range plan.Actions {
		if strings.Contains(a.What, registry.CredentialsPath) {
			planned[a.Node] = true
		}
	}
	res := mustInstall(t, e, files)
	done := map[string]bool{}
	for _, a := range res.Actions {
		if strings.Contains(a.What, registry.CredentialsPath) {
			done[a.Node] = true
		}
	}
	for _, name := range agentNames(e) {
		if !planned[name] || !done[name] {
			t.Errorf("%s: planned %v, done %v", name, planned[name], done[name])
		}
	}
	if len(planned) != len(agentNames(e)) || len(done) != len(planned) {
		t.Errorf("planned %v, done %v", planned, done)
	}
}

// A cluster installed the old way (credentials in DC/OS's config) is
// reported as such and never changed: exit 2, no file written.
func TestLegacyRegistryClusterIsRefused(t *testing.T) {
	e, files := registryWorld(t, "first-Secret-1")
	mustInstall(t, e, files)
	h := e.HostOf("reg-agent-1")
	h.Set(func(h *it.Host) {
		h.Files[registry.LegacyCredentialsPath] = []byte(`{"auths":{}}`)
		delete(h.Files, registry.CredentialsPath)
	})
	res, err := install(t, e, files)
	var ce *installer.ConflictError
	if !errors.As(err, &ce) || ce.ExitCode() != 2 || !strings.Contains(err.Error(), "installed the old way") || !strings.Contains(err.Error(), "reg-agent-1") {
		t.Fatalf("err = %v", err)
	}
	if _, ok := h.Files[registry.CredentialsPath]; ok {
		t.Error("the legacy agent got the new file")
	}
	if len(res.Actions) != 0 {
		t.Errorf("actions %v", res.Actions)
	}
}

// install with a changed password leaves installed agents alone (their
// Mesos agent would need a restart) and says to rotate; status reports
// them and is not healthy.
func TestChangedPasswordIsLeftToRotate(t *testing.T) {
	e, files := registryWorld(t, "first-Secret-1")
	mustInstall(t, e, files)
	withPassword(t, e, "second-Secret-2")
	res := mustInstall(t, e, files)
	if len(res.Actions) != 0 {
		t.Errorf("install rewrote: %v", res.Actions)
	}
	warned := 0
	for _, ev := range e.Events.All() {
		if ev.Kind == installer.Warning && strings.Contains(ev.Message, "registry rotate") {
			warned++
		}
	}
	if warned != len(agentNames(e)) {
		t.Errorf("%d rotate warnings, want one per agent (%d)", warned, len(agentNames(e)))
	}
	st, err := e.Run(files).Execute(context.Background(), installer.StatusFlow())
	if err != nil {
		t.Fatal(err)
	}
	if st.Healthy() {
		t.Error("status healthy with stale credentials on every agent")
	}
	for _, nr := range st.Nodes {
		if nr.Role == installer.RoleAgent && !strings.Contains(nr.Registry, "stale") {
			t.Errorf("%s: registry %q", nr.Name, nr.Registry)
		}
	}
	noSecretIn(t, e, st, "second-Secret-2")
}

// restarts lists "restart:NODE" and "healthy:NODE" in event order.
func restarts(e *it.Env) []string {
	var out []string
	for _, ev := range e.Events.All() {
		if ev.PhaseID != installer.PhaseRotateRegistry {
			continue
		}
		switch {
		case ev.Kind == installer.NodeStep && strings.HasPrefix(ev.Step, "restart "):
			out = append(out, "restart:"+ev.Node)
		case ev.Kind == installer.NodeDone && ev.Message == "healthy":
			out = append(out, "healthy:"+ev.Node)
		}
	}
	return out
}

func rotate(t *testing.T, e *it.Env, files installer.GenconfFiles) (*installer.Result, error) {
	t.Helper()
	e.Events.Reset()
	return e.Run(files).Execute(context.Background(), installer.RotateFlow())
}

// registry rotate: every agent gets the new files, one agent at a time
// (restarted and healthy before the next is touched); the old password
// is gone from every node; a second rotate does nothing.
func TestRotateOneAgentAtATime(t *testing.T) {
	e, files := registryWorld(t, "first-Secret-1")
	mustInstall(t, e, files)
	withPassword(t, e, "second-Secret-2")
	res, err := rotate(t, e, files)
	if err != nil {
		t.Fatalf("rotate: %v", err)
	}
	var want []string
	for _, name := range agentNames(e) {
		want = append(want, "restart:"+name, "healthy:"+name)
	}
	if got := restarts(e); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("order:\n got %v\nwant %v", got, want)
	}
	newFiles, old := nodeFiles(t, "second-Secret-2"), base64.StdEncoding.EncodeToString([]byte("acr:first-Secret-1"))
	for _, v := range e.Cloud.VMs() {
		h := e.HostOf(v.Name)
		for path, data := range h.Files {
			if strings.Contains(string(data), old) {
				t.Errorf("%s: %s still holds the old password", v.Name, path)
			}
		}
		if _, pending := h.Files[pendingMarker]; pending {
			t.Errorf("%s: restart still pending", v.Name)
		}
	}
	for _, name := range agentNames(e) {
		if got := e.HostOf(name).Files[registry.CredentialsPath]; string(got) != string(newFiles[registry.CredentialsPath]) {
			t.Errorf("%s: credentials not rotated", name)
		}
	}
	if res.Changed != len(agentNames(e)) {
		t.Errorf("changed %d", res.Changed)
	}
	noSecretIn(t, e, res, "second-Secret-2")

	before := map[string]int{}
	for _, name := range agentNames(e) {
		before[name] = e.HostOf(name).Ran("restart-agent")
	}
	res, err = rotate(t, e, files)
	if err != nil || res.Changed != 0 {
		t.Fatalf("second rotate: %v, changed %d", err, res.Changed)
	}
	for _, name := range agentNames(e) {
		if e.HostOf(name).Ran("restart-agent") != before[name] {
			t.Errorf("second rotate restarted %s", name)
		}
	}
}

// A rotate cut short (an agent's restart fails) stops there: the agents
// after it are untouched (never two agents down), the failed one keeps a
// pending restart, and the next rotate finishes exactly what is left.
func TestRotateCutShortIsFinished(t *testing.T) {
	e, files := registryWorld(t, "first-Secret-1")
	mustInstall(t, e, files)
	withPassword(t, e, "second-Secret-2")
	agents := agentNames(e)
	second := e.HostOf(agents[1])
	second.Fail("restart-agent", it.Fault("systemd timed out"))
	_, err := rotate(t, e, files)
	if err == nil || !strings.Contains(err.Error(), agents[1]) {
		t.Fatalf("rotate: %v, want %s named", err, agents[1])
	}
	if _, pending := second.Files[pendingMarker]; !pending {
		t.Error("no pending restart recorded on the failed agent")
	}
	for _, name := range agents[2:] {
		if n := e.HostOf(name).Ran("restart-agent"); n != 0 {
			t.Errorf("%s restarted %d times while %s was down", name, n, agents[1])
		}
	}
	second.Fail("restart-agent", nil)
	if _, err := rotate(t, e, files); err != nil {
		t.Fatalf("second rotate: %v", err)
	}
	for i, name := range agents {
		want := 1
		if i == 1 {
			want = 2 // the failed attempt and the finishing one
		}
		if n := e.HostOf(name).Ran("restart-agent"); n != want {
			t.Errorf("%s restarted %d times, want %d", name, n, want)
		}
	}
}

// plan of a rotate names the agents it would restart and changes nothing.
func TestRotatePlan(t *testing.T) {
	e, files := registryWorld(t, "first-Secret-1")
	mustInstall(t, e, files)
	withPassword(t, e, "second-Secret-2")
	r := e.Run(files)
	r.Options.DryRun = true
	res, err := r.Execute(context.Background(), installer.RotateFlow())
	if err != nil {
		t.Fatal(err)
	}
	nodes := map[string]bool{}
	for _, a := range res.Actions {
		if a.Phase == installer.PhaseRotateRegistry {
			nodes[a.Node] = true
		}
	}
	if len(nodes) != len(agentNames(e)) {
		t.Errorf("planned %v", nodes)
	}
	for _, name := range agentNames(e) {
		if e.HostOf(name).Ran("restart-agent") != 0 {
			t.Errorf("plan restarted %s", name)
		}
	}
}
