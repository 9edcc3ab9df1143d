package installer_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dcos-vsphere/dcos-vsphere/acs"
	"github.com/dcos-vsphere/dcos-vsphere/dcoscli"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
	it "github.com/dcos-vsphere/dcos-vsphere/installer/installertest"
	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

// acsWorld is world with a registry and an ACS cluster of agents agents
// beside it; runs register with the DC/OS CLI in cliDir.
func acsWorld(t *testing.T, agents int) (e *it.Env, files installer.GenconfFiles, cliDir string) {
	t.Helper()
	c := it.ConfigWithACS(t, "beside", 1, 1, 0)
	e = it.New(t, c)
	e.WithACS(agents)
	return e, it.Files(c, "v1"), t.TempDir()
}

func runACS(t *testing.T, e *it.Env, files installer.GenconfFiles, cliDir string, f installer.Flow, dry bool) (*installer.Result, error) {
	t.Helper()
	e.Events.Reset()
	r := e.Run(files)
	r.RegisterCLI = &dcoscli.Options{Dir: cliDir}
	r.Options.DryRun = dry
	return r.Execute(context.Background(), f)
}

func wantArchive(t *testing.T) string {
	t.Helper()
	b, err := registry.Archive(registry.Credentials{Server: "acr.test", Username: "acr", Password: it.RegistryPassword})
	if err != nil {
		t.Fatal(err)
	}
	return registry.SHA256(b)
}

// install with acs set: after health, every ACS agent gets the archive
// of the registry credentials (checked with the fetch check), and both
// clusters are registered with the DC/OS CLI; a re-run uploads nothing
// and leaves the CLI entries unchanged; after a scale-out only the new
// agents get it.
func TestInstallSyncsACSAndRegistersBoth(t *testing.T) {
	e, files, cliDir := acsWorld(t, 3)
	res, err := runACS(t, e, files, cliDir, installer.InstallFlow(), false)
	if err != nil {
		t.Fatalf("install: %v", err)
	}
	if err := res.Beside(); err != nil {
		t.Fatalf("beside: %v", err)
	}
	want := wantArchive(t)
	for _, ag := range e.ACS.Agents() {
		if ag.Archive != want {
			t.Errorf("%s has archive %q, want %s", ag.Name, ag.Archive, want)
		}
	}
	if _, uploads, _ := e.ACS.Counts(); uploads != 3 {
		t.Errorf("uploads = %d, want 3", uploads)
	}
	if got := e.ACS.Checks(); len(got) != 3 || !strings.HasPrefix(got[0], "fetch") {
		t.Errorf("checks = %v, want the fetch check on each agent", got)
	}
	if res.ACS == nil || res.ACS.Survey || res.ACS.Uploaded != 3 || res.ACS.ArchiveSHA256 != want {
		t.Fatalf("result ACS = %+v", res.ACS)
	}
	if res.CLI == nil || len(res.CLI.Clusters) != 2 {
		t.Fatalf("result CLI = %+v", res.CLI)
	}
	vs, ac := res.CLI.Clusters[0], res.CLI.Clusters[1]
	if vs.ID != e.DCOSClusterID || vs.Name != "beside" || !vs.Attached || vs.URL != "http://198.18.0.11" {
		t.Errorf("vSphere entry = %+v", vs)
	}
	if ac.ID != e.ACS.MasterInfo.ClusterID || ac.Name != "acs-test" || ac.Attached || ac.URL != "http://localhost:10080" {
		t.Errorf("ACS entry = %+v", ac)
	}
	for _, en := range res.CLI.Clusters {
		if st, err := os.Stat(filepath.Join(cliDir, "clusters", en.ID, "dcos.toml")); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", en.Name, st, err)
		}
	}

	res, err = runACS(t, e, files, cliDir, installer.InstallFlow(), false)
	if err != nil || res.Beside() != nil {
		t.Fatalf("re-run: %v %v", err, res.Beside())
	}
	if _, uploads, _ := e.ACS.Counts(); uploads != 3 || res.ACS.Uploaded != 0 {
		t.Errorf("re-run uploaded (total %d, this run %d)", uploads, res.ACS.Uploaded)
	}
	for _, en := range res.CLI.Clusters {
		if en.Action != dcoscli.Unchanged {
			t.Errorf("re-run: %s %s", en.Name, en.Action)
		}
	}
	for _, a := range res.Actions {
		t.Errorf("re-run did %s (%s)", a.What, a.Phase)
	}

	added := e.ACS.ScaleOut(2)
	res, err = runACS(t, e, files, cliDir, installer.InstallFlow(), false)
	if err != nil || res.Beside() != nil {
		t.Fatalf("after scale-out: %v %v", err, res.Beside())
	}
	var uploaded []string
	for _, a := range res.ACS.Agents {
		if a.Uploaded {
			uploaded = append(uploaded, a.Name)
		}
	}
	if len(uploaded) != 2 || uploaded[0] != added[0].Name || uploaded[1] != added[1].Name {
		t.Errorf("after scale-out uploaded to %v, want %s and %s", uploaded, added[0].Name, added[1].Name)
	}
}

// An ACS master that does not answer does not fail the vSphere install:
// the result is ok, the ACS side is named in Beside (exit 5), and the
// vSphere cluster alone is registered.
func TestACSMasterDownDoesNotFailInstall(t *testing.T) {
	e, files, cliDir := acsWorld(t, 2)
	e.ACS.ConnectErr = errors.New("dial tcp acs-mgmt.test:2200: i/o timeout")
	res, err := runACS(t, e, files, cliDir, installer.InstallFlow(), false)
	if err != nil {
		t.Fatalf("install failed because of ACS: %v", err)
	}
	if res.Status != "ok" || !res.Healthy() {
		t.Errorf("vSphere result %s, healthy %v", res.Status, res.Healthy())
	}
	be := res.Beside()
	var bErr *installer.BesideError
	if !errors.As(be, &bErr) || bErr.ExitCode() != 5 || !strings.Contains(be.Error(), "acs-mgmt.test") || !strings.Contains(be.Error(), "i/o timeout") {
		t.Errorf("beside = %v", be)
	}
	if res.CLI == nil || len(res.CLI.Clusters) != 1 || res.CLI.Clusters[0].ID != e.DCOSClusterID {
		t.Fatalf("CLI = %+v", res.CLI)
	}
	if !strings.Contains(strings.Join(res.CLI.Notes, "\n"), "ACS cluster was not registered") {
		t.Errorf("notes = %v", res.CLI.Notes)
	}
	if c, _, _ := e.ACS.Counts(); c != 1 {
		t.Errorf("%d logins to the ACS master, want 1 (shared by both phases)", c)
	}

	// The master answers again: the next run finishes the ACS side.
	e.ACS.ConnectErr = nil
	res, err = runACS(t, e, files, cliDir, installer.InstallFlow(), false)
	if err != nil || res.Beside() != nil || res.Changed != 0 || res.ACS.Uploaded != 2 || len(res.CLI.Clusters) != 2 {
		t.Fatalf("second run: %v %v changed %d ACS %+v", err, res.Beside(), res.Changed, res.ACS)
	}
}

// One ACS agent down is named; the others get the archive.
func TestACSAgentDownIsNamed(t *testing.T) {
	e, files, cliDir := acsWorld(t, 3)
	down := e.ACS.Agents()[1]
	down.Down = true
	res, err := runACS(t, e, files, cliDir, installer.InstallFlow(), false)
	if err != nil {
		t.Fatal(err)
	}
	be := res.Beside()
	if be == nil || !strings.Contains(be.Error(), down.Name) || !strings.Contains(be.Error(), down.IP) {
		t.Fatalf("beside = %v, want %s (%s) named", be, down.Name, down.IP)
	}
	for _, ag := range e.ACS.Agents() {
		if (ag.Archive == "") != (ag == down) {
			t.Errorf("%s archive %q", ag.Name, ag.Archive)
		}
	}
}

// plan surveys the ACS agents and previews the CLI entries: it names the
// agents a sync would change and writes nothing anywhere.
func TestPlanSurveysACSAndWritesNothing(t *testing.T) {
	e, files, cliDir := acsWorld(t, 2)
	if _, err := runACS(t, e, files, cliDir, installer.InstallFlow(), false); err != nil {
		t.Fatal(err)
	}
	added := e.ACS.ScaleOut(1)[0]
	_, uploadsBefore, _ := e.ACS.Counts()
	snap := dirSnapshot(t, cliDir)

	res, err := runACS(t, e, files, cliDir, installer.InstallFlow(), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, uploads, surveys := e.ACS.Counts(); uploads != uploadsBefore || surveys != 1 {
		t.Errorf("plan uploaded (%d -> %d) or did not survey (%d)", uploadsBefore, uploads, surveys)
	}
	var acsActions, cliActions []string
	for _, a := range res.Actions {
		switch a.Phase {
		case installer.PhaseACSSync:
			acsActions = append(acsActions, a.Node+": "+a.What)
		case installer.PhaseRegisterClusters:
			cliActions = append(cliActions, a.What)
		}
	}
	if len(acsActions) != 1 || !strings.Contains(acsActions[0], added.Name) || !strings.Contains(acsActions[0], acs.StateMissing) {
		t.Errorf("plan ACS actions = %v, want only %s (missing)", acsActions, added.Name)
	}
	if len(cliActions) != 0 {
		t.Errorf("plan CLI actions = %v, want none (entries unchanged)", cliActions)
	}
	if got := dirSnapshot(t, cliDir); got != snap {
		t.Errorf("plan changed the CLI directory:\n%s\nwas\n%s", got, snap)
	}
	if be := res.Beside(); be != nil {
		t.Errorf("plan: an agent install will give the archive is reported as a problem: %v", be)
	}
	e.ACS.Agents()[0].Down = true
	res, err = runACS(t, e, files, cliDir, installer.InstallFlow(), true)
	if err != nil {
		t.Fatal(err)
	}
	if be := res.Beside(); be == nil || !strings.Contains(be.Error(), e.ACS.Agents()[0].Name) {
		t.Errorf("plan: an unreachable ACS agent is not reported: %v", be)
	}
}

// status shows the ACS agents' archive states and changes nothing.
func TestStatusShowsACSAgents(t *testing.T) {
	e, files, cliDir := acsWorld(t, 2)
	if _, err := runACS(t, e, files, cliDir, installer.InstallFlow(), false); err != nil {
		t.Fatal(err)
	}
	e.ACS.Agents()[0].Archive = strings.Repeat("0", 64) // rotated elsewhere
	res, err := runACS(t, e, files, cliDir, installer.StatusFlow(), false)
	if err != nil {
		t.Fatal(err)
	}
	if res.ACS == nil || !res.ACS.Survey || len(res.ACS.Agents) != 2 || res.ACS.AllCurrent() {
		t.Fatalf("status ACS = %+v", res.ACS)
	}
	if s0, s1 := res.ACS.Agents[0].State, res.ACS.Agents[1].State; s0 != acs.StateStale || s1 != acs.StateCurrent {
		t.Errorf("states %s, %s; want stale, current", s0, s1)
	}
	if e.ACS.Agents()[0].Archive != strings.Repeat("0", 64) {
		t.Error("status changed an ACS agent")
	}
	var b strings.Builder
	if err := res.WriteStatus(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "stale") || !strings.Contains(b.String(), "1 of 2 ACS agents have it") {
		t.Errorf("status text:\n%s", b.String())
	}
}

// Without an acs section the ACS phase skips itself and the CLI gets the
// vSphere cluster only.
func TestNoACSSectionSkips(t *testing.T) {
	e, files := world(t, "alone")
	cliDir := t.TempDir()
	res, err := runACS(t, e, files, cliDir, installer.InstallFlow(), false)
	if err != nil || res.Beside() != nil {
		t.Fatal(err, res.Beside())
	}
	if res.ACS != nil || res.CLI == nil || len(res.CLI.Clusters) != 1 {
		t.Errorf("ACS %+v CLI %+v", res.ACS, res.CLI)
	}
	if !slicesContains(e.Events.Phases(), "phase-skipped:acs-sync") {
		t.Errorf("phases %v", e.Events.Phases())
	}
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func dirSnapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		data := ""
		if !info.IsDir() {
			d, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			data = string(d)
		}
		b.WriteString(p + " " + info.Mode().String() + " " + data + "\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
