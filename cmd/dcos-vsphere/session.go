package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/dcoscli"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
	"github.com/dcos-vsphere/dcos-vsphere/tui"
)

// flowRun is one command's flow on one cluster.
type flowRun struct {
	flow  installer.Flow
	files installer.GenconfFiles
	// changes: the flow changes the cluster, so it takes the cluster's run
	// lock (one such run at a time).
	changes bool
	// streams: the run's events are the command's output (install,
	// add-agents); otherwise the command prints the result at the end and
	// progress goes only to the debug log (and stderr with --debug).
	streams bool
	// beside: the flow also works on the ACS side and the DC/OS CLI
	// (install, registry rotate); a run that finished the vSphere cluster
	// but not those exits 5.
	beside bool
}

// runFlow sets up everything a cluster command shares (lock, state, debug
// log, renderers, vCenter and SSH wiring), runs the flow and returns its
// result. On failure it names the debug log.
func runFlow(cmd *cobra.Command, g *globalOptions, f *runFlags, c *config.Cluster, fr flowRun) (*installer.Result, error) {
	name := fr.flow.Name
	if fr.changes && !f.dryRun {
		unlock, err := installer.Lock(c.StateDir(), c.Name, name)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	state, err := installer.OpenState(installer.StatePath(c.StateDir()), c.Name)
	if err != nil {
		return nil, err
	}
	logFile, err := f.debugLog(c, name)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	fmt.Fprintf(logFile, "dcos-vsphere %s %s --config %s\n", version, name, f.config)
	if state.Notice != "" {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning:", state.Notice)
		fmt.Fprintln(logFile, "warning:", state.Notice)
	}

	r := &installer.Run{Cluster: c, Options: f.options(g), State: state, Files: fr.files, LogPath: logFile.Name()}
	r.ConnectCloud = installer.VSphereConnector(c, func(msg string) {
		r.Events.Emit(installer.Event{Kind: installer.Warning, Message: msg})
	})
	if c.ACS.Enabled() {
		cfg := acsConfig(c, cmd)
		cfg.Log = func(msg string) { r.Events.Emit(installer.Event{Kind: installer.Info, Message: "ACS: " + msg}) }
		r.ConnectACS = installer.ACSConnector(cfg)
	}
	if !f.noRegister {
		r.RegisterCLI = &dcoscli.Options{Dir: f.dcosDir}
	}
	if c.Registry.Server != "" {
		r.CheckRegistry = registryChecker(c)
	}
	g.sig.enableGraceful() // the phases finish running steps on a first Ctrl-C

	fileSink := &installer.PlainRenderer{W: logFile, Debug: true}
	run := func(ctx context.Context, screen installer.Sink) (*installer.Result, error) {
		sinks := []installer.Sink{fileSink}
		if screen != nil {
			sinks = append(sinks, screen)
		}
		events := installer.NewFanout(sinks...)
		r.Events = events
		r.Dialer = installer.NewSSHDialer(c, events)
		return r.Execute(ctx, fr.flow)
	}

	var res *installer.Result
	shown := false // the progress view showed the outcome: error, summary, log path
	switch {
	case fr.streams && f.useTUI(cmd, g):
		res, shown, err = runWithProgressView(cmd, c, fr.flow, logFile.Name(), run)
	case fr.streams && g.json():
		res, err = run(cmd.Context(), installer.NewJSONRenderer(cmd.OutOrStdout()))
	case fr.streams:
		res, err = run(cmd.Context(), &installer.PlainRenderer{W: cmd.OutOrStdout(), Debug: g.debug})
	case g.debug:
		res, err = run(cmd.Context(), &installer.PlainRenderer{W: cmd.ErrOrStderr(), Debug: true})
	default:
		res, err = run(cmd.Context(), nil)
	}
	if err != nil {
		err = withOrigins(c, err)
		fmt.Fprintf(logFile, "FAILED: %v\n", err)
		if !shown {
			fmt.Fprintf(cmd.ErrOrStderr(), "debug log: %s\n", logFile.Name())
		}
	}
	if shown && err != nil {
		return res, shownError{err}
	}
	if fr.streams && res != nil {
		// The result is the output: the summary for people, or the last
		// JSON line (already written); the error is in it.
		if !g.json() && !shown {
			if werr := res.WriteSummary(cmd.OutOrStdout()); werr != nil && err == nil {
				err = werr
			}
		}
		if err != nil {
			return res, reportedError{err}
		}
	}
	if err == nil && res != nil && fr.beside {
		// The vSphere cluster is done (or, in a dry run, would be); the
		// ACS side or the CLI registration may not be (exit 5, named in
		// the result), as plan says too.
		if berr := res.Beside(); berr != nil {
			fmt.Fprintf(logFile, "NOT DONE BESIDE: %v\n", berr)
			return res, reportedError{berr}
		}
	}
	return res, err
}

// runWithProgressView runs the flow under the terminal progress view. The
// view's first ctrl+c is the graceful stop (running steps finish, state
// saved); its second quits the program at once. shown says the view's
// final frame holds the outcome (each error once, the summary, the log
// path): the caller prints neither again.
func runWithProgressView(cmd *cobra.Command, c *config.Cluster, flow installer.Flow, logPath string,
	run func(ctx context.Context, screen installer.Sink) (*installer.Result, error)) (res *installer.Result, shown bool, err error) {
	view := tui.NewProgress("dcos-vsphere " + flow.Name + " " + c.Name)
	view.Expect(flow.Infos()...)
	view.LogFile = logPath
	err = view.Run(cmd.Context(), func(viewCtx context.Context, screen installer.Sink) error {
		soft := make(chan struct{})
		finished := make(chan struct{})
		defer close(finished)
		go func() {
			select {
			case <-viewCtx.Done():
				close(soft)
			case <-finished:
			}
		}()
		var err error
		r, err := run(installer.WithSoftStop(cmd.Context(), soft), screen)
		res = r
		return err
	})
	if errors.Is(err, tui.ErrInterrupted) {
		return nil, view.Shown(), err // the work may still be winding down: its result is not ours to read
	}
	return res, view.Shown(), err
}

// loadWithGenconf loads the config and renders its DC/OS genconf files (the
// DC/OS rules are checked before anything is touched) for flows that
// install.
func loadWithGenconf(cmd *cobra.Command, f *runFlags) (*config.Cluster, installer.GenconfFiles, error) {
	c, err := f.loadConfig(cmd)
	if err != nil {
		return nil, installer.GenconfFiles{}, err
	}
	files, err := renderGenconf(c)
	if err != nil {
		return nil, installer.GenconfFiles{}, err
	}
	return c, files, nil
}

// flowHelp is a flow's phase list for a command's --help.
func flowHelp(intro string, flow installer.Flow) string {
	return intro + "\n\nPhases (id, title, what it does):\n" + flow.Help()
}
