package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/lab/dcos19"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// dcosRules is the DC/OS release whose config rules genconf applies
// (docs/dcos-1.9-rules.md); the tool installs any DC/OS 1.9.x installer.
const dcosRules = "1.9.10"

// versionInfo is what version prints.
type versionInfo struct {
	Version   string `json:"version"`
	Go        string `json:"go"`
	Platform  string `json:"platform"` // GOOS/GOARCH
	Govmomi   string `json:"govmomi,omitempty"`
	Commit    string `json:"commit,omitempty"`
	Modified  bool   `json:"modified,omitempty"` // built from a tree with changes
	Built     string `json:"built,omitempty"`    // the commit's time
	DCOS      string `json:"dcos"`               // the DC/OS release line it installs
	DCOSRules string `json:"dcosRules"`          // the release whose config rules it applies
	Lab       string `json:"labDcos"`            // the DC/OS version of the lab's stand-in
}

func buildInfo() versionInfo {
	v := versionInfo{Version: version, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
		DCOS: "1.9", DCOSRules: dcosRules, Lab: dcos19.Version}
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
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
		if v.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version // go install ...@vX.Y.Z
		}
	}
	return v
}

// String is the one line version and --version print.
func (v versionInfo) String() string {
	parts := []string{"DC/OS " + v.DCOS + ".x (rules of " + v.DCOSRules + ")", v.Go + " " + v.Platform}
	if v.Govmomi != "" {
		parts = append(parts, "govmomi "+v.Govmomi)
	}
	if v.Commit != "" {
		c := "commit " + v.Commit
		if v.Modified {
			c += " (modified)"
		}
		if v.Built != "" {
			c += " " + v.Built
		}
		parts = append(parts, c)
	}
	return fmt.Sprintf("dcos-vsphere %s (%s)", v.Version, strings.Join(parts, "; "))
}

func newVersionCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, its build and the DC/OS release it installs",
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := buildInfo()
			return writeResult(cmd, g, v, func(w io.Writer) error {
				_, err := fmt.Fprintln(w, v.String())
				return err
			})
		},
	}
}
