package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

func newPlanCmd(g *globalOptions) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "plan --config FILE",
		Short: "Show what install would create and install; changes nothing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.loadConfig(cmd)
			if err != nil {
				return err
			}
			f.reportCmd = true
			return runCluster(cmd, g, f, c, "plan", func(ctx context.Context, r *installer.Run) error {
				_, plan, err := installer.Observe(ctx, r, false)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Plan for cluster %s:\n%s", c.Name, plan)
				return nil
			})
		},
	}
	f.register(cmd, false)
	return cmd
}
