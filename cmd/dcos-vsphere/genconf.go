package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// placeholder: replaced by the real command.
func newGenconfCmd(_ *globalOptions) *cobra.Command {
	return &cobra.Command{Use: "genconf", Hidden: true, RunE: func(*cobra.Command, []string) error { return errors.New("genconf: not built yet") }}
}
