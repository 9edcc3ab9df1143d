package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
	l := benchLab(b)
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

// benchLab starts the benchmark's lab and downs it when b ends.
func benchLab(b *testing.B) *lab.Lab {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l, err := lab.Up(ctx, lab.Options{
		Dir:         filepath.Join(b.TempDir(), "lab"),
		Bridge:      benchNet.Bridge,
		Subnet:      benchNet.Subnet,
		NetnsPrefix: benchNet.NetnsPrefix,
		Log:         os.Stderr,
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
