package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// The one output contract of every command (govc's OutputFlag idea):
// -o text (default) or -o json, a global flag. With json, stdout carries
// only JSON: one object per result (streaming commands: one object per
// event, the last being the result), and an error is one JSON object
// {"kind":"error","error":{...}} on stdout as well. Warnings and progress
// for people go to stderr.

const (
	outputText = "text"
	outputJSON = "json"
)

// textWriter is a result that can render itself for people.
type textWriter func(w io.Writer) error

// writeResult prints v as JSON, or text(w) for people.
func writeResult(cmd *cobra.Command, g *globalOptions, v any, text textWriter) error {
	if g.json() {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(v)
	}
	return text(cmd.OutOrStdout())
}

// noteWriter is where a note for people goes: stdout, or stderr under -o
// json, where stdout carries only JSON.
func noteWriter(cmd *cobra.Command, g *globalOptions) io.Writer {
	if g.json() {
		return cmd.ErrOrStderr()
	}
	return cmd.OutOrStdout()
}

// jsonError is the object an error becomes under -o json.
type jsonError struct {
	Kind  string    `json:"kind"` // always "error"
	Error errorBody `json:"error"`
}

type errorBody struct {
	Message  string         `json:"message"`
	ExitCode int            `json:"exitCode"`
	Problems []problemField `json:"problems,omitempty"`
}

// problemField is one config problem, located.
type problemField struct {
	Field   string `json:"field,omitempty"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

// writeJSONError prints err as one JSON object.
func writeJSONError(w io.Writer, err error, code int) {
	body := errorBody{Message: err.Error(), ExitCode: code}
	var ce *config.Errors
	if errors.As(err, &ce) {
		for _, p := range ce.List {
			body.Problems = append(body.Problems, problemField{Field: p.Path, File: p.File, Line: p.Line, Column: p.Column, Message: p.Message})
		}
	}
	_ = json.NewEncoder(w).Encode(jsonError{Kind: "error", Error: body})
}

// reportedError is an error whose details the command already printed in
// its output (a failed run's result): main sets the exit code and prints
// the "Error:" line on stderr, but no JSON error object under -o json.
type reportedError struct{ error }

func (e reportedError) Unwrap() error { return e.error }

// noArgs is cobra.NoArgs reported as a usage error (exit code 2); every
// command takes it.
func noArgs(cmd *cobra.Command, args []string) error {
	if err := cobra.NoArgs(cmd, args); err != nil {
		return usageError{err}
	}
	return nil
}

// checkOutput validates -o once, before any command runs.
func (g *globalOptions) checkOutput() error {
	if g.output != outputText && g.output != outputJSON {
		return usageError{fmt.Errorf("--output must be text or json, not %q", g.output)}
	}
	return nil
}

func (g *globalOptions) json() bool { return g.output == outputJSON }
