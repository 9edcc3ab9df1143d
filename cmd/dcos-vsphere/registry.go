package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

func newRegistryCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "The shared container registry (ACR) of cluster.yaml: check the login, rotate the agents' credentials",
		RunE:  groupHelp,
	}
	cmd.AddCommand(newRegistryCheckCmd(g), newRegistryRotateCmd(g))
	return cmd
}

func newRegistryRotateCmd(g *globalOptions) *cobra.Command {
	f := &runFlags{}
	flow := installer.RotateFlow()
	cmd := &cobra.Command{
		Use:   "rotate [--config FILE]",
		Short: "Put cluster.yaml's (new) registry credentials on every agent, one agent at a time, and on the ACS agents",
		Long: flowHelp(`rotate is for a changed registry password (ACR's second admin password, a renewed
service principal): edit cluster.yaml's registry section, then run it. It checks the new
credentials against the registry first, then on every agent whose files differ writes
/etc/mesosphere/docker_credentials and /etc/docker.tar.gz and restarts its Mesos agent
(it reads the file only at start), waiting until the agent is registered again before
the next one: one agent is away at a time, never more. An agent left between files and
restart (a run cut short) is finished by the next rotate; agents already current are not
touched. With an acs section, the ACS agents' archive follows (exit 5 when that part fails).`, flow),
		Example: `  dcos-vsphere registry rotate --config cluster.yaml --dry-run
  dcos-vsphere registry rotate --config cluster.yaml`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.loadConfig(cmd)
			if err != nil {
				return err
			}
			if c.Registry.Server == "" {
				return usageError{fmt.Errorf("%s has no registry section: nothing to rotate", f.config)}
			}
			_, err = runFlow(cmd, g, f, c, flowRun{flow: flow, changes: true, streams: true, beside: true})
			return err
		},
	}
	f.register(cmd, withDryRun|withTUI|withConcurrency|withNodeTimeout)
	return cmd
}

// registryCreds are the credentials of cluster.yaml's registry section.
func registryCreds(r config.Registry) registry.Credentials {
	return registry.Credentials{Server: r.Server, Username: r.Username, Password: r.Password.Value()}
}

// loadRegistryCluster loads the config of a command that works on its
// registry (registry check, promote): a config without a registry
// section, or whose registry.caFile is no CA bundle, is a config error
// (exit code 2).
func loadRegistryCluster(cmd *cobra.Command, configFlag *string) (*config.Cluster, error) {
	c, err := loadCluster(cmd, configFlag)
	if err != nil {
		return nil, err // *config.Errors: exit code 2
	}
	if c.Registry.Server == "" {
		return nil, &config.Errors{File: *configFlag, List: []config.FieldError{{File: *configFlag, Path: "registry.server",
			Message: "no registry in this config: set registry.server, registry.username and registry.password (or registry.passwordFile)"}}}
	}
	if err := c.CheckRegistryFiles(); err != nil {
		return nil, err
	}
	return c, nil
}

// registryChecker is registry-check's login from this machine, with
// cluster.yaml's registry section.
func registryChecker(c *config.Cluster) func(ctx context.Context) (string, error) {
	r := c.Registry
	return func(ctx context.Context) (string, error) {
		creds := registryCreds(r)
		res, err := registry.Check(ctx, creds, registry.CheckOptions{CAFile: r.CAFile, Image: r.CheckImage, Push: r.CheckPush})
		if err != nil {
			return "", err
		}
		msg := fmt.Sprintf("registry %s: %s can log in", res.Server, res.Username)
		if res.Image != nil {
			msg += ", pull " + res.Image.Reference
			if res.Image.Digest != "" {
				msg += " (" + res.Image.Digest + ")"
			}
		}
		if r.CheckPush {
			msg += ", push"
		}
		return msg, nil
	}
}

// registryCheckFlags are the flags of `registry check`.
type registryCheckFlags struct {
	config, image string
	push          bool
	timeout       time.Duration
}

func newRegistryCheckCmd(g *globalOptions) *cobra.Command {
	f := &registryCheckFlags{}
	cmd := &cobra.Command{
		Use:   "check [--config FILE]",
		Short: "Log in to the registry and pull (and optionally push) with cluster.yaml's credentials",
		Long: `check does, from this machine, what docker on every agent will do with the
credentials of cluster.yaml's registry section: GET /v2/ for the challenge, a
token from the registry's realm with Basic authentication, then a pull of
registry.checkImage (manifest and config blob; a repository alone: its tag list)
and, with --push or registry.checkPush, a started and cancelled upload.
TLS is verified (system roots plus registry.caFile); ~/.docker is never read.

With -o json, stdout is one JSON object: ok, server, username, realm, service,
steps (name, ok, detail, millis), image, and on failure error (kind, message,
exitCode). A failed check exits 3 (connection, TLS or authentication: wrong
password, expired service principal, no pull/push right) or 1 (the image does
not exist).`,
		Example: `  dcos-vsphere registry check --config cluster.yaml
  dcos-vsphere registry check --config cluster.yaml --image samples/hello:1.0 --push -o json`,
		RunE: func(cmd *cobra.Command, _ []string) error { return runRegistryCheck(cmd, g, f) },
	}
	fs := cmd.Flags()
	fs.StringVarP(&f.config, "config", "c", "", configFlagHelp)
	fs.StringVar(&f.image, "image", "", "image (repository:tag) or repository to pull-check (default registry.checkImage)")
	fs.BoolVar(&f.push, "push", false, "also check the right to push to the image's repository (default registry.checkPush)")
	fs.DurationVar(&f.timeout, "timeout", registry.DefaultCheckTimeout, "limit for the whole check")
	return cmd
}

func runRegistryCheck(cmd *cobra.Command, g *globalOptions, f *registryCheckFlags) error {
	if f.timeout <= 0 {
		return usageError{fmt.Errorf("--timeout must be positive, not %s", f.timeout)}
	}
	c, err := loadRegistryCluster(cmd, &f.config)
	if err != nil {
		return err
	}
	r := c.Registry
	o := registry.CheckOptions{CAFile: r.CAFile, Image: r.CheckImage, Push: r.CheckPush, Timeout: f.timeout}
	if cmd.Flags().Changed("image") {
		o.Image = f.image
		if o.Image != "" {
			if _, _, err := registry.ParseImage(r.Server, o.Image); err != nil {
				return usageError{fmt.Errorf("--image: %w", err)}
			}
		}
	}
	if cmd.Flags().Changed("push") {
		o.Push = f.push
	}
	if o.Push && o.Image == "" {
		return usageError{errors.New("a push check needs a repository: give --image or set registry.checkImage")}
	}
	creds := registryCreds(r)
	res, checkErr := registry.Check(cmd.Context(), creds, o)
	if res == nil {
		res = &registry.Result{Server: creds.Host(), Username: creds.Username}
	}
	if err := writeResult(cmd, g, checkReportOf(res, checkErr), func(w io.Writer) error {
		writeCheckText(w, res, checkErr)
		return nil
	}); err != nil {
		return err
	}
	if checkErr != nil {
		return reportedError{checkErr} // the output has it; main sets the exit code
	}
	return nil
}

// checkReport is the one JSON object of `registry check -o json`.
type checkReport struct {
	OK bool `json:"ok"`
	*registry.Result
	Error *checkError `json:"error,omitempty"`
}

type checkError struct {
	Kind     string `json:"kind"`
	Message  string `json:"message"`
	ExitCode int    `json:"exitCode"`
}

func checkReportOf(res *registry.Result, err error) checkReport {
	return checkReport{OK: err == nil, Result: res, Error: checkErrorOf(err)}
}

// checkErrorOf is a registry failure as the JSON reports give it (nil for
// no failure): a *registry.Error's kind and exit code, else other, 1.
func checkErrorOf(err error) *checkError {
	if err == nil {
		return nil
	}
	ce := &checkError{Kind: string(registry.KindOther), Message: err.Error(), ExitCode: exitFailure}
	var re *registry.Error
	if errors.As(err, &re) {
		ce.Kind, ce.ExitCode = string(re.Kind), re.ExitCode()
	}
	return ce
}

func writeCheckText(w io.Writer, res *registry.Result, err error) {
	fmt.Fprintf(w, "registry %s, user %s\n", res.Server, res.Username)
	for _, s := range res.Steps {
		status := "ok"
		if !s.OK {
			status = "FAILED"
		}
		fmt.Fprintf(w, "  %-6s  %-9s  %s (%d ms)\n", status, s.Name, s.Detail, s.Millis)
	}
	if err == nil {
		what := "log in"
		for _, s := range res.Steps {
			switch s.Name {
			case "pull", "list tags":
				what += ", pull"
			case "push":
				what += ", push"
			}
		}
		fmt.Fprintf(w, "ok: %s can %s\n", res.Username, what)
	}
}
