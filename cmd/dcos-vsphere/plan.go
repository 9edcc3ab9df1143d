package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

func newPlanCmd(g *globalOptions) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "plan [--config FILE]",
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
				out := planOutput{Result: res, Environment: c.Origins()}
				if werr := writeResult(cmd, g, out, out.write); werr != nil {
					return werr
				}
				if err == nil {
					err = res.Beside() // what install would not get done beside the cluster (exit 5)
				}
				if err != nil {
					return reportedError{err}
				}
			}
			return err
		},
	}
	f.register(cmd, withConcurrency|withRegister)
	return cmd
}

// planOutput is plan's result with the config values taken from the
// environment (GOVC_*), so that the plan says where each came from.
type planOutput struct {
	*installer.Result
	Environment []config.Origin `json:"environment,omitempty"`
}

func (p planOutput) write(w io.Writer) error {
	if len(p.Environment) > 0 {
		fmt.Fprintln(w, "From the environment (not in the config file):")
		for _, o := range p.Environment {
			fmt.Fprintln(w, "  "+o.String())
		}
	}
	return p.Result.WritePlan(w)
}
