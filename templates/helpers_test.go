package templates_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/ovf/ovftest"
	"github.com/dcos-vsphere/dcos-vsphere/templates"
	"github.com/dcos-vsphere/dcos-vsphere/templates/vcsimtest"
)

const (
	testCluster   = "alpha"
	testClusterID = "3f6e1c1a-6d7b-4d8e-9f00-1a2b3c4d5e6f"
)

var testNet = config.Network{Gateway: "198.18.0.1", Prefix: 24, DNS: []string{"198.18.0.2"}, SearchDomain: "dcos.test"}

// clusterSpecs is 1 bootstrap + 3 masters + 5 agents.
func clusterSpecs() []templates.VMSpec {
	specs := []templates.VMSpec{{Name: "bootstrap", IP: "198.18.0.10", Role: "bootstrap", CPUs: 2, MemoryMB: 2048, DiskGB: 1}}
	for i := 1; i <= 3; i++ {
		specs = append(specs, templates.VMSpec{Name: fmt.Sprintf("master-%d", i), IP: fmt.Sprintf("198.18.0.%d", 10+i), Role: "master", CPUs: 4, MemoryMB: 4096, DiskGB: 1})
	}
	for i := 1; i <= 5; i++ {
		specs = append(specs, templates.VMSpec{Name: fmt.Sprintf("agent-%d", i), IP: fmt.Sprintf("198.18.0.%d", 20+i), Role: "agent", CPUs: 2, MemoryMB: 2048, DiskGB: 1})
	}
	return specs
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func connect(t *testing.T, sim *vcsimtest.Sim, mod func(*templates.Options)) *templates.Session {
	t.Helper()
	opts := templates.Options{VCenter: sim.VCenter()}
	if mod != nil {
		mod(&opts)
	}
	s, err := templates.Connect(testCtx(t), opts)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	})
	return s
}

// withTemplate starts a simulator whose model VM DC0_H0_VM0 is the
// template "centos7".
func withTemplate(t *testing.T, opts vcsimtest.Options) *vcsimtest.Sim {
	sim := vcsimtest.Start(t, opts)
	sim.MakeTemplate(t, "DC0_H0_VM0", "centos7")
	return sim
}

var centos7 = config.Template{Name: "centos7"}

// events collects progress events safely.
type events struct {
	mu  sync.Mutex
	all []templates.Event
}

func (e *events) add(ev templates.Event) { e.mu.Lock(); e.all = append(e.all, ev); e.mu.Unlock() }

func (e *events) steps(vm string) []templates.Step {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []templates.Step
	for _, ev := range e.all {
		if ev.VM == vm {
			out = append(out, ev.Step)
		}
	}
	return out
}

func plan(specs []templates.VMSpec, ev *events) templates.ClonePlan {
	p := templates.ClonePlan{Cluster: testCluster, ClusterID: testClusterID, Network: testNet, VMs: specs, IPTimeout: 20 * time.Second,
		Retry: templates.Retry{Base: 10 * time.Millisecond}}
	if ev != nil {
		p.OnEvent = ev.add
	}
	return p
}

func writeOVA(t *testing.T) string {
	p, err := ovftest.WriteOVA(t.TempDir(), ovftest.Spec{Name: "centos7-tiny", DiskBytes: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ours returns the simulator's VMs marked for testCluster.
func ours(t *testing.T, sim *vcsimtest.Sim) map[string]vcsimtest.VMInfo {
	out := map[string]vcsimtest.VMInfo{}
	for _, vm := range sim.VMs(t) {
		if vm.ExtraConfig[templates.KeyCluster] == testCluster {
			if _, dup := out[vm.Name]; dup {
				t.Fatalf("two VMs named %s are marked for %s", vm.Name, testCluster)
			}
			out[vm.Name] = vm
		}
	}
	return out
}

// destroyNamed destroys testCluster's VMs in vc's folder named names (all
// of them without names), as the installer does: list, pick, DestroyVMs.
func destroyNamed(t *testing.T, s *templates.Session, vc config.VCenter, names ...string) ([]templates.VM, error) {
	t.Helper()
	listed, err := s.ListClusterVMs(testCtx(t), vc, testCluster)
	if err != nil {
		return nil, err
	}
	var picked []templates.VM
	for _, vm := range listed {
		if len(names) == 0 || slices.Contains(names, vm.Name) {
			picked = append(picked, vm)
		}
	}
	return s.DestroyVMs(testCtx(t), testCluster, picked, nil)
}
