package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

func newDestroyCmd(g *globalOptions) *cobra.Command {
	f := &runFlags{}
	var force bool
	var only []string
	cmd := &cobra.Command{
		Use:   "destroy --config FILE [--force] [--vm NAME ...]",
		Short: "Power off and delete the cluster's VMs (only VMs this tool marked for this cluster)",
		Long: `destroy removes every VM marked as this cluster's (or only --vm NAME),
powering each off first. VMs without the cluster's mark are never touched.
On a terminal it asks you to type the cluster name; otherwise --force is required.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.loadConfig(cmd)
			if err != nil {
				return err
			}
			interactive := isTerminal(cmd.InOrStdin())
			if !force && !interactive {
				return usageError{errors.New("destroy needs --force when not run on a terminal")}
			}
			f.reportCmd = true
			confirm := func(names []string) error {
				fmt.Fprintf(cmd.OutOrStdout(), "Will power off and delete %d VM(s) of cluster %s: %s\n", len(names), c.Name, strings.Join(names, ", "))
				if force {
					return nil
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Type the cluster name (%s) to confirm: ", c.Name)
				line, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if strings.TrimSpace(line) != c.Name {
					return errors.New("not confirmed; nothing deleted")
				}
				return nil
			}
			return runCluster(cmd, g, f, c, "destroy", func(ctx context.Context, r *installer.Run) error {
				gone, err := installer.DestroyVMs(ctx, r, only, confirm)
				if err != nil {
					return err
				}
				if len(gone) == 0 {
					fmt.Fprintf(cmd.OutOrStdout(), "No VM of cluster %s exists.\n", c.Name)
					return nil
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Deleted %d VM(s): %s\n", len(gone), strings.Join(gone, ", "))
				return nil
			})
		},
	}
	f.register(cmd, false)
	cmd.Flags().BoolVar(&force, "force", false, "do not ask")
	cmd.Flags().StringSliceVar(&only, "vm", nil, "delete only these VMs (repeatable)")
	return cmd
}
