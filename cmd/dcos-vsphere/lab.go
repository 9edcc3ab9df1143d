package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// placeholder: replaced by the real command.
func newLabCmd(_ *globalOptions) *cobra.Command {
	return &cobra.Command{Use: "lab", Hidden: true, RunE: func(*cobra.Command, []string) error { return errors.New("lab: not built yet") }}
}
