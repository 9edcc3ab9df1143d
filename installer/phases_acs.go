package installer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dcos-vsphere/dcos-vsphere/acs"
	"github.com/dcos-vsphere/dcos-vsphere/dcoscli"
)

// The ACS side of a run: the existing cluster on Azure Container Service
// beside this one. Its failures never fail the vSphere cluster's run:
// they are recorded in the Result (ACS, CLI) and the command ends with
// exit code 5 (Result.Beside), so that an unreachable ACS master does not
// make a finished vSphere install look failed.

// ACSResult is the ACS side of a Result: the sync (or, in status and
// plan, the survey) of the archive on every ACS agent.
type ACSResult struct {
	acs.SyncResult
	// Survey is true when nothing was written (status, plan).
	Survey bool `json:"survey"`
	// Error is why the ACS side could not be done (master unreachable,
	// no agent list); per-agent failures are in Agents.
	Error string `json:"error,omitempty"`
}

// CLIResult is the DC/OS CLI registration of both clusters.
type CLIResult struct {
	dcoscli.Result
	Notes []string `json:"notes,omitempty"`
	Error string   `json:"error,omitempty"`
}

// BesideError says the vSphere cluster is as the command wanted but the
// ACS side or the DC/OS CLI registration is not (exit code 5).
type BesideError struct{ Problems []string }

func (e *BesideError) Error() string {
	return "the vSphere cluster is done, but not everything beside it:\n  " + strings.Join(e.Problems, "\n  ")
}

// ExitCode is acs.ExitPartial (5).
func (e *BesideError) ExitCode() int { return acs.ExitPartial }

// Beside is nil when the ACS side and the CLI registration (where the
// flow had them) are complete, else a *BesideError naming what is not. In
// a survey (plan), agents that only lack the archive are not problems:
// install puts it there; an agent or master that cannot be reached is.
func (res *Result) Beside() error {
	var p []string
	if a := res.ACS; a != nil {
		if a.Error != "" {
			p = append(p, "ACS: "+a.Error)
		}
		for _, ag := range a.Agents {
			if ag.Failed() && (!a.Survey || ag.State == acs.StateUnreachable || ag.State == acs.StateFailed) {
				p = append(p, fmt.Sprintf("ACS agent %s (%s, %s): %s: %s", ag.Name, ag.IP, ag.Role, ag.State, ag.Error))
			}
		}
	}
	if c := res.CLI; c != nil && c.Error != "" {
		p = append(p, "DC/OS CLI: "+c.Error)
	}
	if len(p) == 0 {
		return nil
	}
	return &BesideError{Problems: p}
}

// AllCurrent reports whether the ACS master answered and every ACS agent
// has the current archive (status).
func (a *ACSResult) AllCurrent() bool {
	return a.Error == "" && a.Err() == nil
}

// acsSide connects to the ACS master once per run (acs-sync and
// register-clusters share the connection); the error is remembered.
func (r *Run) acsSide(ctx context.Context) (ACS, error) {
	r.acsOnce.Do(func() {
		r.acsConn, r.acsErr = r.ConnectACS(ctx)
		if r.acsErr == nil {
			r.acsInfo = r.acsConn.Info()
		}
	})
	return r.acsConn, r.acsErr
}

// closeACS ends the ACS connection, if one was made.
func (r *Run) closeACS() {
	if r.acsConn != nil {
		_ = r.acsConn.Close()
	}
}

func (r *Run) hasACS() bool { return r.ConnectACS != nil && r.Cluster.ACS.Enabled() }

// syncACS puts the shared ACR's docker.tar.gz on every ACS agent (the
// acs sync command's work, as a phase of install). With survey (status)
// and in a dry run (plan) it only compares.
type syncACS struct{ survey bool }

func (syncACS) ID() PhaseID { return PhaseACSSync }
func (p syncACS) Title() string {
	if p.survey {
		return "Check ACS agents"
	}
	return "Sync ACS agents"
}
func (p syncACS) Describe() string {
	if p.survey {
		return "the ACS master reachable; each ACS agent's " + acs.ArchivePath + " current, stale, missing or unreachable"
	}
	return "through the ACS master (port 2200): " + acs.ArchivePath + " with the registry credentials on every ACS agent that lacks it (failures: exit 5, the vSphere cluster is not failed)"
}

// ReadOnly: in a dry run it surveys for real (nothing is written).
func (syncACS) ReadOnly() {}

func (syncACS) ShouldRun(r *Run) (bool, string) {
	switch {
	case !r.hasACS():
		return false, "no acs section"
	case !r.hasRegistry():
		return false, "no registry section: nothing to put on the ACS agents"
	}
	return true, ""
}

func (p syncACS) Run(ctx context.Context, r *Run) error {
	survey := p.survey || r.Options.DryRun
	out := &ACSResult{Survey: survey}
	defer func() {
		r.mu.Lock()
		r.acsResult = out
		r.mu.Unlock()
	}()
	creds := r.registryCredentials()
	archive, err := r.registryArchive()
	if err != nil {
		return err // a config problem: the vSphere side would have the same
	}
	side, err := r.acsSide(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		out.Error = fmt.Sprintf("master %s: %v", r.Cluster.ACS.MasterFQDN, err)
		r.emit(Event{Kind: Warning, Message: "ACS: " + out.Error + " (the vSphere cluster is not affected; run `dcos-vsphere acs sync` once it answers)"})
		return nil
	}
	info := side.Info()
	r.emit(Event{Kind: Info, Message: fmt.Sprintf("ACS master %s: DC/OS %s, cluster %s (%s)", info.Hostname, info.Version, info.ClusterName, info.ClusterID)})
	o := acs.SyncOptions{Archive: archive, Concurrency: r.Options.Concurrency, ReadOnly: survey,
		OnAgent: func(a acs.AgentResult) { r.reportACSAgent(a, survey) }}
	if !survey {
		o.Checks = []acs.AgentCheck{acs.FetchCheck(creds.Host())}
	}
	res, err := side.Sync(ctx, o)
	out.SyncResult = res
	for _, w := range res.Warnings {
		r.emit(Event{Kind: Warning, Message: "ACS: " + w})
	}
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		out.Error = err.Error()
		r.emit(Event{Kind: Warning, Message: "ACS: " + out.Error})
		return nil
	}
	if survey && r.Options.DryRun {
		for _, a := range res.Agents {
			if a.State == acs.StateStale || a.State == acs.StateMissing {
				r.planned(Action{Phase: PhaseACSSync, Node: "acs/" + a.Name, What: fmt.Sprintf("put %s (sha256 %s) on ACS agent %s (%s): %s", acs.ArchivePath, shortID(res.ArchiveSHA256), a.Name, a.IP, a.State)})
			}
		}
	}
	if !survey {
		for _, a := range res.Agents {
			if a.Uploaded {
				r.did("acs/"+a.Name, "put "+acs.ArchivePath+" on ACS agent "+a.IP)
			}
		}
	}
	return nil
}

func (r *Run) reportACSAgent(a acs.AgentResult, survey bool) {
	msg := fmt.Sprintf("ACS agent %s (%s, %s): %s", a.Name, a.IP, a.Role, a.State)
	if a.Error != "" {
		msg += ": " + a.Error
	}
	kind := Info
	if a.Failed() && !survey {
		kind = Warning
	}
	r.emit(Event{Kind: kind, Message: msg})
}

// registerClusters makes the vSphere cluster (and the ACS cluster, when
// the config has one) known to the DC/OS CLI side by side: the
// clusters register command's work, as the last phase of install.
type registerClusters struct{}

func (registerClusters) ID() PhaseID   { return PhaseRegisterClusters }
func (registerClusters) Title() string { return "Register clusters" }
func (registerClusters) Describe() string {
	return "clusters/<CLUSTER_ID>/dcos.toml in $DCOS_DIR (or ~/.dcos) for this cluster and the ACS one; existing entries keep their token (--no-register: skip)"
}

func (registerClusters) ShouldRun(r *Run) (bool, string) {
	if r.RegisterCLI == nil {
		return false, "not asked (--no-register)"
	}
	if len(r.byRole(RoleMaster)) == 0 {
		return false, "no masters"
	}
	return true, ""
}

// ReadOnly: in a dry run it reads the cluster id and the CLI's
// directory and says what it would write (dcoscli.Preview).
func (registerClusters) ReadOnly() {}

func (p registerClusters) Run(ctx context.Context, r *Run) error {
	out := &CLIResult{}
	defer func() {
		r.mu.Lock()
		r.cliResult = out
		r.mu.Unlock()
	}()
	fail := func(err error) error {
		if ctx.Err() != nil {
			return err
		}
		out.Error = err.Error()
		r.emit(Event{Kind: Warning, Message: "DC/OS CLI: " + out.Error})
		return nil
	}
	if r.Options.DryRun && !r.anyMasterInstalled() {
		dir := r.RegisterCLI.Dir
		if dir == "" {
			dir, _ = dcoscli.DefaultDir()
		}
		r.planned(Action{Phase: PhaseRegisterClusters, What: fmt.Sprintf("DC/OS CLI: register %s in %s once its masters run DC/OS (they give the cluster id)", r.Cluster.DCOS.ClusterName, dir)})
		return nil
	}
	vs, notes, err := r.vsphereCLIEntry(ctx)
	if err != nil {
		return fail(err)
	}
	clusters := []dcoscli.Cluster{vs}
	out.Notes = notes
	if r.hasACS() {
		if _, err := r.acsSide(ctx); err != nil {
			out.Notes = append(out.Notes, fmt.Sprintf("the ACS cluster was not registered: its master did not answer (%v); run `dcos-vsphere clusters register --config %s` later", firstLine(err.Error()), r.Cluster.Path))
		} else {
			info := r.acsInfo
			name := info.ClusterName
			if name == "" {
				name = r.Cluster.Name + "-acs"
			}
			port := acs.DefaultTunnelPort
			clusters = append(clusters, dcoscli.Cluster{ID: info.ClusterID, Name: name, URL: fmt.Sprintf("http://localhost:%d", port)})
			out.Notes = append(out.Notes, fmt.Sprintf("%s is reached through the tunnel: run `dcos-vsphere acs tunnel --config %s --port %d` while using it", name, r.Cluster.Path, port))
		}
	}
	if r.Options.DryRun {
		entries, migrate, err := dcoscli.Preview(*r.RegisterCLI, clusters...)
		if err != nil {
			return fail(err)
		}
		if migrate {
			r.planned(Action{Phase: PhaseRegisterClusters, What: "migrate the legacy DC/OS CLI dcos.toml to the per-cluster layout, as CLI 0.5 does"})
		}
		for _, e := range entries {
			if e.Action != dcoscli.Unchanged {
				r.planned(Action{Phase: PhaseRegisterClusters, What: fmt.Sprintf("DC/OS CLI: %s %s (%s, dcos_url %s) in %s", strings.TrimSuffix(e.Action, "d"), e.Name, e.ID, e.URL, e.Path)})
			}
		}
		out.Clusters = entries
		return nil
	}
	res, err := dcoscli.Register(ctx, *r.RegisterCLI, clusters...)
	out.Result = res
	if err != nil {
		return fail(err)
	}
	for _, e := range res.Clusters {
		if e.Action != dcoscli.Unchanged {
			r.did("", fmt.Sprintf("DC/OS CLI: %s %s (%s) in %s", e.Action, e.Name, e.ID, e.Path))
		}
		r.emit(Event{Kind: Info, Message: fmt.Sprintf("DC/OS CLI: %s %s (%s, dcos_url %s)", e.Action, e.Name, e.ID, e.URL)})
	}
	for _, w := range res.Warnings {
		r.emit(Event{Kind: Warning, Message: "DC/OS CLI: " + w})
	}
	return nil
}

// vsphereCLIEntry is this cluster's CLI entry: the first master that
// answers gives the cluster id DC/OS agreed on.
func (r *Run) vsphereCLIEntry(ctx context.Context) (dcoscli.Cluster, []string, error) {
	var errs []error
	for _, m := range r.byRole(RoleMaster) {
		c := r.conn(m.Name)
		if c == nil {
			continue
		}
		out, err := c.Run(ctx, clusterIDScript(), nil)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m.Name, err))
			continue
		}
		id := strings.TrimSpace(out)
		if !dcoscli.ValidClusterID(id) {
			errs = append(errs, fmt.Errorf("%s: %s holds %q, not a DC/OS cluster id", m.Name, clusterIDPath, firstLine(id)))
			continue
		}
		var notes []string
		if v, ok := r.Cluster.DCOS.Config["oauth_enabled"]; !ok || fmt.Sprint(v) != "false" {
			notes = append(notes, fmt.Sprintf("%s has DC/OS authentication on (oauth_enabled): run `dcos auth login` after `dcos cluster attach %s`", r.Cluster.DCOS.ClusterName, r.Cluster.DCOS.ClusterName))
		}
		return dcoscli.Cluster{ID: id, Name: r.Cluster.DCOS.ClusterName, URL: "http://" + r.addrOf(m)}, notes, nil
	}
	if len(errs) == 0 {
		return dcoscli.Cluster{}, nil, errors.New("no master is connected: cannot read the cluster id")
	}
	return dcoscli.Cluster{}, nil, fmt.Errorf("read the cluster id: %w", errors.Join(errs...))
}

func (r *Run) anyMasterInstalled() bool {
	for _, m := range r.byRole(RoleMaster) {
		if f := r.facts(m.Name); f != nil && f.DCOS == DCOSInstalled && r.conn(m.Name) != nil {
			return true
		}
	}
	return false
}
