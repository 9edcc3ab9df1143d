package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

func newRemoveAgentsCmd(g *globalOptions) *cobra.Command {
	f := &runFlags{}
	var names []string
	cmd := &cobra.Command{
		Use:   "remove-agents [--config FILE] --agent NAME...",
		Short: "Drain private or public agents out of DC/OS, delete their VMs and take them out of cluster.yaml; masters and the bootstrap node are refused",
		Long: flowHelp(`remove-agents takes each --agent NAME (a private or public agent of this cluster: in the
config, or added by add-agents) out of DC/OS the way DC/OS 1.9 documents for an agent that goes
away for good: on the node, systemctl kill -s SIGUSR1 dcos-mesos-slave (dcos-mesos-slave-public on
a public agent), then systemctl stop, so the Mesos agent unregisters (its tasks are killed; Marathon
starts them elsewhere); then it waits, bounded, until the leading Mesos master no longer lists the
agent. Only then does it power off and delete the VM (a VM of this cluster only: its cluster id, in
its folder), forget its SSH host key, and check that the nodes that remain are healthy.

A master or the bootstrap node is refused (exit 2) before anything is done, and so is a name that
is no agent of the cluster. Every node must answer SSH, as for add-agents; an agent that is dead:
power its VM off in vCenter first (a powered-off agent is deleted without SSH). Interrupted, the
same command finishes the job.

Removed agents that the config file lists are taken out of it (a count lowered when they were the
group's last, otherwise the group becomes a list of the hosts that stay), comments and layout kept,
the previous file backed up as <file>.bak-<time>.`, installer.RemoveAgentsFlow(nil)),
		Example: `  dcos-vsphere remove-agents --agent agent-3 --dry-run
  dcos-vsphere remove-agents --config cluster.yaml --agent agent-3 --agent public-agent-2`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var agents []string
			for _, n := range names {
				if n = strings.TrimSpace(n); n != "" {
					agents = append(agents, n)
				}
			}
			if len(agents) == 0 {
				return usageError{errors.New("give the agents to remove: --agent NAME (repeatable)")}
			}
			c, err := f.loadConfig(cmd)
			if err != nil {
				return err
			}
			res, err := runFlow(cmd, g, f, c, flowRun{flow: installer.RemoveAgentsFlow(agents), changes: true, streams: true})
			if f.dryRun || res == nil {
				return err
			}
			// A run that failed after deleting VMs (say, the health of the
			// rest) still takes the deleted ones out of the file.
			gone := res.Removed()
			if err == nil {
				gone = agents // every agent named is gone now
			}
			if ferr := forgetRemovedAgents(cmd, g, c, gone); ferr != nil && err == nil {
				err = ferr
			}
			return err
		},
	}
	f.register(cmd, withDryRun|withTUI|withConcurrency|withNodeTimeout)
	cmd.Flags().StringSliceVar(&names, "agent", nil, "an agent to remove, by VM name (repeatable, or comma-separated)")
	_ = cmd.RegisterFlagCompletionFunc("agent", completeVMNames(&f.config))
	return cmd
}

// forgetRemovedAgents takes the removed agents the config file lists out
// of it (config.RemoveHosts) and says so.
func forgetRemovedAgents(cmd *cobra.Command, g *globalOptions, c *config.Cluster, gone []string) error {
	isGone := map[string]bool{}
	for _, n := range gone {
		isGone[n] = true
	}
	for _, role := range []config.Role{config.RoleAgent, config.RolePublicAgent} {
		var drop []string
		for _, n := range c.NodesOf(role) {
			if isGone[n.Name] {
				drop = append(drop, n.Name)
			}
		}
		if len(drop) == 0 {
			continue
		}
		edit, err := config.RemoveHosts(c.Path, role, drop)
		if err != nil {
			return fmt.Errorf("the agents were removed, but %w; take %s out of %s by hand, or install creates them again", err, strings.Join(drop, ", "), c.Path)
		}
		fmt.Fprintln(noteWriter(cmd, g), edit.String())
	}
	return nil
}
