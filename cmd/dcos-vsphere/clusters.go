package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/acs"
	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/dcoscli"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
	"github.com/dcos-vsphere/dcos-vsphere/installer/ssh"
)

func newClustersCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "clusters",
		Short: "Make the vSphere and the ACS cluster known to the DC/OS CLI, side by side",
		RunE:  groupHelp,
	}
	cmd.AddCommand(newClustersRegisterCmd(g))
	return cmd
}

// registerResult is what `clusters register -o json` prints.
type registerResult struct {
	dcoscli.Result
	Notes []string `json:"notes,omitempty"`
}

func newClustersRegisterCmd(g *globalOptions) *cobra.Command {
	f := &acsFlags{}
	var (
		vsphereURL, vsphereID, dcosDir, legacyID, only string
		acsPort                                        int
	)
	cmd := &cobra.Command{
		Use:   "register [--config FILE]",
		Short: "Write both clusters into the DC/OS CLI's configuration ($DCOS_DIR or ~/.dcos)",
		Long: `register writes the DC/OS CLI 0.5+ entries clusters/<CLUSTER_ID>/dcos.toml (0600) for the
vSphere cluster (dcos_url = its first master, or --vsphere-url; its id read from
/var/lib/dcos/cluster-id on that master over SSH, or --vsphere-cluster-id) and, when the config
has an acs section, for the ACS cluster (dcos_url = http://localhost:<--acs-port>, the local end
of ` + "`dcos-vsphere acs tunnel`" + `; id and name read on its master). The first cluster is attached
only when none is. Existing entries keep everything (a token, other keys, their name) but
dcos_url. A legacy single dcos.toml is migrated first the way CLI 0.5 does it, or the command
stops and says why (exit 2). For the 1.9-era CLI 0.4.x it also writes cli-0.4/<name>.toml per
cluster, to use with DCOS_CONFIG=<file>.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.load(cmd, false)
			if err != nil {
				return err
			}
			wantVSphere, wantACS := only != "acs", only != "vsphere" && c.ACS.Enabled()
			switch {
			case only != "" && only != "acs" && only != "vsphere":
				return usageError{fmt.Errorf("--only %q: want vsphere or acs", only)}
			case only == "acs" && !c.ACS.Enabled():
				return usageError{fmt.Errorf("--only acs: %s has no acs section", f.config)}
			case acsPort < 1 || acsPort > 65535:
				return usageError{fmt.Errorf("--acs-port %d is outside 1-65535", acsPort)}
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
			defer cancel()
			var clusters []dcoscli.Cluster
			var notes []string
			if wantVSphere {
				vc, note, err := vsphereEntry(ctx, c, vsphereURL, vsphereID)
				if err != nil {
					return err
				}
				clusters = append(clusters, vc)
				notes = append(notes, note...)
			}
			if wantACS {
				m, err := acs.Connect(ctx, acsConfig(c, cmd))
				if err != nil {
					return err
				}
				name := m.Info.ClusterName
				if name == "" {
					name = c.Name + "-acs"
				}
				m.Close()
				clusters = append(clusters, dcoscli.Cluster{ID: m.Info.ClusterID, Name: name, URL: fmt.Sprintf("http://localhost:%d", acsPort)})
				notes = append(notes, fmt.Sprintf("%s is reached through the tunnel: run `dcos-vsphere acs tunnel --config %s --port %d` while using it", name, f.config, acsPort))
			}
			res, err := dcoscli.Register(ctx, dcoscli.Options{Dir: dcosDir, LegacyClusterID: legacyID}, clusters...)
			if err != nil {
				return err
			}
			out := registerResult{Result: res, Notes: notes}
			return writeResult(cmd, g, out, func(w io.Writer) error {
				writeRegisterText(w, out)
				return nil
			})
		},
	}
	f.register(cmd, 2*time.Minute)
	fs := cmd.Flags()
	fs.StringVar(&vsphereURL, "vsphere-url", "", "dcos_url of the vSphere cluster (default http://<first master>; a load balancer in front of the masters is better)")
	fs.StringVar(&vsphereID, "vsphere-cluster-id", "", "CLUSTER_ID of the vSphere cluster (default: read /var/lib/dcos/cluster-id on the first master over SSH)")
	fs.IntVar(&acsPort, "acs-port", acs.DefaultTunnelPort, "local port of `acs tunnel`: the ACS entry's dcos_url is http://localhost:<port>")
	fs.StringVar(&dcosDir, "dcos-dir", "", "DC/OS CLI directory (default $DCOS_DIR, else ~/.dcos)")
	fs.StringVar(&legacyID, "legacy-cluster-id", "", "CLUSTER_ID of the cluster a legacy ~/.dcos/dcos.toml points at, when its /metadata cannot be read")
	fs.StringVar(&only, "only", "", "register only vsphere or acs")
	return cmd
}

// vsphereEntry is the vSphere cluster's entry: its first master's
// address, and the id that master holds.
func vsphereEntry(ctx context.Context, c *config.Cluster, url, id string) (dcoscli.Cluster, []string, error) {
	masters := c.NodesOf(config.RoleMaster)
	if len(masters) == 0 {
		return dcoscli.Cluster{}, nil, usageError{fmt.Errorf("the config has no masters")}
	}
	first := masters[0]
	if url == "" {
		url = "http://" + first.IP
	}
	var notes []string
	if id == "" {
		var err error
		if id, err = readClusterID(ctx, c, first.Name, first.IP); err != nil {
			return dcoscli.Cluster{}, nil, err
		}
	}
	if v, ok := c.DCOS.Config["oauth_enabled"]; !ok || fmt.Sprint(v) != "false" {
		notes = append(notes, fmt.Sprintf("%s has DC/OS authentication on (oauth_enabled): run `dcos auth login` after `dcos cluster attach %s`", c.DCOS.ClusterName, c.DCOS.ClusterName))
	}
	return dcoscli.Cluster{ID: id, Name: c.DCOS.ClusterName, URL: url}, notes, nil
}

// readClusterID reads /var/lib/dcos/cluster-id on a vSphere master over
// SSH with the config's ssh settings (works with DC/OS auth on or off).
func readClusterID(ctx context.Context, c *config.Cluster, name, ip string) (string, error) {
	cfg, err := installer.NodeSSHConfig(c, ip, func(string) {})
	if err != nil {
		return "", fmt.Errorf("read the cluster id of %s: %w", name, err)
	}
	cfg.MaxAttempts = 3
	cl, err := ssh.Dial(ctx, cfg)
	if err != nil {
		return "", fmt.Errorf("read the cluster id of %s: %w", name, err)
	}
	defer cl.Close()
	res, err := cl.Run(ctx, "cat /var/lib/dcos/cluster-id", ssh.RunOptions{Sudo: true, CaptureStdout: true})
	if err != nil {
		return "", fmt.Errorf("read /var/lib/dcos/cluster-id on %s (%s): %w; is DC/OS installed? (or pass --vsphere-cluster-id)", name, ip, err)
	}
	id := strings.TrimSpace(strings.SplitN(res.Stdout, "\n", 2)[0])
	if !dcoscli.ValidClusterID(id) {
		return "", fmt.Errorf("%s (%s): /var/lib/dcos/cluster-id holds %q, not a DC/OS cluster id", name, ip, id)
	}
	return id, nil
}

func writeRegisterText(w io.Writer, r registerResult) {
	fmt.Fprintf(w, "DC/OS CLI directory %s\n", r.Dir)
	if m := r.Migrated; m != nil {
		fmt.Fprintf(w, "migrated %s (dcos_url %s) to %s, as DC/OS CLI 0.5 does\n", m.From, m.URL, m.Path)
	}
	for _, e := range r.Clusters {
		att := ""
		if e.Attached {
			att = ", attached"
		}
		fmt.Fprintf(w, "\n%s (%s): %s%s\n  dcos_url %s\n  %s\n", e.Name, e.ID, e.Action, att, e.URL, e.Path)
		if e.OldURL != "" {
			fmt.Fprintf(w, "  (dcos_url was %s)\n", e.OldURL)
		}
		fmt.Fprintf(w, "  CLI 0.4.x: %s (%s)\n", e.Legacy04Path, e.Legacy04Action)
		for _, l := range e.Commands {
			fmt.Fprintln(w, "    "+l)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "\nnote:", n)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintln(w, "warning:", warn)
	}
}
