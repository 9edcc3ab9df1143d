package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
	"github.com/dcos-vsphere/dcos-vsphere/tui"
)

// TestShownErrorExitCodes: an error the progress view showed keeps its
// exit code, and is still printed when stderr is not the terminal (a
// file, a pipe).
func TestShownErrorExitCodes(t *testing.T) {
	g := &globalOptions{output: outputText}
	for _, tc := range []struct {
		err  error
		code int
	}{
		{shownError{tui.ErrInterrupted}, exitStopped},
		{shownError{&installer.PhaseError{Phase: installer.PhaseInstallAgents, Title: "Install agents", Err: installer.ErrStopped}}, exitStopped},
		{shownError{&installer.PhaseError{Phase: installer.PhaseInstallAgents, Title: "Install agents", Err: errors.New("2 node(s) failed")}}, exitFailure},
		{shownError{&installer.ConflictError{Msg: "address in use"}}, exitUsage},
	} {
		var out, errOut bytes.Buffer
		if code := report(tc.err, g, &out, &errOut, false); code != tc.code {
			t.Errorf("%v: exit %d, want %d", tc.err, code, tc.code)
		}
		if !strings.Contains(errOut.String(), "Error: "+tc.err.Error()) || out.Len() != 0 {
			t.Errorf("%v with stderr not a terminal: stdout %q stderr %q", tc.err, out.String(), errOut.String())
		}
	}
}
