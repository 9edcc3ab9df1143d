package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/genconf"
)

// newGenconfCmd writes the DC/OS 1.9 genconf/ inputs (config.yaml,
// ip-detect, ip-detect-public) for a cluster.yaml, without touching
// vCenter or any node: useful to review what the installer will upload.
func newGenconfCmd(g *globalOptions) *cobra.Command {
	var cfgPath, outDir string
	cmd := &cobra.Command{
		Use:   "genconf [--config FILE] [--out DIR]",
		Short: "Write DC/OS 1.9 genconf/config.yaml and genconf/ip-detect for a cluster config",
		Long: `genconf renders the files dcos_generate_config.sh reads, into DIR/genconf/:
config.yaml (0600 when it holds a secret pass-through key such as exhibitor_admin_password;
registry credentials never go into it: install writes them on the agents),
ip-detect and, when dcos.ipDetectPublic is set, ip-detect-public.
The same config always gives the same bytes. Exit code 2 means the config
is invalid (every problem is listed).`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadCluster(cmd, &cfgPath)
			if err != nil {
				return err // *config.Errors: exit code 2
			}
			files, err := renderLocated(c)
			if err != nil {
				return err // *config.Errors: exit code 2
			}
			if g.debug {
				// Only the redacted form may be shown: config.yaml can hold
				// secret pass-through keys (exhibitor_admin_password, ...).
				fmt.Fprintf(cmd.ErrOrStderr(), "config.yaml (secrets hidden):\n%s", files.Redacted())
			}
			if err := files.WriteDir(outDir); err != nil {
				return fmt.Errorf("genconf: %w", err)
			}
			var wrote []string
			for _, name := range files.Names() {
				wrote = append(wrote, filepath.Join(outDir, name))
			}
			return writeResult(cmd, g, map[string]any{"wrote": wrote, "secrets": files.HasSecrets()}, func(w io.Writer) error {
				for _, name := range files.Names() {
					note := ""
					if name == genconf.ConfigPath && files.HasSecrets() {
						note = " (mode 0600: holds secrets)"
					}
					fmt.Fprintf(w, "wrote %s%s\n", filepath.Join(outDir, name), note)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", configFlagHelp)
	cmd.Flags().StringVar(&outDir, "out", ".", "directory to write genconf/ into")
	return cmd
}
