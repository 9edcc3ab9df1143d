package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

func newAddAgentsCmd(g *globalOptions) *cobra.Command {
	f := &runFlags{}
	var private, public int
	cmd := &cobra.Command{
		Use:   "add-agents [N] [--config FILE] [--agents N] [--public N]",
		Short: "Clone and install more agents from the existing bootstrap node, and write them into cluster.yaml",
		Long: flowHelp(`add-agents clones N private and M public agents from the template, named after the
highest existing agent and addressed from the group's ipRange (addresses in use are skipped),
and installs them from the genconf/serve the cluster was installed from. An agent of an
earlier add-agents that was never installed is finished first and counts as added. The served
DC/OS config and every existing node stay untouched; if the DC/OS part of the config changed
since install, it refuses before anything is created.

After a successful run the config file describes the new agents too: the group's count is
raised (or, when an address of the range was skipped, the group becomes a list of its hosts),
comments and layout kept, the previous file backed up as <file>.bak-<time>. Raising the count
in the file and running install does the same as add-agents. N alone is --agents N.`, installer.AddAgentsFlow(0, 0)),
		Example: `  dcos-vsphere add-agents 2
  dcos-vsphere add-agents --config cluster.yaml --agents 2 --public 1
  dcos-vsphere add-agents --config cluster.yaml --agents 1 --dry-run`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError{fmt.Errorf("add-agents takes at most one argument (the number of private agents), got %d", len(args))}
			}
			if len(args) == 1 {
				n, err := strconv.Atoi(args[0])
				if err != nil || n < 1 {
					return usageError{fmt.Errorf("%q is not a number of agents (1 or more)", args[0])}
				}
				if cmd.Flags().Changed("agents") {
					return usageError{fmt.Errorf("give the number of private agents once: as the argument or as --agents")}
				}
				private = n
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if private < 0 || public < 0 || private+public == 0 {
				return usageError{fmt.Errorf("give N, --agents N and/or --public N (at least one agent)")}
			}
			c, files, err := loadWithGenconf(cmd, f)
			if err != nil {
				return err
			}
			res, err := runFlow(cmd, g, f, c, flowRun{flow: installer.AddAgentsFlow(private, public), files: files, changes: true, streams: true})
			if err != nil || f.dryRun || res == nil {
				return err
			}
			return recordAddedAgents(cmd, g, c, res)
		},
	}
	f.register(cmd, withDryRun|withTUI|withConcurrency|withNodeTimeout)
	cmd.Flags().IntVar(&private, "agents", 0, "private agents to add")
	cmd.Flags().IntVar(&public, "public", 0, "public agents to add")
	return cmd
}

// recordAddedAgents writes the agents the run added (those of its result
// beyond the config) into the config file and says so.
func recordAddedAgents(cmd *cobra.Command, g *globalOptions, c *config.Cluster, res *installer.Result) error {
	added := map[config.Role][]config.PlannedNode{}
	for _, n := range res.Nodes {
		role := config.Role(n.Role)
		if !n.InConfig && (role == config.RoleAgent || role == config.RolePublicAgent) {
			added[role] = append(added[role], config.PlannedNode{Name: n.Name, IP: n.IP, Role: role})
		}
	}
	for _, role := range []config.Role{config.RoleAgent, config.RolePublicAgent} {
		if len(added[role]) == 0 {
			continue
		}
		edit, err := config.RecordAdded(c.Path, role, added[role])
		if err != nil {
			return fmt.Errorf("the agents were added and are running, but %w; install and status keep them as agents beyond the config (*)", err)
		}
		fmt.Fprintln(noteWriter(cmd, g), edit.String())
	}
	return nil
}
