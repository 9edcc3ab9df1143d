package main

import (
	"fmt"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/spf13/cobra"
)

// newValidateCmd checks cluster.yaml without touching vCenter or nodes:
// every problem at once, exit code 2 when there is any.
func newValidateCmd(_ *globalOptions) *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check cluster.yaml and report every problem with its line",
		Long: "validate decodes cluster.yaml strictly (unknown keys, wrong types and nulls are errors),\n" +
			"resolves secrets from the environment or *File paths, and checks the cross-field rules\n" +
			"(master count, IP collisions, network membership, host names, ports).\n" +
			"Exit code 0 when valid, 2 when not.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, warns, err := config.Load(path)
			for _, w := range warns {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			if err == nil {
				_, err = renderGenconf(c) // the DC/OS 1.9 rules on dcos.*
			}
			if err != nil {
				return fmt.Errorf("invalid config %s:\n%w", path, err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), summary(c))
			return nil
		},
	}
	cmd.Flags().StringVarP(&path, "config", "c", "cluster.yaml", "cluster config file")
	return cmd
}

// summary is the one-line success report of validate.
func summary(c *config.Cluster) string {
	count := map[config.Role]int{}
	for _, n := range c.AllNodes() {
		count[n.Role]++
	}
	return fmt.Sprintf("ok: cluster %s, %d bootstrap, %d masters, %d agents, %d public agents",
		c.Name, count[config.RoleBootstrap], count[config.RoleMaster], count[config.RoleAgent], count[config.RolePublicAgent])
}

// noArgs is cobra.NoArgs reported as a usage error (exit code 2).
func noArgs(cmd *cobra.Command, args []string) error {
	if err := cobra.NoArgs(cmd, args); err != nil {
		return usageError{err}
	}
	return nil
}
