package main

import (
	"bufio"
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
		Use:   "destroy [--config FILE] [--force] [--vm NAME ...]",
		Short: "Power off and delete the cluster's VMs (only VMs this tool marked for this cluster)",
		Long: flowHelp(`destroy removes every VM of this cluster (its cluster id, in its folder), or only
--vm NAME, powering each off first, and forgets their SSH host keys. VMs without the
cluster's mark, and VMs of another cluster with the same name, are never touched. A --vm
that is not a VM of the cluster is an error and nothing is deleted. On a terminal it asks
you to type the cluster name; otherwise --force is required.`, installer.DestroyFlow(nil, nil)),
		Example: `  dcos-vsphere destroy --config cluster.yaml
  dcos-vsphere destroy --config cluster.yaml --vm agent-3 --force`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.loadConfigOnly(cmd)
			if err != nil {
				return err
			}
			interactive := isTerminal(cmd.InOrStdin()) && !g.json()
			if !force && !interactive {
				return usageError{errors.New("destroy needs --force when not run on a terminal")}
			}
			confirm := func(names []string) error {
				if force {
					return nil
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Will power off and delete %d VM(s) of cluster %s: %s\n", len(names), c.Name, strings.Join(names, ", "))
				fmt.Fprintf(cmd.OutOrStdout(), "Type the cluster name (%s) to confirm: ", c.Name)
				line, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if strings.TrimSpace(line) != c.Name {
					return usageError{errors.New("not confirmed; nothing deleted")}
				}
				return nil
			}
			res, err := runFlow(cmd, g, f, c, flowRun{flow: installer.DestroyFlow(only, confirm), changes: true})
			if err != nil {
				return err
			}
			return writeResult(cmd, g, res, res.WriteDestroyed)
		},
	}
	f.register(cmd, 0)
	cmd.Flags().BoolVar(&force, "force", false, "do not ask")
	cmd.Flags().StringSliceVar(&only, "vm", nil, "delete only these VMs (repeatable)")
	_ = cmd.RegisterFlagCompletionFunc("vm", completeVMNames(&f.config))
	return cmd
}
