package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/acs"
	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

// acsFlags are the flags shared by the acs and clusters commands.
type acsFlags struct {
	config  string
	timeout time.Duration
}

func (f *acsFlags) register(cmd *cobra.Command, timeout time.Duration) {
	fs := cmd.Flags()
	fs.StringVarP(&f.config, "config", "c", "", configFlagHelp+"; it needs the acs section")
	fs.DurationVar(&f.timeout, "timeout", timeout, "limit for the whole command")
}

// load reads the config and checks what every acs command needs.
func (f *acsFlags) load(cmd *cobra.Command, needACS bool) (*config.Cluster, error) {
	c, err := loadCluster(cmd, &f.config)
	if err != nil {
		return nil, err
	}
	if needACS && !c.ACS.Enabled() {
		return nil, usageError{fmt.Errorf("%s has no acs section (acs.masterFQDN, acs.keyFile or acs.agent); see `dcos-vsphere init`", f.config)}
	}
	return c, nil
}

// acsConfig is the ACS connection config of a cluster, with its secrets
// registered for redaction.
func acsConfig(c *config.Cluster, cmd *cobra.Command) acs.Config {
	cfg := acs.FromConfig(c.ACS)
	cfg.Redactor = installer.SecretRedactor(c)
	cfg.Log = func(msg string) { fmt.Fprintln(cmd.ErrOrStderr(), "acs:", msg) }
	return cfg
}

func newACSCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "acs",
		Short: "Work on the existing ACS DC/OS cluster through its master (port 2200)",
		Long: "acs reaches the DC/OS cluster on Azure Container Service through the Azure load balancer's\n" +
			"SSH port on the masters (acs.masterFQDN:2200) and from there every agent (direct-tcpip over the\n" +
			"master's connection: no agent forwarding, no key copied to the master).",
		RunE: groupHelp,
	}
	cmd.AddCommand(newACSSyncCmd(g), newACSTunnelCmd(g))
	return cmd
}

func newACSSyncCmd(g *globalOptions) *cobra.Command {
	f := &acsFlags{}
	var concurrency int
	var pullImage string
	cmd := &cobra.Command{
		Use:   "sync [--config FILE]",
		Short: "Put the shared ACR's docker.tar.gz on every ACS agent (/etc/docker.tar.gz, root 0600)",
		Long: `sync logs in to the ACS master, lists the agents (3DT on the master, cross-checked with the
Mesos master), and on each agent compares the sha256 of /etc/docker.tar.gz with the archive
of the registry section's credentials; a missing or stale archive is uploaded to a temporary
name, verified, installed root:root 0600 and unpacked once the way the Mesos fetcher does.
Agents that already have it are left alone: run it again after every ACS scale-out.

An agent that cannot be reached or fails is named with its address; the others are done,
and the exit code is 5 (partial failure). Exit 3: the master cannot be reached or refuses
the login or sudo, or its host key changed.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.load(cmd, true)
			if err != nil {
				return err
			}
			if c.Registry.Server == "" {
				return usageError{fmt.Errorf("%s has no registry section: acs sync puts that registry's credentials on the agents", f.config)}
			}
			creds := registryCreds(c.Registry)
			archive, err := registry.Archive(creds)
			if err != nil {
				return usageError{fmt.Errorf("registry: %w", err)}
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
			defer cancel()
			m, err := acs.Connect(ctx, acsConfig(c, cmd))
			if err != nil {
				return err
			}
			defer m.Close()
			opts := acs.SyncOptions{Archive: archive, Concurrency: concurrency, Checks: []acs.AgentCheck{acs.FetchCheck(creds.Host())}}
			if pullImage != "" {
				opts.Checks = append(opts.Checks, acs.PullCheck(pullImage))
			}
			if !g.json() {
				fmt.Fprintf(cmd.OutOrStdout(), "ACS master %s (%s): DC/OS %s, cluster %s (%s), %s\n", m.Info.Hostname, m.Info.Target,
					m.Info.Version, m.Info.ClusterName, m.Info.ClusterID, m.Info.OS)
			}
			res, err := acs.Sync(ctx, m, opts)
			if err != nil {
				return err
			}
			if err := writeResult(cmd, g, res, func(w io.Writer) error {
				writeSyncText(w, res)
				return nil
			}); err != nil {
				return err
			}
			if err := res.Err(); err != nil {
				return reportedError{err} // the result above says which agents failed
			}
			return nil
		},
	}
	f.register(cmd, 30*time.Minute)
	cmd.Flags().IntVar(&concurrency, "concurrency", acs.DefaultConcurrency, "agents worked on at once")
	cmd.Flags().StringVar(&pullImage, "pull-image", "", "also pull this image on every agent with the archive, as Mesos + Docker would (needs docker on the agents)")
	return cmd
}

func writeSyncText(w io.Writer, res acs.SyncResult) {
	for _, warn := range res.Warnings {
		fmt.Fprintln(w, "warning:", warn)
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AGENT\tIP\tROLE\tARCHIVE\tDETAIL")
	for _, a := range res.Agents {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Name, a.IP, a.Role, a.State, a.Error)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "%s (sha256 %s): %d agents, %d uploaded, %d failed\n", res.ArchivePath, res.ArchiveSHA256[:12], len(res.Agents), res.Uploaded, res.Failed)
}

// tunnelInfo is what `acs tunnel -o json` prints once the tunnel listens.
type tunnelInfo struct {
	URL         string   `json:"url"`
	LocalAddr   string   `json:"localAddr"`
	Master      string   `json:"master"`
	ClusterID   string   `json:"clusterId"`
	ClusterName string   `json:"clusterName"`
	Commands    []string `json:"commands"`
}

func newACSTunnelCmd(g *globalOptions) *cobra.Command {
	f := &acsFlags{}
	var port int
	cmd := &cobra.Command{
		Use:   "tunnel [--config FILE] [--port N]",
		Short: "Forward localhost:N through the ACS master to its Admin Router, for the DC/OS CLI and UI",
		Long: `tunnel listens on 127.0.0.1:N (default 10080) and forwards every connection through the
master's SSH connection to Admin Router on the master (127.0.0.1:80 there), like
ssh -NL 10080:localhost:80 -p 2200 azureuser@<masterFQDN>. It prints the dcos commands that use
it and runs until interrupted (or until the master connection ends: exit 3).`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.load(cmd, true)
			if err != nil {
				return err
			}
			if port < 0 || port > 65535 {
				return usageError{fmt.Errorf("--port %d is outside 0-65535", port)}
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
			defer cancel()
			m, err := acs.Connect(ctx, acsConfig(c, cmd))
			if err != nil {
				return err
			}
			defer m.Close()
			t, err := m.Tunnel("127.0.0.1:" + strconv.Itoa(port))
			if err != nil {
				return err
			}
			defer t.Close()
			info := tunnelInfo{URL: t.URL(), LocalAddr: t.Addr().String(), Master: m.Info.Target, ClusterID: m.Info.ClusterID, ClusterName: m.Info.ClusterName}
			name := m.Info.ClusterName
			if name == "" {
				name = m.Info.ClusterID
			}
			info.Commands = []string{
				fmt.Sprintf("curl %s/dcos-metadata/dcos-version.json", t.URL()),
				fmt.Sprintf("dcos-vsphere clusters register --config %s --acs-port %d   # once: both clusters for the DC/OS CLI", f.config, t.Addr().Port),
				fmt.Sprintf("DCOS_CLUSTER=%s dcos node   # DC/OS CLI 0.5+", name),
				fmt.Sprintf("DCOS_URL=%s dcos node   # DC/OS CLI 0.4.x, or DCOS_CONFIG=<dcos dir>/cli-0.4/%s.toml", t.URL(), name),
			}
			if err := writeResult(cmd, g, info, func(out io.Writer) error {
				fmt.Fprintf(out, "Tunnel %s -> Admin Router on %s (%s, cluster %s)\n", t.URL(), m.Info.Hostname, m.Info.Target, name)
				for _, l := range info.Commands {
					fmt.Fprintln(out, "  "+l)
				}
				fmt.Fprintln(out, "Ctrl-C stops the tunnel.")
				return nil
			}); err != nil {
				return err
			}
			// Runs until interrupted: the run's timeout does not apply.
			return t.Wait(cmd.Context())
		},
	}
	f.register(cmd, time.Minute)
	cmd.Flags().IntVar(&port, "port", acs.DefaultTunnelPort, "local port (0 picks a free one)")
	cmd.Flags().Lookup("timeout").Usage = "limit for connecting to the master"
	return cmd
}
