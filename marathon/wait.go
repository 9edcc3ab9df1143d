package marathon

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Defaults of WaitOptions.
const (
	DefaultWaitInterval = 500 * time.Millisecond
	DefaultMaxFailures  = 3
)

// WaitOptions tune WaitDeployed.
type WaitOptions struct {
	// Interval between two looks (default 500 ms: Marathon shows only the
	// last task failure, so look often enough to see each).
	Interval time.Duration
	// MaxFailures of tasks of the new version end the wait (default 3):
	// Marathon keeps retrying with a growing delay, the old tasks keep
	// running, and the cause is usually on the agents.
	MaxFailures int
	// OnProgress is called whenever the picture changes (may be nil).
	OnProgress func(Progress)
	// Before is the app as it was before the change (nil when new): its
	// last task failure belongs to an earlier deployment.
	Before *AppInfo
}

// Progress is where a deployment stands.
type Progress struct {
	DeploymentID string `json:"deploymentId"`
	Version      string `json:"version"`
	Instances    int    `json:"instances"`
	// New* count the active tasks of the new version by state; Old the
	// active tasks of earlier versions (a rolling update kills them once
	// their replacements run).
	NewRunning int `json:"newRunning"`
	NewStaging int `json:"newStaging"`
	Old        int `json:"old"`
	// Active says the deployment is still in /v2/deployments.
	Active   bool          `json:"active"`
	Failures []TaskFailure `json:"failures,omitempty"`
	// Tasks are the app's active tasks at the last look.
	Tasks []Task `json:"tasks,omitempty"`
}

// Done reports whether the deployment finished with every task of the
// new version running and no old task left.
func (p Progress) Done() bool {
	return !p.Active && p.NewRunning == p.Instances && p.NewStaging == 0 && p.Old == 0
}

func (p Progress) String() string {
	s := fmt.Sprintf("%d of %d tasks of the new version running", p.NewRunning, p.Instances)
	if p.NewStaging > 0 {
		s += fmt.Sprintf(", %d starting", p.NewStaging)
	}
	if p.Old > 0 {
		s += fmt.Sprintf(", %d old task(s) still running", p.Old)
	}
	if len(p.Failures) > 0 {
		s += fmt.Sprintf(", %d failed", len(p.Failures))
	}
	return s
}

// FailedError ends a wait whose new tasks keep failing. The deployment
// goes on in Marathon (the old tasks keep running).
type FailedError struct {
	Cluster, App, DeploymentID string
	Failures                   []TaskFailure
}

func (e *FailedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: app %s: %d tasks of the new version failed (deployment %s still retrying in Marathon; the old tasks keep running):", e.Cluster, e.App, len(e.Failures), e.DeploymentID)
	for _, f := range e.Failures {
		fmt.Fprintf(&b, "\n  task %s on agent %s: %s: %s", f.TaskID, f.Host, f.State, f.Message)
	}
	return b.String()
}

// ExitCode is 1: the deployment did not finish.
func (e *FailedError) ExitCode() int { return 1 }

// ErrReplaced is returned when another change of the app replaced the
// deployment being waited for.
var ErrReplaced = errors.New("the app was changed again: another deployment replaced this one")

// WaitDeployed follows deployment d of app id until it is done (see
// Progress.Done), ctx ends (the last progress and ctx's error), or
// MaxFailures tasks of the new version failed (*FailedError). Transient
// request errors are retried until ctx ends.
func (c *Client) WaitDeployed(ctx context.Context, id string, d Deployment, o WaitOptions) (Progress, error) {
	if o.Interval <= 0 {
		o.Interval = DefaultWaitInterval
	}
	if o.MaxFailures <= 0 {
		o.MaxFailures = DefaultMaxFailures
	}
	p := Progress{DeploymentID: d.ID, Version: d.Version}
	seen := map[string]bool{}
	if o.Before != nil && o.Before.LastTaskFailure != nil {
		seen[o.Before.LastTaskFailure.TaskID] = true
	}
	last := ""
	var lastErr error
	for {
		np, err := c.look(ctx, id, d, p.Failures, seen)
		switch {
		case errors.Is(err, ErrReplaced):
			return p, fmt.Errorf("%s: app %s: %w (now version %s)", c.Cluster, id, ErrReplaced, np.Version)
		case err != nil:
			lastErr = err
		default:
			p, lastErr = np, nil
			if s := p.String(); s != last && o.OnProgress != nil {
				last = s
				o.OnProgress(p)
			}
			if p.Done() {
				return p, nil
			}
			if len(p.Failures) >= o.MaxFailures {
				return p, &FailedError{Cluster: c.Cluster, App: id, DeploymentID: d.ID, Failures: p.Failures}
			}
		}
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return p, fmt.Errorf("%w (last error: %v)", ctx.Err(), lastErr)
			}
			return p, ctx.Err()
		case <-time.After(o.Interval):
		}
	}
}

func (c *Client) look(ctx context.Context, id string, d Deployment, failures []TaskFailure, seen map[string]bool) (Progress, error) {
	p := Progress{DeploymentID: d.ID, Version: d.Version, Failures: failures}
	// One snapshot: the app lists the deployments that change it.
	app, err := c.App(ctx, id)
	if err != nil {
		return p, err
	}
	for _, dep := range app.Deployments {
		if dep.ID == d.ID {
			p.Active = true
		}
	}
	if !p.Active && app.Version > d.Version {
		p.Version = app.Version
		return p, ErrReplaced
	}
	// Tasks launched at or after the definition's last change run it
	// (versions are ISO 8601 times; a scaling alone does not restart).
	want := app.ConfigVersion()
	p.Instances, p.Tasks = app.Instances, app.Tasks
	for _, t := range app.Tasks {
		switch {
		case t.Version < want:
			p.Old++
		case t.State == "TASK_RUNNING":
			p.NewRunning++
		default:
			p.NewStaging++
		}
	}
	if f := app.LastTaskFailure; f != nil && f.Version >= want && !seen[f.TaskID] {
		seen[f.TaskID] = true
		p.Failures = append(append([]TaskFailure(nil), failures...), *f)
	}
	return p, nil
}
