package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

// chaosPoint is where an install is interrupted: the first event at
// matches, then after delay, the signals are sent.
type chaosPoint struct {
	name  string
	at    func(installer.Event) bool
	delay time.Duration
}

func phaseStarted(id installer.PhaseID) func(installer.Event) bool {
	return func(e installer.Event) bool { return e.Kind == installer.PhaseStarted && e.PhaseID == id }
}

func phaseFinished(id installer.PhaseID) func(installer.Event) bool {
	return func(e installer.Event) bool { return e.Kind == installer.PhaseFinished && e.PhaseID == id }
}

func logLine(id installer.PhaseID, text string) func(installer.Event) bool {
	return func(e installer.Event) bool {
		return e.Kind == installer.LogLine && e.PhaseID == id && strings.Contains(e.Message, text)
	}
}

// chaosBase are points spread over the whole event stream of an install:
// every phase, inside DC/OS's download and setup on masters and agents
// (the role file is written right before the units start), and the
// health wait.
var chaosBase = []chaosPoint{
	{name: "vcenter-connected", at: phaseFinished(installer.PhaseConnectVCenter)},
	{name: "cloning", at: func(e installer.Event) bool {
		return e.Kind == installer.NodeStep && e.PhaseID == installer.PhaseCreateVMs && strings.HasPrefix(e.Step, "cloning")
	}},
	{name: "vms-ready", at: phaseFinished(installer.PhaseCreateVMs)},
	{name: "connecting", at: phaseStarted(installer.PhaseConnectNodes)},
	{name: "preparing", at: phaseStarted(installer.PhasePrepareNodes)},
	{name: "generating", at: func(e installer.Event) bool {
		return e.Kind == installer.NodeStep && e.PhaseID == installer.PhaseBootstrap && e.Step == "dcos_generate_config.sh"
	}},
	{name: "serving", at: phaseFinished(installer.PhaseBootstrap)},
	{name: "master-install-start", at: logLine(installer.PhaseInstallMasters, "Starting DC/OS Install Process")},
	{name: "master-setup", at: logLine(installer.PhaseInstallMasters, "Creating role file for master")},
	{name: "agent-install-start", at: logLine(installer.PhaseInstallAgents, "Starting DC/OS Install Process")},
	{name: "agent-setup", at: logLine(installer.PhaseInstallAgents, "Creating role file for slave")},
	{name: "health", at: phaseStarted(installer.PhaseHealth)},
}

// chaosPoints are n points: the base ones, then the same with growing
// delays after their event (landing later inside the step).
func chaosPoints(n int) []chaosPoint {
	delays := []time.Duration{0, 150 * time.Millisecond, 400 * time.Millisecond, 900 * time.Millisecond, 1800 * time.Millisecond}
	var out []chaosPoint
	for i := 0; len(out) < n; i++ {
		b := chaosBase[i%len(chaosBase)]
		d := delays[(i/len(chaosBase))%len(delays)]
		out = append(out, chaosPoint{name: fmt.Sprintf("%s+%s", b.name, d), at: b.at, delay: d})
	}
	return out
}

// chaosCount is how many kill -9 points the sweep tries: 12 in make test,
// DCOS_VSPHERE_CHAOS_POINTS (make chaos: 60) otherwise.
func chaosCount(t *testing.T) int {
	if v := os.Getenv("DCOS_VSPHERE_CHAOS_POINTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("DCOS_VSPHERE_CHAOS_POINTS=%q: want a positive number", v)
		}
		return n
	}
	return 12
}

// interrupt starts the CLI (-o json) and, at the point, sends sigs one
// after the other (SIGKILL: the process dies at once). It returns the
// exit code and whether the point was reached before the run ended.
func interrupt(t *testing.T, p chaosPoint, sigs []syscall.Signal, args ...string) (exit int, reached bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliPath, append(args, "-o", "json")...)
	cmd.Env = append(os.Environ(), "CI=true")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	for sc.Scan() {
		var e installer.Event
		if json.Unmarshal(sc.Bytes(), &e) != nil || !p.at(e) {
			continue
		}
		reached = true
		if p.delay > 0 {
			time.Sleep(p.delay) // the interruption lands this much later inside the step: the point itself, not a synchronisation
		}
		for _, s := range sigs {
			_ = cmd.Process.Signal(s)
		}
		go func() { // drain so that the child never blocks writing
			for sc.Scan() {
			}
		}()
		break
	}
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		exit = ee.ExitCode()
		if st, ok := ee.Sys().(syscall.WaitStatus); ok && st.Signaled() {
			exit = 128 + int(st.Signal())
		}
	}
	return exit, reached
}

// A run interrupted at any point of the install (kill -9, two Ctrl-C,
// SIGHUP) is finished by one re-run: healthy, exactly the planned VMs,
// every DC/OS node on the same dcos-config, no upload temp file anywhere.
func TestChaosResumeFromAnyPoint(t *testing.T) {
	l := needLab(t)
	type pass struct {
		name string
		sigs []syscall.Signal
		n    int
	}
	n := chaosCount(t)
	passes := []pass{
		{"kill-9", []syscall.Signal{syscall.SIGKILL}, n},
		{"sigint-twice", []syscall.Signal{syscall.SIGINT, syscall.SIGINT}, max(3, n/4)},
		{"sighup", []syscall.Signal{syscall.SIGHUP}, max(3, n/4)},
	}
	for _, ps := range passes {
		for i, p := range chaosPoints(ps.n) {
			// spread the second and third passes over the points too
			if ps.name != "kill-9" {
				p = chaosPoints(len(chaosBase))[(i*len(chaosBase)/ps.n)%len(chaosBase)]
			}
			t.Run(ps.name+"/"+p.name, func(t *testing.T) {
				c := newCluster(t, l, fmt.Sprintf("c%c%d", ps.name[0], i), 160, 3, 2, 0)
				defer c.destroy(t)
				exit, reached := interrupt(t, p, ps.sigs, "install", "--config", c.Path)
				if !reached {
					t.Fatalf("the install ended (exit %d) before %s", exit, p.name)
				}
				switch ps.name {
				case "kill-9":
					if exit != 128+int(syscall.SIGKILL) {
						t.Errorf("exit %d after SIGKILL", exit)
					}
				default:
					if exit != 130 && exit != 0 {
						t.Errorf("exit %d after %v, want 130 (stopped) or 0 (it had just finished)", exit, ps.sigs)
					}
				}
				r := run(t, 10*time.Minute, "install", "--config", c.Path, "-o", "json")
				ok(t, r, "re-run after "+ps.name+" at "+p.name)
				c.assertResumed(t)
			})
		}
	}
}

// assertResumed: healthy, exactly the planned VMs, one dcos-config on
// every DC/OS node, and no temp file of an upload left on any host.
func (c *cluster) assertResumed(t *testing.T) {
	t.Helper()
	all := append(append([]string{}, c.masters()...), c.agents()...)
	c.assertHealthy(t, all...)
	if n := c.vmCount(t); n != 1+c.Masters+c.Agents+c.PublicAgents {
		t.Errorf("VMs = %d, want %d (no duplicates, none missing)", n, 1+c.Masters+c.Agents+c.PublicAgents)
	}
	pkgs := map[string][]string{}
	for _, n := range all {
		p := strings.TrimSpace(c.hostSh(t, n, "basename $(readlink /opt/mesosphere/active/dcos-config)"))
		pkgs[p] = append(pkgs[p], n)
	}
	if len(pkgs) != 1 {
		t.Errorf("nodes run different DC/OS configs: %v", pkgs)
	}
	for _, h := range c.lab.Hosts() {
		if !c.owns(h.IP().String()) {
			continue
		}
		_ = filepath.WalkDir(h.Dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.Contains(d.Name(), ".tmp-") {
				t.Errorf("%s: temp file %s left", h.Name(), p)
			}
			return nil
		})
	}
}

// destroy removes the cluster's VMs (their hosts go with them), so the
// next test can use the addresses.
func (c *cluster) destroy(t *testing.T) {
	t.Helper()
	r := run(t, 5*time.Minute, "destroy", "--config", c.Path, "--force")
	if r.Exit != 0 {
		t.Errorf("destroy: exit %d\n%s", r.Exit, tail(r.Stderr, 10))
		return
	}
	// Hosts follow VMs asynchronously: poll, bounded.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		left := 0
		for _, h := range c.lab.Hosts() {
			if c.owns(h.IP().String()) && strings.HasPrefix(h.Name(), c.Name+"-") {
				left++
			}
		}
		if left == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("hosts of %s still up 30 s after destroy", c.Name)
}

// owns reports whether ip is one of the cluster's node addresses.
func (c *cluster) owns(ip string) bool {
	if ip == addr(c.lab.Subnet(), c.Base, 0) {
		return true
	}
	for _, list := range [][]string{c.masterIPs, c.agentIPs, c.publicIPs} {
		for _, a := range list {
			if a == ip {
				return true
			}
		}
	}
	return false
}
