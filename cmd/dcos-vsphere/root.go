package main

import (
	"github.com/spf13/cobra"
)

// globalOptions are the flags shared by every command.
type globalOptions struct {
	debug bool
}

func newRootCmd() *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:           "dcos-vsphere",
		Short:         "Install DC/OS 1.9 on VMware vSphere, safely re-runnable",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().BoolVar(&g.debug, "debug", false, "print debug output")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	// One constructor per command, each in its own file.
	root.AddCommand(
		newVersionCmd(),
		newValidateCmd(g),
		newGenconfCmd(g),
		newInitCmd(g),
		newLabCmd(g),
		newInstallCmd(g),
		newPlanCmd(g),
		newAddAgentsCmd(g),
		newStatusCmd(g),
		newDestroyCmd(g),
		newRegistryCmd(g),
	)
	return root
}
