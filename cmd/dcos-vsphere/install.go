package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
	"github.com/dcos-vsphere/dcos-vsphere/templates"
	"github.com/dcos-vsphere/dcos-vsphere/tui"
)

func newInstallCmd(g *globalOptions) *cobra.Command {
	f := &runFlags{}
	flow := installer.InstallFlow()
	cmd := &cobra.Command{
		Use:   "install [--config FILE]",
		Short: "Create the VMs and install DC/OS 1.9 (safe to re-run: it finishes what is missing)",
		Long: flowHelp(`install brings the cluster to what the config describes. A node that already runs DC/OS
is never installed again; a node whose install was cut short is finished; nothing that is not
this cluster's (by its id and folder, or by the node's own identity) is ever touched. Without
--config, it reads ./cluster.yaml; when there is none, on a terminal, a guided setup writes
the config first. --dry-run is plan. Raising nodes.agents.count (or adding hosts) in the file
and running install adds those agents, exactly as add-agents does.`, flow),
		Example: `  dcos-vsphere install --config cluster.yaml
  dcos-vsphere install --config cluster.yaml --dry-run
  dcos-vsphere install --config cluster.yaml -o json | jq -c 'select(.kind=="result")'`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.config == "" && !haveDefaultConfig() && !g.json() && isTerminal(cmd.InOrStdin()) && isTerminal(cmd.OutOrStdout()) {
				vc := &liveVCenter{}
				d := tui.WizardDefaults{VCenter: vc, ACS: liveACS{}}
				templates.ApplyGovcEnv(&d.Cluster.VCenter, os.Getenv) // an admin's govc settings pre-fill the vCenter page
				res, err := tui.RunWizard(cmd.Context(), cmd.InOrStdin(), cmd.OutOrStdout(), d)
				vc.close()
				if err != nil {
					return err
				}
				if !res.InstallNow {
					fmt.Fprintf(cmd.OutOrStdout(), "Install with: dcos-vsphere install --config %s\n", res.ConfigPath)
					return nil
				}
				return installFromWizard(cmd, g, f, flow, res)
			}
			c, files, err := loadWithGenconf(cmd, f)
			if err != nil {
				return err
			}
			_, err = runFlow(cmd, g, f, c, flowRun{flow: flow, files: files, changes: true, streams: true, beside: true})
			return err
		},
	}
	f.register(cmd, withDryRun|withTUI|withConcurrency|withNodeTimeout|withRegister)
	return cmd
}

// installFromWizard installs the cluster the guided setup just saved, as
// loaded by the wizard: the file as written, with the secrets typed into
// the wizard held in memory (an ${ENV} reference need not be set for this
// run).
func installFromWizard(cmd *cobra.Command, g *globalOptions, f *runFlags, flow installer.Flow, res tui.WizardResult) error {
	f.config = res.ConfigPath
	for _, w := range res.Warnings {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
	}
	if err := res.Cluster.CheckFiles(); err != nil {
		return err
	}
	files, err := renderGenconf(res.Cluster)
	if err != nil {
		return err
	}
	_, err = runFlow(cmd, g, f, res.Cluster, flowRun{flow: flow, files: files, changes: true, streams: true, beside: true})
	return err
}
