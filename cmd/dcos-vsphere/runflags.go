package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

// runFlags are the flags of every command that acts on a cluster.
type runFlags struct {
	config      string
	concurrency int
	timeout     time.Duration
	nodeTimeout time.Duration
	logFile     string
	output      string
	noTUI       bool
	dryRun      bool
	// reportCmd marks plan/status/destroy: their result goes to stdout,
	// so progress lines go to stderr and the TUI is off.
	reportCmd bool
}

func (f *runFlags) register(cmd *cobra.Command, withDryRun bool) {
	fs := cmd.Flags()
	fs.StringVarP(&f.config, "config", "c", "", "cluster config file (cluster.yaml)")
	fs.IntVar(&f.concurrency, "concurrency", installer.DefaultConcurrency, "nodes worked on at once")
	fs.DurationVar(&f.timeout, "timeout", installer.DefaultTimeout, "limit for the whole run")
	fs.DurationVar(&f.nodeTimeout, "node-timeout", installer.DefaultNodeTimeout, "limit for one node's install and for the health wait")
	fs.StringVar(&f.logFile, "log-file", "", "debug log file (default: <state dir>/logs/<command>-<time>.log)")
	fs.StringVarP(&f.output, "output", "o", "text", "output format: text or json")
	fs.BoolVar(&f.noTUI, "no-tui", false, "plain line output even on a terminal")
	if withDryRun {
		fs.BoolVar(&f.dryRun, "dry-run", false, "show what would be done, change nothing")
	}
}

// loadConfig reads and validates the config, printing warnings.
func (f *runFlags) loadConfig(cmd *cobra.Command) (*config.Cluster, error) {
	if f.config == "" {
		return nil, usageError{fmt.Errorf("--config is required (write one with `dcos-vsphere init` or use the guided `dcos-vsphere install` on a terminal)")}
	}
	if f.output != "text" && f.output != "json" {
		return nil, usageError{fmt.Errorf("--output must be text or json, not %q", f.output)}
	}
	c, warnings, err := config.Load(f.config)
	for _, w := range warnings {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (f *runFlags) options(g *globalOptions) installer.Options {
	return installer.Options{
		Concurrency: f.concurrency,
		Timeout:     f.timeout,
		NodeTimeout: f.nodeTimeout,
		DryRun:      f.dryRun,
		Debug:       g.debug,
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// useTUI decides between the progress TUI and plain lines.
func (f *runFlags) useTUI(cmd *cobra.Command) bool {
	return !f.noTUI && f.output == "text" && isTerminal(cmd.OutOrStdout()) && os.Getenv("CI") == ""
}

// debugLog opens the always-written debug log (0600).
func (f *runFlags) debugLog(c *config.Cluster, command string) (*os.File, error) {
	path := f.logFile
	if path == "" {
		path = filepath.Join(c.StateDir(), "logs", fmt.Sprintf("%s-%s.log", command, time.Now().UTC().Format("20060102T150405Z")))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create log directory: %w", err)
	}
	return os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
}
