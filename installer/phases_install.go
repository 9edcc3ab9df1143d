package installer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// installDCOS runs dcos_install.sh on the nodes of the given roles where
// DC/OS never started, and resumes the nodes where it started but did not
// finish (by DC/OS's own setup units), all at once (bounded by
// --concurrency). An installed node is never touched.
type installDCOS struct {
	id    PhaseID
	title string
	roles []string
	// prepare, when set, runs on each node right before its install (the
	// registry files agents need before their Mesos agent starts).
	prepare func(ctx context.Context, r *Run, n VMSpec) error
}

func (p installDCOS) ID() PhaseID   { return p.id }
func (p installDCOS) Title() string { return p.title }
func (p installDCOS) Describe() string {
	roles := make([]string, len(p.roles))
	for i, role := range p.roles {
		roles[i] = dcosRole(role)
	}
	return "dcos_install.sh " + strings.Join(roles, " / ") + " in parallel; a node cut short is resumed, an installed one left alone"
}

// dcosRole maps a role to dcos_install.sh's role argument.
func dcosRole(role string) string { return config.Role(role).InstallRole() }

func (p installDCOS) targets(r *Run) []VMSpec { return r.notInstalled(r.byRole(p.roles...)) }

func (p installDCOS) ShouldRun(r *Run) (bool, string) {
	if len(p.targets(r)) == 0 {
		return false, "already installed"
	}
	return true, ""
}

// installAction says what the phase does to n: resume or install.
func installAction(r *Run, n VMSpec) string {
	if f := r.facts(n.Name); f != nil && f.DCOS == DCOSPartial {
		return "resume the interrupted DC/OS install (" + dcosRole(n.Role) + ")"
	}
	return "dcos_install.sh " + dcosRole(n.Role)
}

func (p installDCOS) Plan(r *Run) []Action {
	var out []Action
	for _, n := range r.knownNotInstalled(p.targets(r)) {
		if p.prepare != nil {
			if what := r.registryAction(n); what != "" {
				out = append(out, Action{Phase: p.id, Node: n.Name, What: what})
			}
		}
		out = append(out, Action{Phase: p.id, Node: n.Name, What: installAction(r, n)})
	}
	return out
}

func (p installDCOS) Run(ctx context.Context, r *Run) error {
	return forEachNode(ctx, p.targets(r), r.Options.Concurrency, func(ctx context.Context, n VMSpec) error {
		ctx, cancel := context.WithTimeout(ctx, r.Options.NodeTimeout)
		defer cancel()
		if p.prepare != nil {
			if err := p.prepare(ctx, r, n); err != nil {
				return err
			}
		}
		what, err := r.installOrResume(ctx, n)
		if err != nil {
			return err
		}
		r.did(n.Name, what)
		r.changed()
		r.State.MarkStep(n.Name, "installed")
		msg := "installed"
		if strings.HasPrefix(what, "resume") {
			msg = "interrupted install finished"
		}
		r.emit(Event{Kind: NodeDone, Node: n.Name, Message: msg})
		return nil
	})
}

// installOrResume runs dcos_install.sh (or, on a node part-way, DC/OS's
// setup again) and probes the result. When the connection dies under it,
// it dials again once (bounded), probes, and continues from what the node
// says: the first attempt may have got far, and dcos_install.sh must
// never run on a node where it already ran.
func (r *Run) installOrResume(ctx context.Context, n VMSpec) (string, error) {
	url := r.bootstrapURL()
	var what string
	for attempt := 0; ; attempt++ {
		what = installAction(r, n)
		script := installScript(url, dcosRole(n.Role))
		if f := r.facts(n.Name); f != nil && f.DCOS == DCOSPartial {
			script = resumeScript()
		}
		r.step(n.Name, what)
		_, err := r.conn(n.Name).Run(ctx, script, r.logLine(n.Name))
		lost := errors.Is(err, ErrConnectionLost)
		if err != nil && (!lost || attempt > 0) {
			return what, fmt.Errorf("%s: %w%s", what, err, r.setupDiagnostics(ctx, n))
		}
		if lost {
			r.emit(Event{Kind: Warning, Node: n.Name, Message: "SSH connection lost during the install; reconnecting to continue: " + firstLine(err.Error())})
			if _, derr := r.redial(ctx, n); derr != nil {
				return what, fmt.Errorf("%s: %w; reconnecting for %s failed: %w", what, err, reconnectTimeout, derr)
			}
		}
		// What the node says now is the truth: probe again.
		out, err := r.conn(n.Name).Run(ctx, probeScript(r.servePort()), nil)
		if err != nil {
			return what, fmt.Errorf("probe after install: %w", err)
		}
		f, err := parseFacts(out)
		if err != nil {
			return what, err
		}
		r.setFacts(n.Name, f)
		switch {
		case f.DCOS == DCOSInstalled:
			return what, nil
		case lost:
			continue // partly installed: resume it
		default:
			return what, fmt.Errorf("%s ended, but DC/OS setup did not complete (%s)%s", what, f.DCOS, r.setupDiagnostics(ctx, n))
		}
	}
}

// setupDiagnostics fetches the journal of DC/OS's setup units after a
// failed install, so the error names the cause (a bad ip-detect, a
// download failure) instead of only "exit 1". Best effort.
func (r *Run) setupDiagnostics(ctx context.Context, n VMSpec) string {
	c := r.conn(n.Name)
	if c == nil {
		return ""
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	out, err := c.Run(dctx, diagnosticsScript(), nil)
	out = strings.TrimSpace(out)
	if err != nil || out == "" {
		return ""
	}
	return "\n    journal of dcos-download/dcos-setup:\n      " + strings.ReplaceAll(out, "\n", "\n      ")
}
