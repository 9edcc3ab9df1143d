package installer

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Phase is one step of a run. Only Title and Run are required; the
// optional abilities below are discovered by type assertion, the way
// io.WriterTo is (the k0sctl phase-manager shape).
type Phase interface {
	Title() string
	Run(ctx context.Context, r *Run) error
}

// ShouldRunner lets a phase skip itself; the string says why.
type ShouldRunner interface {
	ShouldRun(r *Run) (bool, string)
}

// DryRunner describes what the phase would do without doing it.
type DryRunner interface {
	DryRun(r *Run) []string
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

// PhaseError says which phase failed.
type PhaseError struct {
	Phase string
	Err   error
}

func (e *PhaseError) Error() string { return e.Phase + ": " + e.Err.Error() }
func (e *PhaseError) Unwrap() error { return e.Err }

// ErrDryRun is returned by Execute after printing a dry run.
var ErrDryRun = errors.New("dry run")

// Execute runs phases in order. A phase that fails stops the run; then
// every phase that ran and can clean up does so, newest first. In a dry
// run each phase that would run describes itself instead.
func Execute(ctx context.Context, r *Run, phases []Phase, dryRun bool) error {
	var ran []Phase
	for _, p := range phases {
		if err := ctx.Err(); err != nil {
			return cleanUp(r, ran, &PhaseError{p.Title(), fmt.Errorf("interrupted: %w", err)})
		}
		if stopping(ctx) {
			return cleanUp(r, ran, &PhaseError{p.Title(), ErrStopped})
		}
		if s, ok := p.(ShouldRunner); ok {
			if run, why := s.ShouldRun(r); !run {
				r.Events.Emit(Event{Kind: PhaseSkipped, Phase: p.Title(), Message: why})
				continue
			}
		}
		_, readOnly := p.(ReadOnly)
		if dryRun && !readOnly {
			if d, ok := p.(DryRunner); ok {
				for _, line := range d.DryRun(r) {
					r.Events.Emit(Event{Kind: Info, Phase: p.Title(), Message: line})
				}
			} else {
				r.Events.Emit(Event{Kind: Info, Phase: p.Title(), Message: "would run"})
			}
			continue
		}
		start := time.Now()
		r.Events.Emit(Event{Kind: PhaseStarted, Phase: p.Title()})
		ran = append(ran, p)
		err := p.Run(ctx, r)
		// Save after every phase: a kill -9 later loses at most one phase.
		// A dry run writes nothing.
		if !dryRun {
			if serr := r.SaveState(); serr != nil && err == nil {
				err = serr
			}
		}
		if err != nil {
			r.Events.Emit(Event{Kind: PhaseFailed, Phase: p.Title(), Message: err.Error(), Elapsed: time.Since(start)})
			return cleanUp(r, ran, &PhaseError{p.Title(), err})
		}
		r.Events.Emit(Event{Kind: PhaseFinished, Phase: p.Title(), Elapsed: time.Since(start)})
	}
	return nil
}

func cleanUp(r *Run, ran []Phase, err error) error {
	// Clean-up gets its own context: the run's may be cancelled already.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for i := len(ran) - 1; i >= 0; i-- {
		if c, ok := ran[i].(CleanUpper); ok {
			c.CleanUp(ctx, r)
		}
	}
	_ = r.SaveState()
	return err
}
