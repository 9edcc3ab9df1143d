package installer_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
	it "github.com/dcos-vsphere/dcos-vsphere/installer/installertest"
)

// touched is the set of (phase, node) a result's actions name, sorted.
func touched(res *installer.Result) []string {
	seen := map[string]bool{}
	for _, a := range res.Actions {
		seen[fmt.Sprintf("%s %s", a.Phase, a.Node)] = true
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// exitOf is the exit code the CLI would give err.
func exitOf(err error) int {
	var ec interface{ ExitCode() int }
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ec):
		return ec.ExitCode()
	}
	return 1
}

// What plan says must be what install then does: for each situation, the
// dry run's actions (phase, node) equal the real run's, and a plan that
// fails fails with the exit code install would have, before install
// changes anything.
func TestPlanIsWhatInstallDoes(t *testing.T) {
	type world struct {
		e     *it.Env
		files installer.GenconfFiles
		flow  func() installer.Flow
	}
	installed := func(t *testing.T) world {
		e, files := worldOf(t)
		mustInstall(t, e, files)
		return world{e, files, installer.InstallFlow}
	}
	cases := []struct {
		name    string
		setup   func(t *testing.T) world
		exit    int
		touches []string // a few (phase node) the run must touch; nil: none at all
	}{
		{"nothing exists", func(t *testing.T) world {
			e, f := worldOf(t)
			return world{e, f, installer.InstallFlow}
		}, 0, []string{"create-vms c1-master-1", "prepare-nodes c1-agent-1", "bootstrap c1-bootstrap", "install-masters c1-master-3", "install-agents c1-public-1"}},
		{"finished cluster", installed, 0, nil},
		{"an agent's VM destroyed", func(t *testing.T) world {
			w := installed(t)
			if _, err := w.e.Run(w.files).Execute(context.Background(), installer.DestroyFlow([]string{"c1-agent-2"}, nil)); err != nil {
				t.Fatal(err)
			}
			return w
		}, 0, []string{"create-vms c1-agent-2", "connect-nodes c1-agent-2", "prepare-nodes c1-agent-2", "install-agents c1-agent-2"}},
		{"an installed agent powered off", func(t *testing.T) world {
			w := installed(t)
			w.e.Cloud.PowerOff("c1-agent-1")
			return w
		}, 0, []string{"create-vms c1-agent-1", "connect-nodes c1-agent-1"}},
		{"a master partly installed", func(t *testing.T) world {
			w := installed(t)
			w.e.HostOf("c1-master-2").Set(func(h *it.Host) { h.DCOS = installer.DCOSPartial })
			return w
		}, 0, []string{"install-masters c1-master-2"}},
		{"a new agent in the config", func(t *testing.T) world {
			w := installed(t)
			w.e.Cluster.Nodes.Agents.Count = 3
			return w
		}, 0, []string{"create-vms c1-agent-3", "prepare-nodes c1-agent-3", "install-agents c1-agent-3"}},
		{"bootstrap's nginx down, a new agent", func(t *testing.T) world {
			w := installed(t)
			w.e.Cluster.Nodes.Agents.Count = 3
			w.e.HostOf("c1-bootstrap").Set(func(h *it.Host) { h.Serving = false })
			return w
		}, 0, []string{"bootstrap c1-bootstrap", "install-agents c1-agent-3"}},
		{"changed DC/OS config", func(t *testing.T) world {
			w := installed(t)
			w.files = it.Files(w.e.Cluster, "v2")
			return w
		}, 2, nil},
		{"an address in use", func(t *testing.T) world {
			e, f := worldOf(t)
			e.AddHost("198.18.0.12")
			return world{e, f, installer.InstallFlow}
		}, 2, nil},
		{"a node that is another machine", func(t *testing.T) world {
			w := installed(t)
			w.e.HostOf("c1-agent-1").Set(func(h *it.Host) { h.ProductUUID = "00000000-0000-4000-8000-000000000bad" })
			return w
		}, 2, nil},
		{"a planned name owned by another cluster", func(t *testing.T) world {
			w := installed(t)
			w.e.Cluster.Nodes.Agents.Count = 3
			w.e.Cloud.Put(it.VM{Name: "c1-agent-3", Role: "agent", Cluster: "c1", ClusterID: "other", Folder: "c1"})
			return w
		}, 2, nil},
		{"a wrong datastore", func(t *testing.T) world {
			e, f := worldOf(t)
			e.Cloud.PreflightErr = &it.ConfigError{Msg: `vcenter.datastore: "DS9" not found in DC0; have: DS0`}
			return world{e, f, installer.InstallFlow}
		}, 2, nil},
		{"add-agents finishing a stranded agent", func(t *testing.T) world {
			w := installed(t)
			res, _ := w.e.Run(w.files).Execute(context.Background(), installer.StatusFlow())
			w.e.Cloud.Put(it.VM{Name: "c1-agent-3", Role: "agent", IP: "198.18.0.23", Cluster: "c1", ClusterID: res.ClusterID, Folder: "c1", PoweredOn: true})
			w.flow = func() installer.Flow { return installer.AddAgentsFlow(1, 1) }
			return w
		}, 0, []string{"install-agents c1-agent-3", "create-vms c1-public-2", "install-agents c1-public-2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.setup(t)
			before := w.e.Cloud.VMs()
			r := w.e.Run(w.files)
			r.Options.DryRun = true
			plan, perr := r.Execute(context.Background(), w.flow())
			if got := exitOf(perr); got != tc.exit {
				t.Fatalf("plan exit %d (%v), want %d", got, perr, tc.exit)
			}
			if after := w.e.Cloud.VMs(); !slices.EqualFunc(before, after, func(a, b it.VM) bool { return a == b }) {
				t.Fatalf("plan changed vCenter: %v -> %v", before, after)
			}
			res, err := w.e.Run(w.files).Execute(context.Background(), w.flow())
			if got := exitOf(err); got != tc.exit {
				t.Fatalf("install exit %d (%v), plan said %d", got, err, tc.exit)
			}
			if tc.exit != 0 {
				if after := w.e.Cloud.VMs(); len(after) != len(before) {
					t.Fatalf("a failing install created VMs: %d -> %d", len(before), len(after))
				}
				if plan.Error == "" || strings.Split(plan.Error, "\n")[0] != strings.Split(res.Error, "\n")[0] {
					t.Fatalf("plan said %q, install failed with %q", plan.Error, res.Error)
				}
				return
			}
			if p, d := touched(plan), touched(res); !slices.Equal(p, d) {
				t.Fatalf("plan and install differ:\nplan    %v\ninstall %v", p, d)
			}
			did := touched(res)
			for _, want := range tc.touches {
				if !slices.Contains(did, want) {
					t.Errorf("install did not touch %q: %v", want, did)
				}
			}
			if tc.touches == nil && len(did) != 0 {
				t.Errorf("install touched %v on a finished cluster", did)
			}
			if !res.Healthy() {
				t.Errorf("not healthy after install: %+v", res.Nodes)
			}
		})
	}
}

func worldOf(t *testing.T) (*it.Env, installer.GenconfFiles) {
	c := it.Config(t, "c1", 3, 2, 1)
	return it.New(t, c), it.Files(c, "v1")
}
