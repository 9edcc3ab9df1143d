package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
	"github.com/dcos-vsphere/dcos-vsphere/internal/fsutil"
	"github.com/dcos-vsphere/dcos-vsphere/templates"
)

// runFlags are the flags of every command that runs a flow on a cluster.
type runFlags struct {
	config      string
	concurrency int
	timeout     time.Duration
	nodeTimeout time.Duration
	logFile     string
	noTUI       bool
	dryRun      bool
	noRegister  bool
	dcosDir     string
}

// flowFlags says which run flags a command has: only those that act on
// its flow (every flow command has --config, --timeout and --log-file).
type flowFlags int

const (
	withDryRun      flowFlags = 1 << iota // install, add-agents
	withTUI                               // the progress view (streaming commands)
	withConcurrency                       // the flow works on nodes in parallel
	withNodeTimeout                       // the flow installs nodes or waits for health
	withRegister                          // the register-clusters phase (install, plan)
)

// configFlagHelp is the one --config rule, said the same way everywhere.
const configFlagHelp = "cluster config file (default: ./" + defaultConfigName + " when it exists)"

// defaultConfigName is the config every command reads without --config.
const defaultConfigName = "cluster.yaml"

func (f *runFlags) register(cmd *cobra.Command, which flowFlags) {
	fs := cmd.Flags()
	fs.StringVarP(&f.config, "config", "c", "", configFlagHelp)
	if which&withConcurrency != 0 {
		fs.IntVar(&f.concurrency, "concurrency", installer.DefaultConcurrency, "nodes worked on at once")
	}
	fs.DurationVar(&f.timeout, "timeout", installer.DefaultTimeout, "limit for the whole run")
	if which&withNodeTimeout != 0 {
		fs.DurationVar(&f.nodeTimeout, "node-timeout", installer.DefaultNodeTimeout, "limit for one node's install and for the health wait")
	}
	fs.StringVar(&f.logFile, "log-file", "", "debug log file (default: <state dir>/logs/<command>-<time>-<pid>.log)")
	if which&withTUI != 0 {
		fs.BoolVar(&f.noTUI, "no-tui", false, "plain line output even on a terminal")
	}
	if which&withRegister != 0 {
		fs.BoolVar(&f.noRegister, "no-register", false, "do not write the DC/OS CLI's entries for the clusters (register-clusters)")
		fs.StringVar(&f.dcosDir, "dcos-dir", "", "DC/OS CLI directory for register-clusters (default $DCOS_DIR, else ~/.dcos)")
	}
	if which&withDryRun != 0 {
		fs.BoolVar(&f.dryRun, "dry-run", false, "run every read-only check and show what would be done, change nothing (same as plan)")
	}
}

// loadConfig reads and validates the config (and checks the files it
// names), printing warnings.
func (f *runFlags) loadConfig(cmd *cobra.Command) (*config.Cluster, error) {
	c, err := f.loadConfigOnly(cmd)
	if err != nil {
		return nil, err
	}
	if err := c.CheckFiles(); err != nil {
		return nil, err
	}
	return c, nil
}

// loadConfigOnly is loadConfig without the file checks (destroy needs
// neither the SSH key nor the installer).
func (f *runFlags) loadConfigOnly(cmd *cobra.Command) (*config.Cluster, error) {
	return loadCluster(cmd, &f.config)
}

// configPath is the one --config rule of every command: the flag's file,
// else ./cluster.yaml when it exists.
func configPath(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if haveDefaultConfig() {
		return defaultConfigName, nil
	}
	return "", usageError{errors.New("no --config given and no ./" + defaultConfigName + " here: pass --config FILE, or write one with " +
		"`dcos-vsphere init` (or the guided `dcos-vsphere install` on a terminal)")}
}

// haveDefaultConfig reports whether ./cluster.yaml exists.
func haveDefaultConfig() bool {
	st, err := os.Stat(defaultConfigName)
	return err == nil && !st.IsDir()
}

// loadCluster loads the config under the --config rule (setting *path to
// the file used), printing its warnings and the values taken from the
// environment (GOVC_*) on stderr.
func loadCluster(cmd *cobra.Command, path *string) (*config.Cluster, error) {
	p, err := configPath(*path)
	if err != nil {
		return nil, err
	}
	*path = p
	c, warnings, err := config.Load(p)
	for _, w := range warnings {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
	}
	if err != nil {
		return nil, err
	}
	for _, o := range c.Origins() {
		fmt.Fprintln(cmd.ErrOrStderr(), "from the environment:", o)
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
func (f *runFlags) useTUI(cmd *cobra.Command, g *globalOptions) bool {
	return !f.noTUI && !g.json() && isTerminal(cmd.OutOrStdout()) && os.Getenv("CI") == ""
}

// debugLog opens the always-written debug log (0600, also when the file
// named by --log-file existed with looser permissions). The default name
// is unique per run: two runs never share a log.
func (f *runFlags) debugLog(c *config.Cluster, command string) (*os.File, error) {
	path := f.logFile
	if path == "" {
		path = filepath.Join(c.StateDir(), "logs", fmt.Sprintf("%s-%s-%d.log", command, time.Now().UTC().Format("20060102T150405.000Z"), os.Getpid()))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create log directory: %w", err)
	}
	return fsutil.EnsureMode(path, 0o600)
}

// originError is err with the fields it names marked with where their
// values came from ("vcenter.datastore (from GOVC_DATASTORE): ...").
type originError struct {
	err error
	msg string
}

func (e originError) Error() string { return e.msg }
func (e originError) Unwrap() error { return e.err }

// withOrigins marks, in a run's error, the config fields whose values came
// from the environment, so that a wrong GOVC_* value is found where it
// is set: an inventory name not found, a connection refused.
func withOrigins(c *config.Cluster, err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	changed := false
	for _, o := range c.Origins() {
		if strings.Contains(msg, o.Field+":") && !strings.Contains(msg, o.Field+" (from ") {
			msg = strings.Replace(msg, o.Field+":", o.Field+" (from "+o.Var+"):", 1)
			changed = true
		}
	}
	var ce *templates.ConnectError
	if errors.As(err, &ce) {
		for _, o := range c.Origins() {
			if o.Field == "vcenter.url" {
				msg += " (vcenter.url from " + o.Var + ")"
				changed = true
			}
		}
	}
	if !changed {
		return err
	}
	return originError{err: err, msg: msg}
}
