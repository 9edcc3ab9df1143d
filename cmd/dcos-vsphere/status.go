package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

// errUnhealthy is status's answer when some node is not up.
var errUnhealthy = exitError{errors.New("the cluster is not healthy"), exitUnhealthy}

// errACSNotCurrent is status's answer when the vSphere cluster is
// healthy but the ACS master or an ACS agent's archive is not as it
// should be.
var errACSNotCurrent = exitError{errors.New("the ACS side is not current (master unreachable, or an ACS agent's archive stale, missing or unreachable): run `dcos-vsphere acs sync`"), exitUnhealthy}

// exitError is an error with its exit code.
type exitError struct {
	error
	code int
}

func (e exitError) ExitCode() int { return e.code }

func newStatusCmd(g *globalOptions) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "status [--config FILE]",
		Short: "List the cluster's VMs, IPs and per-node DC/OS state and health; exit 4 when not healthy",
		Long: flowHelp(`status lists every VM of the cluster (VMs of the cluster beyond the config file marked with *),
its ESXi host, whether SSH answers (and the node proves to be its VM), whether DC/OS is installed,
partly installed or not, and the node's health (Exhibitor and Mesos master on masters,
registration on agents). With an acs section it also shows the ACS master and each ACS agent's
archive (current, stale, missing, unreachable). It changes nothing, and exits 4 when any node
is not up and healthy, or the ACS side is not current.`, installer.StatusFlow()),
		Example: `  dcos-vsphere status --config cluster.yaml
  dcos-vsphere status --config cluster.yaml -o json | jq '.nodes[] | {name, health}'`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.loadConfig(cmd)
			if err != nil {
				return err
			}
			res, err := runFlow(cmd, g, f, c, flowRun{flow: installer.StatusFlow()})
			if err != nil {
				return err
			}
			if err := writeResult(cmd, g, res, res.WriteStatus); err != nil {
				return err
			}
			if !res.Healthy() {
				return reportedError{errUnhealthy}
			}
			if res.ACS != nil && !res.ACS.AllCurrent() {
				return reportedError{errACSNotCurrent}
			}
			return nil
		},
	}
	f.register(cmd, withConcurrency)
	return cmd
}
