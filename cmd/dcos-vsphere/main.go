// Command dcos-vsphere puts a DC/OS 1.9 cluster onto VMware vSphere.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

// Exit codes, documented in the README and in --help.
const (
	exitOK         = 0
	exitFailure    = 1 // install or other runtime failure
	exitUsage      = 2 // bad config or usage; a config that conflicts with what exists
	exitConnection = 3 // vCenter or SSH connection/auth/host key failure
	exitUnhealthy  = 4 // status: a node is down, unreachable, not installed or not healthy
	exitStopped    = 130
)

// exitCoder is implemented by errors that know their exit code
// (config.Errors says 2, connection errors say 3).
type exitCoder interface{ ExitCode() int }

func main() {
	sig := newSignals()
	ctx, cancel := context.WithCancel(context.Background())
	go sig.handle(cancel, os.Stderr)
	root, g := newRootCmd(sig)
	err := root.ExecuteContext(installer.WithSoftStop(ctx, sig.soft))
	cancel()
	os.Exit(report(err, g, os.Stdout, os.Stderr, sig.count.Load() > 0))
}

// signals turns SIGINT, SIGTERM and SIGHUP into stops: the first lets
// running steps finish and starts nothing new (when the command can stop
// gracefully; otherwise it cancels), the second cancels everything, the
// third exits at once.
type signals struct {
	ch       chan os.Signal
	soft     chan struct{}
	graceful atomic.Bool // the running command stops gracefully
	count    atomic.Int32
}

func newSignals() *signals {
	s := &signals{ch: make(chan os.Signal, 3), soft: make(chan struct{})}
	signal.Notify(s.ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	return s
}

// enableGraceful says the running command honours a soft stop. A nil
// *signals (a command run by a test, with no signal handling) ignores it.
func (s *signals) enableGraceful() {
	if s != nil {
		s.graceful.Store(true)
	}
}

func (s *signals) handle(cancel context.CancelFunc, stderr io.Writer) {
	for sg := range s.ch {
		switch s.count.Add(1) {
		case 1:
			if !s.graceful.Load() {
				fmt.Fprintf(stderr, "%s: stopping\n", sg)
				cancel()
				continue
			}
			fmt.Fprintf(stderr, "%s: stopping: letting running steps finish, starting nothing new (again to abort them, a third time to exit at once)\n", sg)
			close(s.soft)
		case 2:
			fmt.Fprintf(stderr, "%s: aborting the running steps (again to exit at once)\n", sg)
			cancel()
		default:
			fmt.Fprintf(stderr, "%s: exiting now\n", sg)
			os.Exit(exitStopped)
		}
	}
}

// report prints err (text on stderr, or one JSON object on stdout under
// -o json) and returns the exit code.
func report(err error, g *globalOptions, stdout, stderr io.Writer, signalled bool) int {
	if err == nil {
		return exitOK
	}
	code := exitCodeOf(err, signalled)
	var reported reportedError
	if g != nil && g.json() && !errors.As(err, &reported) {
		writeJSONError(stdout, err, code)
	}
	// People read stderr whatever the output format, except when the
	// progress view already showed the error on that terminal.
	var shown shownError
	if !errors.As(err, &shown) || !isTerminal(stderr) {
		fmt.Fprintln(stderr, "Error:", err)
	}
	return code
}

// shownError is an error the progress view already showed on the
// terminal (its final frame: the error once, then the summary): main only
// sets the exit code, and prints it when stderr is not that terminal.
type shownError struct{ error }

func (e shownError) Unwrap() error { return e.error }

func exitCodeOf(err error, signalled bool) int {
	var ec exitCoder
	var ue usageError
	switch {
	case errors.Is(err, installer.ErrStopped), signalled && errors.Is(err, context.Canceled):
		return exitStopped
	case errors.As(err, &ec):
		return ec.ExitCode()
	case errors.Is(err, context.DeadlineExceeded):
		return exitFailure // --timeout: a run failure, whatever was waited for
	case errors.As(err, &ue):
		return exitUsage
	case isConnectionError(err):
		return exitConnection
	}
	return exitFailure
}

// isConnectionError: the network failed under the run (a vCenter that
// reset the connection, an SSH connection that died and did not come
// back), as opposed to a step that failed.
func isConnectionError(err error) bool {
	var ne net.Error
	var ue *url.Error
	return errors.Is(err, installer.ErrConnectionLost) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.As(err, &ue) || errors.As(err, &ne)
}

// usageError marks a bad flag or argument.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }
