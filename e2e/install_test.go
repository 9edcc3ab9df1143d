package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

// dcosFilesSum fingerprints a node's DC/OS files (content and mtime), so a
// test can prove a node was not touched.
const dcosFilesSum = `find /opt/mesosphere /etc/mesosphere /etc/systemd/system -type f -printf '%p %T@\n' 2>/dev/null | sort | sha256sum; ` +
	`find /opt/mesosphere /etc/mesosphere -type f -print0 2>/dev/null | sort -z | xargs -0 cat | sha256sum`

// The demo topology: install, re-run (nothing to do), add agents (existing
// nodes and the served config untouched).
func TestInstallRerunAndAddAgents(t *testing.T) {
	l := needLab(t)
	c := newCluster(t, l, "demo", 10, 3, 2, 1)

	r := run(t, 10*time.Minute, "install", "--config", c.Path)
	ok(t, r, "install")
	for _, want := range []string{"Install masters", "Install agents", "Check cluster health", "is up"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("install output lacks %q", want)
		}
	}
	all := append(append(append([]string{}, c.masters()...), c.agents()...), c.publics()...)
	c.assertHealthy(t, all...)

	// Exhibitor, seen from a master itself: 3 serving, exactly 1 leader.
	var members []struct {
		Description string `json:"description"`
		IsLeader    bool   `json:"isLeader"`
	}
	body := c.hostSh(t, c.masters()[1], "curl -fsS --max-time 5 http://127.0.0.1:8181/exhibitor/v1/cluster/status")
	if err := json.Unmarshal([]byte(body), &members); err != nil {
		t.Fatalf("exhibitor status: %v\n%s", err, body)
	}
	serving, leaders := 0, 0
	for _, m := range members {
		if m.Description == "serving" {
			serving++
		}
		if m.IsLeader {
			leaders++
		}
	}
	if serving != 3 || leaders != 1 {
		t.Fatalf("exhibitor: %d serving, %d leaders: %s", serving, leaders, body)
	}

	// Re-run on a finished cluster: nothing is cloned or installed.
	before := map[string]string{}
	for _, n := range all {
		before[n] = c.hostSh(t, n, dcosFilesSum)
	}
	served := c.hostSh(t, c.Name+"-bootstrap", "cd /opt/dcos-bootstrap/genconf/serve && find . -type f -printf '%p %s %T@\\n' | sort | sha256sum")
	r = run(t, 5*time.Minute, "install", "--config", c.Path, "-o", "json")
	ok(t, r, "re-run install")
	for _, e := range r.Events {
		switch e.PhaseID {
		case installer.PhaseInstallMasters, installer.PhaseInstallAgents, installer.PhasePrepareNodes, installer.PhaseBootstrap,
			installer.PhaseTemplate, installer.PhaseCreateVMs:
			if e.Kind == installer.PhaseStarted {
				t.Errorf("re-run started phase %s", e.PhaseID)
			}
		}
	}
	if res := resultOf(t, r); res.Changed != 0 || len(res.Actions) != 0 || !res.Healthy() {
		t.Errorf("re-run: changed %d, actions %v, healthy %v", res.Changed, res.Actions, res.Healthy())
	}
	if !strings.Contains(r.Stdout, "0 to create") || !strings.Contains(r.Stdout, "every node runs DC/OS") {
		t.Errorf("re-run does not say there is nothing to do:\n%s", tail(r.Stdout, 40))
	}
	if text := run(t, 5*time.Minute, "install", "--config", c.Path); text.Exit != 0 || !strings.Contains(text.Stdout, "Nothing to do") {
		t.Errorf("text re-run (exit %d) does not say there is nothing to do:\n%s", text.Exit, tail(text.Stdout, 20))
	}

	// add-agents: 2 private + 1 public, from the existing serve directory.
	r = run(t, 10*time.Minute, "add-agents", "--config", c.Path, "--agents", "2", "--public", "1")
	ok(t, r, "add-agents")
	newAgents := []string{c.Name + "-agent-3", c.Name + "-agent-4", c.Name + "-public-2"}
	c.assertHealthy(t, newAgents...)
	for _, n := range all {
		if got := c.hostSh(t, n, dcosFilesSum); got != before[n] {
			t.Errorf("%s: DC/OS files changed by add-agents", n)
		}
	}
	if got := c.hostSh(t, c.Name+"-bootstrap", "cd /opt/dcos-bootstrap/genconf/serve && find . -type f -printf '%p %s %T@\\n' | sort | sha256sum"); got != served {
		t.Errorf("genconf/serve changed by add-agents")
	}
	if n := c.vmCount(t); n != 1+3+2+1+3 {
		t.Errorf("VMs = %d, want 10", n)
	}
}
