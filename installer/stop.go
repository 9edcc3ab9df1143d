package installer

import (
	"context"
	"errors"
)

// ErrStopped says the user asked the run to stop (first Ctrl-C): steps
// that were running finished, nothing new was started, state was saved.
var ErrStopped = errors.New("stopped on request; steps in flight finished and the state is saved: run the same command again to resume")

type softStopKey struct{}

// WithSoftStop returns a context whose runs stop starting new phases and
// node steps once stop is closed, while letting running steps finish.
// Cancelling the context itself still aborts everything at once.
func WithSoftStop(ctx context.Context, stop <-chan struct{}) context.Context {
	return context.WithValue(ctx, softStopKey{}, stop)
}

// stopping reports whether a soft stop was requested.
func stopping(ctx context.Context) bool {
	ch, _ := ctx.Value(softStopKey{}).(<-chan struct{})
	if ch == nil {
		return false
	}
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// stopChan is the soft-stop channel of ctx (nil when it has none: a nil
// channel never fires in a select).
func stopChan(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(softStopKey{}).(<-chan struct{})
	return ch
}
