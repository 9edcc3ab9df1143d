package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
	"github.com/dcos-vsphere/dcos-vsphere/tui"
)

// runCluster sets up everything a cluster command shares (state, debug
// log, renderer, vCenter and SSH wiring) and runs work with it. On failure
// it names the debug log.
func runCluster(cmd *cobra.Command, g *globalOptions, f *runFlags, c *config.Cluster, command string,
	work func(ctx context.Context, r *installer.Run) error) error {
	state, err := installer.OpenState(installer.StatePath(c.StateDir()), c.Name)
	if err != nil {
		return err
	}
	logFile, err := f.debugLog(c, command)
	if err != nil {
		return err
	}
	defer logFile.Close()
	fileSink := &installer.PlainRenderer{W: logFile, Debug: true}
	fmt.Fprintf(logFile, "dcos-vsphere %s %s --config %s\n", version, command, f.config)

	r := &installer.Run{
		Cluster: c,
		Options: f.options(g),
		State:   state,
	}
	r.ConnectCloud = installer.VSphereConnector(c, func(msg string) {
		r.Events.Emit(installer.Event{Kind: installer.Warning, Message: msg})
	})

	softStopCapable.Store(true) // the phases finish running steps on a first Ctrl-C
	run := func(ctx context.Context, screen installer.Sink) error {
		events := installer.NewFanout(fileSink, screen)
		r.Events = events
		r.Dialer = installer.NewSSHDialer(c, events)
		return work(ctx, r)
	}

	if f.reportCmd {
		err = run(cmd.Context(), &installer.PlainRenderer{W: cmd.ErrOrStderr(), Debug: g.debug})
	} else if f.useTUI(cmd) {
		view := tui.NewProgress("dcos-vsphere " + command + " " + c.Name)
		view.Expect(installer.PhaseTitles(command)...)
		view.LogFile = logFile.Name()
		// The view ends with the phase list; the summary (UI URL, nodes)
		// is printed below it once the screen is released.
		var summaryText string
		err = view.Run(cmd.Context(), func(viewCtx context.Context, screen installer.Sink) error {
			// The view's first ctrl+c cancels viewCtx: make that the
			// graceful stop (running steps finish, state saved). Its
			// second ctrl+c quits the program at once.
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
			workCtx := installer.WithSoftStop(cmd.Context(), soft)
			return run(workCtx, installer.NewFanout(screen, installer.SinkFunc(func(e installer.Event) {
				if e.Kind == installer.Info && e.Phase == "Summary" {
					summaryText = e.Message
				}
			})))
		})
		if summaryText != "" {
			fmt.Fprintln(cmd.OutOrStdout(), summaryText)
		}
	} else if f.output == "json" {
		err = run(cmd.Context(), installer.NewJSONRenderer(cmd.OutOrStdout()))
	} else {
		err = run(cmd.Context(), &installer.PlainRenderer{W: cmd.OutOrStdout(), Debug: g.debug})
	}
	if err != nil {
		fmt.Fprintf(logFile, "FAILED: %v\n", err)
		fmt.Fprintf(os.Stderr, "debug log: %s\n", logFile.Name())
	}
	return err
}

// runWithGenconf loads the config, renders its DC/OS genconf files (the
// DC/OS rules are checked before anything is touched) and runs work.
func runWithGenconf(cmd *cobra.Command, g *globalOptions, f *runFlags, command string,
	work func(ctx context.Context, r *installer.Run, files installer.GenconfFiles) error) error {
	c, err := f.loadConfig(cmd)
	if err != nil {
		return err
	}
	files, err := renderGenconf(c)
	if err != nil {
		return err
	}
	return runCluster(cmd, g, f, c, command, func(ctx context.Context, r *installer.Run) error {
		return work(ctx, r, files)
	})
}
