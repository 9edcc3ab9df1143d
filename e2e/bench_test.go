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

// addAgentsCount is how many agents BenchmarkAddAgents100 adds: 100, or
// DCOS_VSPHERE_BENCH_AGENTS (to see how the cost grows with the count).
func addAgentsCount() int {
	if n, err := strconv.Atoi(os.Getenv("DCOS_VSPHERE_BENCH_AGENTS")); err == nil && n > 0 && n <= 200 {
		return n
	}
	return 100
}

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
	addAgents := addAgentsCount()
	l := benchLab(b, 16<<40)
	c := newCluster(b, l, "add100", 10, 1, 1, 0)
	// Room for the new agents in the group's range (the harness leaves 3).
	c.AgentRange = addr(l.Subnet(), c.Base, 2) + "-" + addr(l.Subnet(), c.Base, 2+addAgents+10)
	c.write(b)
	ok(b, run(b, 10*time.Minute, "install", "--config", c.Path), "install "+c.Name)

	cpu, ours := sampleCPU(), sampleCgroupCPU()
	stopPerf := perfRecord(b)
	labBefore := selfCPU()
	m := runMeasured(b, 20*time.Minute, "add-agents", "--config", c.Path, "--agents", fmt.Sprint(addAgents), "-o", "json")
	labCPU := selfCPU() - labBefore
	stopPerf()
	samples, ourSamples := cpu(), ours()
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
			phases += fmt.Sprintf("%s %.1fs (CPU %s%s); ", e.PhaseID, e.Elapsed.Seconds(), busyBetween(samples, e.Time.Add(-e.Elapsed), e.Time),
				cgroupBetween(ourSamples, e.Time.Add(-e.Elapsed), e.Time))
		}
	}
	b.Logf("add-agents --agents %d: %.1f s, peak RSS %.1f MB (VmHWM %.1f MB), installer CPU %.1f s user + %.1f s sys; lab process (vCenter simulator, host management) CPU %.1f s; machine CPU %s%s; phases: %s%s; %s",
		addAgents, m.took.Seconds(), float64(m.maxRSSKB)/1024, float64(m.hwmKB)/1024, m.user.Seconds(), m.sys.Seconds(), labCPU.Seconds(),
		busyBetween(samples, m.start, m.start.Add(m.took)), cgroupBetween(ourSamples, m.start, m.start.Add(m.took)), phases, agentSpread(m.result.Events), newHostsCPU(b, l, c))
	b.ReportMetric(m.took.Seconds(), fmt.Sprintf("s_add%d", addAgents))
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

// selfCPU is this process's own CPU time (user + system, all threads,
// not its children): the lab's vCenter simulator and host management.
func selfCPU() time.Duration {
	data, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	return time.Duration(u+st) * time.Second / 100 // USER_HZ
}

// newHostsCPU sums the CPU time the lab hosts of c's agents beyond the
// first used since they booted (all processes of each host's PID
// namespace, live or reaped): the simulated agents' share of the work.
func newHostsCPU(b *testing.B, l *lab.Lab, c *cluster) string {
	b.Helper()
	var each []time.Duration
	for _, h := range l.Hosts() {
		if !strings.HasPrefix(h.Name(), c.Name+"-agent-") || h.Name() == c.Name+"-agent-1" {
			continue
		}
		each = append(each, procCPU(c.hostSh(b, h.Name(), `cat /proc/[0-9]*/stat 2>/dev/null; echo; /usr/bin/getconf CLK_TCK`)))
	}
	if len(each) == 0 {
		return "no new agent hosts"
	}
	var sum time.Duration
	for _, d := range each {
		sum += d
	}
	slices.Sort(each)
	return fmt.Sprintf("%d new agent hosts used %.1f CPU-s since boot (each %.2f-%.2f, median %.2f)",
		len(each), sum.Seconds(), each[0].Seconds(), each[len(each)-1].Seconds(), median(each).Seconds())
}

// sampleCgroupCPU samples, every 200 ms until the returned function is
// called, the CPU time of this process's cpuacct cgroup (cgroup v1) when
// it runs in one of its own (not the root): everything the benchmark
// starts (the lab's hosts and the installer) and nothing of the other
// processes of the machine. No samples otherwise.
func sampleCgroupCPU() func() []cpuSample {
	usage := ""
	if data, err := os.ReadFile("/proc/self/cgroup"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			parts := strings.SplitN(l, ":", 3)
			if len(parts) == 3 && slices.Contains(strings.Split(parts[1], ","), "cpuacct") && parts[2] != "/" {
				usage = filepath.Join("/sys/fs/cgroup/cpuacct", parts[2], "cpuacct.usage")
			}
		}
	}
	read := func() (uint64, bool) {
		data, err := os.ReadFile(usage)
		if err != nil {
			return 0, false
		}
		n, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
		return n, err == nil
	}
	if _, ok := read(); usage == "" || !ok {
		return func() []cpuSample { return nil }
	}
	var samples []cpuSample
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			ns, _ := read()
			samples = append(samples, cpuSample{at: time.Now(), busy: ns})
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	return func() []cpuSample {
		close(stop)
		<-done
		ns, _ := read()
		return append(samples, cpuSample{at: time.Now(), busy: ns})
	}
}

// cgroupBetween is ", ours N CPU-s" for the cgroup samples around
// [from, to] ("" without samples).
func cgroupBetween(s []cpuSample, from, to time.Time) string {
	if len(s) < 2 {
		return ""
	}
	i, j := 0, len(s)-1
	for i+1 < len(s) && !s[i+1].at.After(from) {
		i++
	}
	for j > 0 && !s[j-1].at.Before(to) {
		j--
	}
	if j <= i {
		return ""
	}
	return fmt.Sprintf(", ours %.1f CPU-s", float64(s[j].busy-s[i].busy)/1e9)
}

// perfRecord starts `perf record -a` (99 Hz, machine-wide) into the file
// DCOS_VSPHERE_BENCH_PERF names, when it is set, for a profile of the
// timed run by command (`perf report -i FILE --sort comm`); the returned
// function stops it. A diagnostic: nothing when unset.
func perfRecord(b *testing.B) func() {
	out := os.Getenv("DCOS_VSPHERE_BENCH_PERF")
	if out == "" {
		return func() {}
	}
	cmd := exec.Command("perf", "record", "-a", "-F", "99", "-o", out)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		b.Logf("perf record: %v (no profile)", err)
		return func() {}
	}
	return func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		_ = cmd.Wait()
	}
}
