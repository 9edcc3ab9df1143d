package main

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

func newRemoveAgentsCmd(g *globalOptions) *cobra.Command {
	f := &runFlags{}
	var names []string
	cmd := &cobra.Command{
		Use:   "remove-agents --config FILE --agent NAME...",
		Short: "Drain private or public agents out of DC/OS, then delete their VMs; masters and the bootstrap node are refused",
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
same command finishes the job. cluster.yaml is not changed: an agent it lists is created again by
the next install until the config no longer names it.`, installer.RemoveAgentsFlow(nil)),
		Example: `  dcos-vsphere remove-agents --config cluster.yaml --agent agent-3 --dry-run
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
			_, err = runFlow(cmd, g, f, c, flowRun{flow: installer.RemoveAgentsFlow(agents), changes: true, streams: true})
			return err
		},
	}
	f.register(cmd, withDryRun|withTUI)
	cmd.Flags().StringSliceVar(&names, "agent", nil, "an agent to remove, by VM name (repeatable, or comma-separated)")
	return cmd
}
