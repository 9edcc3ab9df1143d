package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
	"github.com/dcos-vsphere/dcos-vsphere/templates"
	"github.com/dcos-vsphere/dcos-vsphere/tui"
)

func newInstallCmd(g *globalOptions) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "install --config FILE",
		Short: "Create the VMs and install DC/OS 1.9 (safe to re-run: it finishes what is missing)",
		Long: `Install brings the cluster to what the config describes, in phases:
  Connect to vCenter    verified TLS, one session
  Preflight vSphere     inventory paths, template, free space (only when VMs are missing)
  Ensure template       import the OVA when the template is missing
  Create VMs            clone + guest customization + power on + wait for IP; marked VMs are adopted
  Connect to nodes      SSH (known_hosts trust on first use), OS/disk/clock preflight, probe for DC/OS
  Prepare nodes         CentOS 7 prerequisites: docker (overlay), SELinux permissive, firewalld off, nogroup, tar xz unzip curl ipset
  Bootstrap node        dcos_generate_config.sh --genconf once per config, serve genconf/serve with nginx
  Install masters       dcos_install.sh master, in parallel
  Install agents        dcos_install.sh slave / slave_public, in parallel
  Check cluster health  Exhibitor serving + one leader, Mesos master recovered, agents registered
A node that already runs DC/OS is never installed again. Without --config on a
terminal, a guided setup writes the config first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.config == "" && isTerminal(cmd.InOrStdin()) && isTerminal(cmd.OutOrStdout()) {
				vc := &liveVCenter{}
				d := tui.WizardDefaults{VCenter: vc}
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
				return installFromWizard(cmd, g, f, res)
			}
			return runWithGenconf(cmd, g, f, "install", install)
		},
	}
	f.register(cmd, true)
	return cmd
}

func install(ctx context.Context, r *installer.Run, files installer.GenconfFiles) error {
	return installer.Install(ctx, r, files)
}

// installFromWizard installs the cluster the guided setup just saved,
// as loaded by the wizard: the file as written, with the secrets typed
// into the wizard held in memory (an ${ENV} reference need not be set
// for this run).
func installFromWizard(cmd *cobra.Command, g *globalOptions, f *runFlags, res tui.WizardResult) error {
	f.config = res.ConfigPath
	for _, w := range res.Warnings {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
	}
	files, err := renderGenconf(res.Cluster)
	if err != nil {
		return err
	}
	return runCluster(cmd, g, f, res.Cluster, "install", func(ctx context.Context, r *installer.Run) error {
		return install(ctx, r, files)
	})
}
