package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/genconf"
)

// newValidateCmd checks cluster.yaml without touching vCenter or nodes:
// every problem at once, exit code 2 when there is any.
func newValidateCmd(g *globalOptions) *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "validate [--config FILE]",
		Short: "Check cluster.yaml and report every problem with its line",
		Long: "validate decodes cluster.yaml strictly (unknown keys, wrong types and nulls are errors),\n" +
			"resolves secrets from the environment or *File paths, and checks the cross-field rules\n" +
			"(master count, IP collisions, network membership, host names, ports) and the DC/OS 1.9\n" +
			"rules. Empty vcenter fields are taken from the GOVC_* environment the way govc reads it\n" +
			"(each such value is listed on stderr, and errors about it name the variable). It touches\n" +
			"neither vCenter nor any node. Exit code 0 when valid, 2 when not.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := configPath(path)
			if err != nil {
				return err
			}
			path = p
			c, warns, err := config.LoadForReport(path)
			for _, w := range warns {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			if c != nil {
				for _, o := range c.Origins() {
					fmt.Fprintln(cmd.ErrOrStderr(), "from the environment:", o)
				}
			}
			switch {
			case err == nil:
				// the files it names and the DC/OS 1.9 rules on dcos.*, all at once
				_, gerr := renderGenconf(c)
				err = joinConfigErrors(c.CheckFiles(), gerr)
			case c != nil:
				// a dcos.config typo is reported with the other problems
				err = joinConfigErrors(err, locateGenconf(c, genconf.KeyProblems(c)))
			}
			if err != nil {
				if g.json() {
					return err
				}
				return fmt.Errorf("invalid config %s:\n%w", path, err)
			}
			res := validateResult(c)
			return writeResult(cmd, g, res, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "ok: cluster %s, %d bootstrap, %d masters, %d agents, %d public agents\n",
					res.Cluster, res.Bootstrap, res.Masters, res.Agents, res.PublicAgents)
				return err
			})
		},
	}
	cmd.Flags().StringVarP(&path, "config", "c", "", configFlagHelp)
	return cmd
}

// validation is validate's result.
type validation struct {
	Valid        bool   `json:"valid"`
	Cluster      string `json:"cluster"`
	Bootstrap    int    `json:"bootstrap"`
	Masters      int    `json:"masters"`
	Agents       int    `json:"agents"`
	PublicAgents int    `json:"publicAgents"`
	// Environment lists the values taken from GOVC_* (not in the file).
	Environment []config.Origin `json:"environment,omitempty"`
}

func validateResult(c *config.Cluster) validation {
	count := map[config.Role]int{}
	for _, n := range c.AllNodes() {
		count[n.Role]++
	}
	return validation{Valid: true, Cluster: c.Name, Bootstrap: count[config.RoleBootstrap], Masters: count[config.RoleMaster],
		Agents: count[config.RoleAgent], PublicAgents: count[config.RolePublicAgent], Environment: c.Origins()}
}
