package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

func newAddAgentsCmd(g *globalOptions) *cobra.Command {
	f := &runFlags{}
	var private, public int
	cmd := &cobra.Command{
		Use:   "add-agents --config FILE --agents N [--public N]",
		Short: "Clone and install more agents from the existing bootstrap node; nothing else changes",
		Long: flowHelp(`add-agents clones N private and M public agents from the template, named after the
highest existing agent and addressed from the group's ipRange (addresses in use are skipped),
and installs them from the genconf/serve the cluster was installed from. An agent of an
earlier add-agents that was never installed is finished first and counts as added. The served
DC/OS config and every existing node stay untouched; if the DC/OS part of the config changed
since install, it refuses before anything is created.`, installer.AddAgentsFlow(0, 0)),
		Example: `  dcos-vsphere add-agents --config cluster.yaml --agents 2 --public 1
  dcos-vsphere add-agents --config cluster.yaml --agents 1 --dry-run`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if private < 0 || public < 0 || private+public == 0 {
				return usageError{fmt.Errorf("give --agents N and/or --public N (at least one agent)")}
			}
			c, files, err := loadWithGenconf(cmd, f)
			if err != nil {
				return err
			}
			_, err = runFlow(cmd, g, f, c, flowRun{flow: installer.AddAgentsFlow(private, public), files: files, changes: true, streams: true})
			return err
		},
	}
	f.register(cmd, withDryRun|withTUI)
	cmd.Flags().IntVar(&private, "agents", 0, "private agents to add")
	cmd.Flags().IntVar(&public, "public", 0, "public agents to add")
	return cmd
}
