package templates_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/templates"
	"github.com/dcos-vsphere/dcos-vsphere/templates/vcsimtest"
)

// benchConcurrency is the in-flight bound for all three contestants.
const benchConcurrency = templates.DefaultConcurrency

func benchSpecs(n int) []templates.VMSpec {
	specs := make([]templates.VMSpec, n)
	for i := range specs {
		specs[i] = templates.VMSpec{Name: fmt.Sprintf("node-%03d", i), IP: fmt.Sprintf("198.18.%d.%d", 1+i/250, 2+i%250),
			Role: "agent", CPUs: 2, MemoryMB: 2048, DiskGB: 1}
	}
	return specs
}

var benchNet = config.Network{Gateway: testNet.Gateway, Prefix: 16, DNS: testNet.DNS, SearchDomain: testNet.SearchDomain}

// BenchmarkClonePhase times clone + customize + power on + wait for IP of
// N VMs, each contestant on a fresh simulator: "floor" is a minimal govmomi
// loop, "ours" EnsureVMs, "govc" one govc process per step; "summary"
// reports ours/floor (target <= 1.2) and govc/ours (target >= 3).
func BenchmarkClonePhase(b *testing.B) {
	for _, n := range []int{50, 200} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			var floor, govc, ours time.Duration
			b.Run("floor", func(b *testing.B) { floor = timePhase(b, n, runFloor) })
			b.Run("ours", func(b *testing.B) { ours = timePhase(b, n, runOurs) })
			b.Run("govc", func(b *testing.B) {
				b.StopTimer() // a first run builds govc; that is not the phase
				bin, err := govcBinary()
				b.StartTimer()
				if err != nil {
					b.Skipf("govc %s could not be built (needs the Go module proxy): %v", govcVersion, err)
				}
				govc = timePhase(b, n, func(b *testing.B, sim *vcsimtest.Sim, specs []templates.VMSpec) { runGovc(b, sim, specs, bin) })
			})
			// summary only reports the ratios of the runs above.
			b.Run("summary", func(b *testing.B) {
				if ours == 0 {
					b.Skip("ours did not run")
				}
				if floor > 0 {
					b.ReportMetric(ours.Seconds()/floor.Seconds(), "x_floor")
				}
				if govc > 0 {
					b.ReportMetric(govc.Seconds()/ours.Seconds(), "x_faster_than_govc")
				}
			})
		})
	}
}

type phase func(b *testing.B, sim *vcsimtest.Sim, specs []templates.VMSpec)

// timePhase runs one contestant b.N times, each on a fresh simulator with
// the template made, and reports the mean phase time in seconds.
func timePhase(b *testing.B, n int, run phase) time.Duration {
	var total time.Duration
	for range b.N {
		b.StopTimer()
		sim := vcsimtest.Start(b, vcsimtest.Options{})
		sim.MakeTemplate(b, "DC0_H0_VM0", "centos7")
		specs := benchSpecs(n)
		b.StartTimer()
		start := time.Now()
		run(b, sim, specs)
		total += time.Since(start)
	}
	mean := total / time.Duration(b.N)
	b.ReportMetric(mean.Seconds(), "s/phase")
	return mean
}

// runOurs excludes Connect and Preflight from the timing: the phase is
// EnsureVMs (clone, customize, power on, IP).
func runOurs(b *testing.B, sim *vcsimtest.Sim, specs []templates.VMSpec) {
	b.StopTimer()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	s, err := templates.Connect(ctx, templates.Options{VCenter: sim.VCenter()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(ctx)
	inv, err := s.Preflight(ctx, templates.PreflightRequest{Cluster: testCluster, VCenter: sim.VCenter(), Template: config.Template{Name: "centos7"}, VMs: specs})
	if err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	vms, err := s.EnsureVMs(ctx, inv, templates.ClonePlan{Cluster: "bench", ClusterID: "bench-id", Network: benchNet, VMs: specs,
		Concurrency: benchConcurrency, IPTimeout: time.Minute})
	if err != nil || len(vms) != len(specs) {
		b.Fatalf("EnsureVMs: %v (%d VMs)", err, len(vms))
	}
}

// runFloor is the least a client can do: one session, clone with the
// customization in the spec, power on, WaitForIP; no marks, checks or
// retries.
func runFloor(b *testing.B, sim *vcsimtest.Sim, specs []templates.VMSpec) {
	b.StopTimer()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c := sim.Admin(b)
	f := find.NewFinder(c)
	tmpl, err := f.VirtualMachine(ctx, "/DC0/vm/centos7")
	if err != nil {
		b.Fatal(err)
	}
	pool, err := f.ResourcePool(ctx, "/DC0/host/DC0_C0/Resources")
	if err != nil {
		b.Fatal(err)
	}
	ds, err := f.Datastore(ctx, "/DC0/datastore/LocalDS_0")
	if err != nil {
		b.Fatal(err)
	}
	root, err := f.Folder(ctx, "/DC0/vm")
	if err != nil {
		b.Fatal(err)
	}
	folder, err := root.CreateFolder(ctx, "floor")
	if err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	eachBounded(b, specs, func(spec templates.VMSpec) error {
		return floorOne(ctx, c, tmpl, folder, pool.Reference(), ds.Reference(), spec)
	})
}

// eachBounded runs one per spec with benchConcurrency in flight, the same
// parallelism for every contestant, and fails b on the first error.
func eachBounded(b *testing.B, specs []templates.VMSpec, one func(templates.VMSpec) error) {
	var wg sync.WaitGroup
	errs := make(chan error, len(specs))
	slots := make(chan struct{}, benchConcurrency)
	for _, spec := range specs {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			errs <- one(spec)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
}

func floorOne(ctx context.Context, c *vim25.Client, tmpl *object.VirtualMachine, folder *object.Folder, pool, ds types.ManagedObjectReference, spec templates.VMSpec) error {
	cs := types.VirtualMachineCloneSpec{
		Location: types.VirtualMachineRelocateSpec{Pool: &pool, Datastore: &ds},
		Customization: &types.CustomizationSpec{
			Identity: &types.CustomizationLinuxPrep{HostName: &types.CustomizationFixedName{Name: spec.Name}, Domain: benchNet.SearchDomain},
			NicSettingMap: []types.CustomizationAdapterMapping{{Adapter: types.CustomizationIPSettings{
				Ip: &types.CustomizationFixedIp{IpAddress: spec.IP}, SubnetMask: "255.255.0.0", Gateway: []string{benchNet.Gateway}}}},
		},
	}
	task, err := tmpl.Clone(ctx, folder, spec.Name, cs)
	if err != nil {
		return err
	}
	info, err := task.WaitForResult(ctx)
	if err != nil {
		return err
	}
	vm := object.NewVirtualMachine(c, info.Result.(types.ManagedObjectReference))
	if task, err = vm.PowerOn(ctx); err != nil {
		return err
	}
	if err := task.Wait(ctx); err != nil {
		return err
	}
	ip, err := vm.WaitForIP(ctx, true)
	if err == nil && ip != spec.IP {
		err = fmt.Errorf("%s got IP %s", spec.Name, ip)
	}
	return err
}

// runGovc drives the govc binary with the same parallelism. Credentials go
// through the environment, never argv; the certificate is verified.
func runGovc(b *testing.B, sim *vcsimtest.Sim, specs []templates.VMSpec, bin string) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	env := append(os.Environ(), "GOVC_URL="+sim.URL, "GOVC_USERNAME="+sim.Username, "GOVC_PASSWORD="+sim.Password,
		"GOVC_TLS_CA_CERTS="+sim.CAFile, "GOVC_DATACENTER=DC0")
	b.StopTimer()
	folder := "/DC0/vm/govc"
	root, err := find.NewFinder(sim.Admin(b)).Folder(ctx, "/DC0/vm")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := root.CreateFolder(ctx, "govc"); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	eachBounded(b, specs, func(spec templates.VMSpec) error {
		return govcClone(ctx, bin, env, folder, spec.Name, spec.IP)
	})
}
