package installer

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
)

// PhaseID names a phase for machines: stable across releases, it is the
// "phaseId" of JSON events, what tests and the progress view key on, and
// what --help lists. Titles are for people and may change.
type PhaseID string

// The phases of every flow. The list is checked by a test: ids are never
// reused for another meaning.
const (
	PhaseConnectVCenter   PhaseID = "connect-vcenter"
	PhaseProbeNodes       PhaseID = "probe-nodes"
	PhaseCheckConfig      PhaseID = "check-config"
	PhasePlanAgents       PhaseID = "plan-agents"
	PhasePreflightVSphere PhaseID = "preflight-vsphere"
	PhaseTemplate         PhaseID = "template"
	PhaseCreateVMs        PhaseID = "create-vms"
	PhaseConnectNodes     PhaseID = "connect-nodes"
	PhasePrepareNodes     PhaseID = "prepare-nodes"
	PhaseBootstrap        PhaseID = "bootstrap"
	PhaseInstallMasters   PhaseID = "install-masters"
	PhaseInstallAgents    PhaseID = "install-agents"
	PhaseHealth           PhaseID = "health"
	PhaseACSSync          PhaseID = "acs-sync"
	PhaseRegistryCheck    PhaseID = "registry-check"
	PhaseRotateRegistry   PhaseID = "rotate-credentials"
	PhaseRegisterClusters PhaseID = "register-clusters"
	PhaseDestroyVMs       PhaseID = "destroy-vms"
)

// Phase is one step of a flow. Only ID, Title and Run are required; the
// optional abilities below are discovered by type assertion, the way
// io.WriterTo is (the k0sctl phase-manager shape).
type Phase interface {
	ID() PhaseID
	Title() string
	Run(ctx context.Context, r *Run) error
}

// Describer gives the one-line help text of a phase (flow help).
type Describer interface {
	Describe() string
}

// ShouldRunner lets a phase skip itself; the string says why.
type ShouldRunner interface {
	ShouldRun(r *Run) (bool, string)
}

// Planner says what a phase that changes things would do, node by node,
// computed from what earlier (read-only) phases observed, without changing
// anything. A dry run (plan, --dry-run) reports these actions instead of
// running the phase; a real run records what it did in the same shape, so
// the two can be compared.
type Planner interface {
	Plan(r *Run) []Action
}

// ReadOnly marks a phase that changes nothing (it only looks), so a dry
// run runs it for real to describe the phases after it.
type ReadOnly interface {
	ReadOnly()
}

// CleanUpper undoes what a phase half-did when a later phase fails or
// the run is cancelled. It must only touch what this run created.
type CleanUpper interface {
	CleanUp(ctx context.Context, r *Run)
}

// Action is one thing a phase does (or, in a dry run, would do) to a node.
type Action struct {
	Phase PhaseID `json:"phase"`
	Node  string  `json:"node,omitempty"`
	What  string  `json:"what"`
}

// Flow is a described list of phases: what a command runs.
type Flow struct {
	Name   string // the command: install, add-agents, status, plan, destroy
	Phases []Phase
}

// PhaseInfo is a phase as help texts and progress views show it.
type PhaseInfo struct {
	ID    PhaseID `json:"id"`
	Title string  `json:"title"`
	Help  string  `json:"help,omitempty"`
}

// Infos lists the flow's phases in order.
func (f Flow) Infos() []PhaseInfo {
	out := make([]PhaseInfo, len(f.Phases))
	for i, p := range f.Phases {
		out[i] = PhaseInfo{ID: p.ID(), Title: p.Title()}
		if d, ok := p.(Describer); ok {
			out[i].Help = d.Describe()
		}
	}
	return out
}

// Help renders the phase list for a command's --help (kubeadm's way: the
// help is derived from the flow, never written out by hand).
func (f Flow) Help() string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, p := range f.Infos() {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", p.ID, p.Title, p.Help)
	}
	tw.Flush()
	return b.String()
}

// PhaseError says which phase failed.
type PhaseError struct {
	Phase PhaseID
	Title string
	Err   error
}

func (e *PhaseError) Error() string { return e.Title + ": " + e.Err.Error() }
func (e *PhaseError) Unwrap() error { return e.Err }

// stallWarning is how long a phase may go without any event before the
// runner says it is still waiting (a frozen vCenter, a hung node).
const stallWarning = 15 * time.Second

// cleanUpBudget bounds the clean-up after a failure or a stop: it has a
// context of its own (the run's may be cancelled), short enough that a
// frozen vCenter cannot hold the process far past --timeout.
const cleanUpBudget = 10 * time.Second

// Execute runs the flow's phases in order. A phase that fails stops the
// run; then every phase that ran and can clean up does so, newest first.
// In a dry run, read-only phases run and the others report their plan.
func Execute(ctx context.Context, r *Run, f Flow) error {
	r.init(f)
	var ran []Phase
	for _, p := range f.Phases {
		if err := ctx.Err(); err != nil {
			return r.cleanUp(ran, &PhaseError{p.ID(), p.Title(), fmt.Errorf("interrupted: %w", err)})
		}
		if stopping(ctx) {
			return r.cleanUp(ran, &PhaseError{p.ID(), p.Title(), ErrStopped})
		}
		if s, ok := p.(ShouldRunner); ok {
			if run, why := s.ShouldRun(r); !run {
				r.emit(Event{Kind: PhaseSkipped, PhaseID: p.ID(), Phase: p.Title(), Message: why})
				continue
			}
		}
		_, readOnly := p.(ReadOnly)
		if r.Options.DryRun && !readOnly {
			r.emit(Event{Kind: PhaseSkipped, PhaseID: p.ID(), Phase: p.Title(), Message: "dry run"})
			if pl, ok := p.(Planner); ok {
				for _, a := range pl.Plan(r) {
					r.planned(a)
				}
			}
			continue
		}
		start := time.Now()
		r.emit(Event{Kind: PhaseStarted, PhaseID: p.ID(), Phase: p.Title()})
		ran = append(ran, p)
		r.setPhase(p)
		stopWatch := r.watchStall(ctx, p)
		err := p.Run(ctx, r)
		stopWatch()
		// Save after every phase: a kill -9 later loses at most one phase.
		// A dry run writes nothing.
		if !r.Options.DryRun {
			if serr := r.SaveState(); serr != nil && err == nil {
				err = serr
			}
		}
		if err != nil {
			r.emit(Event{Kind: PhaseFailed, PhaseID: p.ID(), Phase: p.Title(), Message: err.Error(), Elapsed: time.Since(start)})
			return r.cleanUp(ran, &PhaseError{p.ID(), p.Title(), err})
		}
		r.emit(Event{Kind: PhaseFinished, PhaseID: p.ID(), Phase: p.Title(), Elapsed: time.Since(start)})
	}
	return nil
}

func (r *Run) cleanUp(ran []Phase, err error) error {
	ctx, cancel := context.WithTimeout(context.Background(), cleanUpBudget)
	defer cancel()
	for i := len(ran) - 1; i >= 0; i-- {
		if c, ok := ran[i].(CleanUpper); ok {
			c.CleanUp(ctx, r)
		}
	}
	if !r.Options.DryRun {
		_ = r.SaveState()
	}
	return err
}

// watchStall emits a warning each time the running phase has gone
// stallWarning without an event, so a frozen vCenter or a hung node is
// visible instead of silent. The returned func stops it.
func (r *Run) watchStall(ctx context.Context, p Phase) func() {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(stallWarning / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if quiet := r.quietFor(); quiet >= stallWarning {
					r.emit(Event{Kind: Warning, PhaseID: p.ID(), Phase: p.Title(),
						Message: fmt.Sprintf("no progress for %s (%s)", quiet.Round(time.Second), r.lastActivity())})
				}
			}
		}
	}()
	return func() { close(done) }
}
