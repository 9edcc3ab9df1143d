package main

import (
	"context"
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
		Long: `add-agents clones N private and M public agents from the template, named
after the highest existing agent and addressed from the group's ipRange,
and installs them from the genconf/serve the cluster was installed from.
The served DC/OS config and every existing node stay untouched; if the
DC/OS part of the config changed since install, it refuses.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if private < 0 || public < 0 || private+public == 0 {
				return usageError{fmt.Errorf("give --agents N and/or --public N (at least one agent)")}
			}
			return runWithGenconf(cmd, g, f, "add-agents", func(ctx context.Context, r *installer.Run, files installer.GenconfFiles) error {
				return installer.AddAgents(ctx, r, files, private, public)
			})
		},
	}
	f.register(cmd, true)
	cmd.Flags().IntVar(&private, "agents", 0, "private agents to add")
	cmd.Flags().IntVar(&public, "public", 0, "public agents to add")
	return cmd
}
