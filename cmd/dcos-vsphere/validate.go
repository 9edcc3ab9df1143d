package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// placeholder: replaced by the real command.
func newValidateCmd(_ *globalOptions) *cobra.Command {
	return &cobra.Command{Use: "validate", Hidden: true, RunE: func(*cobra.Command, []string) error { return errors.New("validate: not built yet") }}
}
