package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// placeholder: replaced by the real command.
func newInitCmd(_ *globalOptions) *cobra.Command {
	return &cobra.Command{Use: "init", Hidden: true, RunE: func(*cobra.Command, []string) error { return errors.New("init: not built yet") }}
}
