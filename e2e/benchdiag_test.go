package e2e

// Diagnostics for BenchmarkInstallScaling: where an install's time goes
// when the lab's hosts compete for the machine's cores.

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

// agentHostCPU says how much CPU time c's agent hosts used since they
// booted (every process of the host's PID namespace, live or reaped): the
// work an install puts on each agent, for which the lab's hosts share the
// machine's cores while real VMs each have their own.
func agentHostCPU(b *testing.B, c *cluster) string {
	b.Helper()
	var each []time.Duration
	for _, n := range c.agents() {
		// /proc is private to the host: these are the host's processes.
		out := c.hostSh(b, n, `cat /proc/[0-9]*/stat 2>/dev/null; echo; /usr/bin/getconf CLK_TCK`)
		each = append(each, procCPU(out))
	}
	if len(each) == 0 {
		return "no agent hosts"
	}
	var sum time.Duration
	for _, d := range each {
		sum += d
	}
	slices.Sort(each)
	return fmt.Sprintf("%d agent hosts used %.1f CPU-s in all since boot (each %.2f-%.2f, median %.2f)",
		len(each), sum.Seconds(), each[0].Seconds(), each[len(each)-1].Seconds(), median(each).Seconds())
}

// procCPU sums utime+stime+cutime+cstime of /proc/PID/stat lines; the
// last line is the clock tick rate. A reaped process's time is in exactly
// one live ancestor's cutime/cstime, so nothing is counted twice.
func procCPU(out string) time.Duration {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	hz, err := strconv.ParseUint(strings.TrimSpace(lines[len(lines)-1]), 10, 64)
	if err != nil || hz == 0 {
		return 0
	}
	var ticks uint64
	for _, l := range lines[:len(lines)-1] {
		i := strings.LastIndexByte(l, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(l[i+1:]) // from field 3 (state): utime is field 14
		if len(f) < 15 {
			continue
		}
		for _, v := range f[11:15] {
			n, _ := strconv.ParseUint(v, 10, 64)
			ticks += n
		}
	}
	return time.Duration(ticks) * time.Second / time.Duration(hz)
}

// cpuSample is the machine's busy and total CPU time (all cores, in
// clock ticks) at one instant.
type cpuSample struct {
	at          time.Time
	busy, total uint64
}

// sampleCPU samples /proc/stat every 200 ms until the returned function is
// called, which returns the samples. Busy time tells a slow install from a
// CPU-starved one: the lab's hosts all share this machine's cores.
func sampleCPU() func() []cpuSample {
	var samples []cpuSample
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			busy, total := cpuTicks()
			samples = append(samples, cpuSample{time.Now(), busy, total})
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
		busy, total := cpuTicks()
		return append(samples, cpuSample{time.Now(), busy, total})
	}
}

// busyBetween is the share of the machine's CPU time that was busy from
// the last sample before from to the first sample after to.
func busyBetween(s []cpuSample, from, to time.Time) string {
	i, j := 0, len(s)-1
	for i+1 < len(s) && !s[i+1].at.After(from) {
		i++
	}
	for j > 0 && !s[j-1].at.Before(to) {
		j--
	}
	if j <= i || s[j].total <= s[i].total {
		return "n/a"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(s[j].busy-s[i].busy)/float64(s[j].total-s[i].total))
}

// cpuTicks reads the machine's busy and total CPU time (all cores) from
// the first line of /proc/stat; zeros when unreadable.
func cpuTicks() (busy, total uint64) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	if len(fields) < 2 {
		return 0, 0
	}
	for i, f := range fields[1:] {
		v, _ := strconv.ParseUint(f, 10, 64)
		if i < 8 {
			total += v
			if i != 3 && i != 4 {
				busy += v
			}
		}
	}
	return busy, total
}

// agentSpread says whether the agents' installs ran side by side: how far
// apart they started and how long each took.
func agentSpread(evs []installer.Event) string {
	started := map[string]time.Time{}
	var first, last time.Time
	var each []time.Duration
	for _, e := range evs {
		switch {
		case e.Kind == installer.NodeStep && e.PhaseID == installer.PhaseInstallAgents:
			started[e.Node] = e.Time
			if first.IsZero() || e.Time.Before(first) {
				first = e.Time
			}
			if e.Time.After(last) {
				last = e.Time
			}
		case e.Kind == installer.NodeDone && !started[e.Node].IsZero():
			each = append(each, e.Time.Sub(started[e.Node]))
			delete(started, e.Node)
		}
	}
	if len(each) == 0 {
		return "no agent install events"
	}
	slices.Sort(each)
	return fmt.Sprintf("%d agent installs started within %.1fs, each took %.1f-%.1fs (median %.1fs)",
		len(each), last.Sub(first).Seconds(), each[0].Seconds(), each[len(each)-1].Seconds(), median(each).Seconds())
}
