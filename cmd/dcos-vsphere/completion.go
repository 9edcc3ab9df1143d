package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
	"github.com/dcos-vsphere/dcos-vsphere/lab"
)

// Shell completion: cobra's `completion bash|zsh|fish|powershell` command
// plus dynamic values. A dynamic lookup is bounded (completionTimeout) and
// quiet: on any failure it offers nothing rather than print an error into
// the user's shell.

// completionTimeout bounds one lookup (vCenter, the lab's state).
const completionTimeout = 3 * time.Second

// maxStateFileSize bounds reading a state file for completion.
const maxStateFileSize = 8 << 20

// registerCompletions adds the completions shared by every command.
func registerCompletions(root *cobra.Command) {
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{outputText, outputJSON}, cobra.ShellCompDirectiveNoFileComp))
}

// completeVMNames offers the cluster's VM names: those the state file
// knows, else those vCenter lists in the cluster's folder with its mark.
func completeVMNames(configFlag *string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		none := cobra.ShellCompDirectiveNoFileComp
		c, ok := quietLoad(*configFlag)
		if !ok {
			return nil, none
		}
		names := stateVMNames(c)
		if len(names) == 0 {
			ctx, cancel := context.WithTimeout(context.Background(), completionTimeout)
			defer cancel()
			names = vCenterVMNames(ctx, c)
		}
		return matching(names, toComplete), none
	}
}

// quietLoad loads the config under the --config rule, printing nothing.
func quietLoad(flag string) (*config.Cluster, bool) {
	path, err := configPath(flag)
	if err != nil {
		return nil, false
	}
	c, _, err := config.Load(path)
	return c, err == nil
}

// stateVMNames reads the state file (without the side effects of
// installer.OpenState, which moves a corrupt file aside).
func stateVMNames(c *config.Cluster) []string {
	f, err := os.Open(installer.StatePath(c.StateDir()))
	if err != nil {
		return nil
	}
	defer f.Close()
	var st installer.State
	if err := json.NewDecoder(io.LimitReader(f, maxStateFileSize)).Decode(&st); err != nil || st.Cluster != c.Name {
		return nil
	}
	var names []string
	for name, n := range st.Nodes {
		if n != nil && n.VMRef != "" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

func vCenterVMNames(ctx context.Context, c *config.Cluster) []string {
	cloud, err := installer.VSphereConnector(c, func(string) {})(ctx)
	if err != nil {
		return nil
	}
	defer cloud.Close(context.Background())
	vms, err := cloud.ClusterVMs(ctx)
	if err != nil {
		return nil
	}
	var names []string
	for _, v := range vms {
		names = append(names, v.Name)
	}
	slices.Sort(names)
	return names
}

// completeLabHost offers the lab's host names, then the faults.
func completeLabHost(dir *string, faults []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		none := cobra.ShellCompDirectiveNoFileComp
		switch len(args) {
		case 0:
			ctx, cancel := context.WithTimeout(context.Background(), completionTimeout)
			defer cancel()
			s, err := lab.ReadStatus(ctx, *dir)
			if err != nil && len(s.Hosts) == 0 {
				return nil, none
			}
			var names []string
			for _, h := range s.Hosts {
				names = append(names, h.Name)
			}
			slices.Sort(names)
			return matching(names, toComplete), none
		case 1:
			return matching(faults, toComplete), none
		}
		return nil, none
	}
}

func matching(values []string, prefix string) []cobra.Completion {
	var out []cobra.Completion
	for _, v := range values {
		if strings.HasPrefix(v, prefix) {
			out = append(out, v)
		}
	}
	return out
}
