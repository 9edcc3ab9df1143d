package main

import (
	"github.com/spf13/cobra"
)

// globalOptions are the flags shared by every command.
type globalOptions struct {
	debug  bool
	output string
	sig    *signals
}

// exitCodesHelp is appended to every command's help.
const exitCodesHelp = `
Exit codes:
  0    success (also: nothing to do)
  1    install or runtime failure (a node failed, health did not converge, --timeout;
       deploy: a deployment failed or did not finish; promote: no such tag)
  2    bad config or usage, or a config that conflicts with what exists
       (a planned VM name or address in use by something else, a node that is
       not the VM it should be, a changed DC/OS config; promote: a version tag
       that already names another digest; deploy: a bad app definition)
  3    vCenter, SSH, registry or Marathon connection, authentication or host key
       failure (promote: no right to push)
  4    status: some node is down, unreachable, not installed or not healthy, or
       the ACS side is not current; deploy status: the app is not settled
  5    partial: the vSphere cluster is done, but beside it the ACS master did not
       answer, some ACS agents did not get the archive (the others did), or the
       DC/OS CLI registration failed (install, plan, acs sync)
  130  stopped by a signal (Ctrl-C, SIGTERM, SIGHUP); run the same command again to resume
`

func newRootCmd(sig *signals) (*cobra.Command, *globalOptions) {
	g := &globalOptions{sig: sig}
	root := &cobra.Command{
		Use:   "dcos-vsphere",
		Short: "Install DC/OS 1.9 on VMware vSphere, safely re-runnable",
		Long: `dcos-vsphere installs DC/OS 1.9 on VMware vSphere from one cluster config, cluster.yaml,
which stays the truth about the cluster: raise a count (or add hosts) and run install to grow it;
add-agents writes what it added back into the file.

Every command that reads a cluster config takes --config FILE, and reads ./cluster.yaml when
--config is not given and that file exists. Empty vcenter fields come from the GOVC_* environment
as govc reads it; SSH follows ~/.ssh/config, ssh-agent and ~/.ssh/id_* as OpenSSH does, unless
the config says otherwise.`,
		Version:       buildInfo().String(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			return g.checkOutput()
		},
	}
	root.PersistentFlags().BoolVar(&g.debug, "debug", false, "print debug output (remote output lines too)")
	root.PersistentFlags().StringVarP(&g.output, "output", "o", outputText, "output format: text or json (json: stdout carries only JSON, errors included)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.SetVersionTemplate("{{.Version}}\n")
	registerCompletions(root)
	// One constructor per command, each in its own file.
	root.AddCommand(
		newVersionCmd(g),
		newValidateCmd(g),
		newGenconfCmd(g),
		newInitCmd(g),
		newLabCmd(g),
		newInstallCmd(g),
		newPlanCmd(g),
		newAddAgentsCmd(g),
		newRemoveAgentsCmd(g),
		newStatusCmd(g),
		newDestroyCmd(g),
		newRegistryCmd(g),
		newACSCmd(g),
		newClustersCmd(g),
		newPromoteCmd(g),
		newDeployCmd(g),
	)
	// After every AddCommand: a command that says nothing of its arguments
	// takes none, so a stray word is a usage error (exit 2), on a group too
	// (not an unknown subcommand shown as help).
	forEachCommand(root, func(c *cobra.Command) {
		if c.Args == nil {
			c.Args = noArgs
		}
		c.Long = c.Long + "\n" + exitCodesHelp
		if c.Long == "\n"+exitCodesHelp {
			c.Long = c.Short + "\n" + exitCodesHelp
		}
	})
	return root, g
}

func forEachCommand(c *cobra.Command, f func(*cobra.Command)) {
	f(c)
	for _, sub := range c.Commands() {
		forEachCommand(sub, f)
	}
}
