package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/lab"
)

func newLabACSCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "acs",
		Short: "Act on the lab's ACS world (lab up --acs)",
		RunE:  groupHelp,
	}
	cmd.AddCommand(newLabACSScaleOutCmd())
	return cmd
}

func newLabACSScaleOutCmd() *cobra.Command {
	var dir string
	var public int
	cmd := &cobra.Command{
		Use:   "scale-out N [--public M]",
		Short: "Add N private (and M public) agents to the ACS world, as a VM scale set scale-out does",
		Long: "scale-out adds agents to the running lab's ACS world: Ubuntu 16.04, azureuser's key, DC/OS\n" +
			"installed, listed by 3DT and the Mesos master from then on, and without /etc/docker.tar.gz\n" +
			"(run `dcos-vsphere acs sync` again).",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{errors.New("want the number of private agents to add")}
			}
			if n, err := strconv.Atoi(args[0]); err != nil || n < 0 {
				return usageError{fmt.Errorf("%q is not a number of agents", args[0])}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireLabHost(); err != nil {
				return err
			}
			n, _ := strconv.Atoi(args[0])
			if n+public == 0 || public < 0 {
				return usageError{errors.New("add at least one agent")}
			}
			if lab.RunningPID(dir) == 0 {
				return fmt.Errorf("no lab is running in %s", dir)
			}
			a, err := lab.LoadACS(dir)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Minute)
			defer cancel()
			hosts, err := a.ScaleOut(ctx, n, public)
			for _, h := range hosts {
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s up\n", h.Name(), h.IP())
			}
			return err
		},
	}
	cmd.Flags().StringVar(&dir, "dir", defaultLabDir(), "lab directory")
	cmd.Flags().IntVar(&public, "public", 0, "public agents to add")
	return cmd
}

// groupHelp is the RunE of a command group: its help.
func groupHelp(cmd *cobra.Command, _ []string) error { return cmd.Help() }
