package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

// Two clusters with one name in two folders: the second config can
// neither see, adopt nor destroy the first cluster's VMs.
func TestSameNameSecondConfigCannotTouchTheFirst(t *testing.T) {
	l := needLab(t)
	a := newCluster(t, l, "twin", 150, 1, 1, 0)
	ok(t, run(t, 10*time.Minute, "install", "--config", a.Path), "install the first twin")
	b := newCluster(t, l, "twin", 180, 1, 1, 0)
	b.Folder = "e2e-twin-other"
	b.write(t)

	r := run(t, 3*time.Minute, "destroy", "--config", b.Path, "--force", "-o", "json")
	ok(t, r, "destroy with the second config")
	var res installer.Result
	if err := json.Unmarshal([]byte(strings.TrimSpace(r.Stdout)), &res); err != nil || len(res.Actions) != 0 {
		t.Fatalf("destroy with the second config deleted %v (%v)", res.Actions, err)
	}
	a.assertHealthy(t, append(a.masters(), a.agents()...)...)
	ok(t, run(t, 10*time.Minute, "install", "--config", b.Path), "install the second twin")
	// Both are healthy, each with its own VMs: nothing was adopted.
	a.assertHealthy(t, append(a.masters(), a.agents()...)...)
	b.assertHealthy(t, append(b.masters(), b.agents()...)...)
	if a.status(t)[a.masters()[0]].IP == b.status(t)[b.masters()[0]].IP {
		t.Fatal("the twins share a master")
	}
	b.destroy(t)
	a.assertHealthy(t, append(a.masters(), a.agents()...)...)
	a.destroy(t)
}

// A machine at a VM's address that is not that VM (its product_uuid lies)
// is refused with both identities; status says so and exits 4.
func TestAdoptionRefusedOnIdentityMismatch(t *testing.T) {
	l := needLab(t)
	c := newCluster(t, l, "ident", 195, 1, 1, 0)
	defer c.destroy(t)
	ok(t, run(t, 10*time.Minute, "install", "--config", c.Path), "install")
	h, _ := l.Host(c.agents()[0])
	if err := h.SetProductUUID("00000000-0000-4000-8000-00000000beef"); err != nil {
		t.Fatal(err)
	}
	r := run(t, 5*time.Minute, "install", "--config", c.Path)
	if r.Exit != 2 || !strings.Contains(r.Stderr, "is not the machine this cluster means") || !strings.Contains(r.Stderr, "00000000-0000-4000-8000-00000000beef") ||
		!strings.Contains(r.Stderr, "BIOS UUID") {
		t.Fatalf("exit %d, want 2 with both identities:\n%s", r.Exit, tail(r.Stderr, 10))
	}
	s := run(t, 3*time.Minute, "status", "--config", c.Path)
	if s.Exit != 4 || !strings.Contains(s.Stdout, "REFUSED") {
		t.Fatalf("status exit %d:\n%s", s.Exit, s.Stdout)
	}
	if err := h.SetProductUUID(h.ProductUUID); err != nil {
		t.Fatal(err)
	}
	ok(t, run(t, 3*time.Minute, "status", "--config", c.Path), "status once the identity is right again")
}

// A config that gives a node the address of another cluster's live agent
// is refused before any VM is cloned: that machine is never touched.
func TestAddressInUseRefusedBeforeAnyClone(t *testing.T) {
	l := needLab(t)
	owner := newCluster(t, l, "owner", 205, 1, 1, 0)
	defer owner.destroy(t)
	ok(t, run(t, 10*time.Minute, "install", "--config", owner.Path), "install the owner")
	before := owner.hostSh(t, owner.agents()[0], dcosFilesSum)
	// The intruder's masters and agents take the owner's block: its agent
	// lands on the owner's agent.
	intruder := newCluster(t, l, "intr", 205, 1, 1, 0)
	r := run(t, 5*time.Minute, "install", "--config", intruder.Path)
	if r.Exit != 2 || !strings.Contains(r.Stderr, "is in use") {
		t.Fatalf("exit %d, want 2 and the address in use:\n%s", r.Exit, tail(r.Stderr, 10))
	}
	if n := intruder.vmCount(t); n != 0 {
		t.Fatalf("%d VMs of the intruder were created", n)
	}
	if got := owner.hostSh(t, owner.agents()[0], dcosFilesSum); got != before {
		t.Fatal("the owner's agent was changed")
	}
	// plan says the same, with the same exit code, and creates nothing.
	p := run(t, 3*time.Minute, "plan", "--config", intruder.Path)
	if p.Exit != 2 || !strings.Contains(p.Stdout, "is in use") {
		t.Fatalf("plan exit %d:\n%s", p.Exit, p.Stdout)
	}
}

// add-agents cut short after cloning leaves a marked agent that was never
// installed: the next add-agents finishes it and clones nothing more. A
// changed DC/OS config is refused before anything is cloned.
func TestAddAgentsResumesAndRefusesDrift(t *testing.T) {
	l := needLab(t)
	c := newCluster(t, l, "stray", 215, 1, 1, 0)
	defer c.destroy(t)
	ok(t, run(t, 10*time.Minute, "install", "--config", c.Path), "install")
	runAndKill(t, 5*time.Minute, phaseFinished(installer.PhaseCreateVMs), "add-agents", "--config", c.Path, "--agents", "1")
	if n := c.vmCount(t); n != 4 {
		t.Fatalf("VMs after the cut add-agents = %d, want 4", n)
	}
	r := run(t, 10*time.Minute, "add-agents", "--config", c.Path, "--agents", "1", "-o", "json")
	ok(t, r, "add-agents again")
	if n := c.vmCount(t); n != 4 {
		t.Fatalf("VMs after the second add-agents = %d, want 4 (the stranded agent finished, not replaced)", n)
	}
	c.assertHealthy(t, c.Name+"-agent-2")

	c.DCOSConfig = map[string]any{"telemetry_enabled": true}
	c.write(t)
	r = run(t, 5*time.Minute, "add-agents", "--config", c.Path, "--agents", "1")
	if r.Exit != 2 || !strings.Contains(r.Stderr, "changed since the cluster was installed") {
		t.Fatalf("add-agents with a changed config: exit %d\n%s", r.Exit, tail(r.Stderr, 10))
	}
	if n := c.vmCount(t); n != 4 {
		t.Fatalf("a refused add-agents cloned: %d VMs", n)
	}
	r = run(t, 5*time.Minute, "install", "--config", c.Path)
	if r.Exit != 2 || strings.Contains(r.Stdout, "already matches") {
		t.Fatalf("install with a changed config: exit %d\n%s", r.Exit, tail(r.Stdout, 10))
	}
}

// status exits 4 when a node is unreachable, 0 when all are healthy.
func TestStatusExitCode(t *testing.T) {
	l := needLab(t)
	c := newCluster(t, l, "stat", 225, 1, 1, 0)
	defer c.destroy(t)
	ok(t, run(t, 10*time.Minute, "install", "--config", c.Path), "install")
	ok(t, run(t, 3*time.Minute, "status", "--config", c.Path), "status")
	h, _ := l.Host(c.agents()[0])
	if err := h.KillSSHD(); err != nil {
		t.Fatal(err)
	}
	r := run(t, 3*time.Minute, "status", "--config", c.Path, "-o", "json")
	if r.Exit != 4 {
		t.Fatalf("status with an agent unreachable: exit %d\n%s", r.Exit, r.Stdout)
	}
	var res installer.Result
	if err := json.Unmarshal([]byte(strings.TrimSpace(r.Stdout)), &res); err != nil || res.Healthy() {
		t.Fatalf("status JSON %v (healthy %v)", err, res.Healthy())
	}
	if err := h.StartSSHD(); err != nil {
		t.Fatal(err)
	}
	ok(t, run(t, 3*time.Minute, "status", "--config", c.Path), "status once sshd is back")
}

// A second install of the same cluster while the first runs is refused
// at once, naming the first one's pid.
func TestConcurrentInstallRefused(t *testing.T) {
	l := needLab(t)
	c := newCluster(t, l, "lock", 235, 1, 1, 0)
	defer c.destroy(t)
	var second result
	var once sync.Once
	var pid int
	first := runWatchingProc(t, 10*time.Minute, func(e installer.Event, p int) {
		if e.Kind == installer.PhaseStarted && e.PhaseID == installer.PhaseCreateVMs {
			once.Do(func() {
				pid = p
				second = run(t, time.Minute, "install", "--config", c.Path)
			})
		}
	}, "install", "--config", c.Path)
	ok(t, first, "the first install")
	if second.Exit == 0 || !strings.Contains(second.Stderr, fmt.Sprintf("pid %d, install", pid)) {
		t.Fatalf("the second install: exit %d\n%s", second.Exit, second.Stderr)
	}
}

// runWatchingProc is runWatching that also hands on the child's pid.
func runWatchingProc(t *testing.T, timeout time.Duration, on func(installer.Event, int), args ...string) result {
	t.Helper()
	var pid int
	var mu sync.Mutex
	return runWatchingStart(t, timeout, func(p int) { mu.Lock(); pid = p; mu.Unlock() }, func(e installer.Event) {
		mu.Lock()
		p := pid
		mu.Unlock()
		on(e, p)
	}, args...)
}

// runWatchingStart runs the CLI with JSON events, tells started its pid,
// and calls on for each event while it runs.
func runWatchingStart(t *testing.T, timeout time.Duration, started func(pid int), on func(installer.Event), args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliPath, append(args, "-o", "json")...)
	cmd.Env = append(os.Environ(), "CI=true")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb, out bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	started(cmd.Process.Pid)
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	for sc.Scan() {
		out.Write(sc.Bytes())
		out.WriteByte('\n')
		var e installer.Event
		if json.Unmarshal(sc.Bytes(), &e) == nil {
			on(e)
		}
	}
	werr := cmd.Wait()
	r := result{Stdout: out.String(), Stderr: errb.String(), Events: parseEvents(out.String())}
	if ee, ok := werr.(*exec.ExitError); ok {
		r.Exit = ee.ExitCode()
	} else if werr != nil {
		t.Fatalf("run %v: %v", args, werr)
	}
	return r
}

// A third SIGINT ends the process at once (the first stops softly, the
// second aborts the running steps); the exit code says stopped. Signals
// are sent one at a time, each after the process said it saw the one
// before (the kernel merges a signal sent while the same one is pending).
func TestThirdSignalExitsAtOnce(t *testing.T) {
	l := needLab(t)
	c := newCluster(t, l, "sig", 245, 1, 1, 0)
	defer c.destroy(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliPath, "install", "--config", c.Path, "-o", "json")
	cmd.Env = append(os.Environ(), "CI=true")
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitLine := func(want string) {
		deadline := time.After(10 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					return // exited already
				}
				if strings.Contains(l, want) {
					return
				}
			case <-deadline:
				t.Fatalf("no %q on stderr", want)
			}
		}
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	var sent time.Time
	for sc.Scan() {
		var e installer.Event
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Kind == installer.NodeStep && e.PhaseID == installer.PhaseInstallMasters {
			_ = cmd.Process.Signal(syscall.SIGINT)
			waitLine("stopping: letting running steps finish")
			_ = cmd.Process.Signal(syscall.SIGINT)
			waitLine("aborting the running steps")
			_ = cmd.Process.Signal(syscall.SIGINT)
			sent = time.Now()
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	err := cmd.Wait()
	if sent.IsZero() {
		t.Fatal("the install ended before the signals")
	}
	if d := time.Since(sent); d > time.Second {
		t.Errorf("exited %s after the third SIGINT, want within 1 s", d.Round(time.Millisecond))
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Errorf("exit %v, want 130", err)
	}
	ok(t, run(t, 10*time.Minute, "install", "--config", c.Path), "re-run after three Ctrl-C")
}

// An SSH link cut during the health wait is survived: the wait dials
// again and the run ends healthy soon after the link is back (not after
// --node-timeout).
func TestLinkCutDuringHealthConverges(t *testing.T) {
	l := needLab(t)
	c := newCluster(t, l, "cut", 160, 1, 1, 0)
	defer c.destroy(t)
	var linkUp time.Time
	var once sync.Once
	var cut atomic.Bool
	done := make(chan struct{})
	r := runWatching(t, 10*time.Minute, nil, func(e installer.Event) {
		if e.Kind == installer.PhaseStarted && e.PhaseID == installer.PhaseHealth {
			once.Do(func() {
				cut.Store(true)
				h, _ := l.Host(c.masters()[0])
				if err := h.LinkDown(); err != nil {
					t.Error(err)
				}
				go func() {
					defer close(done)
					time.Sleep(20 * time.Second) // the cut under test
					if err := h.LinkUp(); err != nil {
						t.Error(err)
					}
					linkUp = time.Now()
				}()
			})
		}
	}, "install", "--config", c.Path, "--node-timeout", "5m")
	if !cut.Load() {
		t.Fatalf("the install never reached the health phase (exit %d):\n%s", r.Exit, tail(r.Stderr, 20))
	}
	<-done
	ok(t, r, "install with a link cut during the health wait")
	if d := time.Since(linkUp); d > 15*time.Second {
		t.Errorf("converged %s after the link came back, want within 15 s", d.Round(time.Second))
	}
}

// frozenProxy forwards TCP to target until frozen: then every byte stops
// (connections stay open, as with a hung vCenter).
type frozenProxy struct {
	ln     net.Listener
	frozen chan struct{}
	once   sync.Once
}

func startProxy(t *testing.T, target string) *frozenProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &frozenProxy{ln: ln, frozen: make(chan struct{})}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c, target)
		}
	}()
	return p
}

func (p *frozenProxy) freeze() { p.once.Do(func() { close(p.frozen) }) }

func (p *frozenProxy) serve(c net.Conn, target string) {
	defer c.Close()
	u, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer u.Close()
	pipe := func(dst, src net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			select {
			case <-p.frozen:
				<-make(chan struct{}) // hung: never forwards again, never closes
			default:
			}
			if n > 0 {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	go pipe(u, c)
	pipe(c, u)
}

// A vCenter that freezes in the middle of a run cannot hold the process
// far past --timeout (clean-up has its own short deadline).
func TestFrozenVCenterHonoursTimeout(t *testing.T) {
	l := needLab(t)
	vc, _, _, _ := l.VCenter()
	u, err := url.Parse(vc)
	if err != nil {
		t.Fatal(err)
	}
	proxy := startProxy(t, u.Host)
	c := newCluster(t, l, "frz", 250, 1, 0, 0)
	c.VCenterURL = "https://" + proxy.ln.Addr().String() + "/sdk"
	c.write(t)
	start := time.Now()
	r := runWatching(t, 5*time.Minute, nil, func(e installer.Event) {
		if e.Kind == installer.PhaseStarted && e.PhaseID == installer.PhaseCreateVMs {
			proxy.freeze()
		}
	}, "install", "--config", c.Path, "--timeout", "60s")
	took := time.Since(start)
	if r.Exit == 0 {
		t.Fatal("the install succeeded against a frozen vCenter")
	}
	if took > 75*time.Second {
		t.Errorf("took %s with --timeout 60s, want at most 75 s", took.Round(time.Second))
	}
	if !strings.Contains(r.Stderr, "no progress for") && !strings.Contains(r.Stdout, "no progress for") {
		t.Errorf("no stall warning was given:\n%s", tail(r.Stderr, 10))
	}
}

// destroy forgets the VMs' host keys: a new install at the same addresses,
// killed right after its VMs exist, is finished by a re-run (its fresh
// host keys are not "changed keys").
func TestReinstallAfterDestroyAndEarlyKill(t *testing.T) {
	l := needLab(t)
	c := newCluster(t, l, "again", 160, 1, 1, 0)
	defer c.destroy(t)
	ok(t, run(t, 10*time.Minute, "install", "--config", c.Path), "install")
	c.destroy(t)
	if data, _ := os.ReadFile(filepath.Join(c.Dir, ".dcos-vsphere", c.Name, "known_hosts")); bytes.Contains(data, []byte(c.masterIPs[0]+" ")) {
		t.Errorf("destroy left the master's known_hosts entry:\n%s", data)
	}
	runAndKill(t, 5*time.Minute, phaseFinished(installer.PhaseCreateVMs), "install", "--config", c.Path)
	ok(t, run(t, 10*time.Minute, "install", "--config", c.Path), "re-run after the early kill")
	c.assertHealthy(t, append(c.masters(), c.agents()...)...)
}

// A destroyed VM's host disk (its /etc with whatever credentials) is gone
// right away, not at lab down.
func TestDestroyedVMDiskRemovedAtOnce(t *testing.T) {
	l := needLab(t)
	c := newCluster(t, l, "disk", 160, 1, 0, 0)
	ok(t, run(t, 10*time.Minute, "install", "--config", c.Path), "install")
	var dirs []string
	for _, h := range l.Hosts() {
		if c.owns(h.IP().String()) {
			dirs = append(dirs, h.Dir)
		}
	}
	if len(dirs) != 2 {
		t.Fatalf("hosts of %s: %v", c.Name, dirs)
	}
	c.destroy(t)
	deadline := time.Now().Add(20 * time.Second)
	for _, d := range dirs {
		for {
			if _, err := os.Stat(d); os.IsNotExist(err) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s still there 20 s after destroy", d)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}
