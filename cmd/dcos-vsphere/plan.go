package main

import (
	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

func newPlanCmd(g *globalOptions) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "plan --config FILE",
		Short: "Run every read-only check install would and show, per node, what it would do; changes nothing",
		Long: flowHelp(`plan is install's dry run: it connects to vCenter and the existing nodes (read only: it
writes nothing in vCenter or on a node; new host keys are recorded in known_hosts), runs every
check install runs before changing anything (inventory names, template, privileges, capacity,
VM names and addresses in use, node identity, DC/OS config drift) and prints per node exactly
what install would do. It exits non-zero when install would fail, with the same exit code.`, installer.InstallFlow()),
		Example: `  dcos-vsphere plan --config cluster.yaml
  dcos-vsphere plan --config cluster.yaml -o json`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, files, err := loadWithGenconf(cmd, f)
			if err != nil {
				return err
			}
			f.dryRun = true
			res, err := runFlow(cmd, g, f, c, flowRun{flow: installer.InstallFlow(), files: files})
			if res != nil {
				if werr := writeResult(cmd, g, res, res.WritePlan); werr != nil {
					return werr
				}
				if err != nil {
					return reportedError{err}
				}
			}
			return err
		},
	}
	f.register(cmd, 0)
	return cmd
}
