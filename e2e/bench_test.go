package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
	"github.com/dcos-vsphere/dcos-vsphere/internal/testnet"
	"github.com/dcos-vsphere/dcos-vsphere/lab"
)

// The benchmark's own lab, apart from the tests' shared one (dve2e0,
// 198.18.20.0/24), so a benchmark and the tests can run at the same time.
var benchNet = testnet.For("bench", 21)

// scalingRounds is how many times each size is installed, alternating
// small and large so a burst of load elsewhere does not favour one size.
// Each size reports its median: noise goes both ways here (load slows a
// run; the masters' Exhibitor stand-in, converging in one-second rounds,
// sometimes makes a small install 2 s faster), so neither the fastest nor
// the slowest run stands for the size.
const scalingRounds = 3

// BenchmarkInstallScaling times a full `install --config` (wall clock of
// the CLI process, from empty vCenter folder to healthy cluster) of
// 1 bootstrap + 3 masters + 2 agents against 1 bootstrap + 3 masters +
// 20 agents, each a fresh cluster on the lab. Agents install in parallel,
// so the target is large/small <= 1.5 (reported, not asserted).
func BenchmarkInstallScaling(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("the install benchmark needs root (the lab creates network namespaces, a bridge and mounts); make bench runs as root")
	}
	l := benchLab(b, 0)
	sizes := []struct {
		name   string
		agents int
	}{{"s3x2", 2}, {"s3x20", 20}}

	times := map[string][]time.Duration{}
	block := 0
	for round := 1; round <= scalingRounds; round++ {
		for _, s := range sizes {
			// Blocks of 40 addresses from .10: a 3+20 cluster uses 28.
			c := newCluster(b, l, fmt.Sprintf("%s-r%d", s.name, round), 10+40*block, 3, s.agents, 0)
			block++
			took, phases := timeInstall(b, c)
			times[s.name] = append(times[s.name], took)
			b.Logf("%s: install %.1f s; phases: %s; %s", c.Name, took.Seconds(), phases, agentHostCPU(b, c))
			// Tear down before the next install so its hosts do not load
			// the machine; not timed.
			ok(b, run(b, 5*time.Minute, "destroy", "--config", c.Path, "--force"), "destroy "+c.Name)
		}
	}
	small, large := median(times["s3x2"]), median(times["s3x20"])
	b.ReportMetric(small.Seconds(), "s_3x2")
	b.ReportMetric(large.Seconds(), "s_3x20")
	b.ReportMetric(large.Seconds()/small.Seconds(), "ratio")
}

// benchLab starts the benchmark's lab (datastore capacity in bytes, 0:
// the lab's default) and downs it when b ends.
func benchLab(b *testing.B, datastoreCapacity int64) *lab.Lab {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l, err := lab.Up(ctx, lab.Options{
		Dir:               filepath.Join(b.TempDir(), "lab"),
		Bridge:            benchNet.Bridge,
		Subnet:            benchNet.Subnet,
		NetnsPrefix:       benchNet.NetnsPrefix,
		DatastoreCapacity: datastoreCapacity,
		Log:               os.Stderr,
	})
	if err != nil {
		b.Fatalf("lab up: %v", err)
	}
	b.Cleanup(func() {
		if err := l.Down(); err != nil {
			b.Errorf("lab down: %v", err)
		}
	})
	return l
}

// timeInstall runs `install --config` on c and returns the process's wall
// clock time and the duration of each finished phase, in order.
func timeInstall(b *testing.B, c *cluster) (time.Duration, string) {
	b.Helper()
	cpu := sampleCPU()
	start := time.Now()
	r := run(b, 20*time.Minute, "install", "--config", c.Path, "-o", "json")
	took := time.Since(start)
	samples := cpu()
	ok(b, r, "install "+c.Name)
	phases := ""
	for _, e := range r.Events {
		if e.Kind == installer.PhaseFinished {
			phases += fmt.Sprintf("%s %.1fs (CPU %s); ", e.Phase, e.Elapsed.Seconds(), busyBetween(samples, e.Time.Add(-e.Elapsed), e.Time))
		}
	}
	phases += fmt.Sprintf("whole run CPU %s; ", busyBetween(samples, start, start.Add(took)))
	return took, phases + agentSpread(r.Events)
}

// median of ds (the lower middle one for an even count).
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// addAgents is how many agents BenchmarkAddAgents100 adds.
const addAgents = 100

// BenchmarkAddAgents100 times `add-agents --agents 100` on a running
// 1 bootstrap + 1 master + 1 agent cluster on the lab: the wall clock of
// the CLI process and its peak resident memory (getrusage of the child,
// cross-checked with VmHWM polled from /proc), with the time of each
// phase. Targets (reported, not asserted): <= 30 s and <= 64 MB.
func BenchmarkAddAgents100(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("the add-agents benchmark needs root (the lab creates network namespaces, a bridge and mounts); make bench runs as root")
	}
	// 101 agents of 60 GB disks and their swap files do not fit the
	// default 4 TiB.
	l := benchLab(b, 16<<40)
	c := newCluster(b, l, "add100", 10, 1, 1, 0)
	// Room for the new agents in the group's range (the harness leaves 3).
	c.AgentRange = addr(l.Subnet(), c.Base, 2) + "-" + addr(l.Subnet(), c.Base, 2+addAgents+10)
	c.write(b)
	ok(b, run(b, 10*time.Minute, "install", "--config", c.Path), "install "+c.Name)

	cpu := sampleCPU()
	m := runMeasured(b, 20*time.Minute, "add-agents", "--config", c.Path, "--agents", fmt.Sprint(addAgents), "-o", "json")
	samples := cpu()
	ok(b, m.result, "add-agents")
	res := resultOf(b, m.result)
	healthy := 0
	for _, n := range res.Nodes {
		if !n.InConfig && n.Role == installer.RoleAgent && n.Health == "healthy" {
			healthy++
		}
	}
	if healthy != addAgents || res.Changed < 2*addAgents {
		b.Fatalf("add-agents: %d new agents healthy, changed %d, want %d new agents", healthy, res.Changed, addAgents)
	}
	phases := ""
	for _, e := range m.result.Events {
		if e.Kind == installer.PhaseFinished {
			phases += fmt.Sprintf("%s %.1fs (CPU %s); ", e.PhaseID, e.Elapsed.Seconds(), busyBetween(samples, e.Time.Add(-e.Elapsed), e.Time))
		}
	}
	b.Logf("add-agents --agents %d: %.1f s, peak RSS %.1f MB (VmHWM %.1f MB), installer CPU %.1f s user + %.1f s sys; machine CPU %s; phases: %s%s",
		addAgents, m.took.Seconds(), float64(m.maxRSSKB)/1024, float64(m.hwmKB)/1024, m.user.Seconds(), m.sys.Seconds(),
		busyBetween(samples, m.start, m.start.Add(m.took)), phases, agentSpread(m.result.Events))
	b.ReportMetric(m.took.Seconds(), "s_add100")
	b.ReportMetric(float64(m.maxRSSKB)/1024, "MB_peak_rss")
	b.ReportMetric(m.user.Seconds()+m.sys.Seconds(), "s_installer_cpu")
	ok(b, run(b, 10*time.Minute, "destroy", "--config", c.Path, "--force"), "destroy "+c.Name)
}

// measured is one CLI run with its cost.
type measured struct {
	result    result
	start     time.Time
	took      time.Duration
	maxRSSKB  int64 // ru_maxrss of the child (KiB)
	hwmKB     int64 // the last VmHWM read from /proc/PID/status (KiB)
	user, sys time.Duration
}

// runMeasured runs the CLI like run, and measures the process: wall
// clock, peak RSS (getrusage from wait4, and VmHWM polled every 50 ms
// as a cross-check) and CPU time.
func runMeasured(b *testing.B, timeout time.Duration, args ...string) measured {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliPath, args...)
	cmd.Env = append(os.Environ(), "CI=true")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	m := measured{start: time.Now()}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	polled := make(chan int64)
	go func() {
		var hwm int64
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if v := vmHWM(cmd.Process.Pid); v > hwm {
				hwm = v
			}
			select {
			case <-done:
				polled <- hwm
				return
			case <-tick.C:
			}
		}
	}()
	err := cmd.Wait()
	m.took = time.Since(m.start)
	close(done)
	m.hwmKB = <-polled
	m.result = result{Stdout: out.String(), Stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		m.result.Exit = ee.ExitCode()
	} else if err != nil {
		b.Fatalf("run %v: %v", args, err)
	}
	m.result.Events = parseEvents(m.result.Stdout)
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.maxRSSKB = ru.Maxrss
	}
	m.user, m.sys = cmd.ProcessState.UserTime(), cmd.ProcessState.SystemTime()
	return m
}

// vmHWM reads the peak resident set size (KiB) of pid; 0 when gone.
func vmHWM(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}
