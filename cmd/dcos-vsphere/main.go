// Command dcos-vsphere puts a DC/OS 1.9 cluster onto VMware vSphere.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

// Exit codes, documented in the README.
const (
	exitOK         = 0
	exitFailure    = 1 // install or other runtime failure
	exitUsage      = 2 // bad config or usage
	exitConnection = 3 // vCenter or SSH connection/auth failure
)

// exitCoder is implemented by errors that know their exit code
// (config.Errors says 2, connection errors say 3).
type exitCoder interface{ ExitCode() int }

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	soft := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		if !softStopCapable.Load() {
			cancel() // nothing to finish gracefully: stop now
			return
		}
		// First signal: finish what runs, start nothing new, save state.
		close(soft)
		fmt.Fprintln(os.Stderr, "stopping: letting running steps finish (Ctrl-C again to abort them)")
		<-sigs
		cancel()
	}()
	err := newRootCmd().ExecuteContext(installer.WithSoftStop(ctx, soft))
	cancel()
	os.Exit(exitCodeOf(err))
}

// softStopCapable is set by commands whose runs honour a soft stop
// (runCluster); for every other command the first signal cancels.
var softStopCapable atomic.Bool

func exitCodeOf(err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(os.Stderr, "Error:", err)
	var ec exitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitFailure
}

// usageError marks a bad flag or argument.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }
