package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/lab/dcos19"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// versionInfo is what version prints.
type versionInfo struct {
	Version string `json:"version"`
	Go      string `json:"go"`
	Govmomi string `json:"govmomi,omitempty"`
	Commit  string `json:"commit,omitempty"`
	Built   string `json:"built,omitempty"` // the commit's time
	DCOS    string `json:"dcos"`            // the DC/OS release line it installs
	Lab     string `json:"labDcos"`         // the DC/OS version of the lab's stand-in
}

func buildInfo() versionInfo {
	v := versionInfo{Version: version, Go: runtime.Version(), DCOS: "1.9", Lab: dcos19.Version}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path == "github.com/vmware/govmomi" {
				v.Govmomi = dep.Version
			}
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Commit = s.Value
			case "vcs.time":
				v.Built = s.Value
			}
		}
	}
	return v
}

func newVersionCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, its build and the DC/OS release it installs",
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := buildInfo()
			return writeResult(cmd, g, v, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "dcos-vsphere %s (DC/OS %s; %s, govmomi %s, commit %s %s)\n", v.Version, v.DCOS, v.Go, v.Govmomi, v.Commit, v.Built)
				return err
			})
		},
	}
}
