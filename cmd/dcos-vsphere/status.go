package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

func newStatusCmd(g *globalOptions) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "status --config FILE",
		Short: "List the cluster's VMs, IPs and per-node DC/OS health",
		Long: `status lists every VM of the cluster (also agents added with add-agents,
marked with *), whether SSH answers, whether DC/OS is installed and the
node's health (Exhibitor and Mesos master on masters, registration on agents).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.loadConfig(cmd)
			if err != nil {
				return err
			}
			f.reportCmd = true
			return runCluster(cmd, g, f, c, "status", func(ctx context.Context, r *installer.Run) error {
				sts, _, err := installer.Observe(ctx, r, true)
				if err != nil {
					return err
				}
				if f.output == "json" {
					return json.NewEncoder(cmd.OutOrStdout()).Encode(sts)
				}
				fmt.Fprint(cmd.OutOrStdout(), installer.FormatStatus(sts))
				return nil
			})
		},
	}
	f.register(cmd, false)
	return cmd
}
