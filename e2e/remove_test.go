package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

// mesosSlaves is what the leading Mesos master lists, read on the master
// itself: the agents' addresses (from their pids) and master/slaves_active.
func (c *cluster) mesosSlaves(t *testing.T, master string) ([]string, int) {
	t.Helper()
	var s struct {
		Slaves []struct {
			PID string `json:"pid"`
		} `json:"slaves"`
	}
	body := c.hostSh(t, master, "curl -fsS --max-time 5 http://127.0.0.1:5050/master/slaves")
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatalf("/master/slaves: %v\n%s", err, body)
	}
	var ips []string
	for _, a := range s.Slaves {
		_, hp, _ := strings.Cut(a.PID, "@")
		ip, _, _ := strings.Cut(hp, ":")
		ips = append(ips, ip)
	}
	slices.Sort(ips)
	var m map[string]float64
	body = c.hostSh(t, master, "curl -fsS --max-time 5 http://127.0.0.1:5050/metrics/snapshot")
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("metrics: %v\n%s", err, body)
	}
	return ips, int(m["master/slaves_active"])
}

// assertConfigNodes checks that the cluster's file lists exactly the
// bootstrap node and these nodes.
func (c *cluster) assertConfigNodes(t *testing.T, want ...string) {
	t.Helper()
	cc, _, err := config.Load(c.Path)
	if err != nil {
		t.Fatalf("load %s: %v", c.Path, err)
	}
	var got []string
	for _, n := range cc.AllNodes() {
		if n.Role != config.RoleBootstrap {
			got = append(got, n.Name)
		}
	}
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s lists %v, want %v", c.Path, got, want)
	}
}

func (c *cluster) knownHosts(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(c.Dir, ".dcos-vsphere", c.Name, "known_hosts"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// remove-agents on the lab: a dry run changes nothing; a master and the
// bootstrap node are refused; one private and one public agent are drained
// (the Mesos master drops them) and deleted with their known_hosts
// entries, the rest stays healthy; a run killed with SIGKILL in the middle
// of a removal is finished by the next one.
func TestRemoveAgents(t *testing.T) {
	l := needLab(t)
	c := newCluster(t, l, "rm", 24, 1, 3, 2)
	ok(t, run(t, 10*time.Minute, "install", "--config", c.Path), "install")
	master := c.masters()[0]
	agents, publics := c.agents(), c.publics()
	all := append(append([]string{}, c.agentIPs...), c.publicIPs...)
	slices.Sort(all)
	// Agents register within a round or two of the health check: bounded poll.
	deadline := time.Now().Add(30 * time.Second)
	for {
		listed, active := c.mesosSlaves(t, master)
		if slices.Equal(listed, all) && active == len(all) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after install Mesos lists %v (%d active), want %v", listed, active, all)
		}
		time.Sleep(250 * time.Millisecond)
	}

	// The dry run says what it would do, per agent, and does none of it.
	r := run(t, 3*time.Minute, "remove-agents", "--config", c.Path, "--agent", agents[0], "--agent", publics[0], "--dry-run")
	ok(t, r, "remove-agents --dry-run")
	t.Logf("remove-agents --dry-run:\n%s", r.Stdout)
	for _, want := range []string{"stop dcos-mesos-slave (SIGUSR1 first", "stop dcos-mesos-slave-public (SIGUSR1 first", "power off and delete vm-", "2 node(s) to change."} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, r.Stdout)
		}
	}
	if listed, _ := c.mesosSlaves(t, master); !slices.Equal(listed, all) || c.vmCount(t) != 7 {
		t.Fatalf("the dry run changed the cluster: Mesos lists %v, %d VMs", listed, c.vmCount(t))
	}

	// A master and the bootstrap node are refused, exit 2, nothing done.
	for _, name := range []string{master, c.Name + "-bootstrap"} {
		r = run(t, 3*time.Minute, "remove-agents", "--config", c.Path, "--agent", name, "--agent", agents[1])
		if r.Exit != 2 || !strings.Contains(r.Stderr, "--agent "+name+": it is") || !strings.Contains(r.Stderr, "nothing was changed") {
			t.Fatalf("remove-agents %s: exit %d\n%s", name, r.Exit, r.Stderr)
		}
		t.Logf("remove-agents --agent %s: exit 2: %s", name, strings.TrimSpace(r.Stderr))
	}
	if listed, _ := c.mesosSlaves(t, master); !slices.Equal(listed, all) || c.vmCount(t) != 7 {
		t.Fatalf("a refused run changed the cluster: Mesos lists %v, %d VMs", listed, c.vmCount(t))
	}

	// One private and one public agent.
	kh := c.knownHosts(t)
	for _, ip := range []string{c.agentIPs[0], c.publicIPs[0]} {
		if !bytes.Contains(kh, []byte(ip+" ")) {
			t.Fatalf("known_hosts has no entry for %s before the removal:\n%s", ip, kh)
		}
	}
	r = run(t, 5*time.Minute, "remove-agents", "--config", c.Path, "--agent", agents[0], "--agent", publics[0], "-o", "json")
	ok(t, r, "remove-agents")
	res := resultOf(t, r)
	if got := res.Removed(); !slices.Equal(got, []string{agents[0], publics[0]}) || res.Status != "ok" {
		t.Fatalf("result: removed %v, status %s", got, res.Status)
	}
	var drained []string
	for _, e := range r.Events {
		if e.Kind == installer.NodeDone && e.PhaseID == installer.PhaseDrainAgents {
			drained = append(drained, e.Node)
		}
		if e.Kind == installer.PhaseStarted && e.PhaseID == installer.PhaseRemoveVMs && len(drained) != 2 {
			t.Fatalf("VMs deleted before Mesos dropped both agents (drained: %v)", drained)
		}
	}
	rest := []string{c.agentIPs[1], c.agentIPs[2], c.publicIPs[1]}
	slices.Sort(rest)
	if listed, active := c.mesosSlaves(t, master); !slices.Equal(listed, rest) || active != 3 {
		t.Fatalf("Mesos lists %v (%d active), want %v", listed, active, rest)
	}
	kh = c.knownHosts(t)
	for _, ip := range []string{c.agentIPs[0], c.publicIPs[0]} {
		if bytes.Contains(kh, []byte(ip+" ")) {
			t.Errorf("known_hosts keeps %s:\n%s", ip, kh)
		}
	}
	// The file no longer lists them (the groups became lists of the hosts
	// that stay), so status and the next install know nothing of them.
	if !strings.Contains(r.Stderr, "updated "+c.Path+" (") {
		t.Errorf("no file update reported on stderr:\n%s", r.Stderr)
	}
	c.assertConfigNodes(t, master, agents[1], agents[2], publics[1])
	st := c.status(t)
	for _, n := range []string{agents[0], publics[0]} {
		if s, listed := st[n]; listed {
			t.Errorf("status still lists %s: %+v", n, s)
		}
	}
	c.assertHealthy(t, master, agents[1], agents[2], publics[1])
	if _, ok := l.Host(agents[0]); ok {
		// the lab host follows its VM asynchronously: bounded
		deadline := time.Now().Add(20 * time.Second)
		for ok && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
			_, ok = l.Host(agents[0])
		}
		if ok {
			t.Errorf("the lab host of %s is still up", agents[0])
		}
	}

	// Killed right after Mesos dropped the agent, before its VM is
	// deleted: the next run finds it drained and finishes.
	runAndKill(t, 5*time.Minute, func(e installer.Event) bool {
		return e.Kind == installer.NodeDone && e.PhaseID == installer.PhaseDrainAgents && e.Node == agents[1]
	}, "remove-agents", "--config", c.Path, "--agent", agents[1])
	if listed, _ := c.mesosSlaves(t, master); slices.Contains(listed, c.agentIPs[1]) {
		t.Fatalf("after the kill Mesos still lists %s: %v", c.agentIPs[1], listed)
	}
	r = run(t, 5*time.Minute, "remove-agents", "--config", c.Path, "--agent", agents[1], "-o", "json")
	ok(t, r, "remove-agents after kill -9")
	if got := resultOf(t, r).Removed(); !slices.Equal(got, []string{agents[1]}) {
		t.Fatalf("the re-run removed %v", got)
	}
	if s, listed := c.status(t)[agents[1]]; listed {
		t.Fatalf("%s after the re-run: %+v", agents[1], s)
	}
	c.assertConfigNodes(t, master, agents[2], publics[1])
	c.assertHealthy(t, master, agents[2], publics[1])

	// Once more: nothing to do.
	r = run(t, 3*time.Minute, "remove-agents", "--config", c.Path, "--agent", agents[0], "--agent", publics[0], "--agent", agents[1])
	ok(t, r, "remove-agents again")
	t.Logf("remove-agents again:\n%s", tail(r.Stdout, 12))
	if !strings.Contains(r.Stdout, "Nothing to do") || strings.Contains(r.Stdout, "updated ") {
		t.Errorf("third run:\n%s", r.Stdout)
	}
	ok(t, run(t, 5*time.Minute, "destroy", "--config", c.Path, "--force"), "destroy")
}
