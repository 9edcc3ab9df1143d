package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// newInitCmd writes the commented example cluster.yaml to start from.
func newInitCmd(g *globalOptions) *cobra.Command {
	var out string
	var force bool
	cmd := &cobra.Command{
		Use:   "init [--out FILE|-] [--force]",
		Short: "Write a commented example cluster.yaml",
		Long: "init writes a commented example cluster config (mode 0600). It refuses to\n" +
			"overwrite an existing file unless --force is given. --out - prints it on stdout.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "-" {
				if g.json() {
					return usageError{errors.New("init --out - prints the YAML itself; it cannot be combined with -o json")}
				}
				_, err := cmd.OutOrStdout().Write(config.Example())
				return err
			}
			if err := writeExample(out, force); err != nil {
				return err
			}
			return writeResult(cmd, g, map[string]string{"wrote": out}, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "wrote %s: edit it, export %s, then run: dcos-vsphere validate --config %s\n",
					out, strings.Join(config.ExampleEnv, " and "), out)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", defaultConfigName, "file to write, - for stdout")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	return cmd
}

// writeExample creates path with mode 0600 (O_EXCL unless force).
func writeExample(path string, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return usageError{fmt.Errorf("write example config: %s already exists (use --force to overwrite it)", path)}
	}
	if err != nil {
		return fmt.Errorf("write example config %s: %w", path, err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write example config %s: %w", path, err)
	}
	if _, err := f.Write(config.Example()); err != nil {
		f.Close()
		return fmt.Errorf("write example config %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write example config %s: %w", path, err)
	}
	return nil
}
